/* api/fhir-common.h: what the FHIR R4 resources share (docs/fhir.md).
 *
 * carnet's FHIR face lives under /fhir/R4/ in the same route table as
 * /v1: the same needs, the same session header, the same engine calls.
 * What is FHIR about it is here: the media type application/fhir+json,
 * errors as OperationOutcome (fhir_finish turns every carnet error shape
 * under /fhir/ into one, the router's own 404/405/400 included, keeping
 * the HTTP status, the stable code and the rule's reason), searchset
 * Bundles, the ids (a Patient is its INS, a document "INS-uid"), the
 * token and date search parameters, and base64 for Binary. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/router.h"
#include "engine/dossier.h"

#define FHIR_PREFIX "/fhir/R4"
#define FHIR_MIME "application/fhir+json"
/* the Content-Type of a FHIR JSON reply: R4 http.html, responses SHALL
 * name their charset, UTF-8 (HTTP's default being ISO-8859-1) */
#define FHIR_MIME_UTF8 FHIR_MIME "; charset=utf-8"
#define FHIR_VERSION "4.0.1"
#define FHIR_INS_OID "1.2.250.1.213.1.4.8"
#define FHIR_INS_OID_TEST "1.2.250.1.213.1.4.10"
#define FHIR_RPPS_SYSTEM "urn:oid:1.2.250.1.71.4.2.1"
#define FHIR_LOINC "http://loinc.org"
#define FHIR_CLASS_SYSTEM "urn:oid:1.2.250.1.213.1.1.4.1"  /* TRE_A03 */
#define FHIR_FORMAT_SYSTEM "urn:oid:1.3.6.1.4.1.19376.1.2.3" /* IHE format codes */
/* carnet's own code systems and extensions (docs/fhir.md) */
#define FHIR_CARNET "https://carnet.invalid/fhir"
#define FHIR_CS_ERROR FHIR_CARNET "/CodeSystem/error"
#define FHIR_CS_REASON FHIR_CARNET "/CodeSystem/reason"
#define FHIR_CS_LOCAL_TYPE FHIR_CARNET "/CodeSystem/local-type"
#define FHIR_CS_VISIBILITY FHIR_CARNET "/CodeSystem/visibility"
#define FHIR_CS_DOC_STATUS FHIR_CARNET "/CodeSystem/xds-status"
#define FHIR_CS_ACTION FHIR_CARNET "/CodeSystem/action"
#define FHIR_CS_ALERT FHIR_CARNET "/CodeSystem/alert"
#define FHIR_CS_OPPOSITION FHIR_CARNET "/CodeSystem/opposition"
#define FHIR_EXT_SHA256 FHIR_CARNET "/StructureDefinition/sha256"
#define FHIR_EXT_MODE FHIR_CARNET "/StructureDefinition/access-mode"

/* A document's FHIR id: "INS-uid" (15 + 1 + 32 characters). */
#define FHIR_DOC_ID_SIZE (15 + 1 + DOSSIER_UID_SIZE)

/* The table's finish hook (http/router.h): under /fhir/ a JSON reply gets
 * FHIR_MIME_UTF8 and a carnet error becomes an OperationOutcome of the same
 * status.  Other paths are left alone.  0 or -ENOMEM. */
int fhir_finish(const struct api_request *req, struct api_reply *ret);

/* An OperationOutcome issue: severity ("error", "warning",
 * "information"), FHIR issue code, carnet's code (may be NULL) and the
 * text. */
json_t *fhir_issue(const char *severity, const char *code, const char *carnet_code, const char *text);
/* An error reply as OperationOutcome straight away: status, FHIR issue
 * code, carnet's stable code, the message. Returns 0 or -ENOMEM. */
int fhir_error(struct api_reply *ret, unsigned status, const char *issue_code, const char *carnet_code,
               const char *fmt, ...) _printf_(5, 6);

/* The server's base ("http://" + the Host header + FHIR_PREFIX; https on
 * the dossier host, or there the scheme and host an agent's Forwarded
 * header names) into buf: what fullUrl and Bundle links start with. */
#define FHIR_HOST_MAX 264 /* a DNS name (253), a port, the NUL */
#define FHIR_BASE_SIZE (FHIR_HOST_MAX + 24)
const char *fhir_base(const struct api_request *req, char *buf, size_t size);
/* The Forwarded value an agent sends the host with a request (RFC 7239:
 * proto=SCHEME;host="HOST"): the scheme and host fhir_base() would use
 * here, so that the host's URLs are the ones this client asked on. */
#define FHIR_FORWARDED_SIZE (FHIR_HOST_MAX + 24)
const char *fhir_forwarded(const struct api_request *req, char buf[FHIR_FORWARDED_SIZE]);
/* A searchset Bundle of entries (stolen), each {"resource": r, "fullUrl"}:
 * the page the request asks of them (fhir-page.h), their number as total,
 * the page's links with the search's parameters (params, as checked by
 * fhir_check_params()). */
json_t *fhir_searchset(const struct api_request *req, const char *const params[], json_t *resources);
/* The same of a page cut by its search: resources (stolen) are the page's
 * matches alone, total the number of every match, page what the request
 * asks (fhir_page_of()). */
