/* api/documents.h: the documents of a dossier over the API.
 *
 *   GET  /v1/dossiers/{ins}/documents                   search (filters in the query)
 *   POST /v1/dossiers/{ins}/documents                   deposit (JSON + base64, or raw)
 *   GET  /v1/dossiers/{ins}/documents/{uid}             metadata
 *   GET  /v1/dossiers/{ins}/documents/{uid}/content     the bytes, with their own type
 *   POST /v1/dossiers/{ins}/documents/{uid}/replace     new version (same body as deposit)
 *   POST /v1/dossiers/{ins}/documents/{uid}/archive
 *   POST /v1/dossiers/{ins}/documents/{uid}/mask        the patient masks it to professionals
 *   POST /v1/dossiers/{ins}/documents/{uid}/unmask
 *   POST /v1/dossiers/{ins}/documents/{uid}/release     the announcement consultation took
 *                                                       place: visible to the patient
 *
 * Type and class codes are checked against the codes carnet knows
 * (docs/rules.md §4): an unknown one is 422.  The sections (rubriques) are
 * carnet's grouping of those codes, docs/api.md lists it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/router.h"

/* Whether carnet knows the type (LOINC or local) / class (TRE_A03) code. */
bool res_type_known(const char *code);
bool res_class_known(const char *code);
/* The section (rubrique) slug of a document, or NULL (e.g. REMB). */
const char *res_section_of(const char *type_code, const char *class_code);
/* A section named by slug ("reports") or number ("3"): its slug, or NULL. */
const char *res_section_parse(const char *s);

/* Strict base64 (RFC 4648, standard alphabet, padding optional, no
 * blanks) into a new buffer: -EINVAL for anything else, -ENOMEM. */
int res_base64_decode(const char *in, size_t len, uint8_t **ret, size_t *ret_len);

API_HANDLER(res_documents_list);
API_HANDLER(res_documents_post);
API_HANDLER(res_document_get);
API_HANDLER(res_document_content);
API_HANDLER(res_document_replace);
API_HANDLER(res_document_archive);
API_HANDLER(res_document_mask);
API_HANDLER(res_document_unmask);
API_HANDLER(res_document_release);
