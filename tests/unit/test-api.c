/* tests/unit/test-api.c: the API router (templates, 404/405, precedence),
 * the error shape, the request helpers (body, fields, query, headers), the
 * status document and the configuration parser, without HTTP or PC/SC. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "api/call.h"
#include "api/routes.h"
#include "api/context.h"
#include "api/forward.h"
#include "http/router.h"
#include "daemon/config.h"
#include "api/status.h"

static void assert_error_shape(const struct api_reply *r, unsigned status, const char *code) {
        const char *c = NULL, *m = NULL;
        assert_int_equal(r->status, status);
        assert_non_null(r->body);
        assert_int_equal(json_unpack(r->body, "{s:{s:s,s:s}}", "error", "code", &c, "message", &m), 0);
        assert_string_equal(c, code);
        assert_true(strlen(m) > 0);
}

/* method path through the real table answers status with code. */
static void expect_route_error(const char *method, const char *path, unsigned status, const char *code) {
        struct api_request req = {.method = method, .path = path};
        struct api_reply rep;
        assert_int_equal(api_handle(&req, &rep), 0);
        assert_error_shape(&rep, status, code);
        api_reply_clear(&rep);
}

UNIT(unknown_route_is_json_404) {
        expect_route_error("GET", "/v1/nothing-here", 404, "not_found");
}

UNIT(hostile_path_is_json_404) {
        char path[8192];
        memset(path, 'A', sizeof(path) - 1);
        path[0] = '/';
        path[sizeof(path) - 1] = '\0';
        expect_route_error("GET", path, 404, "not_found");
}

UNIT(wrong_method_is_405) {
        expect_route_error("DELETE", "/v1/status", 405, "method_not_allowed");
}

/* RFC 9110 9.1, 15.6.2: a method the server implements for no resource is
 * 501, whatever the path (a known one, an unknown one); 405 is for a
 * method it implements elsewhere.  Methods compare with case (9.1). */
UNIT(unknown_method_is_501) {
        static const char *const methods[] = {"FOO", "PATCH", "OPTIONS", "TRACE", "CONNECT", "get", "Delete"};
        for (size_t i = 0; i < ELEMENTSOF(methods); i++) {
                expect_route_error(methods[i], "/v1/status", 501, "not_implemented");
                expect_route_error(methods[i], "/v1/nothing-here", 501, "not_implemented");
        }
        struct api_request req = {.method = "FOO", .path = "/v1/status"};
        struct api_reply rep;
        assert_int_equal(api_handle(&req, &rep), 0);
        assert_string_equal(rep.allow, ""); /* no Allow: no resource allows it */
        api_reply_clear(&rep);
        expect_route_error("PUT", "/v1/status", 405, "method_not_allowed");
}

/* RFC 9110 5.6.7: an HTTP-date is sent as an IMF-fixdate, in GMT, names
 * in English whatever the locale; a Last-Modified is never in the
 * future (8.8.2.1). */
