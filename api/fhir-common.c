/* api/fhir-common.c: what the FHIR resources share; see fhir-common.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/forwarded.h"
#include "lib/macro.h"
#include "lib/media-type.h"
#include "lib/nir.h"
#include "fhir-common.h"
#include "fhir-page.h"
#include "replies.h"

static bool under_fhir(const char *path) {
        size_t n = strlen(FHIR_PREFIX);
        return path && strncmp(path, FHIR_PREFIX, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The FHIR issue type for an HTTP status (the value set IssueType). */
static const char *issue_code_of(unsigned status) {
        switch (status) {
        case 401: return "login";
        case 403: return "forbidden";
        case 404: return "not-found";
        case 405: case 406: case 415: case 501: return "not-supported";
        case 409: return "conflict";
        case 410: return "deleted";
        case 413: case 431: return "too-costly";
        case 500: return "exception";
        case 503: return "transient";
        default: return status < 500 ? "invalid" : "exception";
        }
}

json_t *fhir_issue(const char *severity, const char *code, const char *carnet_code, const char *text) {
        json_t *coding = json_array();
        if (carnet_code)
                json_array_append_new(coding, json_pack("{s:s,s:s}", "system", FHIR_CS_ERROR, "code", carnet_code));
        json_t *details = json_pack("{s:s}", "text", text && text[0] ? text : code);
        if (details && json_array_size(coding) > 0)
                json_object_set(details, "coding", coding);
        json_decref(coding);
        return json_pack("{s:s,s:s,s:o}", "severity", severity, "code", code, "details", details);
}

/* The carnet error shape {"error":{code,message,details}} as an
 * OperationOutcome: carnet's code and the rule's reason (details.reason)
 * as codings, the details' string members in diagnostics. */
static json_t *outcome_of_error(unsigned status, const json_t *err) {
        const char *code = json_string_value(json_object_get(err, "code"));
        const char *msg = json_string_value(json_object_get(err, "message"));
        json_t *details = json_object_get(err, "details"), *v;
        const char *k, *reason = json_string_value(json_object_get(details, "reason"));
        char diag[512] = "";
        size_t n = 0;

        json_object_foreach(details, k, v)
                if (json_is_string(v) && n < sizeof(diag))
                        n += (size_t)snprintf(diag + n, sizeof(diag) - n, "%s%s=%s", n ? "; " : "", k,
                                              json_string_value(v));
        json_t *issue = fhir_issue("error", issue_code_of(status), code, msg);
        if (!issue)
                return NULL;
        if (reason)
                json_array_append_new(json_object_get(json_object_get(issue, "details"), "coding"),
                                      json_pack("{s:s,s:s}", "system", FHIR_CS_REASON, "code", reason));
        /* cut at diag's size, perhaps inside a character: jansson would
         * refuse it, and the diagnostics would be lost */
        api_text_clean(diag, sizeof(diag) - 1);
        if (diag[0])
                json_object_set_new(issue, "diagnostics", json_string(diag));
        return json_pack("{s:s,s:[o]}", "resourceType", "OperationOutcome", "issue", issue);
}

/* _pretty=true (R4 http.html, general parameters): the JSON body as
 * indented text, sent as it is (ret->data), the body wiped. */
static int pretty(struct api_reply *ret) {
        char *text = json_dumps(ret->body, JSON_INDENT(2));
        if (!text)
                return -ENOMEM;
        size_t n = strlen(text);
        ret->data = malloc(n + 2);
        if (ret->data) {
                memcpy(ret->data, text, n);
                memcpy(ret->data + n, "\n", 2);
                ret->data_len = n + 1;
                (void)strcpy_bounded(ret->data_type, sizeof(ret->data_type), FHIR_MIME_UTF8);
        }
        secure_zero(text, n);
        free(text);
        if (!ret->data)
                return -ENOMEM;
        json_decref(ret->body);
        ret->body = NULL;
        return 0;
}

int fhir_finish(const struct api_request *req, struct api_reply *ret) {
        if (!under_fhir(req->path) || !ret->body)
                return 0;
        json_t *err = json_object_get(ret->body, "error");
        if (ret->status >= 400 && json_is_object(err)) {
                json_t *oo = outcome_of_error(ret->status, err);
                if (!oo)
                        return -ENOMEM;
                json_decref(ret->body);
                ret->body = oo;
        }
        ret->content_type = FHIR_MIME_UTF8;
        const char *p = api_query(req, "_pretty");
        return p && strcmp(p, "true") == 0 && !ret->data && !ret->stream.read ? pretty(ret) : 0;
}

