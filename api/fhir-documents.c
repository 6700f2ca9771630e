/* api/fhir-documents.c: DocumentReference and Binary; see fhir-documents.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "engine/dossier.h"
#include "http/conditional.h"
#include "lib/macro.h"
#include "lib/media-type.h"
#include "call.h"
#include "cda/cda.h"
#include "documents-cda.h"
#include "documents.h"
#include "fhir-common.h"
#include "fhir-documents.h"
#include "fhir-page.h"
#include "replies.h"

/* A LOINC code ("11488-4") or one of carnet's local codes (REMB, DOCPAT01...). */
static const char *type_system(const char *code) {
        size_t n = strspn(code, "0123456789");
        return n > 0 && code[n] == '-' && code[n + 1] >= '0' && code[n + 1] <= '9' && code[n + 2] == '\0'
                       ? FHIR_LOINC
                       : FHIR_CS_LOCAL_TYPE;
}

static json_t *coding(const char *system, const char *code) {
        return json_pack("{s:s,s:s}", "system", system, "code", code);
}

/* The security labels: the confidentiality and carnet's visibility states. */
static json_t *security_labels(const struct dossier_doc *d) {
        json_t *l = json_pack("[{s:[o]}]", "coding",
                              coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", d->masked ? "R" : "N"));
        if (d->masked)
                json_array_append_new(l, json_pack("{s:[o]}", "coding", coding(FHIR_CS_VISIBILITY, "masked")));
        if (d->hidden_from_patient || d->warn_hidden_from_patient)
                json_array_append_new(l, json_pack("{s:[o],s:s}", "coding", coding(FHIR_CS_VISIBILITY, "hidden-from-patient"),
                                                   "text", "this document is not visible to the patient"));
        if (d->hidden_from_representatives)
                json_array_append_new(l, json_pack("{s:[o]}", "coding",
                                                   coding(FHIR_CS_VISIBILITY, "hidden-from-representatives")));
        return l;
}

/* The author: the depositing professional by national id (or the patient
 * for their own deposits), and their institution when given. */
static json_t *authors(const char *ins, const struct dossier_doc *d) {
        char ref[32];
        json_t *a = json_array();
        if (d->patient_deposit) {
                snprintf(ref, sizeof(ref), "Patient/%s", ins);
                json_array_append_new(a, json_pack("{s:s}", "reference", ref));
        } else
                json_array_append_new(a, json_pack("{s:s,s:{s:s,s:s}}", "type", "Practitioner", "identifier", "system",
                                                   FHIR_RPPS_SYSTEM, "value", d->author_id));
        if (d->institution[0])
                json_array_append_new(a, json_pack("{s:s,s:s}", "type", "Organization", "display", d->institution));
        return a;
}

/* meta.versionId: FHIR's changes whenever the resource does (R4
 * resource.html, Meta), and the ETag W/"versionId" a conditional read
 * compares is only a validator if it does: the entry's revision, one more
 * at each change in place (masking, a hold's release or lapse, the status
 * when a new version replaces it or it is archived: engine/dossier.h). */
static const char *version_id(const struct dossier_doc *d, char vid[FHIR_VERSION_ID_SIZE]) {
        snprintf(vid, FHIR_VERSION_ID_SIZE, "%d", d->revision);
        return vid;
}

/* Its ETag, W/"versionId" (R4 http.html, read), which the document's
 * Binary shares. */
static void docref_etag(const struct dossier_doc *d, char ret[API_ETAG_SIZE]) {
        char vid[FHIR_VERSION_ID_SIZE];
        snprintf(ret, API_ETAG_SIZE, "W/\"%s\"", version_id(d, vid));
}

json_t *fhir_docref_json(const char *ins, const struct dossier_doc *d) {
        char id[FHIR_DOC_ID_SIZE], sha[65], subject[32], binary[FHIR_DOC_ID_SIZE + 8], dep[32], created[32], urn[64];
        char updated[32], vid[FHIR_VERSION_ID_SIZE];
        fhir_doc_id(ins, d->uid, id);
        snprintf(urn, sizeof(urn), "urn:carnet:document:%s", d->uid);
        hex_encode(d->sha256, sizeof(d->sha256), sha);
        snprintf(subject, sizeof(subject), "Patient/%s", ins);
        snprintf(binary, sizeof(binary), "Binary/%s", id);
        /* meta.lastUpdated: the last change in place, or the deposit */
        fhir_instant(d->deposited_at, dep);
        fhir_instant(d->updated_at, updated);
        json_t *att = json_pack("{s:s,s:s,s:I,s:s,s:s,s:[{s:s,s:s}]}", "contentType", d->mime, "url", binary, "size",
                                (json_int_t)d->size, "title", d->title, "creation", fhir_instant(d->created_at, created),
                                "extension", "url", FHIR_EXT_SHA256, "valueString", sha);
        json_t *o = json_pack(
                "{s:s,s:s,s:{s:s,s:s,s:[o]},s:{s:s,s:s},s:s,s:{s:[o]},s:[{s:[o]}],s:{s:s},s:s,s:o,s:s,s:o,"
                "s:[{s:o,s:o}]}",
                "resourceType", "DocumentReference", "id", id, "meta", "versionId", version_id(d, vid), "lastUpdated",
                updated, "tag",
                coding(FHIR_CS_DOC_STATUS, res_doc_status_name(d->status)), "masterIdentifier", "system",
                "urn:ietf:rfc:3986", "value", urn, "status",
                d->status == ACCESS_DOC_APPROVED ? "current" : "superseded", "type", "coding",
                coding(type_system(d->type_code), d->type_code), "category", "coding",
                coding(FHIR_CLASS_SYSTEM, d->class_code), "subject", "reference", subject, "date", dep, "author",
                authors(ins, d), "description", d->title, "securityLabel", security_labels(d), "content",
                "attachment", att, "format", coding(FHIR_FORMAT_SYSTEM, d->format_code));
        return o;
}

/* ---- search ----------------------------------------------------------- */

/* Whether code (of system) is one of the comma-separated tokens of param;
 * a token without system matches any system. */
static bool token_match(const char *param, const char *system, const char *code) {
        char buf[512];
        (void)strcpy_bounded(buf, sizeof(buf), param);
        for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                const char *s, *c;
                char one[256];
                fhir_token(t, one, sizeof(one), &s, &c);
                if (strcmp(c, code) == 0 && (!s || !s[0] || strcmp(s, system) == 0))
                        return true;
        }
        return false;
}

