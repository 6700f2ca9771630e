/* tests/unit/test-dossier-readers.c: reads decided off the engine's
 * mutex, on a read connection's snapshot, their trail entries appended
 * together (engine/dossier-snapshot.c, engine/dossier-trailq.c):
 *
 * - dossier_read() decides, copies and checks a content there: while one
 *   thread is inside that check, other calls on the same engine run; the
 *   access is traced once, after the check, and the content it returns
 *   is the document's;
 * - a change committed between the snapshot and the trail entry (the
 *   patient blocks the professional while the read is inside its content
 *   check) makes the read decided again, and refused: the stale allow is
 *   never appended, never returned; a call that wrote only its trail
 *   entry meanwhile (the patient reading their trail) does not;
 * - many threads listing at once: every list answered, each traced once,
 *   the chain intact;
 * - a bulk-loading batch open: the list goes the usual way, inside it;
 * - the tables reloaded again and again under concurrent lists.
 *
 * EVP_Digest is wrapped here: a reader is held inside the content's
 * SHA-256 check (call-hold.h), and the calls are counted (a content
 * checked twice: read twice). */
#include <dlfcn.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>
#include <cmocka.h>

#include "unit.h"

#include "call-hold.h"
#include "dossier-fixture.h"

static atomic_uint digest_calls; /* every call, held or not */

int EVP_Digest(const void *data, size_t count, unsigned char *md, unsigned int *size, const EVP_MD *type,
               ENGINE *impl) {
        static int (*real)(const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *, ENGINE *);
        if (!real)
                real = (int (*)(const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *, ENGINE *))
                        dlsym(RTLD_NEXT, "EVP_Digest");
        digest_calls++;
        hold_point();
        return real(data, count, md, size, type, impl);
}

static bool done_listing;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

static const struct dossier_doc_meta report = {
        .type_code = "11488-4", .class_code = "10", .format_code = "urn:ihe:iti:xds:2017:mimeTypeSufficient",
        .mime = "application/pdf", .title = "Compte rendu", .created_at = T0 - 3600,
};

/* The dossier, opened by gp with the patient's consent. */
static void open_dossier(struct fixture *f) {
        char secret[DOSSIER_SECRET_SIZE];
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
}

struct reading {
        struct fixture *f;
        const char *uid;
        struct dossier_doc d;
        void *content;
        size_t len;
        int r;
        enum access_reason reason;
};

static void *read_doc(void *userdata) {
        struct reading *x = userdata;
        x->r = dossier_read(x->f->e, &gp, INS, x->uid, &x->d, &x->content, &x->len);
        x->reason = dossier_last_decision(x->f->e)->reason; /* this thread's */
        return NULL;
}

/* Another deposit, then the list: both need the engine's mutex. */
static void *list_docs(void *userdata) {
        struct fixture *f = userdata;
        _cleanup_free_ struct dossier_doc *docs = NULL;
        char uid[DOSSIER_UID_SIZE];
        size_t n = 0;
        int r = dossier_deposit(f->e, &gp, INS, &report, "%PDF-1.7 other", 14, uid, NULL);
        if (r == 0)
                r = dossier_list(f->e, &gp, INS, 0, &docs, &n);
        pthread_mutex_lock(&lock);
        done_listing = r == 0 && n == 2;
        pthread_cond_broadcast(&cond);
        pthread_mutex_unlock(&lock);
        return NULL;
}