UNIT(http_dates_are_imf_fixdates) {
        char buf[32];
        struct api_reply rep = {0};
        assert_string_equal(api_http_date(784111777, buf), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_string_equal(api_http_date(0, buf), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_string_equal(api_http_date(951782400, buf), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_string_equal(api_http_date(253402300799, buf), "Fri, 31 Dec 9999 23:59:59 GMT");
        api_set_last_modified(&rep, 784111777);
        assert_string_equal(rep.last_modified, "Sun, 06 Nov 1994 08:49:37 GMT");
        api_set_last_modified(&rep, (int64_t)time(NULL) + 3600);
        assert_string_equal(rep.last_modified, api_http_date((int64_t)time(NULL), buf));
        (void)strcpy_bounded(rep.vary, sizeof(rep.vary), "Accept");
        api_reply_clear(&rep);
        assert_string_equal(rep.last_modified, "");
        assert_string_equal(rep.vary, "");
}

/* An agent's relay of the host's reply (api/forward.h): the host's
 * X-Carnet-Warning, ETag, Last-Modified and Vary with it, on a JSON 200,
 * on bytes, and on a 304 (RFC 9110 15.4.5: a 304 sends the Vary a 200
 * would; not Last-Modified, as there is an ETag). */
UNIT(relay_keeps_the_hosts_headers) {
        for (int i = 0; i < 3; i++) {
                unsigned status = i == 2 ? 304 : 200;
                struct agent_reply h = {.status = status};
                struct api_reply rep = {0};
                strcpy(h.warning, "w");
                strcpy(h.etag, "W/\"2\"");
                strcpy(h.last_modified, "Tue, 14 Nov 2023 09:00:00 GMT");
                strcpy(h.vary, "Accept, Prefer");
                if (i == 0) {
                        h.json = json_object();
                } else if (i == 1) {
                        strcpy(h.content_type, "text/plain");
                        h.body = (uint8_t *)strdup("bytes");
                        h.len = 5;
                }
                assert_int_equal(api_relay(&rep, &h), 0);
                assert_int_equal(rep.status, status);
                assert_string_equal(rep.warning, "w");
                assert_string_equal(rep.etag, "W/\"2\"");
                assert_string_equal(rep.vary, "Accept, Prefer");
                assert_string_equal(rep.last_modified, i == 2 ? "" : "Tue, 14 Nov 2023 09:00:00 GMT");
                assert_true(i != 2 || (!rep.body && !rep.data));
                api_reply_clear(&rep);
        }
        /* a host without Vary: none */
        struct agent_reply h = {.status = 200, .json = json_object()};
        struct api_reply rep = {0};
        assert_int_equal(api_relay(&rep, &h), 0);
        assert_string_equal(rep.vary, "");
        api_reply_clear(&rep);
}

/* "/v1/x/{id}" -> "/v1/x/{}": two routes with the same shape would be
 * ambiguous. */
static void route_shape(const char *path, char *out, size_t size) {
        size_t o = 0;
        for (const char *p = path; *p && o + 3 < size; p++) {
                if (*p == '{') {
                        out[o++] = '{';
                        out[o++] = '}';
                        p = strchr(p, '}');
                        assert_non_null(p);
                } else
                        out[o++] = *p;
        }
        out[o] = '\0';
}

UNIT(routes_are_versioned_and_unique) {
        size_t n;
        const struct api_route *r = api_routes(&n);
        assert_true(n > 0);
        for (size_t i = 0; i < n; i++) {
                char a[256], b[256];
                /* /v1/..., or the FHIR face's /fhir/R4 (docs/fhir.md) */
                assert_true(strncmp(r[i].path, "/v1/", 4) == 0 || strncmp(r[i].path, "/fhir/R4", 8) == 0);
                assert_non_null(r[i].handler);
                assert_non_null(r[i].summary);
                route_shape(r[i].path, a, sizeof(a));
                for (size_t j = i + 1; j < n; j++) {
                        route_shape(r[j].path, b, sizeof(b));
                        assert_false(strcmp(r[i].method, r[j].method) == 0 && strcmp(a, b) == 0);
                }
        }
}

/* ---- the router, over a table of its own ---------------------------- */

/* Answers {"route": which, "params": {name: value...}}. */
static int echo(const struct api_request *req, struct api_reply *ret, const char *which) {
        json_t *p = json_object();
        for (size_t i = 0; i < req->n_params; i++)
                json_object_set_new(p, req->params[i].name, json_string(req->params[i].value));
        return api_ok(ret, 200, json_pack("{s:s,s:o}", "route", which, "params", p));
}
static int h_current(const struct api_request *req, struct api_reply *ret) {
        return echo(req, ret, "current");
}
static int h_session(const struct api_request *req, struct api_reply *ret) {
        return echo(req, ret, "session");
}
static int h_del(const struct api_request *req, struct api_reply *ret) {
        return echo(req, ret, "delete");
}
static int h_doc(const struct api_request *req, struct api_reply *ret) {
        assert_string_equal(api_path_param(req, "d"), req->params[0].value);
        assert_null(api_path_param(req, "nope"));
        return echo(req, ret, "doc");
}
static int h_fail(const struct api_request *req, struct api_reply *ret) {
        return -EIO;
}

/* a route without needs, its handler's name as summary */
#define ROUTE(method, path, handler) {method, path, handler, #handler, 0}

static const struct api_route test_routes[] = {
        ROUTE("GET", "/v1/sessions/{id}", h_session),
        ROUTE("GET", "/v1/sessions/current", h_current),
        ROUTE("DELETE", "/v1/sessions/{id}", h_del),
        ROUTE("GET", "/v1/dossiers/{d}/documents/{doc}", h_doc),
        ROUTE("POST", "/v1/dossiers/{d}/documents/{doc}", h_doc),
        ROUTE("GET", "/v1/fail", h_fail),
};

static const struct api_table test_table = {test_routes, ELEMENTSOF(test_routes), NULL, NULL};

static void dispatch(const char *method, const char *path, struct api_reply *rep) {
        struct api_request req = {.method = method, .path = path};
        assert_int_equal(api_dispatch(&test_table, &req, rep), 0);
}

static void assert_route(const struct api_reply *rep, const char *which) {
        assert_int_equal(rep->status, 200);
        assert_string_equal(json_string_value(json_object_get(rep->body, "route")), which);
}

static const char *param_of(const struct api_reply *rep, const char *name) {
        return json_string_value(json_object_get(json_object_get(rep->body, "params"), name));
}

UNIT(template_captures_segments) {
        struct api_reply rep;
        dispatch("GET", "/v1/sessions/abc-123", &rep);
        assert_route(&rep, "session");
        assert_string_equal(param_of(&rep, "id"), "abc-123");
        api_reply_clear(&rep);

        dispatch("GET", "/v1/dossiers/D1/documents/42", &rep);
        assert_route(&rep, "doc");
        assert_string_equal(param_of(&rep, "d"), "D1");
        assert_string_equal(param_of(&rep, "doc"), "42");
        api_reply_clear(&rep);

        /* a decoded segment may hold anything but '/' */
        dispatch("GET", "/v1/sessions/Virtual PCD 00 00", &rep);
        assert_string_equal(param_of(&rep, "id"), "Virtual PCD 00 00");
        api_reply_clear(&rep);
}

UNIT(literal_beats_template) {
        struct api_reply rep;
        dispatch("GET", "/v1/sessions/current", &rep);
        assert_route(&rep, "current");
        assert_int_equal(json_object_size(json_object_get(rep.body, "params")), 0);
        api_reply_clear(&rep);
        /* other methods: the template of that method */
        dispatch("DELETE", "/v1/sessions/current", &rep);
        assert_route(&rep, "delete");
        assert_string_equal(param_of(&rep, "id"), "current");
        api_reply_clear(&rep);
}

UNIT(template_needs_whole_segments) {
        static const char *const paths[] = {
                "/v1/sessions/",           /* empty segment */
                "/v1/sessions",            /* missing */
                "/v1/sessions/a/b",        /* one too many */
                "/v1/sessions/a/",         /* trailing slash */
                "/v1/dossiers/D1/documents",
                "/v1/dossiers//documents/1",
                "v1/sessions/a",
                "",
                "/",
        };
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                struct api_reply rep;
                dispatch("GET", paths[i], &rep);
                if (rep.status != 404)
                        fail_msg("%s: %u", paths[i], rep.status);
                assert_error_shape(&rep, 404, "not_found");
                api_reply_clear(&rep);
        }
}

UNIT(template_405_lists_allowed_methods) {
        static const struct {
                const char *method, *path, *allow;
        } cases[] = {
                {"DELETE", "/v1/dossiers/D1/documents/7", "GET, HEAD, POST"},
                {"POST", "/v1/sessions/x", "GET, HEAD, DELETE"},
                /* a method of the table's, not of this path's */
                {"DELETE", "/v1/fail", "GET, HEAD"},
        };
        struct api_reply rep;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                dispatch(cases[i].method, cases[i].path, &rep);
                assert_error_shape(&rep, 405, "method_not_allowed");
                assert_string_equal(rep.allow, cases[i].allow);
                api_reply_clear(&rep);
        }
        /* a matched route leaves no Allow behind */
        dispatch("GET", "/v1/sessions/x", &rep);
        assert_string_equal(rep.allow, "");
        api_reply_clear(&rep);
        /* a method no route of the table has (PUT, here) is 501 */
        dispatch("PUT", "/v1/fail", &rep);
        assert_error_shape(&rep, 501, "not_implemented");
        api_reply_clear(&rep);
}

/* HEAD is GET without the body (RFC 9110 9.1: a server MUST support
 * both; 9.3.2): the GET route answers it, its handler seeing GET, and
 * libmicrohttpd sends the headers alone.  Allow names HEAD beside GET. */
UNIT(head_is_answered_as_get) {
        struct api_reply rep;
        dispatch("HEAD", "/v1/sessions/current", &rep);
        assert_route(&rep, "current");
        api_reply_clear(&rep);
        dispatch("HEAD", "/v1/dossiers/D1/documents/7", &rep);
        assert_route(&rep, "doc");
        assert_string_equal(param_of(&rep, "doc"), "7");
        api_reply_clear(&rep);
        struct api_request head = {.method = "HEAD", .path = "/v1/status"};
        assert_int_equal(api_handle(&head, &rep), 0);
        assert_int_equal(rep.status, 200);
        api_reply_clear(&rep);
        dispatch("POST", "/v1/sessions/x", &rep);
        assert_error_shape(&rep, 405, "method_not_allowed");
        assert_string_equal(rep.allow, "GET, HEAD, DELETE");
        api_reply_clear(&rep);
}

UNIT(handler_failure_is_json_500) {
        struct api_reply rep;
        dispatch("GET", "/v1/fail", &rep);
        assert_error_shape(&rep, 500, "internal");
        api_reply_clear(&rep);
}

UNIT(route_match_bounds) {
        struct api_kv p[1];
        char buf[64];
        /* more templates than room: no match rather than an overflow */
        assert_int_equal(api_route_match("/v1/{a}/{b}", "/v1/x/y", buf, sizeof(buf), p, 1), -ENOENT);
        /* a path longer than the buffer: no match */
        assert_int_equal(api_route_match("/v1/{a}", "/v1/0123456789012345678901234567890123456789"
                                         "0123456789012345678901234567890123456789",
                                         buf, sizeof(buf), p, 1),
                         -ENOENT);
        assert_int_equal(api_route_match("/v1/{a}", "/v1/x", buf, sizeof(buf), p, 1), 1);
        assert_string_equal(p[0].value, "x");
}

/* ---- query, headers -------------------------------------------------- */

UNIT(query_and_headers) {
        static const struct api_kv q[] = {{"a", "1"}, {"flag", ""}};
        static const struct api_kv h[] = {{"Accept", "text/event-stream"}, {"x-carnet-session", "tok"}};
        struct api_request req = {.method = "GET", .path = "/v1/x", .query = q, .n_query = 2,
                                  .headers = h, .n_headers = 2};
        struct api_reply rep = {0};
        assert_string_equal(api_query(&req, "a"), "1");
        assert_string_equal(api_query(&req, "flag"), "");
        assert_null(api_query(&req, "A"));
        assert_string_equal(api_header(&req, "accept"), "text/event-stream");
        assert_string_equal(api_header(&req, API_SESSION_HEADER), "tok");
        assert_null(api_header(&req, "Cookie"));

        static const char *const ok[] = {"a", "flag", NULL};
        static const char *const only_a[] = {"a", NULL};
        assert_int_equal(api_check_query(&req, ok, &rep), 0);
        assert_int_equal(api_check_query(&req, only_a, &rep), -EINVAL);
        assert_error_shape(&rep, 400, "unknown_parameter");
        assert_string_equal(json_string_value(json_object_get(
                                    json_object_get(json_object_get(rep.body, "error"), "details"), "parameter")),
                            "flag");
        api_reply_clear(&rep);
        assert_int_equal(api_check_query(&req, NULL, &rep), -EINVAL);
        api_reply_clear(&rep);
}

/* A parameter given twice, with values or without, is 400 naming it,
 * before any handler: never its first value (?limit=5&limit=900). */
UNIT(duplicate_query_parameter_is_400) {
        static const struct api_kv q[][3] = {{{"id", "1"}, {"x", "2"}, {"id", "3"}},
                                             {{"x", "2"}, {"id", ""}, {"id", ""}},
                                             {{"id", "1"}, {"id", "1"}, {"x", "2"}}};
        for (size_t i = 0; i < ELEMENTSOF(q); i++) {
                struct api_request req = {.method = "GET", .path = "/v1/sessions/s", .query = q[i], .n_query = 3};
                struct api_reply rep;
                assert_int_equal(api_dispatch(&test_table, &req, &rep), 0);
                assert_error_shape(&rep, 400, "bad_parameter");
                assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(
                                            rep.body, "error"), "details"), "parameter")),
                                    "id");
                assert_null(rep.route); /* no handler ran */
                api_reply_clear(&rep);
        }
}

