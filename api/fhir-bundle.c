/* api/fhir-bundle.c: MHD Provide Document Bundle (ITI-65), the transaction
 * POST /fhir/R4; see fhir-documents.h and docs/fhir.md.
 *
 * The Bundle's DocumentReference is turned into the metadata object of
 * the native deposit (type_code, class_code, mime...) and deposited with
 * res_document_store(), the native route's own call: the same checks,
 * the same rules, the same trail entry.  Its content comes from the
 * Binary entry its attachment.url names (or attachment.data).  A List
 * (the MHD SubmissionSet) is accepted and not kept. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "lib/macro.h"
#include "call.h"
#include "documents.h"
#include "fhir-common.h"
#include "fhir-documents.h"
#include "replies.h"

struct provide {
        const json_t *docref;   /* the one DocumentReference */
        const json_t *binary;   /* its Binary, when the attachment names one */
        char ins[16];
        char old_uid[DOSSIER_UID_SIZE]; /* relatesTo replaces; "" none */
        json_t *meta;           /* the native metadata */
        uint8_t *content;
        size_t len;
};

static int bad(struct api_reply *ret, const char *what) {
        return api_error_details(ret, 400, "bad_bundle", json_pack("{s:s}", "problem", what),
                                 "not a Provide Document Bundle carnet takes: %s", what) < 0 ? -ENOMEM : -EINVAL;
}

/* The entry of the Bundle whose fullUrl is url, or NULL. */
static const json_t *entry_by_url(const json_t *entries, const char *url) {
        size_t i;
        json_t *e;
        json_array_foreach(entries, i, e) {
                const char *u = json_string_value(json_object_get(e, "fullUrl"));
                if (u && url && strcmp(u, url) == 0)
                        return json_object_get(e, "resource");
        }
        return NULL;
}

/* Finds the DocumentReference and its Binary among the entries. */
static int find_entries(const json_t *bundle, struct provide *p, struct api_reply *ret) {
        const json_t *entries = json_object_get(bundle, "entry"), *e;
        size_t i;

        if (strcmp(json_string_value(json_object_get(bundle, "resourceType")) ?: "", "Bundle") != 0 ||
            strcmp(json_string_value(json_object_get(bundle, "type")) ?: "", "transaction") != 0)
                return bad(ret, "the body must be a Bundle of type transaction");
        if (!json_is_array(entries) || json_array_size(entries) == 0 || json_array_size(entries) > 8)
                return bad(ret, "entry must hold 1 to 8 entries");
        json_array_foreach(entries, i, e) {
                const json_t *r = json_object_get(e, "resource");
                const char *type = json_string_value(json_object_get(r, "resourceType")) ?: "";
                const char *method = json_string_value(json_object_get(json_object_get(e, "request"), "method")) ?: "";
                if (strcmp(method, "POST") != 0)
                        return bad(ret, "every entry is a POST (request.method)");
                if (strcmp(type, "DocumentReference") == 0) {
                        if (p->docref)
                                return bad(ret, "one DocumentReference per Bundle");
                        p->docref = r;
                } else if (strcmp(type, "Binary") != 0 && strcmp(type, "List") != 0)
                        return bad(ret, "entries are a DocumentReference, its Binary and the SubmissionSet List");
        }
        if (!p->docref)
                return bad(ret, "no DocumentReference");
        return 0;
}

static int mismatch(struct api_reply *ret, const char *field, const char *what) {
        return fhir_error(ret, 422, "value", "attachment_mismatch",
                          "attachment.%s is not the content's: %s; nothing was kept", field, what) < 0 ? -ENOMEM
                                                                                                     : -EINVAL;
}

/* attachment.size and attachment.hash (R4 Attachment: base64 of the data's
 * SHA-1), when given, are the content's: a document recipient refuses a
 * submission whose bytes are not the ones described (IHE ITI-41/65). */
static int attachment_check(const json_t *att, const struct provide *p, struct api_reply *ret) {
        const json_t *size = json_object_get(att, "size"), *hash = json_object_get(att, "hash");
        uint8_t digest[SHA_DIGEST_LENGTH];
        _cleanup_free_ uint8_t *given = NULL;
        size_t n = 0;

        if (size && (!json_is_integer(size) || json_integer_value(size) < 0))
                return bad(ret, "attachment.size is a whole number of bytes");
        if (hash) {
                int r = json_is_string(hash) ? res_base64_decode(json_string_value(hash), json_string_length(hash),
                                                                 &given, &n)
                                             : -EINVAL;
                if (r == -ENOMEM)
                        return r;
                if (r < 0 || n != sizeof(digest))
                        return bad(ret, "attachment.hash is the base64 of a SHA-1 (20 bytes)");
        }
        if (size && (uint64_t)json_integer_value(size) != (uint64_t)p->len)
                return mismatch(ret, "size", "another number of bytes");
        if (hash) {
                SHA1(p->content ? p->content : (const uint8_t *)"", p->len, digest);
                bool same = memcmp(digest, given, sizeof(digest)) == 0;
                secure_zero(digest, sizeof(digest));
                if (!same)
                        return mismatch(ret, "hash", "another SHA-1");
        }
        return 0;
}