struct doc_filter {
        const char *status, *type, *category;
        char prefix[3];     /* eq, ge, le, gt, lt */
        int64_t lo, hi;     /* the date parameter's range */
        bool date;
};

static int parse_date_param(const char *s, struct doc_filter *f) {
        static const char *const prefixes[] = {"eq", "ge", "le", "gt", "lt"};
        (void)strcpy_bounded(f->prefix, sizeof(f->prefix), "eq");
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (strncmp(s, prefixes[i], 2) == 0) {
                        (void)strcpy_bounded(f->prefix, sizeof(f->prefix), prefixes[i]);
                        s += 2;
                        break;
                }
        f->date = true;
        return fhir_parse_datetime(s, &f->lo, &f->hi);
}

static bool date_match(const struct doc_filter *f, int64_t t) {
        if (!f->date)
                return true;
        if (strcmp(f->prefix, "ge") == 0)
                return t >= f->lo;
        if (strcmp(f->prefix, "gt") == 0)
                return t > f->hi;
        if (strcmp(f->prefix, "le") == 0)
                return t <= f->hi;
        if (strcmp(f->prefix, "lt") == 0)
                return t < f->lo;
        return t >= f->lo && t <= f->hi;
}

static bool doc_match(const struct doc_filter *f, const struct dossier_doc *d) {
        const char *status = d->status == ACCESS_DOC_APPROVED ? "current" : "superseded";
        return (!f->status || token_match(f->status, "http://hl7.org/fhir/document-reference-status", status)) &&
               (!f->type || token_match(f->type, type_system(d->type_code), d->type_code)) &&
               (!f->category || token_match(f->category, FHIR_CLASS_SYSTEM, d->class_code)) &&
               date_match(f, d->deposited_at);
}

/* A newer version's link to the one it replaced, as the list shows it. */
struct replacement {
        char old[DOSSIER_UID_SIZE], by[DOSSIER_UID_SIZE];
};

/* The version d replaced, when the list holds it (its replaced_by is d):
 * relatesTo replaces, as XDS links a new version to the old. */
