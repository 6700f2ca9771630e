/* engine/dossier-trailq.c: the trail entries of calls decided off the
 * mutex, appended together: a writer thread takes every entry waiting,
 * appends them under the engine's mutex into the writer's group
 * transaction (dossier-group.c: with the deposits and other writes of
 * the moment, one commit and one fdatasync for all), wakes the threads
 * of its batch, each on its own condition variable (no herd), and takes
 * the entries handed in meanwhile; the threads read their rows or their
 * content while it does.  Should the thread not start, the first waiter
 * to find no batch in hand leads instead.  See dossier-internal.h. */
#include <errno.h>
#include <stdlib.h>

#include "dossier-internal.h"
#include "lib/macro.h"

void de_trailq_init(struct de_trailq *q) {
        *q = (struct de_trailq) {};
        pthread_mutex_init(&q->lock, NULL);
        pthread_cond_init(&q->writer_wake, NULL);
        q->tail = &q->head;
}

void de_trailq_free(struct de_trailq *q) {
        pthread_cond_destroy(&q->writer_wake);
        pthread_mutex_destroy(&q->lock);
}

/* Under the engine's mutex: appends the entries of batch still decided on
 * the current state, in one savepoint of the group's transaction; the
 * others get -EAGAIN.  The state is no longer the one the snapshots saw
 * when the generation moved since, or when the open group holds a change
 * (not committed, so not in any snapshot): those calls are decided again
 * under the mutex, on the group's state, so that the trail's order stays
 * the order of the decisions; so are they all when the transaction finds
 * a commit another connection made to the file (de_begin()).  Returns
 * once the entries are durable (0, *ret_n of them), or an error every
 * entry shares; *ret_failed: the error is the group's failed sync, final
 * (dossier-group.c). */
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
                /* the transaction found a commit of another connection
                 * (de_begin()): the snapshots may not have seen it */
                if (atomic_load_explicit(&e->generation, memory_order_acquire) != gen) {
                        for (struct de_trailq_item *it = batch; it; it = it->next)
                                it->r = -EAGAIN;
                        n = 0;
                }
                if (n > 0)
                        r = audit_append_many(e->store, ae, n, NULL, NULL);
                if (r >= 0)
                        r = store_commit(e->store);
                if (r < 0)
                        store_rollback(e->store);
                /* the trail changes no decision: the generation stays */
                e->gen_mark = store_change_count(e->store);
                if (r >= 0) {
                        bool final = false;
                        r = de_group_wait(e, &final);
                        *ret_failed = r < 0 && final; /* else the entries' calls fail with r */
                }
        }
        pthread_mutex_unlock(&e->lock);
        *ret_n = r < 0 ? 0 : n;
        return r;
}

/* With q->lock held, entries waiting and nobody leading: takes every
 * entry waiting, commits them (without q->lock), and tells each its
 * result.  Made durable before the next batch is taken: the entries
 * handed in meanwhile make that one larger. */
static void lead(struct dossier_engine *e, struct de_trailq *q) {
        struct de_trailq_item *batch = q->head;

        q->head = NULL;
        q->tail = &q->head;
        q->leading = true;
        q->batches++;
        pthread_mutex_unlock(&q->lock);

        size_t n = 0;
        bool unsynced = false;
        int r = commit_batch(e, batch, &n, &unsynced);

        pthread_mutex_lock(&q->lock);
        q->entries += n;
        q->leading = false;
        for (struct de_trailq_item *it = batch, *next; it; it = next) {
                next = it->next; /* it may be gone once done */
                if (it->r == 0) {
                        it->r = r;
                        it->unsynced = unsynced;
                }
                it->done = true;
                pthread_cond_signal(&it->wake);
        }
}

/* The writer: leads a batch whenever entries wait, so that the threads
 * that handed them in read their rows or their content meanwhile. */
static void *writer_run(void *userdata) {
        struct dossier_engine *e = userdata;
        struct de_trailq *q = &e->trailq;

        pthread_mutex_lock(&q->lock);
        while (!q->stop) {
                if (!q->head || q->leading) {
                        q->writer_idle = true;
                        pthread_cond_wait(&q->writer_wake, &q->lock);
                        q->writer_idle = false;
                        continue;
                }
                lead(e, q);
        }
        pthread_mutex_unlock(&q->lock);
        return NULL;
}

void de_trailq_stop(struct dossier_engine *e) {
        struct de_trailq *q = &e->trailq;

        pthread_mutex_lock(&q->lock);
        bool started = q->writer_started;
        q->stop = true;
        pthread_cond_signal(&q->writer_wake);
        pthread_mutex_unlock(&q->lock);
        if (started)
                pthread_join(q->writer, NULL);
        q->writer_started = false;
}

void de_trailq_submit(struct dossier_engine *e, struct de_trailq_item *it, const struct audit_entry *ae,
                      uint64_t gen, bool ahead) {
        struct de_trailq *q = &e->trailq;

        *it = (struct de_trailq_item) {.ae = ae, .gen = gen, .wake = PTHREAD_COND_INITIALIZER};
        pthread_mutex_lock(&q->lock);
        /* started with the first entry; without it (it could not be
         * started), the waiters lead, as in de_trailq_wait() */
        if (!q->writer_started && !q->writer_failed && !q->stop) {
                q->writer_started = pthread_create(&q->writer, NULL, writer_run, e) == 0;
                q->writer_failed = !q->writer_started;
                if (q->writer_started)
                        (void) pthread_setname_np(q->writer, "carnet-trail"); /* for top and perf */
        }
        *q->tail = it;
        q->tail = &it->next;
        if (ahead && q->writer_idle && !q->leading)
                pthread_cond_signal(&q->writer_wake);
        pthread_mutex_unlock(&q->lock);
}

int de_trailq_wait(struct dossier_engine *e, struct de_trailq_item *it) {
        struct de_trailq *q = &e->trailq;

        pthread_mutex_lock(&q->lock);
        while (!it->done) {
                /* the writer asleep (or none): lead, rather than pay two
                 * wake-ups (the writer's, then mine) for nothing to
                 * overlap */
                if (q->leading || !q->head || (q->writer_started && !q->writer_idle))
                        pthread_cond_wait(&it->wake, &q->lock);
                else
                        lead(e, q); /* every entry waiting now, mine among them or not */
        }
        /* entries came meanwhile and nobody leads: the writer, or the
         * first of their threads, takes them */
        if (!q->leading && q->head) {
                if (q->writer_started && q->writer_idle)
                        pthread_cond_signal(&q->writer_wake);
                else if (!q->writer_started)
                        pthread_cond_signal(&q->head->wake);
        }
        pthread_mutex_unlock(&q->lock);
        pthread_cond_destroy(&it->wake);
        if (it->unsynced)
                de_note_durability_error(it->r); /* in the caller's thread, as de_unlock() */
        return it->r;
}