/* attachment.data, or the data of the Binary entry attachment.url names,
 * checked against attachment.size and attachment.hash. */
static int content_of(const json_t *bundle, const json_t *att, struct provide *p, const char **ret_mime,
                      struct api_reply *ret) {
        const json_t *data = json_object_get(att, "data");
        const char *url = json_string_value(json_object_get(att, "url"));

        *ret_mime = json_string_value(json_object_get(att, "contentType"));
        if (!data && url) {
                p->binary = entry_by_url(json_object_get(bundle, "entry"), url);
                if (!p->binary || strcmp(json_string_value(json_object_get(p->binary, "resourceType")) ?: "", "Binary"))
                        return bad(ret, "attachment.url must be the fullUrl of the Binary entry");
                data = json_object_get(p->binary, "data");
                if (!*ret_mime)
                        *ret_mime = json_string_value(json_object_get(p->binary, "contentType"));
        }
        if (!data)
                return bad(ret, "the content is attachment.data or a Binary entry named by attachment.url");
        int r = json_is_string(data) ? res_base64_decode(json_string_value(data), json_string_length(data), &p->content,
                                                          &p->len)
                                      : -EINVAL;
        if (r == -ENOMEM)
                return r;
        return r < 0 ? bad(ret, "the content's data is not base64") : attachment_check(att, p, ret);
}

/* The first coding's code of a CodeableConcept, or NULL. */
static const char *first_code(const json_t *cc) {
        return json_string_value(json_object_get(json_array_get(json_object_get(cc, "coding"), 0), "code"));
}

/* Whether a security label of the DocumentReference says code (carnet's
 * visibility codes). */
static bool has_label(const json_t *docref, const char *code) {
        size_t i, j;
        json_t *l, *c;
        json_array_foreach(json_object_get(docref, "securityLabel"), i, l)
                json_array_foreach(json_object_get(l, "coding"), j, c) {
                        const char *s = json_string_value(json_object_get(c, "system")),
                                   *k = json_string_value(json_object_get(c, "code"));
                        if (s && k && strcmp(s, FHIR_CS_VISIBILITY) == 0 && strcmp(k, code) == 0)
                                return true;
                }
        return false;
}

/* subject and relatesTo: the patient, and the document replaced. */
static int subject_and_relation(const json_t *d, struct provide *p, struct api_reply *ret) {
        const json_t *subject = json_object_get(d, "subject"), *rel = json_object_get(d, "relatesTo");
        const char *ref = json_string_value(json_object_get(subject, "reference"));
        const json_t *ident = json_object_get(subject, "identifier");
        char buf[128];
        int r;

        if (ref)
                r = fhir_ins_of_reference(ref, p->ins);
        else {
                snprintf(buf, sizeof(buf), "%s|%s", json_string_value(json_object_get(ident, "system")) ?: "",
                         json_string_value(json_object_get(ident, "value")) ?: "");
                r = fhir_ins_of_identifier(buf, p->ins);
        }
        if (r < 0)
                return fhir_bad_ins(ret, 422, "DocumentReference.subject", r) < 0 ? -ENOMEM : -EINVAL;
        if (json_array_size(rel) > 1)
                return bad(ret, "at most one relatesTo (replaces)");
        if (json_array_size(rel) == 1) {
                const json_t *x = json_array_get(rel, 0);
                char ins[16];
                const char *code = json_string_value(json_object_get(x, "code")) ?: "";
                const char *target = json_string_value(json_object_get(json_object_get(x, "target"), "reference")) ?: "";
                const char *slash = strrchr(target, '/');
                if (strcmp(code, "replaces") != 0 || !slash || fhir_doc_id_parse(slash + 1, ins, p->old_uid) < 0 ||
                    strcmp(ins, p->ins) != 0)
                        return bad(ret, "relatesTo: code replaces, target DocumentReference/INS-uid of the same patient");
        }
        return 0;
}

/* The native metadata object of the DocumentReference (documents.h). */
static int meta_of(const json_t *bundle, struct provide *p, struct api_reply *ret) {
        const json_t *d = p->docref;
        const json_t *content = json_array_get(json_object_get(d, "content"), 0);
        const json_t *att = json_object_get(content, "attachment");
        const char *mime = NULL, *creation = json_string_value(json_object_get(att, "creation"));
        const char *title = json_string_value(json_object_get(att, "title"))
                                    ?: json_string_value(json_object_get(d, "description"));
        int64_t lo = 0, hi;
        int r;

        if (json_array_size(json_object_get(d, "content")) != 1)
                return bad(ret, "one content per DocumentReference");
        if ((r = subject_and_relation(d, p, ret)) < 0 || (r = content_of(bundle, att, p, &mime, ret)) < 0)
                return r;
        if (creation && fhir_parse_datetime(creation, &lo, &hi) < 0)
                return bad(ret, "attachment.creation is not a FHIR dateTime");
        p->meta = json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?,s:b,s:b}", "type_code", first_code(json_object_get(d, "type")),
                            "class_code", first_code(json_array_get(json_object_get(d, "category"), 0)), "format_code",
                            first_code(json_object_get(content, "format")), "mime", mime, "title", title,
                            "hidden_from_patient", has_label(d, "hidden-from-patient"), "hidden_from_representatives",
                            has_label(d, "hidden-from-representatives"));
        if (p->meta && creation)
                json_object_set_new(p->meta, "created_at", json_integer(lo));
        return p->meta ? 0 : -ENOMEM;
}

