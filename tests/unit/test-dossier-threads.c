/* tests/unit/test-dossier-threads.c: one engine used by several threads at
 * once, with no lock of the caller's: deposits, lists, reads and secret
 * checks interleave, each thread sees its own last decision, and the audit
 * chain still verifies, one entry per decision. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "unit.h"

#include "dossier-fixture.h"

#define THREADS 6
#define ROUNDS 25

static const struct dossier_doc_meta report = {
        .type_code = "11488-4", .class_code = "10", .format_code = "urn:ihe:iti:xds:2017:mimeTypeSufficient",
        .mime = "application/pdf", .title = "Compte rendu", .created_at = T0 - 3600,
};

struct worker {
        struct fixture *f;
        int kind;                 /* which mix of calls, see work() */
        const char *secret;
        unsigned errors;          /* a call or its last decision was not as expected */
        unsigned decisions;       /* trail entries this thread caused */
};

/* One round of kind 0: a deposit that must pass, then a list and a read
 * of what it deposited. */
static void allowed_round(struct worker *w) {
        static const char pdf[] = "%PDF-1.7 threads";
        _cleanup_free_ struct dossier_doc *docs = NULL;
        _cleanup_free_ void *content = NULL;
        char uid[DOSSIER_UID_SIZE];
        struct dossier_doc d;
        size_t n = 0, len = 0;

        if (dossier_deposit(w->f->e, &gp, INS, &report, pdf, sizeof(pdf), uid, NULL) != 0 ||
            !dossier_last_decision(w->f->e)->allow)
                w->errors++;
        if (dossier_list(w->f->e, &gp, INS, 0, &docs, &n) != 0 || n == 0 ||
            dossier_last_decision(w->f->e)->reason != ACCESS_ALLOW_AUTHORISED)
                w->errors++;
        if (dossier_read(w->f->e, &gp, INS, uid, &d, &content, &len) != 0 || len != sizeof(pdf) ||
            memcmp(content, pdf, len) != 0)
                w->errors++;
        w->decisions += 3;
}

/* One round of kind 1: a deposit refused (a class reserved to the
 * patient), whose reason this thread must see whatever the others do. */
static void denied_round(struct worker *w) {
        struct dossier_doc_meta reserved = report;
        char uid[DOSSIER_UID_SIZE];

        reserved.class_code = ACCESS_CLASS_PATIENT;
        if (dossier_deposit(w->f->e, &gp, INS, &reserved, "x", 1, uid, NULL) != -EACCES ||
            dossier_last_decision(w->f->e)->reason != ACCESS_DENY_CLASS_RESERVED)
                w->errors++;
        w->decisions++;
}

/* One round of kind 2: the patient's secret checked, right then wrong;
 * the slow hash runs outside the engine lock. */
static void secret_round(struct worker *w) {
        if (dossier_verify_secret(w->f->e, INS, w->secret) != 0 ||
            dossier_last_decision(w->f->e)->reason != ACCESS_ALLOW_PATIENT)
                w->errors++;
        if (dossier_verify_secret(w->f->e, INS, "AAAA-AAAA-AAAA-AAAA") != -EACCES ||
            dossier_last_decision(w->f->e)->reason != ACCESS_DENY_BAD_SECRET)
                w->errors++;
        w->decisions += 2;
}

static void *work(void *userdata) {
        struct worker *w = userdata;

        for (int i = 0; i < ROUNDS; i++) {
                if (w->kind == 0)
                        allowed_round(w);
                else if (w->kind == 1)
                        denied_round(w);
                else
                        secret_round(w);
        }
        return NULL;
}

/* Verifies the chain while the others write: under the engine's lock no
 * write is seen half-way, so every check finds the chain intact. */
static void *verifier(void *userdata) {
        struct fixture *f = userdata;
        uintptr_t broken = 0;

        for (int i = 0; i < ROUNDS; i++) {
                uint8_t head[AUDIT_HASH_LEN];
                int64_t bad = 0, seq = 0;
                char msg[256] = "";

                if (dossier_audit_verify(f->e, &bad, msg, sizeof(msg), &seq, head) != 0 || seq <= 0)
                        broken++;
        }
        return (void *) broken;
}

UNIT_FIXTURE(test_threads, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE];
        struct worker w[THREADS];
        pthread_t t[THREADS], v;
        void *broken = NULL;
        unsigned expected = 0;
        int64_t before;

        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
        before = audit_count(f);
        for (int i = 0; i < THREADS; i++) {
                w[i] = (struct worker) { .f = f, .kind = i % 3, .secret = secret };
                assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
        }
        assert_int_equal(pthread_create(&v, NULL, verifier, f), 0);
        for (int i = 0; i < THREADS; i++) {
                assert_int_equal(pthread_join(t[i], NULL), 0);
                if (w[i].errors)
                        fail_msg("thread %d (kind %d): %u unexpected results", i, w[i].kind, w[i].errors);
                expected += w[i].decisions;
        }
        assert_int_equal(pthread_join(v, &broken), 0);
        assert_int_equal((uintptr_t) broken, 0);
        /* every decision, of every thread, in one unbroken chain */
        assert_int_equal(audit_count(f), before + expected);
        verify_chain(f);
}

/* A thread that has made no call on this engine has no last decision;
 * this one's stays its own. */
static void *no_call(void *userdata) {
        struct fixture *f = userdata;
        const struct access_decision *d = dossier_last_decision(f->e);

        return (void *) (uintptr_t) (d && !d->allow && d->reason == 0 && d->flags == 0);
}

UNIT_FIXTURE(test_decision_per_thread, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char uid[DOSSIER_UID_SIZE];
        pthread_t t;
        void *ok = NULL;

        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, "x", 1, uid, NULL), -ENOENT);
        assert_int_equal(dossier_last_decision(f->e)->reason, ACCESS_DENY_NO_DOSSIER);
        assert_int_equal(pthread_create(&t, NULL, no_call, f), 0);
        assert_int_equal(pthread_join(t, &ok), 0);
        assert_true(ok != NULL);
        /* a call refused before any decision leaves the last one as it was */
        assert_int_equal(dossier_deposit(f->e, &gp, "not-an-ins", &report, "x", 1, uid, NULL), -EINVAL);
        assert_int_equal(dossier_last_decision(f->e)->reason, ACCESS_DENY_NO_DOSSIER);
}

UNIT_GROUP("dossier-threads", NULL, NULL)