static void relates_to(json_t *o, const char *ins, const struct replacement *links, size_t n,
                       const struct dossier_doc *d) {
        for (size_t j = 0; o && j < n; j++)
                if (strcmp(links[j].by, d->uid) == 0) {
                        char id[FHIR_DOC_ID_SIZE], ref[FHIR_DOC_ID_SIZE + 32];
                        fhir_doc_id(ins, links[j].old, id);
                        snprintf(ref, sizeof(ref), "DocumentReference/%s", id);
                        json_object_set_new(o, "relatesTo", json_pack("[{s:s,s:{s:s}}]", "code", "replaces", "target",
                                                                      "reference", ref));
                        return;
                }
}

/* dossier_list_each()'s sink for a search: every document the caller
 * sees is looked at (the matches counted for Bundle.total, the versions
 * replaced noted for relatesTo), and only the page's matches kept: the
 * memory a search takes grows with its page, not with the dossier. */
struct docref_search {
        const struct doc_filter *f;
        size_t first, size;  /* the page: matches first to first + size - 1 */
        size_t matches;
        struct dossier_doc *page;
        size_t n, cap;              /* cap: bytes (grow_one()) */
        struct replacement *links;
        size_t n_links, cap_links;  /* cap_links: bytes */
};

/* Room for one more element of size bytes after the n in *arr (*cap its
 * bytes allocated): lib/macro.h's secure_grow(), the old buffer wiped, as
 * a page holds documents' metadata. */
static int grow_one(void *arr, size_t n, size_t *cap, size_t size) {
        if ((n + 1) * size <= *cap)
                return 0;
        return secure_grow(arr, n * size, cap, *cap ? 2 * *cap : 16 * size);
}

static int search_begin(void *data) {
        struct docref_search *s = data;

        if (s->page)
                secure_zero(s->page, s->n * sizeof(*s->page));
        s->matches = s->n = s->n_links = 0;
        return 0;
}

static int search_doc(const struct dossier_doc *d, void *data) {
        struct docref_search *s = data;

        if (d->replaced_by[0]) {
                if (grow_one(&s->links, s->n_links, &s->cap_links, sizeof(*s->links)) < 0)
                        return -ENOMEM;
                memcpy(s->links[s->n_links].old, d->uid, DOSSIER_UID_SIZE);
                memcpy(s->links[s->n_links++].by, d->replaced_by, DOSSIER_UID_SIZE);
        }
        if (!doc_match(s->f, d))
                return 0;
        if (s->matches >= s->first && s->matches - s->first < s->size) {
                if (grow_one(&s->page, s->n, &s->cap, sizeof(*s->page)) < 0)
                        return -ENOMEM;
                s->page[s->n++] = *d;
        }
        s->matches++;
        return 0;
}

/* GET /fhir/R4/DocumentReference?patient=...: dossier_list_each() as the
 * native search calls it; without status and date it is the first,
 * automatic search of docs/rules.md §4 (approved, acts of 2 years). */
int fhir_docref_search(const struct api_request *req, struct api_reply *ret) {
        static const char *const params[] = {"patient", "patient.identifier", "status", "type", "category", "date",
                                             "_summary", NULL};
        const struct api_call *c = req->call;
        struct doc_filter f = {.status = api_query(req, "status"), .type = api_query(req, "type"),
                               .category = api_query(req, "category")};
        const char *qdate = api_query(req, "date");
        char ins[16];
        int r;

        if (fhir_check_params(req, params, ret) < 0)
                return 0;
        if ((r = fhir_patient_param(req, ins, ret)) < 0)
                return r == -ENOMEM ? r : 0;
        if (qdate && parse_date_param(qdate, &f) < 0)
                return api_error_details(ret, 400, "bad_parameter", json_pack("{s:s}", "parameter", "date"),
                                         "date is [eq|ge|le|gt|lt]YYYY[-MM[-DD[Thh:mm:ssZ]]]");
        bool first = !f.status && !qdate;
        bool all = !first && !(f.status && strcmp(f.status, "current") == 0);
        struct fhir_page page = fhir_page_asked(req, params);
        struct docref_search s = {.f = &f, .first = (size_t)page.offset, .size = fhir_page_size(&page)};
        r = dossier_list_each(c->engine, &c->caller.a, ins, (first ? DOSSIER_LIST_FIRST_SEARCH : 0) |
                                                               (all ? DOSSIER_LIST_ALL_STATUSES : 0), NULL,
                              &(struct dossier_list_sink) {search_begin, search_doc, &s});
        json_t *list = r < 0 ? NULL : json_array();
        for (size_t i = 0; list && i < s.n; i++) {
                json_t *o = fhir_docref_json(ins, &s.page[i]);
                relates_to(o, ins, s.links, s.n_links, &s.page[i]);
                if (json_array_append_new(list, o) < 0) {
                        json_decref(list);
                        list = NULL;
                }
        }
        size_t total = s.matches;
        search_begin(&s); /* wiped */
        free(s.page);
        free(s.links);
        if (r < 0)
                return fhir_search_fail(req, params, c->engine, r, ret);
        json_t *b = fhir_searchset_page(req, &page, list, total);
        return b ? api_ok(ret, 200, b) : -ENOMEM;
}