UNIT_FIXTURE(test_content_read_beside_other_calls, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char uid[DOSSIER_UID_SIZE];
        static char pdf[256 * 1024];
        pthread_t reader, lister;

        SKIP_ON_PG(); /* PostgreSQL: one connection per engine, no readers */
        for (size_t i = 0; i < sizeof(pdf); i++)
                pdf[i] = (char) (i * 7);
        open_dossier(f);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, pdf, sizeof(pdf), uid, NULL), 0);
        int64_t before = audit_count(f);

        struct reading x = {.f = f, .uid = uid};
        hold_next();
        assert_int_equal(pthread_create(&reader, NULL, read_doc, &x), 0);
        hold_wait();
        /* the reader is inside the content's check, on its snapshot: its
         * entry, handed to the trail queue before the check, may be in
         * the trail already or not yet (the content leaves only once it
         * is), and the engine takes other calls.  Counted through a
         * connection of its own: the trail queue's thread may be
         * appending on the writer's, which is one thread's at a time */
        int64_t held = test_store_query_int(&f->ts, "SELECT seq FROM audit_head WHERE id = 1", NULL);
        assert_int_equal(pthread_create(&lister, NULL, list_docs, f), 0);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 30; /* a liveness bound, not a measure: they need nothing but the mutex */
        pthread_mutex_lock(&lock);
        int w = 0;
        while (!done_listing && w == 0)
                w = pthread_cond_timedwait(&cond, &lock, &until);
        bool listed = done_listing;
        pthread_mutex_unlock(&lock);
        hold_release(); /* let the reader go in any case */
        pthread_join(reader, NULL);
        pthread_join(lister, NULL);
        assert_true(held == before || held == before + 1);
        assert_true(listed);
        assert_int_equal(x.r, 0);
        assert_int_equal(x.len, sizeof(pdf));
        assert_memory_equal(x.content, pdf, sizeof(pdf));
        free(x.content);
        /* the deposit, the list and the read, each traced once (the
         * read's entry appended before the deposit moved the generation,
         * or, after, never appended and the read decided again under the
         * mutex) */
        assert_int_equal(audit_count(f), before + 3);
        verify_chain(f);
}

/* An altered content is refused on read, and the access stays traced. */
UNIT_FIXTURE(test_altered_content_traced, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char uid[DOSSIER_UID_SIZE], sql[200];
        struct dossier_doc d;
        void *content = NULL;
        size_t len = 0;

        open_dossier(f);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, "%PDF-1.7 x", 10, uid, NULL), 0);
        snprintf(sql, sizeof(sql), "UPDATE contents SET content = %s WHERE doc_id = "
                                   "(SELECT id FROM documents WHERE uid = '%s')",
                 test_pg() ? "'\\x00'::bytea" : "x'00'", uid);
        test_store_exec(&f->ts, sql);
        int64_t before = audit_count(f);
        assert_int_equal(dossier_read(f->e, &gp, INS, uid, &d, &content, &len), -EBADMSG);
        assert_null(content);
        assert_int_equal(audit_count(f), before + 1);
        verify_chain(f);
}

UNIT_GROUP("dossier-readers", NULL, NULL)

struct tail {
        char action[32], outcome[8], actor[32];
        char prev_action[32], prev_outcome[8]; /* the entry before */
        unsigned reads_allowed;
};

static int keep_tail(const struct audit_entry *a, void *userdata) {
        struct tail *t = userdata;

        memcpy(t->prev_action, t->action, sizeof(t->prev_action));
        memcpy(t->prev_outcome, t->outcome, sizeof(t->prev_outcome));
        strcpy_bounded(t->action, sizeof(t->action), a->action);
        strcpy_bounded(t->outcome, sizeof(t->outcome), a->outcome);
        strcpy_bounded(t->actor, sizeof(t->actor), a->actor);
        if (strcmp(a->action, "read") == 0 && strcmp(a->outcome, "allow") == 0 && strcmp(a->actor, gp.id) == 0)
                t->reads_allowed++;
        return 0;
}

