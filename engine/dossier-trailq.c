/* engine/dossier-trailq.c: the trail entries of calls decided off the
 * mutex, appended together: the first thread to find no batch in hand
 * takes every entry waiting, appends them under the engine's mutex into
 * the writer's group transaction (dossier-group.c: with the deposits and
 * other writes of the moment, one commit and one fdatasync for all),
 * then hands the lead to the first entry queued meanwhile and wakes the
 * threads of its batch, each on its own condition variable (no herd);
 * see dossier-internal.h. */
#include <errno.h>
#include <stdlib.h>

#include "dossier-internal.h"
#include "lib/macro.h"

struct de_trailq_item {
        const struct audit_entry *ae;
        uint64_t gen;
        int r;
        bool unsynced; /* appended, but the group's commit or sync failed */
        bool done;
        pthread_cond_t wake; /* its thread's own: woken alone, no herd */
        struct de_trailq_item *next;
};

void de_trailq_init(struct de_trailq *q) {
        *q = (struct de_trailq) {};
        pthread_mutex_init(&q->lock, NULL);
        q->tail = &q->head;
}

void de_trailq_free(struct de_trailq *q) {
        pthread_mutex_destroy(&q->lock);
}

/* Under the engine's mutex: appends the entries of batch still decided on
 * the current state, in one savepoint of the group's transaction; the
 * others get -EAGAIN.  The state is no longer the one the snapshots saw
 * when the generation moved since, or when the open group holds a change
 * (not committed, so not in any snapshot): those calls are decided again
 * under the mutex, on the group's state, so that the trail's order stays
 * the order of the decisions.  Returns once the entries are durable (0,
 * *ret_n of them), or an error every entry shares; *ret_failed: the error
 * is the group's commit or sync (dossier-group.c). */
static int commit_batch(struct dossier_engine *e, struct de_trailq_item *batch, size_t *ret_n, bool *ret_failed) {
        size_t n = 0, len = 0;
        int r = 0;

        *ret_n = 0;
        *ret_failed = false;
        for (struct de_trailq_item *it = batch; it; it = it->next)
                len++;
        _cleanup_free_ const struct audit_entry **ae = calloc(len, sizeof(*ae));
        if (!ae)
                return -ENOMEM;
        pthread_mutex_lock(&e->lock);
        uint64_t gen = atomic_load_explicit(&e->generation, memory_order_acquire);
        /* a batch of bulk loading holds the transaction: its calls go the
         * usual way, inside it */
        bool stale = (store_in_transaction(e->store) && !e->grp.open) || e->grp.changed;
        for (struct de_trailq_item *it = batch; it; it = it->next)
                if (stale || it->gen != gen)
                        it->r = -EAGAIN;
                else
                        ae[n++] = it->ae;
        if (n > 0 && (r = de_begin(e)) >= 0) {
                r = audit_append_many(e->store, ae, n, NULL, NULL);
                if (r >= 0)
                        r = store_commit(e->store);
                if (r < 0)
                        store_rollback(e->store);
                /* the trail changes no decision: the generation stays */
                e->gen_mark = store_change_count(e->store);
                if (r >= 0) {
                        r = de_group_wait(e);
                        *ret_failed = r < 0;
                }
        }
        pthread_mutex_unlock(&e->lock);
        *ret_n = r < 0 ? 0 : n;
        return r;
}

int de_trailq_append(struct dossier_engine *e, const struct audit_entry *ae, uint64_t gen) {
        struct de_trailq *q = &e->trailq;
        struct de_trailq_item me = { .ae = ae, .gen = gen, .wake = PTHREAD_COND_INITIALIZER };

        pthread_mutex_lock(&q->lock);
        *q->tail = &me;
        q->tail = &me.next;
        while (!me.done) {
                if (q->leading || !q->head) {
                        pthread_cond_wait(&me.wake, &q->lock);
                        continue;
                }
                /* lead: every entry waiting now, mine among them or not */
                struct de_trailq_item *batch = q->head;
                q->head = NULL;
                q->tail = &q->head;
                q->leading = true;
                q->batches++;
                pthread_mutex_unlock(&q->lock);

                /* made durable before the next batch is taken: the
                 * entries handed in meanwhile make that one larger */
                size_t n = 0;
                bool unsynced = false;
                int r = commit_batch(e, batch, &n, &unsynced);

                pthread_mutex_lock(&q->lock);
                q->entries += n;
                q->leading = false;
                if (q->head)
                        pthread_cond_signal(&q->head->wake);
                for (struct de_trailq_item *it = batch, *next; it; it = next) {
                        next = it->next; /* it may be gone once done */
                        if (it->r == 0) {
                                it->r = r;
                                it->unsynced = unsynced;
                        }
                        it->done = true;
                        if (it != &me)
                                pthread_cond_signal(&it->wake);
                }
        }
        /* leading again if others queued meanwhile and nobody leads: the
         * first of them is told */
        if (!q->leading && q->head)
                pthread_cond_signal(&q->head->wake);
        pthread_mutex_unlock(&q->lock);
        pthread_cond_destroy(&me.wake);
        if (me.unsynced)
                de_note_durability_error(me.r); /* in the caller's thread, as de_unlock() */
        return me.r;
}