int fhir_error(struct api_reply *ret, unsigned status, const char *issue_code, const char *carnet_code,
               const char *fmt, ...) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        api_text_clean(msg, sizeof(msg) - 1);
        json_t *oo = json_pack("{s:s,s:[o]}", "resourceType", "OperationOutcome", "issue",
                               fhir_issue("error", issue_code, carnet_code, msg));
        if (!oo)
                return -ENOMEM;
        return api_ok(ret, status, oo);
}

/* A Host is the client's words: only host[:port] characters. */
static bool host_ok(const char *host) {
        return host && host[0] &&
               strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == strlen(host);
}

/* The scheme and host[:port] the client asked on: its Host ("localhost"
 * without a valid one), http on carnetd's socket and https on the dossier
 * host; but on the host, the request of an agent says in Forwarded
 * (RFC 7239: proto, host; api/forward.c) what its own client asked on,
 * and that is the client the reply goes to.  The workstation's words, as
 * its Host is: they change nothing but the URLs of its own reply. */
static void origin(const struct api_request *req, const char **ret_proto, char host[FHIR_HOST_MAX]) {
        const char *h = api_header(req, "Host"), *fwd = api_header(req, "Forwarded");
        char proto[8];
        *ret_proto = req->workstation ? "https" : "http";
        if (strcpy_bounded(host, FHIR_HOST_MAX, host_ok(h) ? h : "localhost") < 0)
                strcpy(host, "localhost");
        if (!req->workstation || !fwd)
                return;
        char fh[FHIR_HOST_MAX];
        if (http_forwarded_param(fwd, "proto", proto, sizeof(proto)) == 0 &&
            (strcmp(proto, "http") == 0 || strcmp(proto, "https") == 0) &&
            http_forwarded_param(fwd, "host", fh, sizeof(fh)) == 0 && host_ok(fh)) {
                *ret_proto = strcmp(proto, "http") == 0 ? "http" : "https";
                memcpy(host, fh, sizeof(fh));
        }
}

const char *fhir_base(const struct api_request *req, char *buf, size_t size) {
        const char *proto;
        char host[FHIR_HOST_MAX];
        origin(req, &proto, host);
        snprintf(buf, size, "%s://%s" FHIR_PREFIX, proto, host);
        return buf;
}

const char *fhir_forwarded(const struct api_request *req, char buf[FHIR_FORWARDED_SIZE]) {
        const char *proto;
        char host[FHIR_HOST_MAX];
        origin(req, &proto, host);
        /* host[:port] has no quote nor backslash (host_ok): quoted as it is */
        snprintf(buf, FHIR_FORWARDED_SIZE, "proto=%s;host=\"%s\"", proto, host);
        return buf;
}

json_t *fhir_searchset_page(const struct api_request *req, const struct fhir_page *page, json_t *resources,
                            size_t total) {
        char base[FHIR_BASE_SIZE];
        json_t *entries = json_array(), *links = NULL, *r;
        size_t i;

        if (!resources || !entries) {
                json_decref(resources);
                json_decref(entries);
                return NULL;
        }
        fhir_base(req, base, sizeof(base));
        json_array_foreach(resources, i, r) {
                char url[512];
                snprintf(url, sizeof(url), "%s/%s/%s", base, json_string_value(json_object_get(r, "resourceType")),
                         json_string_value(json_object_get(r, "id")));
                json_array_append_new(entries, json_pack("{s:s,s:O,s:{s:s}}", "fullUrl", url, "resource", r, "search",
                                                         "mode", "match"));
        }
        json_decref(resources);
        links = fhir_page_links(req, page, total);
        if (!links) {
                json_decref(entries);
                return NULL;
        }
        json_t *b = json_pack("{s:s,s:s,s:I,s:o}", "resourceType", "Bundle", "type", "searchset", "total",
                              (json_int_t)total, "link", links);
        /* FHIR JSON has no empty array: a page without matches has no entry */
        if (b && json_array_size(entries) > 0 && json_object_set(b, "entry", entries) < 0) {
                json_decref(b);
                b = NULL;
        }
        json_decref(entries);
        return b;
}

