/* api/documents.c: the document resources; see documents.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cda/cda.h"
#include "engine/dossier.h"
#include "engine/interactions.h"
#include "http/conditional.h"
#include "lib/jsonw.h"
#include "lib/macro.h"
#include "call.h"
#include "documents-cda.h"
#include "documents.h"
#include "replies.h"

/* The header that carries a raw deposit's metadata (a JSON object). */
#define DOC_META_HEADER "X-Carnet-Document"
#define FORMAT_DEFAULT "urn:ihe:iti:xds:2017:mimeTypeSufficient"
#define MEDICINES_TEXT_MAX 1024
#define NOT_VISIBLE_WARNING "this document is not visible to the patient"

/* Type codes carnet knows (docs/rules.md §4) and the section each belongs
 * to: carnet's grouping into the eight original rubriques. */
static const struct {
        const char *code;
        const char *section;
} types[] = {
        {"60591-5", "summary"},      {"34133-9", "summary"},
        {"57833-6", "treatments"},   {"57832-8", "treatments"},   {"60593-1", "treatments"},
        {"11488-4", "reports"},      {"34112-3", "reports"},      {"11490-0", "reports"},
        {"15507-7", "reports"},      {"34749-2", "reports"},      {"34874-8", "reports"},
        {"74207-2", "reports"},      {"18748-4", "imaging"},      {"11502-2", "lab"},
        {"11369-6", "prevention"},   {"87273-9", "prevention"},   {"EXPPAT_3", "prevention"},
        {"89601-9", "certificates"}, {"REMB", NULL},
        {"DOCPAT01", "personal"},    {"DOCPAT02", "personal"},    {"DOCPAT03", "personal"},
        {"DOCPAT04", "personal"},    {"DOCPAT05", "personal"},    {"DOCPAT06", "personal"},
        {"DOCPAT07", "personal"},    {"DOCPAT08", "personal"},    {"DOCPAT09", "personal"},
        /* the types the known restrictions name (docs/rules.md §2, §4; docs/rights.md) */
        {"68599-0", "summary"},      {"83901-9", "reports"},      {"75496-0", "reports"},
        {"83981-1", "reports"},      {"15508-5", "reports"},      {"X-EHPAD-CARE-PLAN", "treatments"},
        {"ATTEST-RESID", "certificates"},
};

static const char *const classes[] = {"10", "11", "31", "42", "43", "44", "45", "52", "60", "90", "95"};

static const char *const sections[] = {"summary", "treatments", "reports", "imaging",
                                       "lab",     "prevention", "certificates", "personal"};

bool res_type_known(const char *code) {
        for (size_t i = 0; code && i < ELEMENTSOF(types); i++)
                if (strcmp(types[i].code, code) == 0)
                        return true;
        return false;
}

bool res_class_known(const char *code) {
        for (size_t i = 0; code && i < ELEMENTSOF(classes); i++)
                if (strcmp(classes[i], code) == 0)
                        return true;
        return false;
}

const char *res_section_of(const char *type_code, const char *class_code) {
        if (class_code && strcmp(class_code, ACCESS_CLASS_PATIENT) == 0)
                return "personal";
        for (size_t i = 0; type_code && i < ELEMENTSOF(types); i++)
                if (strcmp(types[i].code, type_code) == 0)
                        return types[i].section;
        return NULL;
}

const char *res_section_parse(const char *s) {
        if (!s)
                return NULL;
        if (s[0] >= '1' && s[0] <= '8' && s[1] == '\0')
                return sections[s[0] - '1'];
        for (size_t i = 0; i < ELEMENTSOF(sections); i++)
                if (strcmp(sections[i], s) == 0)
                        return sections[i];
        return NULL;
}