/* ---- bodies ------------------------------------------------------------ */

static int body_of(const char *text, size_t len, json_t **ret, struct api_reply *err) {
        struct api_request req = {.method = "POST", .path = "/v1/x", .body = text, .body_len = len};
        return api_body_json(&req, ret, err);
}

UNIT(body_json_refuses_what_hides_mistakes) {
        static const struct {
                const char *text;
                size_t len;
        } bad[] = {
                {"", 0},
                {"{\"a\":1,\"a\":2}", 0},          /* duplicate key */
                {"{\"a\":{\"b\":1,\"b\":1}}", 0},  /* nested duplicate */
                {"[1,2]", 0},                       /* not an object */
                {"\"text\"", 0},
                {"null", 0},
                {"{\"a\":\"\xff\xfe\"}", 0},       /* invalid UTF-8 */
                {"{\"a\":\"\xc0\xaf\"}", 0},       /* overlong encoding of '/' */
                {"{\"a\":\"\\u0000\"}", 0},        /* an escaped NUL */
                {"{\"a\":1} {\"b\":2}", 0},          /* two documents */
                {"{\"a\":1", 0},                    /* truncated */
                {"{\"a\":1}\0", 9},                  /* a raw NUL after the object */
                {"{'a':1}", 0},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                json_t *j = (json_t *)0x1;
                struct api_reply rep = {0};
                size_t len = bad[i].len ? bad[i].len : strlen(bad[i].text);
                if (body_of(bad[i].text, len, &j, &rep) != -EINVAL)
                        fail_msg("case %zu accepted", i);
                assert_ptr_equal(j, (json_t *)0x1); /* untouched on failure */
                assert_error_shape(&rep, 400, "bad_json");
                api_reply_clear(&rep);
        }
        struct api_request none = {.method = "POST", .path = "/v1/x"};
        json_t *j = NULL;
        struct api_reply rep = {0};
        assert_int_equal(api_body_json(&none, &j, &rep), -EINVAL);
        assert_error_shape(&rep, 400, "bad_json");
        api_reply_clear(&rep);
}

