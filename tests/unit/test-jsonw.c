/* tests/unit/test-jsonw.c: lib/jsonw, JSON text written directly: the
 * same bytes as jansson's json_dumps(JSON_COMPACT) of the same values in
 * the same order (escapes, UTF-8, integers at their limits, nesting,
 * empty containers), and its sticky errors: invalid UTF-8, past max. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "lib/jsonw.h"
#include "lib/macro.h"

/* w's text (without its final newline) is what jansson dumps of ref. */
static void same_as_jansson(struct jw *w, json_t *ref) {
        char *text = NULL;
        size_t len = 0;
        assert_non_null(ref);
        char *want = json_dumps(ref, JSON_COMPACT | JSON_ENCODE_ANY);
        assert_non_null(want);
        assert_int_equal(jw_finish(w, &text, &len), 0);
        assert_true(len >= 1);
        assert_int_equal(text[len - 1], '\n');
        assert_int_equal(text[len], '\0');
        text[len - 1] = '\0';
        assert_string_equal(text, want);
        free(text);
        free(want);
        json_decref(ref);
}

UNIT(jsonw_strings_escaped_as_jansson) {
        static const char *const strings[] = {
                "", "plain", "quote \" and backslash \\", "slash / stays", "\b\f\n\r\t",
                "\x01\x02\x1f\x7f", "Hôpital Européen \xe2\x82\xac \xf0\x9f\x98\x80", "\xe2\x80\xa8 line separator",
        };
        for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
                struct jw w;
                jw_init(&w, 4096);
                jw_string(&w, strings[i]);
                same_as_jansson(&w, json_string(strings[i]));
        }
}

UNIT(jsonw_integers_and_literals) {
        static const int64_t values[] = {0, 1, -1, 9, 10, -10, 1234567890123LL, INT64_MAX, INT64_MIN};
        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                struct jw w;
                jw_init(&w, 64);
                jw_int(&w, values[i]);
                same_as_jansson(&w, json_integer((json_int_t)values[i]));
        }
        struct jw w;
        jw_init(&w, 64);
        jw_array_begin(&w);
        jw_bool(&w, true);
        jw_bool(&w, false);
        jw_null(&w);
        jw_string(&w, NULL);
        jw_array_end(&w);
        same_as_jansson(&w, json_pack("[b,b,n,n]", 1, 0));
}

UNIT(jsonw_nesting) {
        struct jw w;
        jw_init(&w, 4096);
        jw_object_begin(&w);
        jw_kstr(&w, "ins", "1234");
        jw_kbool(&w, "first", true);
        jw_kint(&w, "count", 2);
        jw_key(&w, "empty_object");
        jw_object_begin(&w);
        jw_object_end(&w);
        jw_key(&w, "empty_array");
        jw_array_begin(&w);
        jw_array_end(&w);
        jw_key(&w, "documents");
        jw_array_begin(&w);
        for (int i = 0; i < 2; i++) {
                jw_object_begin(&w);
                jw_kint(&w, "n", i);
                jw_kstr_or_null(&w, "a", i ? "x" : "");
                jw_kstr_or_null(&w, "b", NULL);
                jw_key(&w, "inner");
                jw_object_begin(&w);
                jw_kstr(&w, "k", "v");
                jw_object_end(&w);
                jw_object_end(&w);
        }
        jw_array_end(&w);
        jw_kstr(&w, "after", "end");
        jw_object_end(&w);
        same_as_jansson(&w, json_pack("{s:s,s:b,s:I,s:{},s:[],s:[{s:I,s:n,s:n,s:{s:s}},{s:I,s:s,s:n,s:{s:s}}],s:s}",
                                      "ins", "1234", "first", 1, "count", (json_int_t)2, "empty_object",
                                      "empty_array", "documents", "n", (json_int_t)0, "a", "b", "inner", "k", "v",
                                      "n", (json_int_t)1, "a", "x", "b", "inner", "k", "v", "after", "end"));
}

