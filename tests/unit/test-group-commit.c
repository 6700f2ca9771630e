/* tests/unit/test-group-commit.c: the SQLite store's group commit
 * (engine/wal-sync.h, engine/dossier-group.c): the threads that wait at
 * once share one fdatasync of the -wal file, the calls that write while a
 * commit is on its way to the disk share the next transaction, an engine
 * call returns only after a sync that covers what it wrote, a list made
 * while a deposit waits in the open group sees it, and a failed
 * fdatasync is final: the call that waited
 * learns it (dossier_durability_error()), later waits and writes are
 * refused, and nothing written before is lost.
 *
 * fdatasync(2) is wrapped here (this binary's definition comes before
 * libc's, for SQLite too): it counts the calls, can hold the next one
 * until the test lets it go (call-hold.h), and can fail with EIO. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "call-hold.h"
#include "dossier-fixture.h"
#include "engine/wal-sync.h"

static atomic_uint syncs;
static atomic_bool fail_syncs;
int fdatasync(int fd) {
        static int (*real)(int);
        if (!real)
                real = (int (*)(int)) dlsym(RTLD_NEXT, "fdatasync");
        syncs++;
        hold_point();
        if (fail_syncs) {
                errno = EIO;
                return -1;
        }
        return real(fd);
}

struct waiter {
        struct wal_sync *w;
        uint64_t mark;
        int r;
};

static void *wait_mark(void *userdata) {
        struct waiter *x = userdata;
        x->r = wal_sync_wait(x->w, x->mark);
        return NULL;
}

/* A leader is in fdatasync for mark 1 when marks 2 and 3 are written:
 * whichever of their waiters comes first leads one more round, for both.
 * Two syncs for three waits, whatever the threads' timing. */
UNIT(test_waiters_share_a_sync) {
        char dir[] = "/tmp/carnet-wal-XXXXXX", path[64];
        struct wal_sync *w = NULL;
        pthread_t a, b, c;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/db-wal", dir);
        int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(wal_sync_open(path, &w), 0);
        syncs = 0;
        struct waiter xa = {w, 1, 1}, xb = {w, 2, 1}, xc = {w, 3, 1};
        hold_next();
        assert_int_equal(pthread_create(&a, NULL, wait_mark, &xa), 0);
        hold_wait(); /* a leads, for mark 1 only */
        wal_sync_publish(w, 3);
        assert_int_equal(pthread_create(&b, NULL, wait_mark, &xb), 0);
        assert_int_equal(pthread_create(&c, NULL, wait_mark, &xc), 0);
        hold_release();
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        pthread_join(c, NULL);
        assert_int_equal(xa.r, 0);
        assert_int_equal(xb.r, 0);
        assert_int_equal(xc.r, 0);
        assert_int_equal(syncs, 2);
        assert_int_equal(wal_sync_count(w), 2);
        /* everything up to 3 is on disk: no more syncs for it */
        assert_int_equal(wal_sync_wait(w, 3), 0);
        assert_int_equal(syncs, 2);
        wal_sync_free(w);
        unlink(path);
        rmdir(dir);
}

static const struct dossier_doc_meta report = {
        .type_code = "11488-4", .class_code = "10", .format_code = "urn:ihe:iti:xds:2017:mimeTypeSufficient",
        .mime = "application/pdf", .title = "Compte rendu", .created_at = T0 - 3600,
};
static const char pdf[] = "%PDF-1.7 group commit";

/* Every call that writes returns after a sync of its own writes (SQLite
 * syncs the -wal itself only at checkpoints, and then not under
 * synchronous=NORMAL's commits). */
