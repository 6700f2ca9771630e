/* api/fhir-documents.h: IHE MHD over FHIR R4 (docs/fhir.md).
 *
 *   GET  /fhir/R4/DocumentReference?patient=...  Find Document References (ITI-67):
 *                                               patient, status, type, category, date
 *   GET  /fhir/R4/DocumentReference/{id}         one document's metadata
 *   GET  /fhir/R4/Binary/{id}                    Retrieve Document (ITI-68): a Binary
 *                                               resource, or the bytes themselves when
 *                                               the client does not ask for FHIR JSON
 *   POST /fhir/R4                               Provide Document Bundle (ITI-65):
 *                                               a transaction of one DocumentReference
 *                                               and its Binary (fhir-bundle.c)
 *
 * A document's id is "INS-uid".  Every call is the engine call the native
 * route makes (dossier_list, dossier_read, res_document_store), so the
 * rules and the trail are the same. */
#pragma once

#include "http/router.h"
#include "engine/dossier.h"

/* A DocumentReference's meta.versionId and its NUL: the revision
 * (fhir-documents.c). */
#define FHIR_VERSION_ID_SIZE (12 + 1)

/* The DocumentReference of document d of ins (XDS mapping, docs/fhir.md),
 * or NULL (out of memory). */
json_t *fhir_docref_json(const char *ins, const struct dossier_doc *d);

API_HANDLER(fhir_docref_search);
API_HANDLER(fhir_docref_read);
API_HANDLER(fhir_binary_read);
API_HANDLER(fhir_transaction);
