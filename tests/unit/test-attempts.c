/* tests/unit/test-attempts.c: the brake on guessing patient secrets, kept
 * in the store (dossier_attempts_*), on SQLite or PostgreSQL, and what a
 * secret check tells one who is not a representative (the secret's
 * hashes counted: scrypt-wrap.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "unit.h"

#include "dossier-fixture.h"
#include "scrypt-wrap.h"

/* a valid NIR for n: 13 digits and the key 97 - (n mod 97) */
static void nir_of(unsigned long long n, char ret[16]) {
        snprintf(ret, 16, "%013llu%02llu", n, 97 - n % 97);
}

UNIT_FIXTURE(locks_after_max_then_expires, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        unsigned after = 0;

        for (int i = 1; i < DOSSIER_ATTEMPTS_MAX; i++) {
                assert_int_equal(dossier_attempts_check(f->e, INS, &after), 0);
                assert_int_equal(dossier_attempts_failed(f->e, INS), 0);
        }
        assert_int_equal(dossier_attempts_failed(f->e, INS), 1); /* the last one locks */
        assert_int_equal(dossier_attempts_check(f->e, INS, &after), -EBUSY);
        assert_int_equal(after, DOSSIER_ATTEMPTS_LOCK_S);
        f->now = T0 + DOSSIER_ATTEMPTS_LOCK_S - 1;
        assert_int_equal(dossier_attempts_check(f->e, INS, &after), -EBUSY);
        assert_int_equal(after, 1);
        /* once it runs out, a fresh count: one wrong secret does not relock */
        f->now = T0 + DOSSIER_ATTEMPTS_LOCK_S;
        assert_int_equal(dossier_attempts_check(f->e, INS, &after), 0);
        assert_int_equal(dossier_attempts_failed(f->e, INS), 0);
        assert_int_equal(dossier_attempts_check(f->e, INS, &after), 0);
}

UNIT_FIXTURE(success_clears_and_keys_are_separate, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        unsigned after;

        for (int i = 1; i < DOSSIER_ATTEMPTS_MAX; i++)
                assert_int_equal(dossier_attempts_failed(f->e, INS), 0);
        assert_int_equal(dossier_attempts_succeeded(f->e, INS), 0);
        for (int i = 1; i < DOSSIER_ATTEMPTS_MAX; i++)
                assert_int_equal(dossier_attempts_failed(f->e, INS), 0);
        /* another dossier is not affected */
        for (int i = 1; i < DOSSIER_ATTEMPTS_MAX; i++)
                assert_int_equal(dossier_attempts_failed(f->e, INS2), 0);
        assert_int_equal(dossier_attempts_check(f->e, INS2, &after), 0);
        /* malformed INS: refused */
        assert_int_equal(dossier_attempts_check(f->e, "185057800608490", &after), -EINVAL);
        assert_int_equal(dossier_attempts_failed(f->e, "x"), -EINVAL);
}

/* The process-memory table was bounded and evicted its oldest entry; the
 * store keeps every dossier's count: many other dossiers' failures do
 * not lift a lock. */
UNIT_FIXTURE(many_dossiers_do_not_lift_a_lock, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char ins[16];
        unsigned after;

        for (int i = 0; i < DOSSIER_ATTEMPTS_MAX; i++)
                dossier_attempts_failed(f->e, INS);
        assert_int_equal(dossier_attempts_check(f->e, INS, &after), -EBUSY);
        assert_int_equal(dossier_batch_begin(f->e), 0); /* one transaction: quicker */
        for (unsigned k = 0; k < 300; k++) {
                nir_of(1120375120000ULL + k, ins);
                assert_int_equal(dossier_attempts_failed(f->e, ins), 0);
        }
        assert_int_equal(dossier_batch_commit(f->e), 0);
        assert_int_equal(dossier_attempts_check(f->e, INS, &after), -EBUSY);
        nir_of(1120375120000ULL, ins);
        assert_int_equal(dossier_attempts_check(f->e, ins, &after), 0);
}

/* Two engines on one store (two host processes) share the count. */
UNIT_FIXTURE(shared_by_two_engines, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct dossier_engine *first;
        unsigned after;

        for (int i = 1; i < DOSSIER_ATTEMPTS_MAX; i++)
                assert_int_equal(dossier_attempts_failed(f->e, INS), 0);
        first = f->e;
        assert_int_equal(fixture_open_engine(f), 0);
        assert_int_equal(dossier_attempts_failed(f->e, INS), 1);
        assert_int_equal(dossier_attempts_check(first, INS, &after), -EBUSY);
        dossier_engine_close(first);
}

