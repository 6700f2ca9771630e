/* tests/unit/test-crash.c: crash safety. A child process deposits
 * documents in a loop and reports each acknowledged deposit (its uid) on a
 * pipe; the parent kills it with SIGKILL at a random moment, then checks
 * that the store's integrity check passes (SQLite: PRAGMA
 * integrity_check), that every acknowledged document is
 * present and readable, and that the audit chain verifies. Repeated
 * CRASH_ROUNDS times; the total stays within a few seconds. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>
#include <time.h>
#include <cmocka.h>

#include "unit.h"

#include "dossier-fixture.h"

#define CRASH_ROUNDS 25
#define UIDS_MAX (1u << 20) /* a bound, not a speed assumption: the list grows */

static const struct dossier_doc_meta meta = {
        .type_code = "11488-4", .class_code = "10", .format_code = "urn:ihe:iti:xds:2017:mimeTypeSufficient",
        .mime = "application/pdf", .title = "crash test", .created_at = T0,
};

/* The child: its own engine on the same file, depositing until killed. */
_Noreturn static void writer(struct fixture *f, int fd) {
        char content[2048];

        f->e = NULL; /* the parent's connection is not ours to use */
        if (fixture_open_engine(f) < 0)
                _exit(2);
        memset(content, 'c', sizeof(content));
        for (unsigned i = 0;; i++) {
                char uid[DOSSIER_UID_SIZE + 1];

                content[0] = (char) i;
                if (dossier_deposit(f->e, &gp, INS, &meta, content, sizeof(content), uid, NULL) < 0)
                        _exit(3);
                uid[DOSSIER_UID_SIZE - 1] = '\n';
                if (write(fd, uid, DOSSIER_UID_SIZE) != DOSSIER_UID_SIZE) /* atomic: < PIPE_BUF */
                        _exit(4);
        }
}

UNIT_FIXTURE(test_kill_loop, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        _cleanup_free_ char (*uids)[DOSSIER_UID_SIZE] = NULL;
        size_t n_uids = 0, cap = 0;
        char secret[DOSSIER_SECRET_SIZE];
        unsigned seed = (unsigned) getpid();

        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
        f->e = dossier_engine_close(f->e);

        for (int round = 0; round < CRASH_ROUNDS; round++) {
                int p[2], status;
                pid_t pid;
                char buf[DOSSIER_UID_SIZE];
                ssize_t got;
                struct timespec ts = { 0, (long) (rand_r(&seed) % 40000) * 1000L }; /* 0-40 ms */

                assert_int_equal(pipe2(p, O_CLOEXEC), 0);
                pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        close(p[0]);
                        writer(f, p[1]);
                }
                close(p[1]);
                nanosleep(&ts, NULL);
                assert_int_equal(kill(pid, SIGKILL), 0);
                assert_int_equal(waitpid(pid, &status, 0), pid);
                if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
                        fail_msg("writer ended on its own, status %d", status);
                while ((got = read(p[0], buf, sizeof(buf))) == (ssize_t) sizeof(buf)) {
                        assert_true(n_uids < UIDS_MAX);
                        if (n_uids == cap) {
                                cap = cap ? cap * 2 : 1024;
                                uids = realloc(uids, cap * sizeof(*uids));
                                assert_non_null(uids);
                        }
                        memcpy(uids[n_uids], buf, DOSSIER_UID_SIZE - 1);
                        uids[n_uids][DOSSIER_UID_SIZE - 1] = '\0';
                        n_uids++;
                }
                assert_int_equal(got, 0);
                close(p[0]);

                /* recover and check */
                assert_int_equal(fixture_open_engine(f), 0);
                {
                        struct store *s = dossier_engine_store(f->e);
                        static const char sql_present[] = "SELECT count(*) FROM documents d JOIN contents c "
                                                          "ON c.doc_id = d.id WHERE d.uid = ?1";
                        struct store_stmt *st = NULL;
                        int64_t bad = -1;
                        char msg[256];

                        assert_int_equal(store_integrity_check(s), 0);
                        if (audit_verify(s, &bad, msg, sizeof(msg)) != 0)
                                fail_msg("round %d: %s", round, msg);
                        for (size_t i = 0; i < n_uids; i++) {
                                assert_int_equal(store_prepare_text(s, sql_present, uids[i], &st), 0);
                                assert_int_equal(store_step(s, st), 1);
                                if (store_col_int(st, 0) != 1)
                                        fail_msg("round %d: acknowledged document %s lost", round, uids[i]);
                                store_reset(st);
                        }
                }
                /* the last acknowledged one is readable through the engine */
                if (n_uids > 0) {
                        _cleanup_free_ void *content = NULL;
                        struct dossier_doc d;
                        size_t len;

                        assert_int_equal(dossier_read(f->e, &gp, INS, uids[n_uids - 1], &d, &content, &len), 0);
                        assert_int_equal(len, 2048);
                }
                f->e = dossier_engine_close(f->e);
        }
        print_message("crash: %d kills, %zu acknowledged deposits checked\n", CRASH_ROUNDS, n_uids);
        assert_true(n_uids > 0);
        assert_int_equal(fixture_open_engine(f), 0);
}

UNIT_GROUP("crash", NULL, NULL)
