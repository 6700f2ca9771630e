/* tests/unit/test-media-type.c: lib/media-type, the one reader of media
 * types and Accept lists (RFC 9110 8.3.1, 12.4.2, 12.5.1). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"
#include <string.h>

#include "lib/macro.h"
#include "lib/media-type.h"

static bool parses(const char *s, struct media_type *m) {
        return media_type_parse(s, strlen(s), m) == 0;
}

UNIT(media_types_parse_as_rfc_9110_writes_them) {
        struct media_type m;
        assert_true(parses(" Application/FHIR+JSON ; fhirVersion=4.0 ;charset=\"utf-8\"", &m));
        assert_true(media_type_is(&m, "application/fhir+json"));
        assert_true(media_type_json(&m));
        assert_int_equal(m.q, MEDIA_Q_MAX);
        assert_true(parses("json", &m)); /* FHIR's _format */
        assert_true(media_type_is(&m, "json"));
        assert_false(media_type_is(&m, "application/json"));
        assert_false(media_type_json(&m));
        assert_true(parses("text/plain;q=0.5", &m));
        assert_int_equal(m.q, 500);
        assert_true(parses("text/plain; Q=0", &m));
        assert_int_equal(m.q, 0);
        assert_true(parses("text/plain;q=1.000", &m));
        assert_int_equal(m.q, 1000);
        assert_true(parses("text/plain;", &m));
        /* a quoted ';' or "q=0" is a parameter's value, not a weight */
        assert_true(parses("text/plain; a=\"x;q=0\"", &m));
        assert_int_equal(m.q, MEDIA_Q_MAX);
        static const char *const bad[] = {"", " ", "/json", "application/", "a b/c", "text/plain q=0",
                                          "text/plain;q=2", "text/plain;q=0.0001", "text/plain;q=1.5",
                                          "text/plain;q=", "text/plain;=x", "text/plain;a=\"open",
                                          "application/json, text/plain"};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (parses(bad[i], &m))
                        fail_msg("'%s' parsed", bad[i]);
        assert_true(parses("application/problem+json", &m));
        assert_true(media_type_json(&m));
        assert_true(parses("application/+json", &m));
        assert_false(media_type_json(&m)); /* nothing before +json */
        assert_true(parses("text/json", &m));
        assert_false(media_type_json(&m));
}

UNIT(media_lists_skip_what_does_not_parse) {
        const char *p = "text/html, ,bad/, application/json;q=0, x/y;a=\"1,2\";q=0.3";
        struct media_type m;
        assert_int_equal(media_list_next(&p, &m), 1);
        assert_true(media_type_is(&m, "text/html"));
        assert_int_equal(media_list_next(&p, &m), 1);
        assert_true(media_type_is(&m, "application/json"));
        assert_int_equal(m.q, 0);
        assert_int_equal(media_list_next(&p, &m), 1);
        assert_true(media_type_is(&m, "x/y"));
        assert_int_equal(m.q, 300);
        assert_int_equal(media_list_next(&p, &m), 0);
        p = NULL;
        assert_int_equal(media_list_next(&p, &m), 0);
}

UNIT(accept_weights_by_the_most_specific_range) {
        assert_int_equal(media_accept_q(NULL, "text/plain", false), -1);
        assert_int_equal(media_accept_q("", "text/plain", false), -1);
        assert_int_equal(media_accept_q("*/*", "text/plain", false), MEDIA_Q_MAX);
        assert_int_equal(media_accept_q("*/*", "text/plain", true), -1);
        assert_int_equal(media_accept_q("text/*;q=0.5, */*;q=0.1", "text/plain", false), 500);
        assert_int_equal(media_accept_q("text/*;q=0.5, */*;q=0.1", "image/png", false), 100);
        /* the type itself beats a range, whichever order */
        assert_int_equal(media_accept_q("TEXT/Plain;q=0, */*", "text/plain", false), 0);
        assert_int_equal(media_accept_q("*/*;q=0, text/plain;q=0.2", "text/plain", false), 200);
        /* given twice: the higher */
        assert_int_equal(media_accept_q("text/plain;q=0, text/plain;q=0.7", "text/plain", true), 700);
        /* parameters do not make another type */
        assert_int_equal(media_accept_q("text/plain;charset=utf-8;q=0.4", "text/plain", true), 400);
        assert_int_equal(media_accept_q("text/plain;q=x, text/html", "text/plain", false), -1);
}
