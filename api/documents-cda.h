/* api/documents-cda.h: CDA R2 documents at the API (docs/fhir.md).
 *
 * A deposit whose MIME type names a CDA document (cda_mime: application/
 * hl7-cda+xml, text/xml, application/xml) has its header parsed
 * (cda/cda.h, bounded, entities and DTDs refused) and checked against
 * the metadata given: the patient's INS, the type code, the author (a
 * professional's national id), else 422 cda_malformed, cda_refused,
 * cda_patient_mismatch, cda_type_mismatch or cda_author_mismatch.  A
 * document of another format is retrieved wrapped in a CDA R2 level 1
 * header built from its metadata (GET .../content?format=cda, or FHIR
 * Binary with Accept: application/hl7-cda+xml). */
#pragma once

#include <stddef.h>

#include "http/router.h"
#include "engine/dossier.h"

struct api_call;

/* The check of a CDA deposit of c's caller into ins with meta: 0 (also
 * for a MIME type that is not CDA's), or -EINVAL with err filled. */
int res_cda_check(const struct api_call *c, const char *ins, const struct dossier_doc_meta *meta,
                  const void *content, size_t len, struct api_reply *err);

/* The 200 reply of document d of ins wrapped in a CDA R2 header
 * (content is the caller's and stays so); the dossier's INS OID is read
 * with dossier_info().  0, or the reply filled with the error (409
 * already_cda for a CDA document), -ENOMEM. */
int res_cda_wrapped_reply(const struct api_call *c, const char *ins, const struct dossier_doc *d,
                          const void *content, size_t len, struct api_reply *ret);