UNIT(body_json_accepts_an_object) {
        const char *text = "{\"nir\":\"280057512345674\",\"name\":\"Hélène\"}";
        json_t *j = NULL;
        struct api_reply rep = {0};
        assert_int_equal(body_of(text, strlen(text), &j, &rep), 0);
        assert_null(rep.body);
        assert_string_equal(json_string_value(json_object_get(j, "name")), "Hélène");
        json_decref(j);
}

UNIT(body_json_huge) {
        /* a 8 MiB string: parsed (the server caps bodies, not the helper) */
        size_t n = 8u << 20;
        char *text = malloc(n + 16);
        assert_non_null(text);
        memcpy(text, "{\"a\":\"", 6);
        memset(text + 6, 'x', n);
        memcpy(text + 6 + n, "\"}", 2);
        json_t *j = NULL;
        struct api_reply rep = {0};
        assert_int_equal(body_of(text, n + 8, &j, &rep), 0);
        assert_int_equal(json_string_length(json_object_get(j, "a")), n);
        json_decref(j);
        /* deep nesting is refused, not a stack overflow */
        size_t depth = 100000;
        char *deep = malloc(2 * depth + 8);
        assert_non_null(deep);
        size_t o = 0;
        deep[o++] = '{';
        memcpy(deep + o, "\"a\":", 4);
        o += 4;
        for (size_t i = 0; i < depth; i++)
                deep[o++] = '[';
        assert_int_equal(body_of(deep, o, &j, &rep), -EINVAL);
        assert_error_shape(&rep, 400, "bad_json");
        api_reply_clear(&rep);
        free(deep);
        free(text);
}