json_t *fhir_searchset(const struct api_request *req, const char *const params[], json_t *resources) {
        struct fhir_page page = fhir_page_asked(req, params);
        json_t *cut = json_array();
        size_t n = json_array_size(resources);

        if (!resources || !cut) {
                json_decref(resources);
                json_decref(cut);
                return NULL;
        }
        size_t first = (size_t)page.offset, size = fhir_page_size(&page);
        for (size_t i = first; i < n && i - first < size; i++)
                if (json_array_append(cut, json_array_get(resources, i)) < 0) {
                        json_decref(resources);
                        json_decref(cut);
                        return NULL;
                }
        json_decref(resources);
        return fhir_searchset_page(req, &page, cut, n);
}

const char *fhir_instant(int64_t t, char buf[32]) {
        time_t tt = (time_t)t;
        struct tm tm;
        if (!gmtime_r(&tt, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, 32, "1970-01-01T00:00:00Z");
        return buf;
}

/* The time-of-day part "Thh:mm[:ss[.fff]](Z|+hh:mm|-hh:mm)" of s. */
static int parse_time_part(const char *s, struct tm *tm, int64_t *offset, bool *seconds) {
        int h = decimal_digits(s + 1, 2), mi = s[3] == ':' ? decimal_digits(s + 4, 2) : -1, sec = 0;
        const char *p = s + 6;
        *seconds = false;
        if (h < 0 || h > 23 || mi < 0 || mi > 59)
                return -EINVAL;
        if (*p == ':') {
                if ((sec = decimal_digits(p + 1, 2)) < 0 || sec > 60)
                        return -EINVAL;
                *seconds = true;
                p += 3;
                if (*p == '.')
                        for (p++; *p >= '0' && *p <= '9'; p++)
                                ;
        }
        if (*p == 'Z' && p[1] == '\0')
                *offset = 0;
        else if ((*p == '+' || *p == '-') && decimal_digits(p + 1, 2) >= 0 && p[3] == ':' &&
                 decimal_digits(p + 4, 2) >= 0 && p[6] == '\0')
                *offset = (*p == '-' ? -1 : 1) * (decimal_digits(p + 1, 2) * 3600 + decimal_digits(p + 4, 2) * 60);
        else
                return -EINVAL;
        tm->tm_hour = h, tm->tm_min = mi, tm->tm_sec = sec;
        return 0;
}

int fhir_parse_datetime(const char *s, int64_t *ret_lo, int64_t *ret_hi) {
        size_t n = s ? strlen(s) : 0;
        struct tm tm = {.tm_mday = 1};
        int y = n >= 4 ? decimal_digits(s, 4) : -1, mo = 1, d = 1;
        int64_t offset = 0, span;
        bool seconds = false;

        if (y < 1 || (n != 4 && n < 7))
                return -EINVAL;
        if (n >= 7 && (s[4] != '-' || (mo = decimal_digits(s + 5, 2)) < 1 || mo > 12))
                return -EINVAL;
        if (n >= 10 && (s[7] != '-' || (d = decimal_digits(s + 8, 2)) < 1 || d > 31))
                return -EINVAL;
        if ((n > 7 && n < 10) || (n > 10 && (s[10] != 'T' || n < 17 || parse_time_part(s + 10, &tm, &offset, &seconds) < 0)))
                return -EINVAL;
        tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
        int64_t lo = (int64_t)timegm(&tm) - offset;
        struct tm next = tm;
        if (n == 4)
                next.tm_year++;
        else if (n == 7)
                next.tm_mon++;
        else if (n == 10)
                next.tm_mday++;
        span = n > 10 ? (seconds ? 1 : 60) : (int64_t)timegm(&next) - (int64_t)timegm(&tm);
        *ret_lo = lo;
        *ret_hi = lo + span - 1;
        return 0;
}

static int ins_checked(const char *s, size_t len, char ret[16]) {
        char buf[16];
        if (len != 15)
                return -EINVAL;
        memcpy(buf, s, 15);
        buf[15] = '\0';
        /* as the dossiers are keyed: a Corsican "2a" is "2A" */
        return nir_canonical(buf, ret);
}

int fhir_ins_of_reference(const char *s, char ret[16]) {
        if (!s)
                return -EINVAL;
        const char *slash = strrchr(s, '/');
        if (slash) {
                size_t pre = (size_t)(slash - s);
                if (pre < 7 || strncmp(slash - 7, "Patient", 7) != 0 || (pre > 7 && slash[-8] != '/'))
                        return -EINVAL;
                s = slash + 1;
        }
        return ins_checked(s, strlen(s), ret);
}

int fhir_ins_of_identifier(const char *s, char ret[16]) {
        static const char *const systems[] = {"urn:oid:" FHIR_INS_OID "|", "urn:oid:" FHIR_INS_OID_TEST "|"};
        /* a token without a system: the value in any system (R4 search,
         * token), and an INS is the only identifier carnet has */
        if (s && !strchr(s, '|'))
                return ins_checked(s, strlen(s), ret);
        for (size_t i = 0; s && i < ELEMENTSOF(systems); i++)
                if (strncmp(s, systems[i], strlen(systems[i])) == 0)
                        return ins_checked(s + strlen(systems[i]), strlen(s + strlen(systems[i])), ret);
        return -EINVAL;
}

int fhir_bad_ins(struct api_reply *ret, unsigned status, const char *param, int r) {
        return api_error_details(ret, status, "bad_ins",
                                 json_pack("{s:s,s:s}", "parameter", param, "problem",
                                           r == -EBADMSG ? "wrong key" : "malformed"),
                                 "%s must name a patient by INS: a NIR of 15 characters with a valid key (identifier: "
                                 "urn:oid:" FHIR_INS_OID "|NIR, or " FHIR_INS_OID_TEST " for test NIRs; patient: "
                                 "Patient/NIR)", param);
}

int fhir_patient_param(const struct api_request *req, char ins[16], struct api_reply *ret) {
        const char *ref = api_query(req, "patient"), *ident = api_query(req, "patient.identifier");
        int r;
        if (!ref == !ident)
                return fhir_error(ret, 400, "required", "bad_parameter",
                                  "this search names its patient: patient=Patient/NIR or "
                                  "patient.identifier=urn:oid:" FHIR_INS_OID "|NIR, one of the two") < 0 ? -ENOMEM
                                                                                                       : -EINVAL;
        r = ref ? fhir_ins_of_reference(ref, ins) : fhir_ins_of_identifier(ident, ins);
        if (r < 0)
                return fhir_bad_ins(ret, 400, ref ? "patient" : "patient.identifier", r) < 0 ? -ENOMEM : -EINVAL;
        return 0;
}

void fhir_token(const char *s, char *buf, size_t size, const char **ret_system, const char **ret_code) {
        (void)strcpy_bounded(buf, size, s ? s : "");
        char *bar = strchr(buf, '|');
        if (!bar) {
                *ret_system = NULL;
                *ret_code = buf;
                return;
        }
        *bar = '\0';
        *ret_system = buf;
        *ret_code = bar + 1;
}

bool fhir_id_valid(const char *id) {
        static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.";
        size_t n = id ? strlen(id) : 0;
        return n >= 1 && n <= 64 && strspn(id, chars) == n;
}

/* R4 http.html, read: "a GET for an unknown resource returns 404 Not
 * Found", and the values of [id] "are described in the id type".  A
 * string outside that type is no id: no resource could have it, and the
 * request itself is malformed (RFC 9110 15.5.1), so 400 rather than the
 * 404 of an id that simply names nothing. */
int fhir_read_id(const struct api_request *req, const char **ret_id, struct api_reply *ret) {
        const char *id = api_path_param(req, "id");
        char q[API_QUOTE_MAX + 1];
        if (fhir_id_valid(id)) {
                *ret_id = id;
                return 0;
        }
        api_quote(q, sizeof(q), id, API_QUOTE_MAX);
        return api_error_details(ret, 400, "bad_id", json_pack("{s:s}", "id", q),
                                 "'%s' is not a FHIR id (1 to 64 letters, digits, '-' and '.')", q) < 0 ? -ENOMEM
                                                                                                       : -EINVAL;
}

void fhir_doc_id(const char *ins, const char *uid, char ret[FHIR_DOC_ID_SIZE]) {
        snprintf(ret, FHIR_DOC_ID_SIZE, "%.15s-%.32s", ins, uid);
}

int fhir_doc_id_parse(const char *id, char ret_ins[16], char ret_uid[DOSSIER_UID_SIZE]) {
        char ins[16];
        if (!id || strlen(id) != FHIR_DOC_ID_SIZE - 1 || id[15] != '-' || ins_checked(id, 15, ins) < 0 ||
            strspn(id + 16, "0123456789abcdef") != DOSSIER_UID_SIZE - 1)
                return -EINVAL;
        memcpy(ret_ins, ins, 16);
        memcpy(ret_uid, id + 16, DOSSIER_UID_SIZE);
        return 0;
}

char *fhir_base64(const void *data, size_t len) {
        static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const uint8_t *p = data;
        char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
        if (!out)
                return NULL;
        for (size_t i = 0; i < len; i += 3) {
                uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0) |
                             (i + 2 < len ? p[i + 2] : 0);
                *o++ = a[v >> 18 & 63];
                *o++ = a[v >> 12 & 63];
                *o++ = i + 1 < len ? a[v >> 6 & 63] : '=';
                *o++ = i + 2 < len ? a[v & 63] : '=';
        }
        *o = '\0';
        return out;
}