UNIT_FIXTURE(test_calls_wait_for_the_disk, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE], uid[DOSSIER_UID_SIZE];
        _cleanup_free_ struct dossier_doc *docs = NULL;
        size_t n = 0;

        SKIP_ON_PG();
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
        uint64_t before = store_syncs(dossier_engine_store(f->e));
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, pdf, sizeof(pdf), uid, NULL), 0);
        assert_int_equal(store_syncs(dossier_engine_store(f->e)), before + 1);
        /* a read is a trail entry: it waits too */
        assert_int_equal(dossier_list(f->e, &gp, INS, 0, &docs, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(store_syncs(dossier_engine_store(f->e)), before + 2);
        assert_int_equal(dossier_durability_error(), 0);
        verify_chain(f);
}

struct depositing {
        struct fixture *f;
        int r;
};

static void *first_list(void *userdata) {
        struct depositing *x = userdata;
        _cleanup_free_ struct dossier_doc *docs = NULL;
        size_t n = 0;
        x->r = dossier_list(x->f->e, &er, INS, 0, &docs, &n);
        return NULL;
}

static void *deposit_one(void *userdata) {
        struct depositing *x = userdata;
        char uid[DOSSIER_UID_SIZE];
        x->r = dossier_deposit(x->f->e, &gp, INS, &report, pdf, sizeof(pdf), uid, NULL);
        return NULL;
}

struct listing {
        struct fixture *f;
        int r;
        size_t n;
};

static void *list_all(void *userdata) {
        struct listing *x = userdata;
        _cleanup_free_ struct dossier_doc *docs = NULL;
        x->r = dossier_list(x->f->e, &gp, INS, 0, &docs, &x->n);
        return NULL;
}

/* Returns once calls have waited for a group commit in all, or fails. */
static void wait_members(struct fixture *f, uint64_t calls) {
        uint64_t m = 0;
        for (int i = 0; i < 10000; i++) {
                dossier_engine_group_counts(f->e, NULL, &m);
                if (m >= calls)
                        return;
                usleep(1000);
        }
        fail_msg("%" PRIu64 " calls waiting for a group commit, not %" PRIu64, m, calls);
}

/* Starts fn(arg) in *t, and returns once calls have waited for a group
 * commit in all (the new one among them). */
static void start_member(struct fixture *f, void *(*fn)(void *), void *arg, pthread_t *t, uint64_t calls) {
        assert_int_equal(pthread_create(t, NULL, fn, arg), 0);
        wait_members(f, calls);
}

/* A dossier of gp's with the patient's consent. */
static void open_dossier(struct fixture *f) {
        char secret[DOSSIER_SECRET_SIZE];
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
}

/* A deposit in its own thread, once its group is committed and the
 * fdatasync that follows held. */
static void held_deposit(struct depositing *a, pthread_t *t) {
        hold_next();
        assert_int_equal(pthread_create(t, NULL, deposit_one, a), 0);
        hold_wait();
}

/* While one deposit's commit is in fdatasync, the calls that come write
 * into one transaction together: three deposits and a list share the
 * next COMMIT and the next sync, and each returns only after it. */
UNIT_FIXTURE(test_writes_share_one_commit, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct depositing a = {f, 1}, others[3] = {{f, 1}, {f, 1}, {f, 1}};
        struct listing l = {f, 1, 0};
        pthread_t ta, to[3], tl;
        uint64_t commits0, calls0, commits, calls;

        SKIP_ON_PG();
        open_dossier(f);
        dossier_engine_group_counts(f->e, &commits0, &calls0);
        uint64_t syncs0 = store_syncs(dossier_engine_store(f->e));
        held_deposit(&a, &ta);
        for (size_t i = 0; i < 3; i++)
                assert_int_equal(pthread_create(&to[i], NULL, deposit_one, &others[i]), 0);
        assert_int_equal(pthread_create(&tl, NULL, list_all, &l), 0);
        wait_members(f, calls0 + 5);
        hold_release();
        pthread_join(ta, NULL);
        for (size_t i = 0; i < 3; i++)
                pthread_join(to[i], NULL);
        pthread_join(tl, NULL);
        assert_int_equal(a.r, 0);
        for (size_t i = 0; i < 3; i++)
                assert_int_equal(others[i].r, 0);
        assert_int_equal(l.r, 0);
        dossier_engine_group_counts(f->e, &commits, &calls);
        assert_int_equal(commits - commits0, 2);
        assert_int_equal(calls - calls0, 5);
        assert_int_equal(store_syncs(dossier_engine_store(f->e)) - syncs0, 2);
        assert_int_equal(dossier_durability_error(), 0);
        struct listing after = {f, 1, 0};
        list_all(&after);
        assert_int_equal(after.r, 0);
        assert_int_equal(after.n, 4);
        verify_chain(f);
}

/* A list decided off the mutex while a deposit waits in the open group
 * (not committed, so not in the list's snapshot) is decided again under
 * the mutex, on the group's state: it lists the deposit, whose trail
 * entry comes before its own. */
UNIT_FIXTURE(test_list_after_a_pending_deposit_sees_it, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct depositing a = {f, 1}, b = {f, 1};
        struct listing l = {f, 1, 0}, warm = {f, 1, 0};
        pthread_t ta, tb, tl;
        uint64_t calls0;

        SKIP_ON_PG();
        open_dossier(f);
        list_all(&warm); /* gp noted and seen: the next list goes the snapshot's way */
        assert_int_equal(warm.r, 0);
        dossier_engine_group_counts(f->e, NULL, &calls0);
        held_deposit(&a, &ta); /* a's group committed, its sync held */
        start_member(f, deposit_one, &b, &tb, calls0 + 2); /* b waits in the open group */
        start_member(f, list_all, &l, &tl, calls0 + 3);
        hold_release();
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        pthread_join(tl, NULL);
        assert_int_equal(a.r, 0);
        assert_int_equal(b.r, 0);
        assert_int_equal(l.r, 0);
        assert_int_equal(l.n, 2);
        verify_chain(f);
}

static void *deposit_large(void *userdata) {
        struct depositing *x = userdata;
        static char big[256 * 1024];
        char uid[DOSSIER_UID_SIZE];
        memset(big, 'x', sizeof(big));
        x->r = dossier_deposit(x->f->e, &gp, INS, &report, big, sizeof(big), uid, NULL);
        (void) dossier_commit_error(); /* its own error says it */
        return NULL;
}

/* A deposit's result as the API would answer it: the call's, or, when
 * the group it wrote in could not be committed, that error. */
static void *deposit_told(void *userdata) {
        struct depositing *x = userdata;
        deposit_one(x);
        int c = dossier_commit_error();
        if (x->r == 0 && c < 0)
                x->r = c;
        return NULL;
}

/* A call fails inside a group because the file may not grow (SQLite's
 * max_page_count: SQLITE_FULL, as on a full disk), and SQLite may roll
 * the whole transaction back by itself.  Whatever it does, every call
 * told a success is in the store and every other is not: a deposit made
 * before the failure in the same group is kept or told an error
 * (dossier_commit_error()), one made after it gets a transaction of its
 * own and is kept, and the trail's chain holds. */
UNIT_FIXTURE(test_failed_call_in_a_group, fixture_setup, fixture_teardown) {
        static const char sql_pages[] = "PRAGMA page_count";
        struct fixture *f = *state;
        struct depositing a = {f, 1}, before_big = {f, 1}, big = {f, 1}, after_big = {f, 1};
        struct listing after = {f, 1, 0};
        struct store_stmt *st = NULL;
        pthread_t ta, t1, tb, t2;
        uint64_t calls0;
        char sql[64];

        SKIP_ON_PG();
        open_dossier(f);
        struct store *s = dossier_engine_store(f->e);
        assert_int_equal(store_prepare(s, sql_pages, &st), 0);
        assert_int_equal(store_step(s, st), 1);
        int64_t pages = store_col_int64(st, 0);
        store_reset(st);
        /* room for small deposits, not for 256 KiB (64 pages) */
        snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %" PRId64, pages + 16);
        assert_int_equal(store_exec_script(s, sql), 0);
        int64_t entries0 = audit_count(f);
        dossier_engine_group_counts(f->e, NULL, &calls0);
        held_deposit(&a, &ta);
        start_member(f, deposit_told, &before_big, &t1, calls0 + 2);
        start_member(f, deposit_large, &big, &tb, calls0 + 3);
        start_member(f, deposit_told, &after_big, &t2, calls0 + 4);
        hold_release();
        pthread_join(ta, NULL);
        pthread_join(t1, NULL);
        pthread_join(tb, NULL);
        pthread_join(t2, NULL);
        assert_int_equal(a.r, 0);
        assert_int_equal(big.r, -ENOSPC);
        assert_true(before_big.r == 0 || before_big.r == -EIO);
        assert_int_equal(after_big.r, 0);
        assert_int_equal(dossier_durability_error(), 0);
        size_t kept = 2 + (before_big.r == 0);
        list_all(&after);
        assert_int_equal(after.r, 0);
        assert_int_equal(after.n, kept);
        /* the deposits kept and the list; nothing of the others */
        assert_int_equal(audit_count(f), entries0 + (int64_t) kept + 1);
        verify_chain(f);
        /* the store takes writes again */
        struct depositing later = {f, 1};
        deposit_told(&later);
        assert_int_equal(later.r, 0);
}

/* A notification (the patient's "first access" to their dossier, at an
 * emergency doctor's first list) reaches the hook, hence the event
 * stream, only once the operation that wrote it is on disk. */
UNIT_FIXTURE(test_notifications_told_once_durable, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE];
        pthread_t t;

        SKIP_ON_PG();
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        unsigned first = f->hook_first;
        struct depositing x = {f, 1};
        hold_next();
        assert_int_equal(pthread_create(&t, NULL, first_list, &x), 0);
        hold_wait(); /* committed, its sync held */
        unsigned while_held = f->hook_first;
        hold_release();
        pthread_join(t, NULL);
        assert_int_equal(x.r, 0);
        assert_int_equal(while_held, first);
        assert_int_equal(f->hook_first, first + 1);
}