UNIT(unknown_fields_are_named) {
        static const char *const allowed[] = {"nir", "reason", NULL};
        struct api_reply rep = {0};
        json_t *o = json_pack("{s:s,s:s}", "nir", "1", "reason", "x");
        assert_int_equal(api_check_fields(o, allowed, &rep), 0);
        assert_null(rep.body);
        json_object_set_new(o, "niir", json_string("typo"));
        assert_int_equal(api_check_fields(o, allowed, &rep), -EINVAL);
        assert_error_shape(&rep, 400, "unknown_field");
        const char *field = NULL;
        assert_int_equal(json_unpack(rep.body, "{s:{s:{s:s}}}", "error", "details", "field", &field), 0);
        assert_string_equal(field, "niir");
        assert_non_null(strstr(json_string_value(json_object_get(json_object_get(rep.body, "error"), "message")),
                               "niir"));
        api_reply_clear(&rep);
        json_decref(o);
}

/* POST /v1/nir/check, through the real route table. */
UNIT(nir_check_route) {
        static const struct {
                const char *body;
                unsigned status;
                const char *code;      /* error code, or NULL */
                const char *problem;   /* when 200 */
        } cases[] = {
                {"{\"nir\":\"280057512345674\"}", 200, NULL, NULL},
                {"{\"nir\":\"280057512345675\"}", 200, NULL, "wrong key"},
                {"{\"nir\":\"28005\"}", 200, NULL, "malformed"},
                {"{\"nir\":15}", 400, "bad_field", NULL},
                {"{}", 400, "bad_field", NULL},
                {"{\"nir\":\"280057512345674\",\"extra\":true}", 400, "unknown_field", NULL},
                {"{\"nir\":\"1\",\"nir\":\"2\"}", 400, "bad_json", NULL},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct api_request req = {.method = "POST", .path = "/v1/nir/check", .body = cases[i].body,
                                          .body_len = strlen(cases[i].body)};
                struct api_reply rep;
                assert_int_equal(api_handle(&req, &rep), 0);
                if (cases[i].code)
                        assert_error_shape(&rep, cases[i].status, cases[i].code);
                else {
                        assert_int_equal(rep.status, 200);
                        json_t *p = json_object_get(rep.body, "problem");
                        assert_int_equal(json_is_true(json_object_get(rep.body, "valid")), !cases[i].problem);
                        if (cases[i].problem)
                                assert_string_equal(json_string_value(p), cases[i].problem);
                        else
                                assert_true(json_is_null(p));
                }
                api_reply_clear(&rep);
        }
}

static int n_freed;
static void count_free(void *p) {
        n_freed++;
}
static ssize_t never_read(void *u, char *b, size_t m, bool s) {
        return API_STREAM_END;
}

UNIT(stream_reply_is_freed) {
        struct api_reply rep = {0};
        struct api_stream s = {.content_type = "text/plain", .read = never_read, .free = count_free};
        n_freed = 0;
        assert_int_equal(api_ok_stream(&rep, &s), 0);
        assert_int_equal(rep.status, 200);
        api_reply_clear(&rep);
        assert_int_equal(n_freed, 1);
        api_reply_clear(&rep); /* twice is harmless */
        assert_int_equal(n_freed, 1);
        struct api_stream bad = {.read = never_read, .free = count_free};
        assert_int_equal(api_ok_stream(&rep, &bad), -EINVAL); /* handed over: freed */
        assert_int_equal(n_freed, 2);
}

UNIT(status_document_lists_readers) {
        struct reader_snapshot snap = {.pcscd_reachable = true, .n = 2};
        strcpy(snap.r[0].name, "Reader A");
        snap.r[0].card_present = true;
        snap.r[0].atr_len = 3;
        memcpy(snap.r[0].atr, "\x3B\x75\x13", 3);
        strcpy(snap.r[1].name, "Reader B");
        json_t *j = status_json(&snap);
        assert_non_null(j);
        const char *v, *n0, *n1, *atr0;
        int reach, p0, p1;
        json_t *err, *atr1;
        assert_int_equal(json_unpack(j, "{s:s,s:{s:b,s:o},s:[{s:s,s:b,s:s},{s:s,s:b,s:o}]}", "version", &v,
                                     "pcscd", "reachable", &reach, "error", &err, "readers", "name", &n0,
                                     "card_present", &p0, "atr", &atr0, "name", &n1, "card_present",
                                     &p1, "atr", &atr1),
                         0);
        assert_string_equal(v, CARNET_VERSION);
        assert_true(reach);
        assert_true(json_is_null(err));
        assert_string_equal(n0, "Reader A");
        assert_true(p0);
        assert_string_equal(atr0, "3B7513");
        assert_string_equal(n1, "Reader B");
        assert_false(p1);
        assert_true(json_is_null(atr1));
        json_decref(j);
}

/* The text as it goes out, both forms: written directly, in jansson's
 * compact spelling, members in the order the API documents. */