UNIT_FIXTURE(test_change_after_snapshot_decided_again, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char uid[DOSSIER_UID_SIZE];
        pthread_t reader;

        SKIP_ON_PG(); /* PostgreSQL: no read connections, every call under the mutex */
        open_dossier(f);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, "%PDF-1.7 snap", 13, uid, NULL), 0);
        int64_t before = audit_count(f);

        struct reading x = {.f = f, .uid = uid};
        hold_next();
        assert_int_equal(pthread_create(&reader, NULL, read_doc, &x), 0);
        hold_wait();
        /* the read has decided "allow" on its snapshot, handed its entry
         * to the trail queue and is checking the content: the patient
         * blocks the professional meanwhile */
        assert_int_equal(dossier_set_access(f->e, &patient, INS, gp.id, DOSSIER_ACCESS_BLOCK), 0);
        hold_release();
        pthread_join(reader, NULL);

        /* one entry each, in the order decided: either the queue appended
         * the read before the block (allowed, as if made first), or the
         * block came first and the stale allow was never appended nor
         * returned (the read, decided again, refused) */
        assert_int_equal(audit_count(f), before + 2);
        struct tail t = {};
        assert_int_equal(audit_list(dossier_engine_store(f->e), INS, keep_tail, &t), 0);
        if (x.r == 0) {
                assert_int_equal(x.len, 13);
                free(x.content);
                assert_string_equal(t.prev_action, "read");
                assert_string_equal(t.prev_outcome, "allow");
                assert_string_not_equal(t.action, "read");
                assert_int_equal(t.reads_allowed, 1);
        } else {
                assert_int_equal(x.r, -EACCES);
                assert_int_equal(x.reason, ACCESS_DENY_BLOCKED);
                assert_null(x.content);
                assert_string_not_equal(t.prev_action, "read");
                assert_string_equal(t.action, "read");
                assert_string_equal(t.outcome, "deny");
                assert_string_equal(t.actor, gp.id);
                assert_int_equal(t.reads_allowed, 0);
        }
        verify_chain(f);
}

#define LISTERS 8
#define LISTS 40

struct lister {
        struct fixture *f;
        unsigned ok, docs_wrong;
};

static void *list_many(void *userdata) {
        struct lister *l = userdata;
        for (int i = 0; i < LISTS; i++) {
                _cleanup_free_ struct dossier_doc *docs = NULL;
                size_t n = 0;
                int r = dossier_list(l->f->e, &gp, INS, 0, &docs, &n);
                if (r == 0)
                        l->ok++;
                if (r == 0 && (n != 2 || strcmp(docs[0].title, report.title) != 0))
                        l->docs_wrong++;
        }
        return NULL;
}

/* A dossier with two documents; the trail's length then. */
static int64_t two_documents(struct fixture *f) {
        char uid[DOSSIER_UID_SIZE];

        open_dossier(f);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, "%PDF-1.7 a", 10, uid, NULL), 0);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, "%PDF-1.7 b", 10, uid, NULL), 0);
        return audit_count(f);
}

static void start_listers(struct fixture *f, struct lister *l, pthread_t *t) {
        for (int i = 0; i < LISTERS; i++) {
                l[i] = (struct lister) {.f = f};
                assert_int_equal(pthread_create(&t[i], NULL, list_many, &l[i]), 0);
        }
}

/* Every list of every thread answered, with the two documents. */
static void join_listers(struct lister *l, pthread_t *t) {
        for (int i = 0; i < LISTERS; i++) {
                pthread_join(t[i], NULL);
                assert_int_equal(l[i].ok, LISTS);
                assert_int_equal(l[i].docs_wrong, 0);
        }
}

UNIT_FIXTURE(test_concurrent_lists_each_traced, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct lister l[LISTERS];
        pthread_t t[LISTERS];

        int64_t before = two_documents(f);
        start_listers(f, l, t);
        join_listers(l, t);
        assert_int_equal(audit_count(f), before + LISTERS * LISTS);
        verify_chain(f);
}

