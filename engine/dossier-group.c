/* engine/dossier-group.c: the writer's shared transaction (SQLite with
 * group commit): the calls that write while a commit is on its way to
 * the disk write into one open transaction, each in a savepoint of its
 * own.  The thread whose sync ends commits the group that came meanwhile
 * at once and hands its sync to the first of its members; with no
 * commit under way, the first member commits and syncs itself; a group
 * holding a large content's piece is committed at once.  Each member is
 * woken on its own condition variable.  See dossier-internal.h and
 * docs/dossier-engine.md, "Group commit". */
#include <errno.h>

#include "dossier-internal.h"

struct de_group_member {
        int r;
        bool final; /* r is a failed sync's */
        bool done;
        /* handed a batch committed for it, whose sync it leads */
        bool handoff;
        struct de_group_member *batch;
        uint64_t mark;
        int commit_r;
        pthread_cond_t wake; /* its thread's own: woken alone, no herd */
        struct de_group_member *next;
};

static void fail_open(struct dossier_engine *e);

void de_group_init(struct dossier_engine *e) {
        e->grp = (struct de_group) {.enabled = store_group_commit(e->store)};
        e->grp.tail = &e->grp.head;
}

void dossier_engine_group_counts(struct dossier_engine *e, uint64_t *ret_commits, uint64_t *ret_calls) {
        uint64_t c = 0, m = 0;

        if (e) {
                pthread_mutex_lock(&e->lock);
                c = e->grp.commits;
                m = e->grp.members;
                pthread_mutex_unlock(&e->lock);
        }
        if (ret_commits)
                *ret_commits = c;
        if (ret_calls)
                *ret_calls = m;
}

int de_begin(struct dossier_engine *e) {
        struct de_group *g = &e->grp;
        int r;

        if (g->failed < 0)
                return g->failed;
        if (g->open && !store_in_transaction(e->store))
                fail_open(e); /* SQLite rolled the group back by itself */
        /* a batch of bulk loading (dossier_batch_begin()) holds the
         * transaction already: the call goes inside it */
        if (g->enabled && !g->open && !store_in_transaction(e->store)) {
                r = store_batch_begin(e->store);
                if (r < 0)
                        return r;
                g->open = true;
        }
        r = store_begin(e->store);
        if (r < 0)
                return r;
        /* another connection (another process on the file) committed
         * before this transaction began: a snapshot taken before that
         * commit no longer holds the current state */
        uint64_t foreign = store_foreign_commits(e->store);
        if (foreign != e->foreign_seen) {
                e->foreign_seen = foreign;
                atomic_fetch_add_explicit(&e->generation, 1, memory_order_release);
        }
        return 0;
}

void de_group_note(struct dossier_engine *e) {
        uint64_t n = store_change_count(e->store);

        if (n != e->gen_mark && e->gen_quiet)
                e->grp.urgent = true; /* a piece */
        if (de_changes_decide(e, n))
                e->grp.changed = true;
        e->gen_quiet = false;
        e->trail_changes = 0;
}

/* Under the mutex: commits the open transaction for every member waiting
 * (the first of them, *ret_batch, leads its sync).  A failed commit (or
 * a transaction SQLite rolled back by itself, store.c) fails every
 * member: their calls were each accepted, then undone together; the file
 * is as it was, and the next group may commit. */
static int commit_open(struct dossier_engine *e, struct de_group_member **ret_batch, uint64_t *ret_mark) {
        struct de_group *g = &e->grp;

        *ret_batch = g->head;
        g->head = NULL;
        g->tail = &g->head;
        g->committing++;
        g->urgent = false;
        int r = store_batch_commit(e->store);
        if (r < 0)
                store_batch_rollback(e->store);
        g->open = false;
        /* after the commit, as de_unlock() for a call of its own: a
         * decision made on an older snapshot is made again */
        if (g->changed)
                atomic_fetch_add_explicit(&e->generation, 1, memory_order_release);
        g->changed = false;
        *ret_mark = e->gen_mark = store_written(e->store);
        g->commits++;
        return r;
}

/* Tells every member of batch its result and wakes it. */
static void release(struct de_group_member *batch, int r, bool final) {
        for (struct de_group_member *it = batch, *next; it; it = next) {
                next = it->next; /* it may be gone once done */
                it->r = r;
                it->final = final;
                it->done = true;
                pthread_cond_signal(&it->wake);
        }
}

/* The open group's transaction is gone: SQLite rolled it back by itself
 * after an error in one of its calls (store.c).  Its commit fails at
 * once (-EIO, nothing to sync), its members with it (nothing of theirs
 * was kept), and the calling call opens a new one. */
static void fail_open(struct dossier_engine *e) {
        struct de_group_member *batch;
        uint64_t mark;
        int r = commit_open(e, &batch, &mark);

        e->grp.committing--;
        release(batch, r < 0 ? r : -EIO, false);
}

/* Called with the mutex, by a member of batch: makes batch's commit
 * durable without the mutex (store_durable(): leaders that overlap, an
 * urgent group's beside the one before, share the syncs), tells every
 * member, then commits at once the group that came meanwhile, if any,
 * and hands its sync to the first of its members: no wake-up stands
 * between one sync and the next group's commit. */
static void sync_batch(struct dossier_engine *e, struct de_group_member *batch, uint64_t mark, int r) {
        struct de_group *g = &e->grp;

        bool final = false;
        pthread_mutex_unlock(&e->lock);
        if (r >= 0) {
                r = store_durable(e->store, mark);
                final = r < 0;
        }
        pthread_mutex_lock(&e->lock);
        /* a failed sync is final (wal-sync.h): de_begin() refuses every
         * write after it */
        if (final && g->failed == 0)
                g->failed = r;
        g->committing--;
        release(batch, r, final);
        if (!g->head)
                return;
        struct de_group_member *next_batch;
        uint64_t next_mark;
        int nr = commit_open(e, &next_batch, &next_mark);
        next_batch->handoff = true;
        next_batch->mark = next_mark;
        next_batch->commit_r = nr;
        next_batch->batch = next_batch;
        pthread_cond_signal(&next_batch->wake);
}

int de_group_wait(struct dossier_engine *e, bool *ret_final) {
        struct de_group *g = &e->grp;
        struct de_group_member me = {.wake = PTHREAD_COND_INITIALIZER};

        if (ret_final)
                *ret_final = g->failed < 0;
        if (!g->open)
                return g->failed;
        *g->tail = &me;
        g->tail = &me.next;
        g->members++;
        while (!me.done) {
                if (me.handoff) {
                        /* committed by the last batch's leader: my batch's sync is mine */
                        me.handoff = false;
                        sync_batch(e, me.batch, me.mark, me.commit_r);
                } else if (g->committing && !g->urgent) {
                        pthread_cond_wait(&me.wake, &e->lock);
                } else {
                        struct de_group_member *batch;
                        uint64_t mark;
                        int r = commit_open(e, &batch, &mark); /* me among the batch */
                        sync_batch(e, batch, mark, r);
                }
        }
        pthread_cond_destroy(&me.wake);
        if (ret_final)
                *ret_final = me.final;
        return me.r;
}