UNIT(status_text_as_sent) {
        struct reader_snapshot snap = {.pcscd_reachable = true, .n = 2};
        strcpy(snap.r[0].name, "Lecteur \"A\" é");
        snap.r[0].card_present = true;
        snap.r[0].kind = CARD_VITALE;
        snap.r[0].read_error = -EIO;
        snap.r[0].insertion = 12;
        snap.r[0].atr_len = 3;
        memcpy(snap.r[0].atr, "\x3B\xa5\x0f", 3);
        strcpy(snap.r[1].name, "Reader B");
        char *text = NULL, want[1024];
        size_t len = 0;
        assert_int_equal(status_text(&snap, false, &text, &len), 0);
        snprintf(want, sizeof(want),
                 "{\"version\":\"%s\",\"pcscd\":{\"reachable\":true,\"error\":null},\"readers\":["
                 "{\"name\":\"Lecteur \\\"A\\\" é\",\"card_present\":true,\"atr\":\"3BA50F\",\"card\":"
                 "{\"type\":\"%s\",\"driver\":null,\"error\":\"%s\"}},"
                 "{\"name\":\"Reader B\",\"card_present\":false,\"atr\":null,\"card\":null}]}\n",
                 CARNET_VERSION, card_kind_name(CARD_VITALE), card_error_code(-EIO));
        assert_string_equal(text, want);
        assert_int_equal(len, strlen(want));
        free(text);
        assert_int_equal(status_text(&snap, true, &text, &len), 0);
        assert_non_null(strstr(text, ",\"insertion\":12}}"));
        assert_null(strstr(text, "\"version\""));
        assert_int_equal(strncmp(text, "{\"pcscd\":{", 10), 0);
        free(text);
        strcpy(snap.r[1].name, "bad \xff name");
        assert_int_equal(status_text(&snap, false, &text, &len), -EINVAL);
}

UNIT(status_document_when_pcscd_down) {
        struct reader_snapshot snap = {.pcscd_reachable = false};
        strcpy(snap.error, "Service not available.");
        json_t *j = status_json(&snap);
        const char *e;
        int reach;
        json_t *readers;
        assert_int_equal(json_unpack(j, "{s:{s:b,s:s},s:o}", "pcscd", "reachable", &reach, "error", &e,
                                     "readers", &readers),
                         0);
        assert_false(reach);
        assert_string_equal(e, "Service not available.");
        assert_int_equal(json_array_size(readers), 0);
        json_decref(j);
}

/* Writes text to a temporary file; returns its path (static buffer). */
static const char *write_conf(const char *text) {
        static char path[] = "/tmp/carnet-test-conf.XXXXXX";
        strcpy(path, "/tmp/carnet-test-conf.XXXXXX");
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        return path;
}

UNIT(config_reads_known_keys) {
        struct config c;
        char err[256] = "";
        config_defaults(&c);
        const char *p = write_conf("# comment\n\nsocket = /run/x/api.sock\nsocket_mode = 0600\n"
                                   "connection_timeout = 12  # trailing comment\nlog_level = debug\n");
        assert_int_equal(config_load(&c, p, err, sizeof(err)), 0);
        unlink(p);
        assert_string_equal(c.socket_path, "/run/x/api.sock");
        assert_int_equal(c.socket_mode, 0600);
        assert_int_equal(c.connection_timeout_s, 12);
        assert_int_equal(c.log_level, LOG_DEBUG);
}

/* Case i: text is refused with an error containing expect; c is what
 * config_load() left of the defaults. */
static void config_refused(size_t i, const char *text, const char *expect, struct config *c) {
        char err[256] = "";
        config_defaults(c);
        const char *p = write_conf(text);
        assert_int_equal(config_load(c, p, err, sizeof(err)), -EINVAL);
        unlink(p);
        if (!strstr(err, expect))
                fail_msg("case %zu: '%s' does not contain '%s'", i, err, expect);
}

/* Every refused file names its line and key, and changes nothing of the
 * defaults: the socket, the limits, the caller policy. */