/* The disk fails a sync: the call that waited for it learns -EIO, the
 * store takes no more writes, and what was durable before is intact. */
UNIT_FIXTURE(test_failed_sync_is_final, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE], uid[DOSSIER_UID_SIZE];

        SKIP_ON_PG();
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, pdf, sizeof(pdf), uid, NULL), 0);
        int64_t seq = audit_count(f);
        fail_syncs = true;
        (void) dossier_deposit(f->e, &gp, INS, &report, pdf, sizeof(pdf), uid, NULL);
        assert_int_equal(dossier_durability_error(), -EIO);
        assert_int_equal(dossier_durability_error(), 0); /* told once */
        fail_syncs = false;
        /* final: the disk works again, the store still refuses */
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, pdf, sizeof(pdf), uid, NULL), -EIO);
        assert_int_equal(store_durable(dossier_engine_store(f->e), UINT64_MAX), -EIO);
        /* reopened (carnetd restarted), the file holds at least what was
         * durable, and its chain verifies */
        f->e = dossier_engine_close(f->e);
        assert_int_equal(fixture_open_engine(f), 0);
        assert_true(audit_count(f) >= seq);
        verify_chain(f);
}

/* The same for a list decided off the mutex (its entry appended by the
 * trail queue): -EIO, told once to the calling thread, no list handed
 * out; the next list is refused too. */
