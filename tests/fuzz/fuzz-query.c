/* tests/fuzz/fuzz-query.c: http/router.c's path and query handling.  The
 * input is "PATH?QUERY": the path as libmicrohttpd would hand it over
 * (decoded: any bytes), the query as it came, split and percent-decoded by
 * http_query_split() (http/query.c), whose names and values must lie within
 * it.  api_dispatch() must always
 * produce one reply whose body is valid JSON (no error ever becomes a
 * missing reply because a message quotes bad UTF-8).  The whole input is
 * also a conditional GET's If-None-Match and If-Modified-Since
 * (http/conditional.c): a date it takes is one api_http_date() writes
 * back to the same time; and a Forwarded header (http/forwarded.c): a
 * value it takes fits its buffer, without a control character. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-text.h"
#include "http/conditional.h"
#include "http/forwarded.h"
#include "http/query.h"
#include "http/router.h"

static API_HANDLER(h_quote) {
        static const char *const allowed[] = {"status", "since", NULL};
        if (api_check_query(req, allowed, ret) < 0)
                return 0;
        const char *name = api_path_param(req, "name");
        return api_error(ret, 404, "no_such_reader", "no reader named '%.8s'", name ? name : "");
}

static API_HANDLER(h_ok) {
        return api_ok(ret, 200, json_object());
}

static const struct api_route routes[] = {
        {"GET", "/v1/readers/{name}", h_quote, "", 0},
        {"GET", "/v1/readers", h_ok, "", 0},
        {"GET", "/v1/dossiers/{ins}/documents/{uid}", h_quote, "", 0},
        {"POST", "/v1/dossiers/{ins}/documents", h_ok, "", 0},
};
static const struct api_table table = {routes, sizeof(routes) / sizeof(routes[0]), NULL, NULL};

/* The input as the preconditions of a GET. */
static void preconditions(const char *s) {
        char back[API_HTTP_DATE_SIZE];
        int64_t t, t2;
        if (api_http_date_parse(s, &t) == 0 &&
            (api_http_date_parse(api_http_date(t, back), &t2) < 0 || (t != t2 && t >= 0 && t <= 253402300799)))
                __builtin_trap();
        (void)api_etag_listed(s, "W/\"1.0123456789abcdef\"");
        (void)api_etag_listed(s, s);
        const struct api_kv h[] = {{"If-None-Match", s}, {"If-Modified-Since", s}};
        struct api_request req = {.method = "GET", .path = "/", .headers = h, .n_headers = 2};
        (void)api_not_modified(&req, "\"abc\"", 784111777);
        req.headers = h + 1;
        req.n_headers = 1;
        (void)api_not_modified(&req, "\"abc\"", 784111777);
}

/* The input as a Forwarded header. */
static void forwarded(const char *s) {
        char v[16];
        static const char *const names[] = {"host", "proto", "for"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                if (http_forwarded_param(s, names[i], v, sizeof(v)) < 0)
                        continue;
                if (strlen(v) >= sizeof(v))
                        __builtin_trap();
                for (const char *p = v; *p; p++)
                        if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
                                __builtin_trap();
        }
}

/* Does the string t lie within the n bytes at base? */
static bool within(const char *t, const char *base, size_t n) {
        return t && t >= base && t + strlen(t) <= base + n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_cstr(data, size);
        if (!s)
                return 0;
        preconditions(s);
        forwarded(s);
        struct api_kv q[API_QUERY_MAX];
        size_t nq = 0;
        char *query = strchr(s, '?');
        if (query) {
                *query++ = '\0';
                size_t in = strlen(query);
                int r = http_query_split(query, q, API_QUERY_MAX, &nq);
                if ((r < 0 && r != -E2BIG) || nq > API_QUERY_MAX)
                        __builtin_trap();
                /* decoding only shortens: every name and value lies within the query */
                for (size_t i = 0; i < nq; i++)
                        if (!within(q[i].name, query, in) || !q[i].value ||
                            (q[i].value[0] && !within(q[i].value, query, in)))
                                __builtin_trap();
        }
        struct api_request req = {.method = "GET", .path = s, .query = q, .n_query = nq};
        struct api_reply rep = {0};
        if (api_dispatch(&table, &req, &rep) < 0 || !rep.body)
                __builtin_trap();
        char *text = json_dumps(rep.body, JSON_COMPACT);
        if (!text)
                __builtin_trap();
        free(text);
        api_reply_clear(&rep);

        char buf[256];
        struct api_kv params[API_PARAMS_MAX];
        for (size_t i = 0; i < table.n; i++)
                (void)api_route_match(routes[i].path, s, buf, sizeof(buf), params, API_PARAMS_MAX);
        free(s);
        return 0;
}
