/* engine/dossier-group.c: the writer's shared transaction (SQLite with
 * group commit): the calls that write while a commit is on its way to
 * the disk write into one open transaction, each in a savepoint of its
 * own; the first of them to find no commit under way commits it for all,
 * makes it durable (one fdatasync) and wakes the others, each on its own
 * condition variable.  See dossier-internal.h and docs/dossier-engine.md,
 * "Group commit". */
#include <errno.h>

#include "dossier-internal.h"

struct de_group_member {
        int r;
        bool done;
        pthread_cond_t wake; /* its thread's own: woken alone, no herd */
        struct de_group_member *next;
};

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
        /* a batch of bulk loading (dossier_batch_begin()) holds the
         * transaction already: the call goes inside it */
        if (g->enabled && !g->open && !store_in_transaction(e->store)) {
                r = store_batch_begin(e->store);
                if (r < 0)
                        return r;
                g->open = true;
        }
        return store_begin(e->store);
}

void de_group_note(struct dossier_engine *e) {
        uint64_t n = store_change_count(e->store);

        /* rows of the trail alone decide nothing (dossier-snapshot.c); a
         * failed call's rolled back rows count all the same */
        if (n != e->gen_mark) {
                if (!e->gen_quiet && n - e->gen_mark > e->trail_changes)
                        e->grp.changed = true;
                e->gen_mark = n;
        }
        e->gen_quiet = false;
        e->trail_changes = 0;
}

/* The lead: commits the open transaction for every member waiting, then,
 * without the mutex, makes it durable.  A failed commit or sync is final
 * (de_begin() refuses every write after it): the members' calls were
 * each accepted, then lost together. */
static void lead(struct dossier_engine *e) {
        struct de_group *g = &e->grp;
        struct de_group_member *batch = g->head;

        g->head = NULL;
        g->tail = &g->head;
        g->committing = true;
        int r = store_batch_commit(e->store);
        if (r < 0)
                store_batch_rollback(e->store);
        g->open = false;
        /* after the commit, as de_unlock() for a call of its own: a
         * decision made on an older snapshot is made again */
        if (g->changed)
                atomic_fetch_add_explicit(&e->generation, 1, memory_order_release);
        g->changed = false;
        uint64_t mark = store_written(e->store);
        e->gen_mark = mark;
        g->commits++;
        pthread_mutex_unlock(&e->lock);
        if (r >= 0)
                r = store_durable(e->store, mark);
        pthread_mutex_lock(&e->lock);
        if (r < 0 && g->failed == 0)
                g->failed = r == -EBUSY ? -EIO : r;
        g->committing = false;
        for (struct de_group_member *it = batch, *next; it; it = next) {
                next = it->next; /* it may be gone once done */
                it->r = r;
                it->done = true;
                pthread_cond_signal(&it->wake);
        }
        /* the first of those who came meanwhile leads the next one */
        if (g->head)
                pthread_cond_signal(&g->head->wake);
}

int de_group_wait(struct dossier_engine *e) {
        struct de_group *g = &e->grp;
        struct de_group_member me = {.wake = PTHREAD_COND_INITIALIZER};

        if (!g->open)
                return g->failed;
        *g->tail = &me;
        g->tail = &me.next;
        g->members++;
        while (!me.done) {
                if (g->committing)
                        pthread_cond_wait(&me.wake, &e->lock);
                else
                        lead(e); /* me among the batch */
        }
        pthread_cond_destroy(&me.wake);
        return me.r;
}