UNIT_FIXTURE(test_failed_sync_of_a_queued_entry, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE], uid[DOSSIER_UID_SIZE];
        struct dossier_doc *docs = NULL;
        size_t n = 0;

        SKIP_ON_PG();
        (void) dossier_durability_error(); /* an earlier test's, in this thread */
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, pdf, sizeof(pdf), uid, NULL), 0);
        assert_int_equal(dossier_list(f->e, &gp, INS, 0, &docs, &n), 0);
        free(TAKE_PTR(docs));
        assert_int_equal(dossier_durability_error(), 0);
        int64_t seq = audit_count(f);
        fail_syncs = true;
        assert_int_equal(dossier_list(f->e, &gp, INS, 0, &docs, &n), -EIO);
        assert_null(docs);
        assert_int_equal(dossier_durability_error(), -EIO);
        assert_int_equal(dossier_durability_error(), 0);
        fail_syncs = false;
        assert_int_equal(dossier_list(f->e, &gp, INS, 0, &docs, &n), -EIO);
        assert_null(docs);
        f->e = dossier_engine_close(f->e);
        assert_int_equal(fixture_open_engine(f), 0);
        assert_true(audit_count(f) >= seq);
        verify_chain(f);
}

UNIT_GROUP("group-commit", NULL, NULL)