static int b64_value(char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

int res_base64_decode(const char *in, size_t len, uint8_t **ret, size_t *ret_len) {
        size_t pad = 0;

        if (len % 4 == 0 && len >= 1 && in[len - 1] == '=')
                pad = len >= 2 && in[len - 2] == '=' ? 2 : 1;
        len -= pad;
        if (len % 4 == 1)
                return -EINVAL;
        _cleanup_free_ uint8_t *out = malloc(len / 4 * 3 + 3);
        if (!out)
                return -ENOMEM;
        size_t o = 0;
        uint32_t acc = 0;
        for (size_t i = 0; i < len; i++) {
                int v = b64_value(in[i]);
                if (v < 0)
                        return -EINVAL;
                acc = acc << 6 | (uint32_t)v;
                if (i % 4 == 3) {
                        out[o++] = (uint8_t)(acc >> 16);
                        out[o++] = (uint8_t)(acc >> 8);
                        out[o++] = (uint8_t)acc;
                        acc = 0;
                }
        }
        switch (len % 4) {
        case 2:
                if (acc & 0xf) /* bits past the end must be zero: one spelling per content */
                        return -EINVAL;
                out[o++] = (uint8_t)(acc >> 4);
                break;
        case 3:
                if (acc & 0x3)
                        return -EINVAL;
                out[o++] = (uint8_t)(acc >> 10);
                out[o++] = (uint8_t)(acc >> 2);
                break;
        }
        *ret = TAKE_PTR(out);
        *ret_len = o;
        return 0;
}

const char *res_doc_status_name(enum access_doc_status s) {
        switch (s) {
        case ACCESS_DOC_APPROVED: return "approved";
        case ACCESS_DOC_DEPRECATED: return "deprecated";
        case ACCESS_DOC_ARCHIVED: return "archived";
        default: return "unknown";
        }
}

/* The most JSON text one document reply or list may take. */
#define DOC_TEXT_MAX ((size_t)64 << 20)

/* The metadata of a document as the API shows it, written into w. */
static void doc_write(struct jw *w, const struct dossier_doc *d) {
        char sha[65];
        hex_encode(d->sha256, sizeof(d->sha256), sha);
        jw_object_begin(w);
        jw_kstr(w, "uid", d->uid);
        jw_kstr(w, "type_code", d->type_code);
        jw_kstr(w, "class_code", d->class_code);
        jw_kstr(w, "section", res_section_of(d->type_code, d->class_code));
        jw_kstr(w, "format_code", d->format_code);
        jw_kstr(w, "mime", d->mime);
        jw_kstr(w, "title", d->title);
        jw_key(w, "author");
        jw_object_begin(w);
        jw_kstr(w, "national_id", d->author_id);
        jw_kstr_or_null(w, "institution", d->institution);
        jw_kstr_or_null(w, "establishment", d->establishment);
        jw_kstr_or_null(w, "role", d->role);
        jw_kstr_or_null(w, "specialty", d->specialty);
        jw_object_end(w);
        jw_kint(w, "created_at", d->created_at);
        jw_kint(w, "deposited_at", d->deposited_at);
        jw_kint(w, "size", d->size);
        jw_kstr(w, "sha256", sha);
        jw_kstr(w, "status", res_doc_status_name(d->status));
        jw_kint(w, "version", d->version);
        jw_kint(w, "revision", d->revision);
        jw_kint(w, "updated_at", d->updated_at);
        jw_kstr_or_null(w, "replaced_by", d->replaced_by);
        jw_kbool(w, "masked", d->masked);
        jw_kbool(w, "hidden_from_patient", d->hidden_from_patient);
        jw_kbool(w, "hidden_from_representatives", d->hidden_from_representatives);
        jw_kbool(w, "patient_deposit", d->patient_deposit);
        jw_kstr(w, "warning", d->warn_hidden_from_patient ? NOT_VISIBLE_WARNING : NULL);
        jw_object_end(w);
}

/* The text w holds as a 200 JSON reply. */
static int text_reply(struct jw *w, struct api_reply *ret) {
        char *text = NULL;
        size_t len = 0;
        int r = jw_finish(w, &text, &len);
        if (r < 0)
                return r;
        return api_ok_data(ret, 200, "application/json", text, len);
}

static int doc_reply(const struct dossier_doc *d, struct api_reply *ret) {
        struct jw w;
        jw_init(&w, DOC_TEXT_MAX);
        doc_write(&w, d);
        return text_reply(&w, ret);
}

/* ---- search -------------------------------------------------------------- */

/* What a search keeps of the documents the engine lets the caller see. */
struct list_filter {
        const char *section, *class_code, *type_code;
        int status; /* -1: every status */
        int64_t from, to;
};

static bool list_keeps(const struct list_filter *f, const struct dossier_doc *d) {
        const char *s = res_section_of(d->type_code, d->class_code);
        return !(f->section && (!s || strcmp(s, f->section) != 0)) &&
               !(f->class_code && strcmp(f->class_code, d->class_code) != 0) &&
               !(f->type_code && strcmp(f->type_code, d->type_code) != 0) &&
               !(f->status >= 0 && (int)d->status != f->status) && d->created_at >= f->from && d->created_at <= f->to;
}

/* What goes before a page's documents ({"ins":…,"first_search":…,
 * "count":…,"documents":), known once they are written: room kept for it
 * at the front of the reply's text (jw_reserve_front). */
#define LIST_HEAD_MAX 128

/* dossier_list_each()'s sink for one page: the kept documents written
 * straight into the reply's text, after room for its head, one more
 * looked at only to know that a next page exists. */
struct list_page {
        const struct list_filter *f;
        size_t limit, count;
        bool more;
        char last[DOSSIER_UID_SIZE];
        struct jw w;
};

static int page_begin(void *data) {
        struct list_page *p = data;

        jw_done(&p->w);
        jw_init(&p->w, DOC_TEXT_MAX);
        p->count = 0;
        p->more = false;
        jw_reserve_front(&p->w, LIST_HEAD_MAX);
        jw_array_begin(&p->w);
        return 0;
}

static int page_doc(const struct dossier_doc *d, void *data) {
        struct list_page *p = data;

        if (!list_keeps(p->f, d))
                return 0;
        if (p->count == p->limit) {
                p->more = true;
                return 1;
        }
        doc_write(&p->w, d);
        memcpy(p->last, d->uid, sizeof(p->last));
        p->count++;
        return 0;
}

/* The list's query parameters: 0, or the 400/422 reply filled (-EINVAL). */
static int list_params(const struct api_request *req, struct list_filter *f, size_t *ret_limit,
                       struct api_reply *ret) {
        const char *qsec = api_query(req, "section"), *qclass = api_query(req, "class"), *qtype = api_query(req, "type"),
                   *qstatus = api_query(req, "status"), *qfrom = api_query(req, "from"), *qto = api_query(req, "to"),
                   *qafter = api_query(req, "after");

        *f = (struct list_filter) {NULL, qclass, qtype, ACCESS_DOC_APPROVED, INT64_MIN, INT64_MAX};
        if (qsec && !(f->section = res_section_parse(qsec)))
                return api_error_details(ret, 422, "unknown_section", json_pack("{s:s}", "parameter", "section"),
                                         "section must be 1..8 or summary, treatments, reports, imaging, lab, "
                                         "prevention, certificates, personal"), -EINVAL;
        if (qclass && !res_class_known(qclass))
                return api_error_details(ret, 422, "unknown_class", json_pack("{s:s}", "parameter", "class"),
                                         "unknown class code (TRE_A03)"), -EINVAL;
        if (qtype && !res_type_known(qtype))
                return api_error_details(ret, 422, "unknown_type", json_pack("{s:s}", "parameter", "type"),
                                         "unknown document type code"), -EINVAL;
        if (qstatus) {
                if (strcmp(qstatus, "approved") == 0)
                        f->status = ACCESS_DOC_APPROVED;
                else if (strcmp(qstatus, "deprecated") == 0)
                        f->status = ACCESS_DOC_DEPRECATED;
                else if (strcmp(qstatus, "archived") == 0)
                        f->status = ACCESS_DOC_ARCHIVED;
                else if (strcmp(qstatus, "all") == 0)
                        f->status = -1;
                else
                        return api_error_details(ret, 400, "bad_parameter", json_pack("{s:s}", "parameter", "status"),
                                                 "status must be approved, deprecated, archived or all"), -EINVAL;
        }
        bool bad_from = qfrom && res_parse_time(qfrom, &f->from) < 0;
        if (bad_from || (qto && res_parse_time(qto, &f->to) < 0))
                return api_error_details(ret, 400, "bad_parameter", json_pack("{s:s}", "parameter", bad_from ? "from" : "to"),
                                         "dates are seconds since the epoch, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"), -EINVAL;
        if (res_page_limit(req, ret_limit, ret) < 0)
                return -EINVAL;
        if (qafter && (strlen(qafter) != DOSSIER_UID_SIZE - 1 ||
                       strspn(qafter, "0123456789abcdef") != DOSSIER_UID_SIZE - 1))
                return api_error_details(ret, 400, "bad_parameter", json_pack("{s:s}", "parameter", "after"),
                                         "after is a document id (32 lower-case hexadecimal characters): the "
                                         "\"next\" of the page before"), -EINVAL;
        return 0;
}

/* GET /v1/dossiers/{ins}/documents: without status/from/to the first,
 * automatic search of docs/rules.md §4 (approved documents whose act is of the
 * last 2 years); filters narrow what the engine lets the caller see.  A
 * page holds at most limit documents (RES_PAGE_MAX): "next" is then the
 * after of the following page, each page a list decided and traced. */
int res_documents_list(const struct api_request *req, struct api_reply *ret) {
        static const char *const params[] = {"section", "class", "type", "status", "from", "to", "limit", "after", NULL};
        const struct api_call *c = req->call;
        struct list_filter f;
        size_t limit;
        int r;

        if (api_check_query(req, params, ret) < 0 || list_params(req, &f, &limit, ret) < 0)
                return 0;
        bool first = !api_query(req, "status") && !api_query(req, "from") && !api_query(req, "to");
        unsigned flags = (first ? DOSSIER_LIST_FIRST_SEARCH : 0) |
                         (f.status != ACCESS_DOC_APPROVED ? DOSSIER_LIST_ALL_STATUSES : 0);
        struct list_page p = {.f = &f, .limit = limit};
        jw_init(&p.w, DOC_TEXT_MAX);
        r = dossier_list_each(c->engine, &c->caller.a, c->ins, flags, api_query(req, "after"),
                              &(struct dossier_list_sink) {page_begin, page_doc, &p});
        if (r < 0) {
                jw_done(&p.w);
                if (r == -ESRCH)
                        return api_error_details(ret, 400, "bad_parameter", json_pack("{s:s}", "parameter", "after"),
                                                 "after names no document of this dossier");
                return res_engine_fail(ret, c->engine, r);
        }
        jw_array_end(&p.w);
        jw_kstr_or_null(&p.w, "next", p.more ? p.last : NULL);
        jw_object_end(&p.w);
        struct jw head;
        jw_init(&head, LIST_HEAD_MAX);
        jw_object_begin(&head);
        jw_kstr(&head, "ins", c->ins);
        jw_kbool(&head, "first_search", first);
        jw_kint(&head, "count", (int64_t)p.count);
        jw_key(&head, "documents");
        jw_front(&p.w, &head);
        return text_reply(&p.w, ret);
}

/* ---- reading -------------------------------------------------------------- */

int res_read_document(const struct api_call *c, const char *ins, const char *uid, struct dossier_doc *d,
                      void **content, size_t *len, struct api_reply *ret) {
        int r = dossier_read(c->engine, &c->caller.a, ins, uid, d, content, len);
        if (r < 0)
                return res_engine_fail(ret, c->engine, r) < 0 ? -ENOMEM : -EACCES;
        return 0;
}

/* The document of the route, read as the caller (res_read_document). */
static int read_doc(const struct api_request *req, struct dossier_doc *d, void **content, size_t *len,
                    struct api_reply *ret) {
        return res_read_document(req->call, req->call->ins, req->call->document, d, content, len, ret);
}

int res_document_get(const struct api_request *req, struct api_reply *ret) {
        struct dossier_doc d;
        _cleanup_free_ void *content = NULL;
        size_t len = 0;
        int r = read_doc(req, &d, &content, &len, ret);

        if (r < 0)
                return r == -ENOMEM ? r : 0;
        secure_zero(content, len);
        return doc_reply(&d, ret);
}

int res_content_reply(struct api_reply *ret, const struct dossier_doc *d, void *content, size_t len) {
        int r = res_ok_bytes(ret, 200, d->mime, content, len);
        /* readers of a held-back document see the warning (docs/rules.md §3) */
        if (r == 0 && d->warn_hidden_from_patient)
                (void)strcpy_bounded(ret->warning, sizeof(ret->warning), NOT_VISIBLE_WARNING);
        return r;
}

/* A content's strong ETag: its SHA-256 in hexadecimal, quoted. */
static void content_etag(const struct dossier_doc *d, char etag[API_ETAG_SIZE]) {
        char hex[2 * sizeof(d->sha256) + 1];
        hex_encode(d->sha256, sizeof(d->sha256), hex);
        snprintf(etag, API_ETAG_SIZE, "\"%s\"", hex);
}

int res_content_not_modified(struct api_reply *ret, const struct dossier_doc *d, const char *etag) {
        int r = api_reply_not_modified(ret, etag);
        if (r == 0 && d->warn_hidden_from_patient)
                (void)strcpy_bounded(ret->warning, sizeof(ret->warning), NOT_VISIBLE_WARNING);
        return r;
}

/* A content larger than CONTENT_STREAM_MIN goes out piece by piece
 * (dossier_read_open()): carnetd never holds it whole, however many are
 * read at once.  An alteration found at the last piece cuts the
 * connection short of its Content-Length (api_stream). */
#define CONTENT_STREAM_MIN ((int64_t)1024 * 1024)

struct content_stream {
        struct dossier_content *c;
        uint64_t left;
        char mime[DOSSIER_TEXT_MAX];
};

static ssize_t content_stream_read(void *userdata, char *buf, size_t max, bool stopping) {
        struct content_stream *cs = userdata;
        if (cs->left == 0)
                return API_STREAM_END;
        long n = dossier_content_read(cs->c, buf, max);
        if (n <= 0) /* altered, gone, or shorter than its size: cut */
                return -1;
        cs->left -= (uint64_t)n < cs->left ? (uint64_t)n : cs->left;
        return n;
}

static void content_stream_free(void *userdata) {
        struct content_stream *cs = userdata;
        dossier_content_free(cs->c);
        free(cs);
}

/* Replies with the content c (taken over) of d: whole, or streamed. */
static int content_out(struct api_reply *ret, const struct dossier_doc *d, struct dossier_content *c) {
        _cleanup_free_ struct content_stream *cs = NULL;
        void *content = NULL;
        size_t len = 0;
        int r;

        if (dossier_content_size(c) <= CONTENT_STREAM_MIN || !(cs = calloc(1, sizeof(*cs)))) {
                r = dossier_content_take(c, &content, &len);
                dossier_content_free(c);
                if (r < 0)
                        return res_engine_fail(ret, NULL, r);
                return res_content_reply(ret, d, content, len);
        }
        cs->c = c;
        cs->left = (uint64_t)dossier_content_size(c);
        (void)strcpy_bounded(cs->mime, sizeof(cs->mime), d->mime[0] ? d->mime : "application/octet-stream");
        struct api_stream s = {
                .content_type = cs->mime,
                .length = cs->left,
                .read = content_stream_read,
                .free = content_stream_free,
                .userdata = cs,
        };
        TAKE_PTR(cs);
        r = api_ok_stream(ret, &s);
        if (r == 0 && d->warn_hidden_from_patient)
                (void)strcpy_bounded(ret->warning, sizeof(ret->warning), NOT_VISIBLE_WARNING);
        return r;
}

int res_document_content(const struct api_request *req, struct api_reply *ret) {
        struct dossier_doc d;
        struct dossier_content *c = NULL;
        void *content = NULL;
        size_t len = 0;
        static const char *const params[] = {"format", NULL};
        const char *format = api_query(req, "format");
        int r;

        if (api_check_query(req, params, ret) < 0)
                return 0;
        if (format && strcmp(format, "cda") != 0)
                return api_error_details(ret, 400, "bad_parameter", json_pack("{s:s}", "parameter", "format"),
                                         "format is cda (the document wrapped in a CDA R2 header) or absent");
        if (format) {
                if ((r = read_doc(req, &d, &content, &len, ret)) < 0)
                        return r == -ENOMEM ? r : 0;
                r = res_cda_wrapped_reply(req->call, req->call->ins, &d, content, len, ret);
                secure_zero(content, len);
                free(content);
                return r;
        }
        r = dossier_read_open(req->call->engine, &req->call->caller.a, req->call->ins, req->call->document, &d, &c);
        if (r < 0)
                return res_engine_fail(ret, req->call->engine, r) < 0 ? -ENOMEM : 0;
        /* read (decided, traced) as any: then a strong ETag, the content's
         * SHA-256 (the bytes never change once written), and 304 to an
         * If-None-Match that names it (RFC 9110 13.1.2) */
        char etag[API_ETAG_SIZE];
        content_etag(&d, etag);
        if (api_not_modified(req, etag, -1)) {
                dossier_content_free(c);
                return res_content_not_modified(ret, &d, etag);
        }
        r = content_out(ret, &d, c);
        if (r == 0)
                (void)strcpy_bounded(ret->etag, sizeof(ret->etag), etag);
        return r;
}

/* ---- deposit and replace -------------------------------------------------- */

/* 1000-01-01T00:00:00Z and 9999-12-31T23:59:59Z in seconds since the epoch */
#define CREATED_MIN (-30610224000LL)
#define CREATED_MAX 253402300799LL

struct meta_in {
        struct dossier_doc_meta m;
        const char *raw_type; /* a raw deposit's Content-Type (deposit_in), NULL for JSON */
        char mime[DOSSIER_CODE_MAX];
        char medicines[MEDICINES_TEXT_MAX];
};

static int field_error(struct api_reply *err, unsigned status, const char *code, const char *field, const char *what) {
        return res_bad_field(err, status, code, field, "%s: %s", field, what) < 0 ? -ENOMEM : -EINVAL;
}

/* A string member (NULL when absent); -EINVAL with err filled when it is
 * not a string, or not valid text within max bytes. */
static int text_member(const json_t *o, const char *name, size_t max, bool required, const char **ret,
                       struct api_reply *err) {
        json_t *j = json_object_get(o, name);
        *ret = NULL;
        if (!j || json_is_null(j))
                return required ? field_error(err, 400, "bad_field", name, "required") : 0;
        if (!json_is_string(j))
                return field_error(err, 400, "bad_field", name, "must be a string");
        if (json_string_length(j) == 0 && required)
                return field_error(err, 400, "bad_field", name, "must not be empty");
        if (dossier_text_check(json_string_value(j), json_string_length(j), max) < 0)
                return field_error(err, 400, "bad_field", name, "too long, or not printable UTF-8");
        *ret = json_string_value(j);
        return 0;
}

static bool code_ok(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n >= DOSSIER_CODE_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] <= ' ' || s[i] > '~')
                        return false;
        return true;
}

