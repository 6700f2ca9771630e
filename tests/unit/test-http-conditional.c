/* tests/unit/test-http-conditional.c: http/conditional's preconditions
 * of a GET (RFC 9110 13): If-None-Match lists compared weakly, the three
 * HTTP-date forms, If-Modified-Since only without If-None-Match, and the
 * 304 reply without a body. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "unit.h"

#include "http/conditional.h"
#include "http/router.h"

UNIT(etag_lists_compare_weakly) {
        /* 8.8.3.2: weak comparison, W/ aside on either side */
        assert_true(api_etag_listed("W/\"1.ab\"", "W/\"1.ab\""));
        assert_true(api_etag_listed("\"1.ab\"", "W/\"1.ab\""));
        assert_true(api_etag_listed("W/\"abc\"", "\"abc\""));
        assert_false(api_etag_listed("W/\"1.ab\"", "W/\"1.ac\""));
        assert_false(api_etag_listed("W/\"1\"", "W/\"1.ab\""));
        /* a list, blanks and empty elements allowed (5.6.1) */
        assert_true(api_etag_listed("\"x\", W/\"y\" ,\t\"1.ab\"", "W/\"1.ab\""));
        assert_true(api_etag_listed(" , \"1.ab\",,", "W/\"1.ab\""));
        assert_false(api_etag_listed("\"x\", W/\"y\"", "W/\"1.ab\""));
        /* "*": any current representation */
        assert_true(api_etag_listed("*", "W/\"1.ab\""));
        assert_true(api_etag_listed("  *\t", "\"abc\""));
        /* not a list of entity-tags: names nothing */
        assert_false(api_etag_listed("1.ab", "W/\"1.ab\""));
        assert_false(api_etag_listed("w/\"1.ab\"", "W/\"1.ab\"")); /* W is upper case */
        assert_false(api_etag_listed("*, \"1.ab\"", "W/\"1.ab\""));
        assert_false(api_etag_listed("\"1.ab\" x", "W/\"1.ab\""));
        assert_false(api_etag_listed("\"1.ab", "W/\"1.ab\""));
        assert_false(api_etag_listed("\"x\" \"1.ab\"", "W/\"1.ab\""));
        assert_false(api_etag_listed("\"1 ab\"", "\"1 ab\"")); /* a blank is no etagc */
        assert_false(api_etag_listed("", "W/\"1.ab\""));
        assert_false(api_etag_listed(NULL, "W/\"1.ab\""));
        assert_false(api_etag_listed("*", ""));
        assert_false(api_etag_listed("*", NULL));
}

UNIT(http_dates_parse_in_three_forms) {
        int64_t t;
        char buf[API_HTTP_DATE_SIZE];
        /* 5.6.7's example, in its three forms */
        assert_int_equal(api_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
        assert_int_equal(t, 784111777);
        t = 0;
        assert_int_equal(api_http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &t), 0);
        assert_int_equal(t, 784111777);
        t = 0;
        assert_int_equal(api_http_date_parse("Sun Nov  6 08:49:37 1994", &t), 0);
        assert_int_equal(t, 784111777);
        assert_int_equal(api_http_date_parse("Sun Nov 06 08:49:37 1994", &t), 0);
        assert_int_equal(t, 784111777);
        /* what api_http_date() writes, read back */
        static const int64_t times[] = {0, 951782400, 1700000000, 253402300799};
        for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
                assert_int_equal(api_http_date_parse(api_http_date(times[i], buf), &t), 0);
                assert_int_equal(t, times[i]);
        }
        /* RFC 850's two-digit year: one more than 50 years ahead is of the
         * century before */
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        int year = tm.tm_year + 1900;
        char s[64];
        snprintf(s, sizeof(s), "Monday, 01-Jan-%02d 00:00:00 GMT", (year + 60) % 100);
        assert_int_equal(api_http_date_parse(s, &t), 0);
        gmtime_r(&(time_t){(time_t)t}, &tm);
        assert_int_equal(tm.tm_year + 1900, year + 60 - 100);
        snprintf(s, sizeof(s), "Monday, 01-Jan-%02d 00:00:00 GMT", (year + 10) % 100);
        assert_int_equal(api_http_date_parse(s, &t), 0);
        gmtime_r(&(time_t){(time_t)t}, &tm);
        assert_int_equal(tm.tm_year + 1900, year + 10);
        /* a leap second is the one before */
        assert_int_equal(api_http_date_parse("Sat, 31 Dec 2016 23:59:60 GMT", &t), 0);
        assert_int_equal(t, 1483228799);
        /* not HTTP-dates */
        static const char *const bad[] = {
                "",
                "Sun, 06 Nov 1994 08:49:37 UTC",
                "Sun, 06 Nov 1994 08:49:37 gmt",
                "sun, 06 Nov 1994 08:49:37 GMT",
                "Sun, 06 nov 1994 08:49:37 GMT",
                "Sun, 31 Nov 1994 08:49:37 GMT",
                "Sun, 29 Feb 1900 08:49:37 GMT",
                "Sun, 06 Nov 1994 24:49:37 GMT",
                "Sun, 06 Nov 1994 08:60:37 GMT",
                "Sun, 6 Nov 1994 08:49:37 GMT",
                "Sun, 06 Nov 94 08:49:37 GMT",
                "Sun, 06 Nov 1994 08:49:37 GMT ",
                "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT",
                "Sunday, 06-Nov-1994 08:49:37 GMT",
                "Sundae, 06-Nov-94 08:49:37 GMT",
                "Sun Nov  6 08:49:37 94",
                "Sun Nov 6 08:49:37 1994",
                "1994-11-06T08:49:37Z",
                "784111777",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (api_http_date_parse(bad[i], &t) == 0)
                        fail_msg("'%s' taken as %lld", bad[i], (long long)t);
        assert_int_equal(api_http_date_parse(NULL, &t), -EINVAL);
}