/* Prefer: handling=lenient (FHIR R4 search, "Handling errors"): the
 * client asks that parameters the server does not know be ignored.  RFC
 * 7240 2: preference = token [ BWS "=" BWS word ] *( OWS ";" ... ), the
 * list comma-separated; names compare without case, values with it, and
 * a word may be a quoted string. */
static bool lenient(const struct api_request *req) {
        static const char blank[] = " \t";
        const char *p = api_header(req, "Prefer");

        while (p && *p) {
                p += strspn(p, blank);
                size_t n = strcspn(p, "=;, \t");
                bool handling = n == 8 && strncasecmp(p, "handling", 8) == 0;
                const char *v = p + n + strspn(p + n, blank);
                if (handling && *v == '=') {
                        v += 1 + strspn(v + 1, blank);
                        bool quoted = *v == '"';
                        v += quoted;
                        if (strncmp(v, "lenient", 7) == 0 &&
                            (quoted ? v[7] == '"' : v[7] == '\0' || strchr(";, \t", v[7])))
                                return true;
                }
                /* the next preference: past this one's value and parameters
                 * (a quoted string may hold a comma) */
                bool in_quote = false;
                for (p = v; *p && (in_quote || *p != ','); p++)
                        if (*p == '"')
                                in_quote = !in_quote;
                        else if (*p == '\\' && in_quote && p[1])
                                p++;
                if (*p == ',')
                        p++;
        }
        return false;
}

