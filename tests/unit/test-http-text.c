/* tests/unit/test-http-text.c: http/router's quoting of callers' input in
 * error messages (cut on a character boundary, invalid UTF-8 dropped) and
 * its refusal of a path or query that is not UTF-8: 400 bad_encoding,
 * never a 500 or a missing reply; the query split and percent-decoded as
 * RFC 3986 has it, '+' a character (http/query.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "http/query.h"
#include "http/router.h"
#include "lib/utf8.h"

UNIT(test_quote_cuts_on_characters) {
        char buf[API_QUOTE_MAX + 1];
        char in[80];
        memset(in, 'a', 63);
        strcpy(in + 63, "\xc3\xa9tude"); /* é straddles byte 64 */
        const char *q = api_quote(buf, sizeof(buf), in, API_QUOTE_MAX);
        assert_int_equal(strlen(q), 63);
        assert_true(utf8_valid(q, strlen(q)));
        /* room for the whole character: kept */
        assert_int_equal(strlen(api_quote(buf, sizeof(buf), "\xc3\xa9", API_QUOTE_MAX)), 2);
        /* invalid bytes dropped, the rest kept */
        assert_string_equal(api_quote(buf, sizeof(buf), "a\xff" "b\xc0\xaf" "c\xed\xa0\x80", API_QUOTE_MAX), "abc");
        assert_string_equal(api_quote(buf, sizeof(buf), NULL, API_QUOTE_MAX), "");
        char s[] = "\xe2\x82\xac\xe2\x82\xac";
        assert_int_equal(api_text_clean(s, 4), 3); /* one euro sign fits in 4 bytes, not two */
        assert_string_equal(s, "\xe2\x82\xac");
}

static API_HANDLER(h_reader) {
        /* a message that quotes the segment, cut by a precision */
        return api_error(ret, 404, "no_such_reader", "no reader named '%.4s'", api_path_param(req, "name"));
}

static const struct api_route routes[] = {
        {"GET", "/v1/readers/{name}", h_reader, "", 0},
};
static const struct api_table table = {routes, 1, NULL, NULL};

static const char *code_of(const struct api_reply *r) {
        return json_string_value(json_object_get(json_object_get(r->body, "error"), "code"));
}

UNIT(test_dispatch_encoding) {
        struct api_reply rep;
        struct api_request req = {.method = "GET", .path = "/v1/readers/\xff"};
        assert_int_equal(api_dispatch(&table, &req, &rep), 0);
        assert_int_equal(rep.status, 400);
        assert_string_equal(code_of(&rep), "bad_encoding");
        api_reply_clear(&rep);

        req.path = "/v1/\xff";
        assert_int_equal(api_dispatch(&table, &req, &rep), 0);
        assert_int_equal(rep.status, 400);
        api_reply_clear(&rep);

        struct api_kv q[] = {{"since", "\xc3"}};
        req.path = "/v1/readers/x";
        req.query = q;
        req.n_query = 1;
        assert_int_equal(api_dispatch(&table, &req, &rep), 0);
        assert_int_equal(rep.status, 400);
        assert_string_equal(code_of(&rep), "bad_encoding");
        api_reply_clear(&rep);

        /* valid UTF-8 that a handler's precision cuts: still a JSON reply */
        req.path = "/v1/readers/abc\xc3\xa9";
        req.n_query = 0;
        assert_int_equal(api_dispatch(&table, &req, &rep), 0);
        assert_int_equal(rep.status, 404);
        const char *msg = json_string_value(json_object_get(json_object_get(rep.body, "error"), "message"));
        assert_string_equal(msg, "no reader named 'abc'");
        api_reply_clear(&rep);
}

/* '+' stays '+' (a FHIR _format, a date's offset), %2B is one too, %20 a
 * space; a '%' without two hex digits stays; '=' after the first is the
 * value's; a name without '=' has the value "" */
UNIT(test_query_split_keeps_plus) {
        char q[] = "_format=application/fhir+json&date=ge2024-03-01T10:00:00+01:00&a%2Bb=c%2bd%20e"
                   "&bad=%zz%4&x=1=2&flag&&last=%41";
        struct api_kv kv[8];
        size_t n;
        assert_int_equal(http_query_split(q, kv, 8, &n), 0);
        assert_int_equal(n, 8);
        assert_string_equal(kv[0].name, "_format");
        assert_string_equal(kv[0].value, "application/fhir+json");
        assert_string_equal(kv[1].value, "ge2024-03-01T10:00:00+01:00");
        assert_string_equal(kv[2].name, "a+b");
        assert_string_equal(kv[2].value, "c+d e");
        assert_string_equal(kv[3].value, "%zz%4");
        assert_string_equal(kv[4].value, "1=2");
        assert_string_equal(kv[5].name, "flag");
        assert_string_equal(kv[5].value, "");
        assert_string_equal(kv[6].name, ""); /* "&&": an empty pair, as libmicrohttpd gives it */
        assert_string_equal(kv[7].name, "last");
        assert_string_equal(kv[7].value, "A");
        char q2[] = "a=1&";
        assert_int_equal(http_query_split(q2, kv, 8, &n), 0);
        assert_int_equal(n, 1); /* a last empty pair is none */
        assert_int_equal(http_query_split(NULL, kv, 8, &n), 0);
        assert_int_equal(n, 0);
        char q3[] = "a=1&b=2&c=3";
        assert_int_equal(http_query_split(q3, kv, 2, &n), -E2BIG);
        assert_int_equal(n, 2);
}

UNIT_GROUP("http-text", NULL, NULL)
