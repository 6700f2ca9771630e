/* tests/unit/test-http-forwarded.c: http/forwarded's Forwarded header
 * (RFC 7239): a parameter of the first element, a token or a quoted
 * string, the name without case; what is malformed up to it, or does not
 * fit, is refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "http/forwarded.h"

UNIT(forwarded_pairs_of_the_first_element) {
        char v[32];
        assert_int_equal(http_forwarded_param("proto=http;host=\"localhost:8080\"", "host", v, sizeof(v)), 0);
        assert_string_equal(v, "localhost:8080");
        assert_int_equal(http_forwarded_param("proto=http;host=\"localhost:8080\"", "proto", v, sizeof(v)), 0);
        assert_string_equal(v, "http");
        /* names without case, values as they are; blanks around the pairs */
        assert_int_equal(http_forwarded_param(" For=192.0.2.60 ; Proto=HTTP ;by=203.0.113.43", "proto", v, sizeof(v)),
                         0);
        assert_string_equal(v, "HTTP");
        /* a quoted string unquoted, its quoted pairs too; an empty pair */
        assert_int_equal(http_forwarded_param("for=\"[2001:db8:cafe::17]:4711\";;host=\"a\\\"b\"", "host", v,
                                              sizeof(v)), 0);
        assert_string_equal(v, "a\"b");
        assert_int_equal(http_forwarded_param("host=\"\"", "host", v, sizeof(v)), 0);
        assert_string_equal(v, "");
        /* the first element only: the one the first proxy wrote */
        assert_int_equal(http_forwarded_param("for=a;host=one, host=two", "host", v, sizeof(v)), 0);
        assert_string_equal(v, "one");
        assert_int_equal(http_forwarded_param("for=a, host=two", "host", v, sizeof(v)), -ENOENT);
        assert_int_equal(http_forwarded_param("", "host", v, sizeof(v)), -ENOENT);
        assert_int_equal(http_forwarded_param(NULL, "host", v, sizeof(v)), -ENOENT);
        /* a prefix of another name is not that name */
        assert_int_equal(http_forwarded_param("hostname=x", "host", v, sizeof(v)), -ENOENT);
}

UNIT(forwarded_malformed) {
        char v[8];
        assert_int_equal(http_forwarded_param("host", "host", v, sizeof(v)), -EINVAL);
        assert_int_equal(http_forwarded_param("=x;host=y", "host", v, sizeof(v)), -EINVAL);
        assert_int_equal(http_forwarded_param("host=", "host", v, sizeof(v)), -EINVAL);
        assert_int_equal(http_forwarded_param("host=a b", "host", v, sizeof(v)), -EINVAL);
        assert_int_equal(http_forwarded_param("host=a/b", "host", v, sizeof(v)), -EINVAL);
        assert_int_equal(http_forwarded_param("for=\"x;host=y", "host", v, sizeof(v)), -EINVAL);
        assert_int_equal(http_forwarded_param("host=\"a\\", "host", v, sizeof(v)), -EINVAL);
        assert_int_equal(http_forwarded_param("host=\"a\nb\"", "host", v, sizeof(v)), -EINVAL);
        /* what does not fit, as a token or quoted */
        assert_int_equal(http_forwarded_param("host=12345678", "host", v, sizeof(v)), -EINVAL);
        assert_int_equal(http_forwarded_param("host=\"12345678\"", "host", v, sizeof(v)), -EINVAL);
        assert_int_equal(http_forwarded_param("host=1234567", "host", v, sizeof(v)), 0);
        assert_string_equal(v, "1234567");
}
