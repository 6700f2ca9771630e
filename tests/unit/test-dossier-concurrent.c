/* tests/unit/test-dossier-concurrent.c: several engines on one store at
 * once (each its own connection, as several host processes on one
 * PostgreSQL database, or several processes on one SQLite file): they
 * deposit into one dossier, all try to replace the same version of one
 * document (one wins each round), and name the médecin traitant
 * concurrently. Afterwards the document's versions form
 * one chain (1, 2, 3 ... with one current), the dossier has one
 * traitant, every acknowledged deposit is there, and the trail's chain
 * verifies with one entry per decision. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "unit.h"

#include "dossier-fixture.h"

#define ENGINES 4
#define ROUNDS 12

static const struct dossier_doc_meta report = {
        .type_code = "11488-4", .class_code = "10", .format_code = "urn:ihe:iti:xds:2017:mimeTypeSufficient",
        .mime = "application/pdf", .title = "Compte rendu", .created_at = T0 - 3600,
};
static const char pdf[] = "%PDF-1.7 concurrent";
/* each round, every worker has read the current version before any
 * replaces it: all try to replace the same one */
static pthread_barrier_t read_all;

struct worker {
        struct fixture *f;
        int index;
        struct dossier_engine *e; /* this worker's own engine and connection */
        unsigned deposits, replaced, not_current, errors, decisions;
};

/* The uid of the current version of the "chain" document, or "". */
static void current_chain(struct worker *w, char uid[DOSSIER_UID_SIZE]) {
        _cleanup_free_ struct dossier_doc *docs = NULL;
        size_t n = 0;

        uid[0] = '\0';
        if (dossier_list(w->e, &gp, INS, 0, &docs, &n) != 0)
                w->errors++;
        w->decisions++;
        for (size_t i = 0; i < n; i++)
                if (strcmp(docs[i].title, "chain") == 0)
                        memcpy(uid, docs[i].uid, DOSSIER_UID_SIZE);
}

static void *work(void *userdata) {
        struct worker *w = userdata;
        struct dossier_doc_meta chain = report;
        char id_nat[16], uid[DOSSIER_UID_SIZE], cur[DOSSIER_UID_SIZE];

        chain.title = "chain";
        snprintf(id_nat, sizeof(id_nat), "81000000010%d", w->index);
        for (int round = 0; round < ROUNDS; round++) {
                if (dossier_deposit(w->e, &gp, INS, &report, pdf, sizeof(pdf), uid, NULL) == 0)
                        w->deposits++;
                else
                        w->errors++;
                w->decisions++;
                current_chain(w, cur);
                pthread_barrier_wait(&read_all);
                int r = cur[0] ? dossier_replace(w->e, &gp, INS, cur, &chain, pdf, sizeof(pdf), uid, NULL) : -ENOENT;
                if (r == 0)
                        w->replaced++;
                else if (r == -EACCES && dossier_last_decision(w->e)->reason == ACCESS_DENY_DOC_NOT_CURRENT)
                        w->not_current++; /* another engine replaced it first */
                else
                        w->errors++;
                w->decisions += r == 0 ? 2 : cur[0] != '\0'; /* a replacement: replace + deposit */
                pthread_barrier_wait(&read_all); /* the next round reads after every replacement */
                if (dossier_set_access(w->e, &patient, INS, id_nat, DOSSIER_ACCESS_TRAITANT) != 0)
                        w->errors++;
                w->decisions++;
        }
        return NULL;
}

static int open_worker_engine(struct fixture *f, struct dossier_engine **ret) {
        struct dossier_config cfg = {
                .path = f->ts.name, .rights = f->rights, .interactions = f->interactions,
                .scrypt_n = 1024, .scrypt_r = 8, .scrypt_p = 1,
                .clock = fake_clock, .clock_userdata = f, /* read only while the workers run */
        };
        return dossier_engine_open(&cfg, ret);
}