UNIT(config_names_the_bad_line) {
        static const struct {
                const char *text, *expect;
        } cases[] = {
                {"socket = /a\nbogus = 1\n", ":2: bogus: unknown key"},
                {"socket = relative\n", ":1: socket: socket must be an absolute path"},
                {"\n\nsocket_mode = 9999\n", ":3: socket_mode:"},
                {"connection_timeout = -4\n", ":1: connection_timeout:"},
                {"connection_timeout = 0\n", ":1: connection_timeout:"},
                {"log_level = loud\n", ":1: log_level:"},
                {"just words\n", ":1: expected 'key = value'"},
                {"body_max = 10\n", ":1: body_max:"},
                {"body_max = 2T\n", ":1: body_max:"},
                {"body_max = 2G\n", ":1: body_max:"},
                {"body_max = -1\n", ":1: body_max:"},
                {"body_max = 1MB\n", ":1: body_max:"},
                {"header_max = 2M\n", ":1: header_max:"},
                {"max_connections = 0\n", ":1: max_connections:"},
                {"connections_per_uid = 5000\n", ":1: connections_per_uid:"},
                {"events_keepalive = 0\n", ":1: events_keepalive:"},
                {"allowed_groups = a b c d e f g h i j k l m n o p q\n", ":1: allowed_groups: at most 16"},
                {"connection_timeout = 10\nevents_keepalive = 10\n", "must be shorter than connection_timeout"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct config c;
                config_refused(i, cases[i].text, cases[i].expect, &c);
                assert_string_equal(c.socket_path, CONFIG_DEFAULT_SOCKET);
                assert_int_equal(c.body_max, 20u << 20);
                assert_false(c.allowed_groups_set);
        }
}

UNIT(config_reads_limits_and_groups) {
        struct config c;
        char err[256] = "";
        config_defaults(&c);
        assert_int_equal(c.body_max, 20u << 20);
        assert_false(c.allowed_groups_set);
        const char *p = write_conf("body_max = 2M\nheader_max = 8K\nmax_connections = 10\n"
                                   "connections_per_uid = 3\nallowed_groups = carnet, pharmacy  staff\n"
                                   "connection_timeout = 4\n");
        assert_int_equal(config_load(&c, p, err, sizeof(err)), 0);
        unlink(p);
        assert_int_equal(c.body_max, 2u << 20);
        assert_int_equal(c.header_max, 8192);
        assert_int_equal(c.max_connections, 10);
        assert_int_equal(c.connections_per_uid, 3);
        assert_true(c.allowed_groups_set);
        assert_int_equal(c.n_allowed_groups, 3);
        assert_string_equal(c.allowed_groups[0], "carnet");
        assert_string_equal(c.allowed_groups[1], "pharmacy");
        assert_string_equal(c.allowed_groups[2], "staff");
        assert_int_equal(c.events_keepalive_s, 2); /* follows the timeout */

        /* an empty list is a choice: root only */
        config_defaults(&c);
        p = write_conf("allowed_groups =\nevents_keepalive = 5\nbody_max = 1048576\n");
        assert_int_equal(config_load(&c, p, err, sizeof(err)), 0);
        unlink(p);
        assert_true(c.allowed_groups_set);
        assert_int_equal(c.n_allowed_groups, 0);
        assert_int_equal(c.events_keepalive_s, 5);
        assert_int_equal(c.body_max, 1u << 20);
}

UNIT(config_missing_file) {
        struct config c;
        char err[256];
        config_defaults(&c);
        assert_int_equal(config_load(&c, "/nonexistent/carnetd.conf", err, sizeof(err)), -ENOENT);
        assert_non_null(strstr(err, "/nonexistent/carnetd.conf"));
}

/* ---- what a route needs (api/call.h) --------------------------------- */

/* Two sessions: "pro" (a doctor) and "pat" (a patient), for uid 1000. */
static int needs_find(const struct api_context *ctx, const char *token, uid_t uid, struct session_info *ret) {
        memset(ret, 0, sizeof(*ret));
        if (uid != 1000)
                return -EPERM;
        strcpy_bounded(ret->id, sizeof(ret->id), token);
        if (strcmp(token, "pro") == 0) {
                ret->kind = SESSION_PROFESSIONAL;
                strcpy_bounded(ret->who.national_id, sizeof(ret->who.national_id), "810000000001");
                ret->who.card_type = P11_CARD_CPS;
                return 0;
        }
        if (strcmp(token, "pat") == 0) {
                ret->kind = SESSION_PATIENT;
                strcpy_bounded(ret->ins, sizeof(ret->ins), "185057800608491");
                return 0;
        }
        return -ENOENT;
}

/* Answers with what api_invoke resolved. */
static int h_resolved(const struct api_request *req, struct api_reply *ret) {
        const struct api_call *c = req->call;
        assert_non_null(c);
        return api_ok(ret, 200,
                      json_pack("{s:b,s:s?,s:s?,s:s?,s:b}", "caller", c->caller.present, "actor",
                                c->caller.present ? c->caller.a.id : NULL, "ins", c->ins, "doc", c->document, "body",
                                c->body != NULL));
}

#define NEEDS(method, path, needs) {method, path, h_resolved, #needs, needs}

static const struct api_route needs_routes[] = {
        NEEDS("GET", "/any", API_NEED_SESSION),
        NEEDS("GET", "/pro", API_NEED_PROFESSIONAL),
        NEEDS("GET", "/pat", API_NEED_PATIENT),
        NEEDS("GET", "/root", API_NEED_SESSION | API_NEED_ROOT_OK),
        NEEDS("GET", "/manager", API_NEED_SESSIONS),
        NEEDS("GET", "/d/{ins}", API_NEED_SESSION | API_NEED_ENGINE | API_NEED_INS),
        NEEDS("GET", "/p/{ins}/{uid}", API_NEED_INS | API_NEED_DOCUMENT),
        NEEDS("POST", "/body/{ins}", API_NEED_INS | API_NEED_BODY),
};
static const struct api_table needs_table = {needs_routes, ELEMENTSOF(needs_routes), api_invoke, NULL};

static void needs_call(const struct api_context *ctx, uid_t uid, const char *token, const char *method,
                       const char *path, const char *body, struct api_reply *rep) {
        const struct api_kv h[] = {{API_SESSION_HEADER, token}};
        struct api_request req = {.ctx = ctx, .method = method, .path = path, .uid = uid, .headers = h,
                                  .n_headers = token ? 1 : 0, .body = body, .body_len = body ? strlen(body) : 0};
        assert_int_equal(api_dispatch(&needs_table, &req, rep), 0);
}

UNIT(route_needs_are_checked_in_order) {
        const struct api_context none = {0}, ctx = {.find_session = needs_find};
        const struct {
                const struct api_context *ctx;
                uid_t uid;
                const char *token, *method, *path, *body;
                unsigned status;
                const char *code; /* NULL: the handler ran */
        } cases[] = {
                {&none, 1000, "pro", "GET", "/any", NULL, 503, "sessions_unavailable"},
                {&ctx, 1000, NULL, "GET", "/any", NULL, 401, "no_session"},
                {&ctx, 1000, "gone", "GET", "/any", NULL, 401, "no_session"},
                {&ctx, 1001, "pro", "GET", "/any", NULL, 401, "no_session"}, /* another uid's */
                {&ctx, 1000, "pat", "GET", "/any", NULL, 200, NULL},
                {&ctx, 1000, "pat", "GET", "/pro", NULL, 403, "professional_only"},
                {&ctx, 1000, "pro", "GET", "/pro", NULL, 200, NULL},
                {&ctx, 1000, "pro", "GET", "/pat", NULL, 403, "patient_only"},
                {&ctx, 1000, "pat", "GET", "/pat", NULL, 200, NULL},
                {&ctx, 0, NULL, "GET", "/root", NULL, 200, NULL},
                {&ctx, 1000, NULL, "GET", "/root", NULL, 401, "no_session"},
                {&ctx, 1000, NULL, "GET", "/manager", NULL, 503, "sessions_unavailable"},
                /* the caller before the engine before {ins} */
                {&ctx, 1000, NULL, "GET", "/d/123", NULL, 401, "no_session"},
                {&ctx, 1000, "pro", "GET", "/d/123", NULL, 503, "dossiers_unavailable"},
                {&ctx, 1000, NULL, "GET", "/p/123/0123", NULL, 422, "bad_ins"},
                {&ctx, 1000, NULL, "GET", "/p/185057800608492/0123", NULL, 422, "bad_ins"}, /* wrong key */
                {&ctx, 1000, NULL, "GET", "/p/185057800608491/0123", NULL, 404, "no_such_document"},
                {&ctx, 1000, NULL, "GET", "/p/185057800608491/0123456789abcdef0123456789ABCDEF", NULL, 404,
                 "no_such_document"},
                {&ctx, 1000, NULL, "GET", "/p/185057800608491/0123456789abcdef0123456789abcdef", NULL, 200, NULL},
                {&ctx, 1000, NULL, "POST", "/body/123", "{", 422, "bad_ins"},
                {&ctx, 1000, NULL, "POST", "/body/185057800608491", NULL, 400, "bad_json"},
                {&ctx, 1000, NULL, "POST", "/body/185057800608491", "[]", 400, "bad_json"},
                {&ctx, 1000, NULL, "POST", "/body/185057800608491", "{}", 200, NULL},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct api_reply rep;
                needs_call(cases[i].ctx, cases[i].uid, cases[i].token, cases[i].method, cases[i].path, cases[i].body,
                           &rep);
                if (cases[i].code)
                        assert_error_shape(&rep, cases[i].status, cases[i].code);
                else if (rep.status != 200)
                        fail_msg("case %zu: %u", i, rep.status);
                api_reply_clear(&rep);
        }
}

UNIT(route_needs_are_resolved) {
        const struct api_context ctx = {.find_session = needs_find};
        struct api_reply rep;
        needs_call(&ctx, 1000, "pro", "GET", "/pro", NULL, &rep);
        assert_true(json_is_true(json_object_get(rep.body, "caller")));
        assert_string_equal(json_string_value(json_object_get(rep.body, "actor")), "810000000001");
        api_reply_clear(&rep);
        needs_call(&ctx, 1000, "pat", "GET", "/pat", NULL, &rep);
        assert_string_equal(json_string_value(json_object_get(rep.body, "actor")), "185057800608491");
        api_reply_clear(&rep);
        /* root without a session: no caller */
        needs_call(&ctx, 0, NULL, "GET", "/root", NULL, &rep);
        assert_false(json_is_true(json_object_get(rep.body, "caller")));
        api_reply_clear(&rep);
        needs_call(&ctx, 1000, NULL, "GET", "/p/185057800608491/0123456789abcdef0123456789abcdef", NULL, &rep);
        assert_string_equal(json_string_value(json_object_get(rep.body, "ins")), "185057800608491");
        assert_string_equal(json_string_value(json_object_get(rep.body, "doc")), "0123456789abcdef0123456789abcdef");
        assert_false(json_is_true(json_object_get(rep.body, "body")));
        api_reply_clear(&rep);
        needs_call(&ctx, 1000, NULL, "POST", "/body/185057800608491", "{\"a\": 1}", &rep);
        assert_true(json_is_true(json_object_get(rep.body, "body")));
        api_reply_clear(&rep);
}

/* Every route of carnetd that reads a dossier states the caller, the
 * engine and {ins}; a route with {uid} under a dossier checks it. */
UNIT(carnet_routes_state_their_needs) {
        size_t n;
        const struct api_route *r = api_routes(&n);
        for (size_t i = 0; i < n; i++) {
                if (strncmp(r[i].path, "/v1/dossiers/{ins}", 18) == 0)
                        assert_int_equal(r[i].needs & (API_NEED_SESSION | API_NEED_ENGINE | API_NEED_INS),
                                         API_NEED_SESSION | API_NEED_ENGINE | API_NEED_INS);
                if (strstr(r[i].path, "/documents/{uid}"))
                        assert_true(r[i].needs & API_NEED_DOCUMENT);
        }
}

UNIT_GROUP("api", NULL, NULL)