/* Reads a deposit's metadata from o; pointers stay into o. content_type
 * is the request's Content-Type for a raw deposit (NULL otherwise), the
 * document's MIME type unless "mime" says. */
static int parse_meta(const json_t *o, const char *content_type, struct meta_in *mi, struct api_reply *err) {
        struct dossier_doc_meta *m = &mi->m;
        const char *mime = NULL;
        int r;

        *mi = (struct meta_in){0};
        if ((r = text_member(o, "type_code", DOSSIER_CODE_MAX, true, &m->type_code, err)) < 0 ||
            (r = text_member(o, "class_code", DOSSIER_CODE_MAX, true, &m->class_code, err)) < 0 ||
            (r = text_member(o, "format_code", DOSSIER_CODE_MAX, false, &m->format_code, err)) < 0 ||
            (r = text_member(o, "mime", DOSSIER_CODE_MAX, !content_type, &mime, err)) < 0 ||
            (r = text_member(o, "title", DOSSIER_TITLE_MAX + 1, true, &m->title, err)) < 0 ||
            (r = text_member(o, "institution", DOSSIER_TEXT_MAX, false, &m->institution, err)) < 0 ||
            (r = text_member(o, "role", DOSSIER_TEXT_MAX, false, &m->role, err)) < 0 ||
            (r = text_member(o, "specialty", DOSSIER_TEXT_MAX, false, &m->specialty, err)) < 0)
                return r;
        if (!res_type_known(m->type_code))
                return field_error(err, 422, "unknown_type", "type_code", "not a document type code carnet knows");
        if (!res_class_known(m->class_code))
                return field_error(err, 422, "unknown_class", "class_code", "not a class code (TRE_A03) carnet knows");
        if (!m->format_code)
                m->format_code = FORMAT_DEFAULT;
        if (!code_ok(m->format_code))
                return field_error(err, 400, "bad_field", "format_code", "a code: printable ASCII, no blank");
        if (!mime) {
                /* "application/pdf; charset=..." -> "application/pdf" */
                size_t n = strcspn(content_type, "; \t");
                if (n == 0 || n >= sizeof(mi->mime))
                        return field_error(err, 400, "bad_field", "mime", "no usable Content-Type");
                memcpy(mi->mime, content_type, n);
                mi->mime[n] = '\0';
                mime = mi->mime;
        }
        if (!code_ok(mime) || !strchr(mime, '/'))
                return field_error(err, 400, "bad_field", "mime", "a MIME type such as application/pdf");
        m->mime = mime;

        json_t *jc = json_object_get(o, "created_at");
        m->created_at = time(NULL);
        if (jc && json_is_integer(jc))
                m->created_at = json_integer_value(jc);
        else if (jc && (!json_is_string(jc) || res_parse_time(json_string_value(jc), &m->created_at) < 0))
                return field_error(err, 400, "bad_field", "created_at",
                                   "seconds since the epoch, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
        /* a year of four digits, which a FHIR dateTime, an XDS time and a
         * CDA effectiveTime can all write */
        if (m->created_at < CREATED_MIN || m->created_at > CREATED_MAX)
                return field_error(err, 400, "bad_field", "created_at", "a time in the years 1000 to 9999");
        json_t *jh = json_object_get(o, "hidden_from_patient");
        if (jh && !json_is_boolean(jh))
                return field_error(err, 400, "bad_field", "hidden_from_patient", "true or false");
        m->hidden_from_patient = json_is_true(jh);
        /* a minor's objection to their representatives knowing (L1111-5) */
        json_t *jr = json_object_get(o, "hidden_from_representatives");
        if (jr && !json_is_boolean(jr))
                return field_error(err, 400, "bad_field", "hidden_from_representatives", "true or false");
        m->hidden_from_representatives = json_is_true(jr);

        json_t *jm = json_object_get(o, "medicines"), *v;
        size_t i, len = 0;
        if (jm && !json_is_array(jm))
                return field_error(err, 400, "bad_field", "medicines", "an array of ATC codes");
        if (json_array_size(jm) > DOSSIER_MEDICINES_MAX)
                return field_error(err, 400, "bad_field", "medicines", "too many substances");
        json_array_foreach(jm, i, v) {
                const char *c = json_string_value(v);
                size_t cl = c ? strlen(c) : 0;
                if (!c || !interactions_code_valid(c, cl) || cl != json_string_length(v))
                        return field_error(err, 422, "bad_medicine", "medicines",
                                           "each substance is an ATC code (capital letters and digits)");
                len += (size_t)snprintf(mi->medicines + len, sizeof(mi->medicines) - len, "%s%s", i ? "," : "", c);
        }
        m->medicines = len ? mi->medicines : NULL;
        return 0;
}

/* Deposit (old_uid NULL) or replace. Two ways to send a document: a JSON
 * body with the metadata and "content_base64"; or, when the
 * X-Carnet-Document header holds the metadata (a JSON object), the raw
 * content as the body, its MIME type from "mime" or the Content-Type. */
/* The metadata and the content of a deposit, in either form (put()): the
 * content points into the request or into *decoded.  Fills err and
 * returns -EINVAL for a bad request. */
static int deposit_in(const struct api_request *req, json_t **meta, struct meta_in *mi, uint8_t **decoded,
                      const void **content, size_t *len, const struct api_spool **spool, struct api_reply *err) {
        static const char *const fields[] = {"type_code", "class_code", "format_code", "mime", "title",
                                             "institution", "role", "specialty", "created_at", "hidden_from_patient",
                                             "hidden_from_representatives", "medicines", "content_base64", NULL};
        static const char *const raw_fields[] = {"type_code", "class_code", "format_code", "mime", "title",
                                                 "institution", "role", "specialty", "created_at",
                                                 "hidden_from_patient", "hidden_from_representatives", "medicines",
                                                 NULL};
        const char *hdr = api_header(req, DOC_META_HEADER);
        int r;

        if (hdr) {
                json_error_t je;
                *meta = json_loads(hdr, JSON_REJECT_DUPLICATES, &je);
                if (!*meta || !json_is_object(*meta))
                        return api_error_details(err, 400, "bad_header", json_pack("{s:s}", "header", DOC_META_HEADER),
                                                 DOC_META_HEADER " must hold one JSON object (the metadata)"), -EINVAL;
                if (api_check_fields(*meta, raw_fields, err) < 0)
                        return -EINVAL;
                const char *ct = api_header(req, "Content-Type");
                if (parse_meta(*meta, ct ? ct : "application/octet-stream", mi, err) < 0)
                        return -EINVAL;
                mi->raw_type = ct ? ct : "application/octet-stream";
                *content = req->body;
                *len = req->body_len;
                *spool = req->spool;
                return 0;
        }
        /* JSON sent without a JSON Content-Type, which the server spooled:
         * read back into memory, where a JSON body always is */
        struct api_request in = *req;
        if (req->spool) {
                r = api_spool_read(req->spool, (char **)decoded);
                if (r < 0)
                        return r;
                in.body = (const char *)*decoded;
                in.body_len = req->spool->len;
                in.spool = NULL;
        }
        r = api_body_json(&in, meta, err) < 0 || api_check_fields(*meta, fields, err) < 0 ||
            parse_meta(*meta, NULL, mi, err) < 0 ? -EINVAL : 0;
        if (*decoded) {
                secure_zero(*decoded, req->spool->len);
                free(TAKE_PTR(*decoded));
        }
        if (r < 0)
                return r;
        json_t *jc = json_object_get(*meta, "content_base64");
        if (!json_is_string(jc))
                return field_error(err, 400, "bad_field", "content_base64",
                                   "the content, in base64 (or send it raw with the " DOC_META_HEADER " header)");
        r = res_base64_decode(json_string_value(jc), json_string_length(jc), decoded, len);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return field_error(err, 400, "bad_field", "content_base64", "not valid base64");
        *content = *decoded;
        return 0;
}

/* The CDA checks of a spooled content: its header is read from a copy in
 * memory (a CDA document is XML text, far below body_max). */
static int cda_check_spooled(const struct api_call *c, const struct dossier_doc_meta *m, const struct api_spool *sp,
                             struct api_reply *err) {
        if (!cda_mime(m->mime))
                return 0;
        _cleanup_free_ char *text = NULL;
        int r = api_spool_read(sp, &text);
        if (r < 0)
                return r == -ENOMEM ? r : api_error(err, 500, "internal", "the body could not be read back") < 0
                                                  ? -ENOMEM : -EINVAL;
        r = res_cda_check(c, c->ins, m, text, sp->len, err);
        secure_zero(text, sp->len);
        return r;
}

/* res_document_store(), the content in memory or (sp set) spooled. */
static int document_store(const struct api_call *c, const json_t *meta, const char *content_type, const char *old_uid,
                          const void *content, size_t len, const struct api_spool *sp, char ret_uid[DOSSIER_UID_SIZE],
                          struct dossier_warnings *ret_w, struct api_reply *err) {
        struct dossier_engine *e = c->engine;
        const struct dossier_actor *a = &c->caller.a;
        struct meta_in mi;
        int r = parse_meta(meta, content_type, &mi, err);

        if (r < 0)
                return r;
        r = sp ? cda_check_spooled(c, &mi.m, sp, err) : res_cda_check(c, c->ins, &mi.m, content, len, err);
        if (r < 0)
                return r;
        const struct dossier_content_file f = {.fd = sp ? sp->fd : -1, .len = sp ? sp->len : 0,
                                               .sha256 = sp ? sp->sha256 : NULL};
        if (sp && old_uid)
                r = dossier_replace_file(e, a, c->ins, old_uid, &mi.m, &f, ret_uid, ret_w);
        else if (sp)
                r = dossier_deposit_file(e, a, c->ins, &mi.m, &f, ret_uid, ret_w);
        else if (old_uid)
                r = dossier_replace(e, a, c->ins, old_uid, &mi.m, content, len, ret_uid, ret_w);
        else
                r = dossier_deposit(e, a, c->ins, &mi.m, content, len, ret_uid, ret_w);
        if (r < 0)
                return res_engine_fail(err, e, r) < 0 ? -ENOMEM : -EACCES;
        return 0;
}

int res_document_store(const struct api_call *c, const json_t *meta, const char *content_type, const char *old_uid,
                       const void *content, size_t len, char ret_uid[DOSSIER_UID_SIZE], struct dossier_warnings *ret_w,
                       struct api_reply *err) {
        return document_store(c, meta, content_type, old_uid, content, len, NULL, ret_uid, ret_w, err);
}

const char *res_warning_kind(enum dossier_warning_kind k) {
        return k == DOSSIER_WARN_INTERACTION ? "interaction" : "duplicate_exam";
}

/* Deposit (old_uid NULL) or replace. Two ways to send a document: a JSON
 * body with the metadata and "content_base64"; or, when the
 * X-Carnet-Document header holds the metadata (a JSON object), the raw
 * content as the body, its MIME type from "mime" or the Content-Type. */
static int put(const struct api_request *req, struct api_reply *ret, bool replace) {
        _cleanup_(json_decrefp) json_t *meta = NULL;
        _cleanup_free_ uint8_t *decoded = NULL;
        const struct api_call *c = req->call;
        struct meta_in mi;
        struct dossier_warnings w;
        char uid[DOSSIER_UID_SIZE];
        const char *ins = c->ins, *old_uid = replace ? c->document : NULL;
        const void *content = NULL;
        const struct api_spool *spool = NULL;
        size_t len = 0;
        int r;

        r = deposit_in(req, &meta, &mi, &decoded, &content, &len, &spool, ret);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        r = document_store(c, meta, mi.raw_type, old_uid, content, len, spool, uid, &w, ret);
        if (decoded)
                secure_zero(decoded, len);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        json_t *warnings = json_array();
        for (unsigned i = 0; warnings && i < w.n; i++)
                json_array_append_new(warnings, json_pack("{s:s,s:o,s:s}", "kind", res_warning_kind(w.w[i].kind),
                                                          "other_document", res_str_or_null(w.w[i].other_uid), "detail",
                                                          w.w[i].detail));
        return api_ok(ret, 201,
                      json_pack("{s:s,s:s,s:o,s:o,s:b}", "uid", uid, "ins", ins, "replaces",
                                replace ? json_string(old_uid) : json_null(), "warnings", warnings,
                                "warnings_truncated", w.truncated));
}

int res_documents_post(const struct api_request *req, struct api_reply *ret) {
        return put(req, ret, false);
}

int res_document_replace(const struct api_request *req, struct api_reply *ret) {
        return put(req, ret, true);
}

/* ---- one-document actions ------------------------------------------------ */

enum doc_action { DOC_ARCHIVE, DOC_MASK, DOC_UNMASK, DOC_RELEASE };

static int doc_action(const struct api_request *req, struct api_reply *ret, enum doc_action what) {
        static const char *const answers[] = {
                [DOC_ARCHIVE] = "archived", [DOC_MASK] = "masked", [DOC_UNMASK] = "unmasked", [DOC_RELEASE] = "released"};
        const struct api_call *c = req->call;
        struct dossier_engine *e = c->engine;
        const struct dossier_actor *a = &c->caller.a;
        const char *ins = c->ins, *uid = c->document;
        int r;

        if (req->body_len > 0) {
                /* these take no body; an empty JSON object is fine */
                _cleanup_(json_decrefp) json_t *b = NULL;
                static const char *const none[] = {NULL};
                if (api_body_json(req, &b, ret) < 0 || api_check_fields(b, none, ret) < 0)
                        return 0;
        }
        switch (what) {
        case DOC_ARCHIVE: r = dossier_archive(e, a, ins, uid); break;
        case DOC_MASK: r = dossier_set_masked(e, a, ins, uid, true); break;
        case DOC_UNMASK: r = dossier_set_masked(e, a, ins, uid, false); break;
        default: r = dossier_release_hold(e, a, ins, uid); break;
        }
        if (r < 0)
                return res_engine_fail(ret, e, r);
        return api_ok(ret, 200, json_pack("{s:s,s:s,s:b}", "uid", uid, "ins", ins, answers[what], true));
}

int res_document_archive(const struct api_request *req, struct api_reply *ret) {
        return doc_action(req, ret, DOC_ARCHIVE);
}

int res_document_mask(const struct api_request *req, struct api_reply *ret) {
        return doc_action(req, ret, DOC_MASK);
}

int res_document_unmask(const struct api_request *req, struct api_reply *ret) {
        return doc_action(req, ret, DOC_UNMASK);
}

int res_document_release(const struct api_request *req, struct api_reply *ret) {
        return doc_action(req, ret, DOC_RELEASE);
}