/* The count belongs to a secret: a dossier destroyed drops it, lock and
 * all, and a dossier created (again, on the tombstone) starts from none,
 * for its new secret. */
UNIT_FIXTURE(destroy_and_new_secret_forget, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE];
        unsigned after = 0;
        static const char q[] = "SELECT count(*) FROM attempts WHERE ins = ?1";

        /* wrong secrets before any dossier: counted; the dossier created
         * then starts from none */
        for (int i = 1; i < DOSSIER_ATTEMPTS_MAX; i++)
                assert_int_equal(dossier_attempts_failed(f->e, INS), 0);
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(test_store_query_int(&f->ts, q, INS), 0);
        assert_int_equal(dossier_attempts_failed(f->e, INS), 0);

        /* locked, then destroyed: the row goes with it */
        for (int i = 2; i < DOSSIER_ATTEMPTS_MAX; i++)
                assert_int_equal(dossier_attempts_failed(f->e, INS), 0);
        assert_int_equal(dossier_attempts_failed(f->e, INS), 1);
        assert_int_equal(dossier_attempts_check(f->e, INS, &after), -EBUSY);
        assert_int_equal(dossier_destroy(f->e, &patient, INS), 0);
        assert_int_equal(test_store_query_int(&f->ts, q, INS), 0);
        /* re-created on the tombstone: the patient is not locked out of
         * the new secret, and one wrong secret does not lock */
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_attempts_check(f->e, INS, &after), 0);
        assert_int_equal(dossier_attempts_failed(f->e, INS), 0);
        assert_int_equal(dossier_attempts_check(f->e, INS, &after), 0);
        assert_int_equal(dossier_verify_secret(f->e, INS, secret), 0);
        /* another dossier's count is left as it was */
        for (int i = 1; i < DOSSIER_ATTEMPTS_MAX; i++)
                assert_int_equal(dossier_attempts_failed(f->e, INS2), 0);
        assert_int_equal(dossier_destroy(f->e, &patient, INS), 0);
        assert_int_equal(test_store_query_int(&f->ts, q, INS2), 1);
        assert_int_equal(dossier_attempts_failed(f->e, INS2), 1);
}

/* One not recorded as a representative of the dossier is refused before
 * the secret is even hashed: a right secret and a wrong one get the same
 * answer (deny-not-representative, no oracle on the secret for anyone who
 * knows an INS), each traced, and neither is a wrong secret, which the
 * API would count against the dossier's brake (api/patient-sessions.c):
 * a stranger cannot lock the patient out.  A recorded one's wrong secret
 * is hashed and refused as such. */
UNIT_FIXTURE(standing_before_secret, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE];

        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
        int64_t before = audit_count(f);
        unsigned hashed = scrypt_calls;
        assert_int_equal(dossier_verify_representative(f->e, INS, INS2, secret), -EACCES);
        assert_int_equal(dossier_last_decision(f->e)->reason, ACCESS_DENY_NOT_REPRESENTATIVE);
        assert_int_equal(dossier_verify_representative(f->e, INS, INS2, "AAAA-AAAA-AAAA-AAAA"), -EACCES);
        assert_int_equal(dossier_last_decision(f->e)->reason, ACCESS_DENY_NOT_REPRESENTATIVE);
        assert_int_equal(scrypt_calls, hashed);
        assert_int_equal(audit_count(f), before + 2);
        /* recorded: the secret decides */
        assert_int_equal(dossier_set_representative(f->e, &gp, INS, INS2, DOSSIER_REP_GUARDIAN), 0);
        assert_int_equal(dossier_verify_representative(f->e, INS, INS2, "AAAA-AAAA-AAAA-AAAA"), -EACCES);
        assert_int_equal(dossier_last_decision(f->e)->reason, ACCESS_DENY_BAD_SECRET);
        assert_int_equal(dossier_verify_representative(f->e, INS, INS2, secret), 0);
        assert_int_equal(dossier_last_decision(f->e)->reason, ACCESS_ALLOW_REPRESENTATIVE);
        assert_int_equal(scrypt_calls, hashed + 2);
        verify_chain(f);
}

UNIT_GROUP("attempts", NULL, NULL)