UNIT(jsonw_grows_past_its_first_buffer) {
        struct jw w;
        json_t *ref = json_array();
        jw_init(&w, 1 << 20);
        jw_array_begin(&w);
        for (int i = 0; i < 2000; i++) {
                jw_string(&w, "a string of some length, \"quoted\"");
                json_array_append_new(ref, json_string("a string of some length, \"quoted\""));
        }
        jw_array_end(&w);
        same_as_jansson(&w, ref);
}

UNIT(jsonw_errors_are_sticky) {
        char *text = (char *)"untouched";
        size_t len = 7;
        struct jw w;

        jw_init(&w, 4096);
        jw_array_begin(&w);
        jw_string(&w, "ok");
        jw_string(&w, "bad \xc0\xaf overlong");
        jw_string(&w, "ignored");
        jw_array_end(&w);
        assert_int_equal(jw_finish(&w, &text, &len), -EINVAL);
        assert_null(w.buf);
        assert_string_equal(text, "untouched");
        assert_int_equal(len, 7);

        jw_init(&w, 16); /* the text and its newline must fit in max */
        jw_string(&w, "0123456789ab"); /* 14 bytes quoted, + newline + NUL */
        assert_int_equal(jw_finish(&w, &text, &len), 0);
        assert_int_equal(len, 15);
        free(text);
        jw_init(&w, 16);
        jw_string(&w, "0123456789abc");
        jw_int(&w, 1);
        assert_int_equal(jw_finish(&w, &text, &len), -E2BIG);
        assert_null(w.buf);

        jw_init(&w, 16); /* nothing written is not a text */
        assert_int_equal(jw_finish(&w, &text, &len), -EINVAL);
        jw_init(&w, 64);
        jw_int(&w, 5);
        jw_done(&w);
        assert_null(w.buf);
}

/* jw_reserve_front() / jw_front(): the text is as if the front had been
 * written first (a count before the list it counts), whether the front
 * fills its room or not; a front larger than its room, a front in error,
 * a reserve on a writer that holds text, a reserve never filled: errors. */
UNIT(jsonw_front_filled_at_the_end) {
        char *text = NULL;
        size_t len = 0;
        struct jw w, head;

        for (size_t room = 40; room <= 4096; room *= 4) {
                jw_init(&w, 1 << 20);
                jw_reserve_front(&w, room);
                jw_array_begin(&w);
                jw_string(&w, "é");
                jw_int(&w, 2);
                jw_array_end(&w);
                jw_kbool(&w, "more", false);
                jw_object_end(&w);
                jw_init(&head, 256);
                jw_object_begin(&head);
                jw_kint(&head, "count", 2);
                jw_key(&head, "list");
                jw_front(&w, &head);
                assert_null(head.buf);
                same_as_jansson(&w, json_pack("{s:i,s:[s,i],s:b}", "count", 2, "list", "é", 2, "more", 0));
        }

        jw_init(&w, 4096);
        jw_reserve_front(&w, 4);
        jw_int(&w, 1);
        jw_init(&head, 64);
        jw_array_begin(&head);
        jw_int(&head, 123); /* "[123," is 5 bytes */
        jw_key(&head, "x");
        jw_front(&w, &head);
        assert_int_equal(jw_finish(&w, &text, &len), -E2BIG);
        jw_init(&w, 4096); /* head's error is w's */
        jw_reserve_front(&w, 16);
        jw_int(&w, 1);
        jw_init(&head, 64);
        jw_string(&head, "\xff");
        jw_front(&w, &head);
        assert_null(head.buf);
        assert_int_equal(jw_finish(&w, &text, &len), -EINVAL);
        jw_init(&w, 4096);
        jw_int(&w, 1);
        jw_reserve_front(&w, 4);
        assert_int_equal(jw_finish(&w, &text, &len), -EINVAL);
        jw_init(&w, 4096);
        jw_reserve_front(&w, 4);
        jw_int(&w, 1);
        assert_int_equal(jw_finish(&w, &text, &len), -EINVAL);
        assert_null(w.buf);
        jw_init(&w, 16);
        jw_reserve_front(&w, 64); /* past max */
        assert_int_equal(jw_finish(&w, &text, &len), -E2BIG);
}