UNIT_FIXTURE(test_list_inside_batch, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char uid[DOSSIER_UID_SIZE];
        _cleanup_free_ struct dossier_doc *docs = NULL;
        size_t n = 0;

        open_dossier(f);
        int64_t before = audit_count(f);
        assert_int_equal(dossier_batch_begin(f->e), 0);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, "%PDF-1.7 c", 10, uid, NULL), 0);
        /* the deposit is not committed yet: a snapshot would not see it */
        assert_int_equal(dossier_list(f->e, &gp, INS, 0, &docs, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(dossier_batch_commit(f->e), 0);
        assert_int_equal(audit_count(f), before + 2);
        verify_chain(f);
}

/* The tables reloaded (SIGHUP) again and again while threads list off the
 * mutex: every list answered, each traced once, and no decision reads a
 * table once it is freed (what AddressSanitizer would see). */
UNIT_FIXTURE(test_tables_swapped_under_lists, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char p[512], err[256];
        const char *dir = getenv("CARNET_DATA_DIR");
        struct lister l[LISTERS];
        pthread_t t[LISTERS];

        snprintf(p, sizeof(p), "%s/rights.tsv", dir ? dir : "data");
        int64_t before = two_documents(f);
        start_listers(f, l, t);
        for (int i = 0; i < 30; i++) {
                struct rights_table *next = NULL;
                assert_int_equal(rights_load(p, &next, err, sizeof(err)), 0);
                assert_int_equal(dossier_engine_set_tables(f->e, next, f->interactions), 0);
                rights_free(f->rights);
                f->rights = next;
        }
        join_listers(l, t);
        assert_int_equal(audit_count(f), before + LISTERS * LISTS);
        verify_chain(f);
}

static int count_entry(const struct audit_entry *a, void *userdata) {
        (void) a;
        (*(unsigned *) userdata)++;
        return 0;
}

/* A call under the mutex that writes only its trail entry (the patient
 * reading their trail) while a read is held on its snapshot: the read is
 * not decided again (its content is checked once, not twice) and both
 * are traced. */
UNIT_FIXTURE(test_trail_only_call_keeps_snapshot, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char uid[DOSSIER_UID_SIZE];
        pthread_t reader;
        unsigned seen = 0;

        SKIP_ON_PG(); /* PostgreSQL: no read connections */
        open_dossier(f);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, "%PDF-1.7 once", 13, uid, NULL), 0);
        int64_t before = audit_count(f);
        unsigned calls = digest_calls;

        struct reading x = {.f = f, .uid = uid};
        hold_next();
        assert_int_equal(pthread_create(&reader, NULL, read_doc, &x), 0);
        hold_wait();
        assert_int_equal(dossier_trail(f->e, &patient, INS, count_entry, &seen), 0);
        assert_true(seen > 0);
        hold_release();
        pthread_join(reader, NULL);

        assert_int_equal(x.r, 0);
        assert_int_equal(x.len, 13);
        assert_memory_equal(x.content, "%PDF-1.7 once", 13);
        free(x.content);
        assert_int_equal(digest_calls, calls + 1);
        assert_int_equal(audit_count(f), before + 2);
        verify_chain(f);
}

/* dossier_list_each()'s sink while a change is committed during the list
 * on its snapshot (a deposit, the sink held inside its first document):
 * the list is made again under the mutex, begin() is called again, and
 * what the sink holds at the end is the second attempt's list alone, the
 * new document in it and none twice. */
struct sunk {
        struct fixture *f;
        unsigned begins;
        size_t n;
        bool held;
        char uids[8][DOSSIER_UID_SIZE];
        int r;
};

static int sunk_begin(void *data) {
        struct sunk *s = data;
        s->begins++;
        s->n = 0;
        return 0;
}

static int sunk_doc(const struct dossier_doc *d, void *data) {
        struct sunk *s = data;
        if (!s->held) {
                s->held = true;
                hold_point();
        }
        if (s->n == ELEMENTSOF(s->uids))
                return -E2BIG;
        strcpy(s->uids[s->n++], d->uid);
        return 0;
}

static void *list_sunk(void *data) {
        struct sunk *s = data;
        s->r = dossier_list_each(s->f->e, &gp, INS, 0, NULL, &(struct dossier_list_sink) {sunk_begin, sunk_doc, s});
        return NULL;
}