/* ---- reading ----------------------------------------------------------- */

/* dossier_read() of the document named by the {id} "INS-uid", as the
 * native GET .../documents/{uid} calls it: 0, or the reply filled. */
static int read_by_id(const struct api_request *req, char ins[16], struct dossier_doc *d, void **content,
                      size_t *len, struct api_reply *ret) {
        const struct api_call *c = req->call;
        char uid[DOSSIER_UID_SIZE];
        static const char *const none[] = {NULL};
        int r;

        const char *id;
        if (fhir_check_params(req, none, ret) < 0)
                return -EINVAL;
        if ((r = fhir_read_id(req, &id, ret)) < 0)
                return r;
        if (fhir_doc_id_parse(id, ins, uid) < 0)
                return api_error_details(ret, 404, "no_such_document", json_pack("{s:s}", "reason", "deny-no-document"),
                                         "no such document (an id is INS-uid: the NIR, '-', 32 hexadecimal "
                                         "characters)") < 0 ? -ENOMEM : -ENOENT;
        r = res_read_document(c, ins, uid, d, content, len, ret);
        if (r < 0)
                fhir_read_gone(ret);
        return r;
}

/* GET /fhir/R4/DocumentReference/{id}: read (decided and traced) as any
 * read, then, R4 http.html, read: an ETag of the versionId and a
 * Last-Modified (RFC 9110 8.8.2), meta.lastUpdated's time; 304 when the
 * request's If-None-Match names that ETag (http.html#cread) or, without
 * it, when its If-Modified-Since is not before that time.  A change made
 * in the current second is no validator yet (RFC 9110 8.8.2.2: another
 * could follow within the second, under the same date): no Last-Modified
 * then, and no If-Modified-Since compared with it. */
int fhir_docref_read(const struct api_request *req, struct api_reply *ret) {
        struct dossier_doc d;
        _cleanup_free_ void *content = NULL;
        size_t len = 0;
        char ins[16], etag[API_ETAG_SIZE];
        int r = read_by_id(req, ins, &d, &content, &len, ret);

        if (r < 0)
                return r == -ENOMEM ? r : 0;
        secure_zero(content, len);
        json_t *o = fhir_docref_json(ins, &d);
        int64_t now = req->call->engine ? dossier_engine_now(req->call->engine) : (int64_t)time(NULL);
        int64_t updated = d.updated_at < now ? d.updated_at : -1;
        docref_etag(&d, etag);
        secure_zero(&d, sizeof(d));
        if (!o)
                return -ENOMEM;
        if (api_not_modified(req, etag, updated)) {
                json_decref(o);
                return api_reply_not_modified(ret, etag);
        }
        r = api_ok(ret, 200, o);
        if (r == 0) {
                (void)strcpy_bounded(ret->etag, sizeof(ret->etag), etag);
                if (updated >= 0)
                        api_set_last_modified(ret, updated);
        }
        return r;
}

/* The representations of a Binary (fhir_binary_read()). */
enum binary_form { BINARY_BYTES, BINARY_RESOURCE, BINARY_CDA };

/* Which one the request asks for, of a document of type mime: _format
 * overrides Accept (FHIR R4 http.html; any _format left is JSON,
 * fhir_check_params() refused the others), so it is the Binary resource;
 * without it, Accept's weights (RFC 9110 12.5.1): the highest above 0,
 * application/fhir+json and application/hl7-cda+xml as named, the bytes
 * by their type's most specific range; at equal weight the one named
 * before the bytes, the CDA wrapping before the resource.  A CDA document
 * asked for as CDA is its own bytes.  Nothing acceptable: the bytes. */
static enum binary_form binary_form(const struct api_request *req, const char *mime) {
        const char *accept = api_header(req, "Accept");
        char own[API_MEDIA_TYPE_MAX];

