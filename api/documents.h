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
#include "engine/dossier.h"

struct api_call;

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

/* The XDS status as the API writes it: approved, deprecated, archived. */
const char *res_doc_status_name(enum access_doc_status s);
/* An alert's kind as the API writes it: interaction, duplicate_exam. */
const char *res_warning_kind(enum dossier_warning_kind k);

/* Deposits (old_uid NULL) or replaces a document of c->ins as c's caller:
 * meta is the deposit's metadata object as POST .../documents takes it
 * (type_code, class_code, mime...; checked here: unknown codes 422),
 * content_type a raw deposit's Content-Type (NULL: "mime" is required).
 * The FHIR face (fhir-documents.c) deposits through this too.  Returns 0
 * with ret_uid and ret_w set; -EINVAL (a bad field) or -EACCES (the
 * engine refused or failed) with err filled; -ENOMEM. */
int res_document_store(const struct api_call *c, const json_t *meta, const char *content_type, const char *old_uid,
                       const void *content, size_t len, char ret_uid[DOSSIER_UID_SIZE], struct dossier_warnings *ret_w,
                       struct api_reply *err);

/* dossier_read() of document uid of ins as c's caller, as GET
 * .../documents/{uid} does it: 0, or -EACCES (-ENOMEM) with the engine's
 * refusal in ret. */
int res_read_document(const struct api_call *c, const char *ins, const char *uid, struct dossier_doc *d,
                      void **content, size_t *len, struct api_reply *ret);
/* The 200 reply of a document's bytes (content, owned from here on, wiped
 * and freed when sent) with its own Content-Type, and the held-back
 * warning header when d says.  0, -ENOMEM, -EINVAL. */
int res_content_reply(struct api_reply *ret, const struct dossier_doc *d, void *content, size_t len);
/* The 304 Not Modified of a document's bytes (http/conditional.h): the
 * ETag etag, and the held-back warning header as the 200 would have it.
 * Returns 0. */
int res_content_not_modified(struct api_reply *ret, const struct dossier_doc *d, const char *etag);

API_HANDLER(res_documents_list);
API_HANDLER(res_documents_post);
API_HANDLER(res_document_get);
API_HANDLER(res_document_content);
API_HANDLER(res_document_replace);
API_HANDLER(res_document_archive);
API_HANDLER(res_document_mask);
API_HANDLER(res_document_unmask);
API_HANDLER(res_document_release);