struct fhir_page;
json_t *fhir_searchset_page(const struct api_request *req, const struct fhir_page *page, json_t *resources,
                            size_t total);
/* t as a FHIR instant "YYYY-MM-DDTHH:MM:SSZ" into buf (21 bytes). */
const char *fhir_instant(int64_t t, char buf[32]);
/* A FHIR date or dateTime ("YYYY", "YYYY-MM", "YYYY-MM-DD",
 * "YYYY-MM-DDThh:mm:ss[.sss](Z|+hh:mm)") as the first and last second it
 * covers.  -EINVAL otherwise. */
int fhir_parse_datetime(const char *s, int64_t *ret_lo, int64_t *ret_hi);

/* A patient search parameter: "INS", "Patient/INS", an absolute URL
 * ending so, or (identifier) "urn:oid:1.2.250.1.213.1.4.8|INS" (or .10),
 * or the bare INS (a token without a system: any system).
 * Copies the checked INS into ret (16 bytes).  -EINVAL (malformed),
 * -EBADMSG (wrong key). */
int fhir_ins_of_reference(const char *s, char ret[16]);
int fhir_ins_of_identifier(const char *s, char ret[16]);
/* The OperationOutcome of a patient named by no INS (r: -EBADMSG a wrong
 * key, else malformed) in param: status 400 for a search parameter (R4
 * http.html, search: a parameter value the server cannot process is 400),
 * 422 for a transaction's DocumentReference.subject (a resource that
 * breaks the server's rules).  bad_ins, with parameter and problem in the
 * diagnostics.  0 or -ENOMEM. */
int fhir_bad_ins(struct api_reply *ret, unsigned status, const char *param, int r);
/* The patient of a search: "patient" (a reference) or
 * "patient.identifier" (an INS identifier), exactly one; 0 with ins set,
 * or -EINVAL with the OperationOutcome in ret (-ENOMEM): 400 for none or
 * both, 400 bad_ins for a value that is no INS. */
int fhir_patient_param(const struct api_request *req, char ins[16], struct api_reply *ret);
/* A token parameter "system|code", "|code" or "code": splits it (the
 * system NULL when absent, "" for "|code").  buf holds the copy. */
void fhir_token(const char *s, char *buf, size_t size, const char **ret_system, const char **ret_code);

/* Whether id is a FHIR id: [A-Za-z0-9\-\.]{1,64} (R4 datatypes.html#id). */
bool fhir_id_valid(const char *id);
/* The {id} of a read: 0 when it is a FHIR id; otherwise 400 bad_id (an
 * OperationOutcome "invalid") in ret and -EINVAL (-ENOMEM).  A valid id
 * that names nothing is the caller's 404. */
int fhir_read_id(const struct api_request *req, const char **ret_id, struct api_reply *ret);

/* A document's id "INS-uid" and its parts; -EINVAL when it is not one. */
void fhir_doc_id(const char *ins, const char *uid, char ret[FHIR_DOC_ID_SIZE]);
int fhir_doc_id_parse(const char *id, char ret_ins[16], char ret_uid[DOSSIER_UID_SIZE]);

/* Standard base64 of len bytes: a new NUL-terminated string, or NULL. */
char *fhir_base64(const void *data, size_t len);

/* Refuses a format other than JSON asked with _format or Accept (406;
 * on Binary/{id}, _format only), then search parameters outside allowed
 * (NULL-terminated), the _format and _count FHIR clients send by
 * themselves, and carnet's _offset, being allowed (a malformed _count or
 * _offset is refused even under Prefer: handling=lenient): 400
 * OperationOutcome. 0, or -EINVAL with ret filled. */
int fhir_check_params(const struct api_request *req, const char *const allowed[], struct api_reply *ret);
/* FHIR R4 http.html: a read of a deleted resource is 410 Gone.  A reply
 * that refuses a read for a dossier destroyed at the patient's request
 * (409 dossier_destroyed, the native answer) becomes 410, issue deleted,
 * as the dossier's Patient is; another reply is left alone. */
void fhir_read_gone(struct api_reply *ret);
/* The reply of a search (params, as checked) whose engine call failed with
 * r: res_engine_fail()'s refusal, but an empty searchset when the
 * patient's dossier was destroyed (a search finds nothing of it, as the
 * Patient search does).  0 or -ENOMEM. */
int fhir_search_fail(const struct api_request *req, const char *const params[], const struct dossier_engine *e, int r,
                     struct api_reply *ret);
/* Whether the parameter name is one of allowed (NULL: none) or one every
 * interaction takes (_format, _count, _offset): one fhir_check_params()
 * lets a search apply, not one ignored under lenient handling. */
bool fhir_param_known(const char *name, const char *const allowed[]);

/* Whether the request's Accept names, with a q above 0, the media type
 * type (compared without case, parameters aside: lib/media-type.h), or,
 * with type NULL, whether it takes FHIR JSON: application/fhir+json by
 * its most specific range (the type, application/ *, * / *: RFC 9110
 * 12.5.1, blanks added here), or json, application/json, text/json named. */
bool fhir_accepts(const struct api_request *req, const char *type);