UNIT_FIXTURE(test_engines_at_once, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct worker w[ENGINES] = {};
        pthread_t th[ENGINES];
        struct dossier_doc_meta chain = report;
        char secret[DOSSIER_SECRET_SIZE], uid[DOSSIER_UID_SIZE];
        unsigned deposits = 0, replaced = 0, errors = 0, decisions = 0;
        int64_t before;

        chain.title = "chain";
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &chain, pdf, sizeof(pdf), uid, NULL), 0);
        before = audit_count(f);
        for (int i = 0; i < ENGINES; i++) {
                w[i] = (struct worker) { .f = f, .index = i };
                assert_int_equal(open_worker_engine(f, &w[i].e), 0);
        }
        assert_int_equal(pthread_barrier_init(&read_all, NULL, ENGINES), 0);
        for (int i = 0; i < ENGINES; i++)
                assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
        for (int i = 0; i < ENGINES; i++) {
                assert_int_equal(pthread_join(th[i], NULL), 0);
                w[i].e = dossier_engine_close(w[i].e);
                deposits += w[i].deposits;
                replaced += w[i].replaced;
                errors += w[i].errors;
                decisions += w[i].decisions;
        }
        pthread_barrier_destroy(&read_all);
        print_message("concurrent: %u deposits, %u replacements, %u refused as not current\n", deposits, replaced,
                      w[0].not_current + w[1].not_current + w[2].not_current + w[3].not_current);
        assert_int_equal(errors, 0);
        assert_int_equal(deposits, ENGINES * ROUNDS);
        /* one replacement per round: the others found it no longer current */
        assert_int_equal(replaced, ROUNDS);
        /* the versions: one chain 1..replaced + 1, each number once, one current */
        assert_int_equal(test_store_query_int(&f->ts, "SELECT count(*) FROM documents WHERE title = 'chain'", NULL),
                         replaced + 1);
        assert_int_equal(test_store_query_int(&f->ts, "SELECT count(DISTINCT version) FROM documents "
                                                      "WHERE title = 'chain'", NULL), replaced + 1);
        assert_int_equal(test_store_query_int(&f->ts, "SELECT max(version) FROM documents WHERE title = 'chain'",
                                              NULL), replaced + 1);
        assert_int_equal(test_store_query_int(&f->ts, "SELECT count(*) FROM documents WHERE title = 'chain' "
                                                      "AND status = 1", NULL), 1);
        /* each replaced version names its successor, the current one none */
        assert_int_equal(test_store_query_int(&f->ts, "SELECT count(*) FROM documents WHERE title = 'chain' "
                                                      "AND replaced_by IS NULL", NULL), 1);
        /* one médecin traitant */
        assert_int_equal(test_store_query_int(&f->ts, "SELECT count(*) FROM dossier_access WHERE relation = 3",
                                              NULL), 1);
        assert_int_equal(test_store_query_int(&f->ts, "SELECT count(*) FROM documents WHERE title <> 'chain'", NULL),
                         deposits);
        /* the trail: one entry per decision, the chain intact */
        assert_int_equal(audit_count(f), before + decisions);
        verify_chain(f);
}

/* PostgreSQL: the server ends the engine's connection (a restart, an
 * administrator's pg_terminate_backend); the next operation reconnects,
 * prepares its statements again and succeeds. */
UNIT_FIXTURE(test_reconnects, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char sql[256], secret[DOSSIER_SECRET_SIZE], uid[DOSSIER_UID_SIZE];

        if (!test_pg()) {
                print_message("SKIP: PostgreSQL only (CARNET_TEST_PG is not set)\n");
                skip();
        }
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
        snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '%s' "
                 "AND pid <> pg_backend_pid()", f->ts.schema);
        test_store_exec(&f->ts, sql);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, pdf, sizeof(pdf), uid, NULL), 0);
        verify_chain(f);
}

UNIT_GROUP("dossier-concurrent", NULL, NULL)
