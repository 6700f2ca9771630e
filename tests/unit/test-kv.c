/* tests/unit/test-kv.c: the "key = value" reader shared by carnetd.conf
 * and the card simulator's profiles. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/kv.h"

/* Reads text with a line buffer of size bytes. */
struct fixture {
        FILE *f;
        char line[64];
        struct kv_reader r;
};

static void open_text(struct fixture *fx, const char *text, size_t size) {
        fx->f = fmemopen((void *)text, strlen(text), "r");
        assert_non_null(fx->f);
        kv_reader_init(&fx->r, fx->f, fx->line, size);
}

/* The next pair is key = value. */
static void expect_pair(struct fixture *fx, const char *key, const char *value) {
        char *k, *v;
        assert_int_equal(kv_next(&fx->r, &k, &v), 1);
        assert_string_equal(k, key);
        assert_string_equal(v, value);
}

UNIT(pairs_comments_and_blanks) {
        struct fixture fx;
        char *k, *v;
        open_text(&fx, "# a comment\n\n  socket =  /run/x.sock  \nmode=0660 # trailing\n"
                       "\t empty = \nrule = subject:O#2 # the second O\nlast = no newline", sizeof(fx.line));
        expect_pair(&fx, "socket", "/run/x.sock");
        assert_int_equal(fx.r.lineno, 3);
        expect_pair(&fx, "mode", "0660");
        expect_pair(&fx, "empty", "");
        expect_pair(&fx, "rule", "subject:O#2");
        expect_pair(&fx, "last", "no newline");
        assert_int_equal(fx.r.lineno, 7);
        assert_int_equal(kv_next(&fx.r, &k, &v), 0);
        fclose(fx.f);
}

UNIT(value_keeps_later_equals) {
        struct fixture fx;
        open_text(&fx, "identity.name = subject:CN=x\n = lonely\n", sizeof(fx.line));
        expect_pair(&fx, "identity.name", "subject:CN=x");
        expect_pair(&fx, "", "lonely"); /* an empty key is the caller's to refuse */
        fclose(fx.f);
}

UNIT(line_without_equals) {
        struct fixture fx;
        char *k, *v;
        open_text(&fx, "a = 1\n\njust words\n", sizeof(fx.line));
        assert_int_equal(kv_next(&fx.r, &k, &v), 1);
        assert_int_equal(kv_next(&fx.r, &k, &v), -EBADMSG);
        assert_int_equal(fx.r.lineno, 3);
        assert_string_equal(kv_strerror(-EBADMSG), "expected 'key = value'");
        fclose(fx.f);
}

UNIT(line_too_long) {
        struct fixture fx;
        char *k, *v;
        /* 9 bytes + newline do not fit a 10-byte buffer (9 + NUL) */
        open_text(&fx, "a = 1\nk = 56789\n", 10);
        assert_int_equal(kv_next(&fx.r, &k, &v), 1);
        assert_int_equal(kv_next(&fx.r, &k, &v), -E2BIG);
        assert_int_equal(fx.r.lineno, 2);
        assert_string_equal(kv_strerror(-E2BIG), "line too long");
        fclose(fx.f);
        /* 8 bytes fit, with or without the newline */
        open_text(&fx, "k = 5678\nk = 5678", 10);
        assert_int_equal(kv_next(&fx.r, &k, &v), 1);
        assert_string_equal(v, "5678");
        assert_int_equal(kv_next(&fx.r, &k, &v), 1);
        assert_int_equal(kv_next(&fx.r, &k, &v), 0);
        fclose(fx.f);
}

UNIT(strip_trims_both_ends) {
        char s[] = " \t x y \r\n";
        assert_string_equal(kv_strip(s), "x y");
        char e[] = "   ";
        assert_string_equal(kv_strip(e), "");
}

UNIT_GROUP("kv", NULL, NULL)
