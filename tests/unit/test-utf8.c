/* tests/unit/test-utf8.c: lib/utf8, the strict UTF-8 check: what RFC 3629
 * allows passes; overlong forms, surrogates, code points above U+10FFFF,
 * stray continuation bytes and cut sequences do not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "lib/macro.h"
#include "lib/utf8.h"

#define VALID(s) utf8_valid((s), sizeof(s) - 1)

UNIT(test_valid) {
        assert_true(utf8_valid("", 0));
        assert_true(VALID("plain ASCII"));
        assert_true(VALID("Hôpital Européen"));             /* 2 bytes */
        assert_true(VALID("\xe2\x82\xac"));                  /* U+20AC, 3 bytes */
        assert_true(VALID("\xf0\x9f\x98\x80"));              /* U+1F600, 4 bytes */
        assert_true(VALID("\xc2\x80"));                      /* U+0080, smallest 2-byte */
        assert_true(VALID("\xe0\xa0\x80"));                  /* U+0800, smallest 3-byte */
        assert_true(VALID("\xf0\x90\x80\x80"));              /* U+10000, smallest 4-byte */
        assert_true(VALID("\xf4\x8f\xbf\xbf"));              /* U+10FFFF, the last */
        assert_true(VALID("\xed\x9f\xbf"));                  /* U+D7FF, below the surrogates */
        assert_true(VALID("\xee\x80\x80"));                  /* U+E000, above them */
        assert_true(utf8_valid("a\0b", 3));                  /* NUL is UTF-8; callers refuse it */
}

UNIT(test_overlong) {
        assert_false(VALID("\xc0\xaf"));                     /* '/' in 2 bytes */
        assert_false(VALID("\xc1\xbf"));
        assert_false(VALID("\xe0\x80\xaf"));                 /* '/' in 3 bytes */
        assert_false(VALID("\xe0\x9f\xbf"));                 /* U+07FF in 3 bytes */
        assert_false(VALID("\xf0\x80\x80\xaf"));             /* '/' in 4 bytes */
        assert_false(VALID("\xf0\x8f\xbf\xbf"));             /* U+FFFF in 4 bytes */
}

UNIT(test_surrogates) {
        assert_false(VALID("\xed\xa0\x80"));                 /* U+D800 */
        assert_false(VALID("\xed\xbf\xbf"));                 /* U+DFFF */
        assert_false(VALID("\xed\xa0\xbd\xed\xb8\x80"));     /* a CESU-8 pair */
}

UNIT(test_too_big) {
        assert_false(VALID("\xf4\x90\x80\x80"));             /* U+110000 */
        assert_false(VALID("\xf5\x80\x80\x80"));
        assert_false(VALID("\xf8\x88\x80\x80\x80"));         /* old 5-byte form */
        assert_false(VALID("\xfe"));
        assert_false(VALID("\xff"));
}

UNIT(test_cut_and_stray) {
        static const char euro[] = "\xe2\x82\xac";

        assert_false(utf8_valid(euro, 1));
        assert_false(utf8_valid(euro, 2));
        assert_false(VALID("abc\xf0\x9f\x98"));              /* cut at the end */
        assert_false(VALID("\xe2\x82" "a"));                 /* cut by an ASCII byte */
        assert_false(VALID("\x80"));                         /* stray continuation */
        assert_false(VALID("a\xbf" "b"));
        assert_int_equal(utf8_seq((const unsigned char *) euro, 3), 3);
        assert_int_equal(utf8_seq((const unsigned char *) euro, 2), 0);
        assert_int_equal(utf8_seq((const unsigned char *) "A", 1), 1);
        assert_int_equal(utf8_seq(NULL, 1), 0);
        assert_int_equal(utf8_seq((const unsigned char *) "A", 0), 0);
}

UNIT_GROUP("utf8", NULL, NULL)
