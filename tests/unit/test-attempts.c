/* tests/unit/test-attempts.c: the brake on guessing patient secrets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"
#include <errno.h>
#include <stdio.h>

#include "session/attempts.h"

#define INS "280057512345674"

static int reset(void **state) {
        attempts_reset();
        return 0;
}

UNIT_FIXTURE(locks_after_max_then_expires, reset, NULL) {
        unsigned after = 0;
        for (int i = 1; i < ATTEMPTS_MAX; i++) {
                assert_int_equal(attempts_check(INS, 1000, &after), 0);
                assert_int_equal(attempts_failed(INS, 1000), 0);
        }
        assert_int_equal(attempts_failed(INS, 1000), 1); /* the last one locks */
        assert_int_equal(attempts_check(INS, 1000, &after), -EBUSY);
        assert_int_equal(after, ATTEMPTS_LOCK_S);
        assert_int_equal(attempts_check(INS, 1000 + ATTEMPTS_LOCK_S - 1, &after), -EBUSY);
        assert_int_equal(after, 1);
        /* once it runs out, a fresh count: one wrong secret does not relock */
        assert_int_equal(attempts_check(INS, 1000 + ATTEMPTS_LOCK_S, &after), 0);
        assert_int_equal(attempts_failed(INS, 1000 + ATTEMPTS_LOCK_S), 0);
        assert_int_equal(attempts_check(INS, 1000 + ATTEMPTS_LOCK_S, &after), 0);
}

UNIT_FIXTURE(success_clears_and_keys_are_separate, reset, NULL) {
        unsigned after;
        for (int i = 1; i < ATTEMPTS_MAX; i++)
                attempts_failed(INS, 10);
        attempts_succeeded(INS);
        for (int i = 1; i < ATTEMPTS_MAX; i++)
                assert_int_equal(attempts_failed(INS, 10), 0);
        /* another dossier is not affected */
        for (int i = 1; i < ATTEMPTS_MAX; i++)
                assert_int_equal(attempts_failed("112037512345629", 10), 0);
        assert_int_equal(attempts_check("112037512345629", 10, &after), 0);
}

UNIT_FIXTURE(full_table_reuses_the_oldest, reset, NULL) {
        char key[32];
        unsigned after;
        /* lock one key, then fill the table with more recent ones */
        for (int i = 0; i < ATTEMPTS_MAX; i++)
                attempts_failed(INS, 5);
        assert_int_equal(attempts_check(INS, 6, &after), -EBUSY);
        for (int k = 0; k < ATTEMPTS_SLOTS - 1; k++) {
                snprintf(key, sizeof(key), "k%d", k);
                attempts_failed(key, 100 + k);
        }
        assert_int_equal(attempts_check(INS, 200, &after), -EBUSY); /* still there */
        attempts_failed("one-more", 1000);                          /* evicts the oldest: INS */
        assert_int_equal(attempts_check(INS, 200, &after), 0);
        assert_int_equal(attempts_check("k0", 1000, &after), 0);
}

UNIT_GROUP("attempts", NULL, NULL)