/* A GET with the n headers given as name, value. */
static bool not_modified(const char *method, const char *etag, int64_t modified, size_t n, ...) {
        struct api_kv h[8];
        va_list ap;
        va_start(ap, n);
        for (size_t i = 0; i < n; i++) {
                h[i].name = va_arg(ap, const char *);
                h[i].value = va_arg(ap, const char *);
        }
        va_end(ap);
        struct api_request r = {.method = method, .path = "/x", .headers = h, .n_headers = n};
        return api_not_modified(&r, etag, modified);
}

UNIT(preconditions_of_a_get) {
        const char *tag = "W/\"2.0123456789abcdef\"";
        char at[API_HTTP_DATE_SIZE], before[API_HTTP_DATE_SIZE], future[API_HTTP_DATE_SIZE];
        api_http_date(784111777, at);
        api_http_date(784111776, before);
        api_http_date((int64_t)time(NULL) + 3600, future);

        assert_false(not_modified("GET", tag, 784111777, 0));
        assert_true(not_modified("GET", tag, -1, 1, "If-None-Match", tag));
        assert_true(not_modified("GET", tag, -1, 1, "if-none-match", "\"2.0123456789abcdef\""));
        assert_false(not_modified("GET", tag, -1, 1, "If-None-Match", "W/\"1.0123456789abcdef\""));
        assert_false(not_modified("POST", tag, -1, 1, "If-None-Match", tag));
        assert_false(not_modified("GET", "", -1, 1, "If-None-Match", "*"));
        /* If-None-Match is one list over all its fields (5.3) */
        assert_true(not_modified("GET", tag, -1, 2, "If-None-Match", "\"a\"", "If-None-Match", tag));
        assert_false(not_modified("GET", tag, -1, 2, "If-None-Match", "\"a\"", "If-None-Match", "\"b\""));
        /* If-Modified-Since: not before the last change is not modified */
        assert_true(not_modified("GET", tag, 784111777, 1, "If-Modified-Since", at));
        assert_false(not_modified("GET", tag, 784111777, 1, "If-Modified-Since", before));
        assert_true(not_modified("GET", tag, 784111777, 1, "If-Modified-Since", "Sunday, 06-Nov-94 08:49:37 GMT"));
        /* a Last-Modified that does not follow every change: not asked */
        assert_false(not_modified("GET", tag, -1, 1, "If-Modified-Since", at));
        /* ignored beside If-None-Match (13.2.2), invalid, or given twice (13.1.3) */
        assert_false(not_modified("GET", tag, 784111777, 2, "If-None-Match", "\"a\"", "If-Modified-Since", at));
        assert_true(not_modified("GET", tag, 784111777, 2, "If-Modified-Since", before, "If-None-Match", tag));
        assert_false(not_modified("GET", tag, 784111777, 1, "If-Modified-Since", "yesterday"));
        assert_false(not_modified("GET", tag, 784111777, 2, "If-Modified-Since", at, "If-Modified-Since", at));
        /* a deposit dated after now is sent as now (api_set_last_modified) */
        assert_false(not_modified("GET", tag, (int64_t)time(NULL) + 7200, 1, "If-Modified-Since", at));
        assert_true(not_modified("GET", tag, (int64_t)time(NULL) + 7200, 1, "If-Modified-Since", future));
}

UNIT(not_modified_has_no_body) {
        struct api_reply rep = {0};
        assert_int_equal(api_ok(&rep, 200, json_object()), 0);
        api_set_last_modified(&rep, 784111777);
        strcpy(rep.warning, "w");
        assert_int_equal(api_reply_not_modified(&rep, "\"abc\""), 0);
        assert_int_equal(rep.status, 304);
        assert_null(rep.body);
        assert_null(rep.data);
        assert_null(rep.stream.read);
        assert_string_equal(rep.etag, "\"abc\"");
        assert_string_equal(rep.last_modified, "");
        assert_string_equal(rep.warning, "");
        api_reply_clear(&rep);
}