/* The names R4 gives FHIR JSON (http.html, "Content Types and
 * encodings"), beside application/fhir+json: a client that names one asks
 * for FHIR JSON. */
static const char *const json_aliases[] = {"json", "application/json", "text/json"};

/* Whether the _format value fmt names FHIR JSON (lib/media-type.h: without
 * case, parameters aside). */
static bool format_json(const char *fmt) {
        struct media_type m;
        if (media_type_parse(fmt, strlen(fmt), &m) < 0)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(json_aliases); i++)
                if (media_type_is(&m, json_aliases[i]))
                        return true;
        return media_type_is(&m, FHIR_MIME);
}

bool fhir_accepts(const struct api_request *req, const char *type) {
        const char *accept = api_header(req, "Accept");
        if (type)
                return media_accept_q(accept, type, true) > 0;
        /* what carnet sends, application/fhir+json, by Accept's most
         * specific range (RFC 9110 12.5.1); or one of its aliases named */
        if (media_accept_q(accept, FHIR_MIME, false) > 0)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(json_aliases); i++)
                if (media_accept_q(accept, json_aliases[i], true) > 0)
                        return true;
        return false;
}

/* 406 not_acceptable when the client asks for a format other than JSON:
 * _format (which overrides Accept) or else an Accept that lists no JSON
 * type nor wildcard with a q above 0 (FHIR R4 formats.html: 406 when
 * Accept asks for a format the server does not support).  Binary's
 * Accept names the content's own type (fhir_binary_read()): only its
 * _format is judged. */
static int check_format(const struct api_request *req, struct api_reply *ret) {
        const char *fmt = api_query(req, "_format"), *accept = api_header(req, "Accept");
        const char *binary = FHIR_PREFIX "/Binary/";
        bool ok = true;

        if (fmt)
                ok = format_json(fmt);
        else if (accept && accept[strspn(accept, " \t")] && strncmp(req->path, binary, strlen(binary)) != 0)
                ok = fhir_accepts(req, NULL);
        if (ok)
                return 0;
        char q[API_QUOTE_MAX + 1];
        const char *asked = api_quote(q, sizeof(q), fmt ? fmt : accept, API_QUOTE_MAX);
        return api_error_details(ret, 406, "not_acceptable", json_pack("{s:s}", fmt ? "_format" : "accept", asked),
                                 "carnet serves FHIR as JSON only (" FHIR_MIME "), not %s", asked) < 0 ? -ENOMEM
                                                                                                  : -EINVAL;
}