/* The alerts of the deposit as an OperationOutcome of warnings, or NULL. */
static json_t *alerts_outcome(const char *ins, const struct dossier_warnings *w) {
        if (w->n == 0)
                return NULL;
        json_t *issues = json_array();
        for (unsigned i = 0; i < w->n; i++) {
                const char *kind = res_warning_kind(w->w[i].kind);
                json_t *is = json_pack("{s:s,s:s,s:{s:[{s:s,s:s}],s:s}}", "severity", "warning", "code", "business-rule",
                                       "details", "coding", "system", FHIR_CS_ALERT, "code", kind, "text",
                                       w->w[i].detail[0] ? w->w[i].detail : kind);
                if (is && w->w[i].other_uid[0]) {
                        char id[FHIR_DOC_ID_SIZE], other[FHIR_DOC_ID_SIZE + 64];
                        fhir_doc_id(ins, w->w[i].other_uid, id);
                        snprintf(other, sizeof(other), "the earlier document: DocumentReference/%s", id);
                        json_object_set_new(is, "diagnostics", json_string(other));
                }
                json_array_append_new(issues, is);
        }
        return json_pack("{s:s,s:o}", "resourceType", "OperationOutcome", "issue", issues);
}

/* The transaction-response: one entry per entry of the request, in order. */
static json_t *response_of(const json_t *bundle, const struct provide *p, const char *uid,
                           const struct dossier_warnings *w) {
        char id[FHIR_DOC_ID_SIZE], loc[FHIR_DOC_ID_SIZE + 32];
        json_t *out = json_array(), *e;
        size_t i;

        fhir_doc_id(p->ins, uid, id);
        json_array_foreach(json_object_get(bundle, "entry"), i, e) {
                const json_t *r = json_object_get(e, "resource");
                const char *type = json_string_value(json_object_get(r, "resourceType"));
                json_t *resp;
                if (strcmp(type, "List") == 0 || (strcmp(type, "Binary") == 0 && r != p->binary))
                        resp = json_pack("{s:s,s:{s:s,s:[{s:s,s:s,s:{s:s}}]}}", "status", "200 OK", "outcome",
                                         "resourceType", "OperationOutcome", "issue", "severity", "information", "code",
                                         "informational", "details", "text",
                                         "accepted, not kept: carnet keeps the document and its metadata");
                else {
                        snprintf(loc, sizeof(loc), "%s/%s", type, id);
                        resp = json_pack("{s:s,s:s}", "status", "201 Created", "location", loc);
                        json_t *oo = r == p->docref ? alerts_outcome(p->ins, w) : NULL;
                        if (resp && oo)
                                json_object_set_new(resp, "outcome", oo);
                }
                json_array_append_new(out, json_pack("{s:o}", "response", resp));
        }
        return json_pack("{s:s,s:s,s:o}", "resourceType", "Bundle", "type", "transaction-response", "entry", out);
}

static void provide_done(struct provide *p) {
        if (p->content)
                secure_zero(p->content, p->len);
        free(p->content);
        json_decref(p->meta);
}

/* POST /fhir/R4: the transaction of ITI-65.  One DocumentReference
 * deposited (or, with relatesTo replaces, a new version) as the native
 * POST .../documents does it; its alerts come back as warnings. */
int fhir_transaction(const struct api_request *req, struct api_reply *ret) {
        static const char *const none[] = {NULL};
        const json_t *bundle = req->call->body;
        struct api_call c = *req->call;
        struct provide p = {0};
        struct dossier_warnings w = {0};
        char uid[DOSSIER_UID_SIZE];
        int r;

        if (fhir_check_params(req, none, ret) < 0)
                return 0;
        if ((r = find_entries(bundle, &p, ret)) < 0 || (r = meta_of(bundle, &p, ret)) < 0) {
                provide_done(&p);
                return r == -ENOMEM ? r : 0;
        }
        c.ins = p.ins;
        r = res_document_store(&c, p.meta, NULL, p.old_uid[0] ? p.old_uid : NULL, p.content, p.len, uid, &w, ret);
        secure_zero(&c, sizeof(c));
        if (r < 0) {
                provide_done(&p);
                return r == -ENOMEM ? r : 0;
        }
        json_t *b = response_of(bundle, &p, uid, &w);
        provide_done(&p);
        return b ? api_ok(ret, 200, b) : -ENOMEM;
}