        if (api_query(req, "_format"))
                return BINARY_RESOURCE;
        if (!accept)
                return BINARY_BYTES;
        snprintf(own, sizeof(own), "%.*s", (int)strcspn(mime, "; \t"), mime);
        int q_res = media_accept_q(accept, FHIR_MIME, true), q_cda = media_accept_q(accept, CDA_MIME, true);
        int q_own = media_accept_q(accept, own, false);
        if (cda_mime(mime)) {
                q_own = q_cda > q_own ? q_cda : q_own;
                q_cda = -1;
        }
        if (q_cda > 0 && q_cda >= q_res && q_cda >= q_own)
                return BINARY_CDA;
        if (q_res > 0 && q_res >= q_own)
                return BINARY_RESOURCE;
        return BINARY_BYTES;
}

/* The 200 of the Binary resource of d: contentType, data the content in
 * base64. */
static int binary_resource(struct api_reply *ret, const char *ins, const struct dossier_doc *d, const void *content,
                           size_t len) {
        char id[FHIR_DOC_ID_SIZE];
        _cleanup_free_ char *b64 = fhir_base64(content, len);
        fhir_doc_id(ins, d->uid, id);
        json_t *o = b64 ? json_pack("{s:s,s:s,s:s}", "resourceType", "Binary", "id", id, "contentType", d->mime)
                        : NULL;
        if (o && len > 0) /* FHIR has no empty strings: no data for an empty document */
                json_object_set_new(o, "data", json_string(b64));
        if (b64)
                secure_zero(b64, strlen(b64));
        return o ? api_ok(ret, 200, o) : -ENOMEM;
}

/* GET /fhir/R4/Binary/{id} (ITI-68): the bytes with their own type (as
 * GET .../documents/{uid}/content), or a Binary resource for a client
 * that asks for application/fhir+json, or the document wrapped in a CDA
 * R2 header for one that asks for application/hl7-cda+xml (a CDA document
 * asked for so: its bytes as they are), chosen by binary_form().  The
 * first two carry the DocumentReference's ETag and Last-Modified, and are
 * 304 to a request whose If-None-Match names the ETag or, without it,
 * whose If-Modified-Since is not before the deposit; the wrapping, whose header
 * follows metadata that changes in place, has no validator.  The read is
 * decided and traced first, whatever the request's preconditions. */
int fhir_binary_read(const struct api_request *req, struct api_reply *ret) {
        struct dossier_doc d;
        _cleanup_free_ void *content = NULL;
        size_t len = 0;
        char ins[16], etag[API_ETAG_SIZE];
        int r = read_by_id(req, ins, &d, &content, &len, ret);

        if (r < 0)
                return r == -ENOMEM ? r : 0;
        /* a CDA document asked for as CDA (an MHD consumer's Accept is the
         * attachment's contentType) is its own bytes: no header to add */
        enum binary_form form = binary_form(req, d.mime);
        if (form == BINARY_CDA) {
                /* the document wrapped in a CDA R2 header (documents-cda.h) */
                r = res_cda_wrapped_reply(req->call, ins, &d, content, len, ret);
                secure_zero(content, len);
                secure_zero(&d, sizeof(d));
                if (r == 0)
                        (void)strcpy_bounded(ret->vary, sizeof(ret->vary), "Accept");
                return r;
        }
        int64_t deposited = d.deposited_at;
        bool resource = form == BINARY_RESOURCE;
        docref_etag(&d, etag); /* the DocumentReference's */
        if (api_not_modified(req, etag, deposited))
                r = resource ? api_reply_not_modified(ret, etag) : res_content_not_modified(ret, &d, etag);
        else
                r = resource ? binary_resource(ret, ins, &d, content, len)
                             : res_content_reply(ret, &d, TAKE_PTR(content), len);
        if (content)
                secure_zero(content, len);
        secure_zero(&d, sizeof(d));
        /* the validators: the DocumentReference's ETag, the deposit (the
         * content never changes once written) */
        if (r == 0 && ret->status == 200) {
                (void)strcpy_bounded(ret->etag, sizeof(ret->etag), etag);
                api_set_last_modified(ret, deposited);
        }
        /* three representations under one URL and one ETag, chosen by
         * Accept: a cache keeps them apart (RFC 9110 12.5.5) */
        if (r == 0)
                (void)strcpy_bounded(ret->vary, sizeof(ret->vary), "Accept");
        return r;
}