/* Whether the n bytes at name are a parameter of allowed or one every
 * interaction takes (_format, _pretty, _count, _offset). */
static bool param_known(const char *name, size_t n, const char *const allowed[]) {
        static const char *const common[] = {"_format", "_pretty", "_count", "_offset"};
        for (size_t j = 0; j < ELEMENTSOF(common); j++)
                if (strlen(common[j]) == n && strncmp(name, common[j], n) == 0)
                        return true;
        for (size_t j = 0; allowed[j]; j++)
                if (strlen(allowed[j]) == n && strncmp(name, allowed[j], n) == 0)
                        return true;
        return false;
}

/* Whether ret is the refusal of a dossier destroyed at the patient's
 * request (res_engine_fail(): 409 dossier_destroyed). */
static bool destroyed(const struct api_reply *ret) {
        const char *code = json_string_value(json_object_get(json_object_get(ret->body, "error"), "code"));
        return ret->status == 409 && code && strcmp(code, "dossier_destroyed") == 0;
}

void fhir_read_gone(struct api_reply *ret) {
        if (destroyed(ret))
                ret->status = 410;
}

int fhir_search_fail(const struct api_request *req, const char *const params[], const struct dossier_engine *e, int r,
                     struct api_reply *ret) {
        if (r == -ENOMEM || res_engine_fail(ret, e, r) < 0)
                return -ENOMEM;
        if (!destroyed(ret))
                return 0;
        api_reply_clear(ret);
        json_t *b = fhir_searchset(req, params, json_array());
        return b ? api_ok(ret, 200, b) : -ENOMEM;
}

bool fhir_param_known(const char *name, const char *const allowed[]) {
        static const char *const none[] = {NULL};
        return param_known(name, strlen(name), allowed ? allowed : none);
}

int fhir_check_params(const struct api_request *req, const char *const allowed[], struct api_reply *ret) {
        struct fhir_page page;
        /* the format first: nothing is searched for a reply that cannot be sent */
        if (check_format(req, ret) < 0)
                return -EINVAL;
        /* the page: a malformed one is refused, lenient or not (it is no
         * unknown parameter) */
        if (fhir_page_of(req, &page, ret) < 0)
                return -EINVAL;
        /* _pretty (R4 http.html): true or false, lenient or not */
        const char *p = api_query(req, "_pretty");
        if (p && strcmp(p, "true") != 0 && strcmp(p, "false") != 0)
                return api_error_details(ret, 400, "bad_parameter", json_pack("{s:s}", "parameter", "_pretty"),
                                         "_pretty is true (indented JSON) or false") < 0 ? -ENOMEM : -EINVAL;
        /* a parameter carnet knows with a modifier it does not apply
         * (status:not, date:missing): refused, lenient or not, since
         * ignoring it would widen the search */
        for (size_t i = 0; i < req->n_query; i++) {
                const char *n = req->query[i].name, *colon = strchr(n, ':');
                if (!colon || !param_known(n, (size_t)(colon - n), allowed))
                        continue;
                char q[API_QUOTE_MAX + 1];
                return api_error_details(ret, 400, "unsupported_modifier", json_pack("{s:s}", "parameter", n),
                                         "the modifier of '%s' is not supported (see GET " FHIR_PREFIX "/metadata)",
                                         api_quote(q, sizeof(q), n, API_QUOTE_MAX)) < 0 ? -ENOMEM : -EINVAL;
        }
        if (lenient(req))
                return 0;
        for (size_t i = 0; i < req->n_query; i++) {
                const char *n = req->query[i].name;
                if (!param_known(n, strlen(n), allowed)) {
                        char q[API_QUOTE_MAX + 1];
                        return api_error_details(ret, 400, "unknown_parameter", json_pack("{s:s}", "parameter", n),
                                                 "search parameter '%s' is not supported here (see GET "
                                                 FHIR_PREFIX "/metadata)",
                                                 api_quote(q, sizeof(q), n, API_QUOTE_MAX)) < 0 ? -ENOMEM : -EINVAL;
                }
        }
        return 0;
}