UNIT_FIXTURE(test_list_sink_made_again, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char uid[DOSSIER_UID_SIZE];
        pthread_t lister;

        SKIP_ON_PG(); /* PostgreSQL: no read connections, every call under the mutex */
        open_dossier(f);
        for (int i = 0; i < 2; i++)
                assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, "%PDF-1.7 snap", 13, uid, NULL), 0);
        int64_t before = audit_count(f);

        struct sunk s = {.f = f};
        hold_next();
        assert_int_equal(pthread_create(&lister, NULL, list_sunk, &s), 0);
        hold_wait();
        f->now++;
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, "%PDF-1.7 new", 12, uid, NULL), 0);
        hold_release();
        pthread_join(lister, NULL);

        assert_int_equal(s.r, 0);
        assert_int_equal(s.begins, 2);
        assert_int_equal(s.n, 3);
        assert_string_equal(s.uids[0], uid);
        for (size_t i = 0; i < s.n; i++)
                for (size_t j = i + 1; j < s.n; j++)
                        assert_string_not_equal(s.uids[i], s.uids[j]);
        /* the deposit and the list, each traced once */
        assert_int_equal(audit_count(f), before + 2);
        verify_chain(f);
}

/* Another engine on the same file (another process's connection, as a
 * second carnetd or a tool on it would be) commits the patient's block
 * of gp while gp's list, decided "allow" on its snapshot, hands its rows
 * to the sink: the engine learns of that commit when it next begins to
 * write (its writer's PRAGMA data_version), so the list is decided again
 * on the writer's state, refused, and traced after the block; the stale
 * allow is never appended, and no list is handed out as allowed. */
struct foreign {
        struct fixture *f;
        struct dossier_engine *other;
        unsigned begins, docs;
        int blocked;
};

static int foreign_begin(void *data) {
        ((struct foreign *) data)->begins++;
        return 0;
}

static int foreign_doc(const struct dossier_doc *d, void *data) {
        struct foreign *x = data;
        (void) d;
        if (x->docs++ == 0)
                x->blocked = dossier_set_access(x->other, &patient, INS, gp.id, DOSSIER_ACCESS_BLOCK);
        return 0;
}

UNIT_FIXTURE(test_commit_of_another_connection, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char uid[DOSSIER_UID_SIZE];
        _cleanup_free_ struct dossier_doc *docs = NULL;
        size_t n = 0;

        SKIP_ON_PG(); /* PostgreSQL: no read connections, every call under the mutex and the writers' lock */
        open_dossier(f);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, "%PDF-1.7 one", 12, uid, NULL), 0);
        /* gp noted and seen: the next list goes the snapshot's way */
        assert_int_equal(dossier_list(f->e, &gp, INS, 0, &docs, &n), 0);
        assert_int_equal(n, 1);
        struct dossier_config cfg = {
                .path = f->ts.name, .rights = f->rights, .interactions = f->interactions,
                .scrypt_n = 1024, .scrypt_r = 8, .scrypt_p = 1, .clock = fake_clock, .clock_userdata = f,
        };
        struct foreign x = {.f = f};
        assert_int_equal(dossier_engine_open(&cfg, &x.other), 0);
        int64_t before = audit_count(f);

        struct dossier_list_sink sink = {foreign_begin, foreign_doc, &x};
        int r = dossier_list_each(f->e, &gp, INS, 0, NULL, &sink);
        enum access_reason reason = dossier_last_decision(f->e)->reason;
        x.other = dossier_engine_close(x.other);
        assert_int_equal(x.blocked, 0);
        assert_int_equal(x.begins, 1); /* the snapshot's rows; none made again */
        assert_int_equal(r, -EACCES);
        assert_int_equal(reason, ACCESS_DENY_BLOCKED);
        /* the block, then the list refused; nothing else */
        assert_int_equal(audit_count(f), before + 2);
        struct tail t = {};
        assert_int_equal(audit_list(dossier_engine_store(f->e), INS, keep_tail, &t), 0);
        assert_string_equal(t.prev_action, "manage-access");
        assert_string_equal(t.prev_outcome, "allow");
        assert_string_equal(t.action, "list");
        assert_string_equal(t.outcome, "deny");
        assert_string_equal(t.actor, gp.id);
        verify_chain(f);
}
