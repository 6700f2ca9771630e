/* engine/dossier.c: the engine itself (open and close, its lock, the
 * tables, batches, the last decision) and the input checks every operation
 * shares; see dossier.h and docs/dossier-engine.md. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dossier-internal.h"
#include "tsv.h"
#include "lib/macro.h"
#include "lib/nir.h"
#include "lib/utf8.h"

/* The decision of the calling thread's last engine call, and the engine it
 * was made by: what dossier_last_decision() gives, with no outer lock. */
static _Thread_local struct {
        const struct dossier_engine *engine;
        struct access_decision decision;
} thread_last;

/* Takes e's mutex and starts the operation from the calling thread's own
 * last decision, so that a call that decides nothing leaves it as it was. */
struct dossier_engine *de_lock(struct dossier_engine *e) {
        if (!e)
                return NULL;
        pthread_mutex_lock(&e->lock);
        e->last = thread_last.engine == e ? thread_last.decision : (struct access_decision) {};
        return e;
}

/* The calling thread's first failure to make an operation durable (a
 * failed sync), and its first group commit that failed, for
 * dossier_durability_error() and dossier_commit_error(). */
static _Thread_local int thread_durability_error, thread_commit_error;

static void note_first(int *slot, int r) {
        if (r < 0 && !*slot)
                *slot = r;
}

static int take(int *slot) {
        int r = *slot;
        *slot = 0;
        return r;
}

/* Publishes the operation's decision to the calling thread, lets go, then
 * waits until everything written so far is on disk (group commit: the
 * threads that finish at once share one commit and one sync,
 * dossier-group.c, store.h), so that nothing an operation decided, wrote
 * or read leaves the engine before it is durable in the trail; then tells
 * on_notification of the notifications it committed.  A batch of bulk
 * loading (an open transaction not the group's) waits at its commit. */
void de_unlock(struct dossier_engine *e) {
        if (!e)
                return;
        char told[ELEMENTSOF(e->pending)][sizeof(e->pending[0])];
        size_t n_told = e->n_pending;
        thread_last.engine = e;
        thread_last.decision = e->last;
        memcpy(told, e->pending, n_told * sizeof(told[0]));
        e->n_pending = 0;
        int r;
        if (e->grp.open) {
                /* what the call wrote, or read of the others' writes, is
                 * in the open group: shown once the group is on disk */
                bool final = false;
                de_group_note(e);
                r = de_group_wait(e, &final);
                pthread_mutex_unlock(&e->lock);
                if (r < 0 && !final) {
                        de_note_commit_error(r);
                        return; /* nothing of it was kept: nothing to tell */
                }
                goto told;
        }
        uint64_t mark = store_in_transaction(e->store) ? 0 : store_written(e->store);
        /* a change committed (or rolled back: counted all the same) moves
         * the generation, after its commit: a decision made on an older
         * snapshot is then made again (dossier-snapshot.c).  The call's
         * own trail entries decide nothing: a call that wrote only those
         * (a list or a read under the mutex) leaves it. */
        if (mark && de_changes_decide(e, mark))
                atomic_fetch_add_explicit(&e->generation, 1, memory_order_release);
        e->gen_quiet = false;
        if (mark || !store_in_transaction(e->store))
                e->trail_changes = 0; /* a batch's add up until its commit */
        pthread_mutex_unlock(&e->lock);
        r = store_durable(e->store, mark);
told:
        de_note_durability_error(r);
        /* the notifications committed, told once they are on disk */
        for (size_t i = 0; r >= 0 && e->on_notification && i < n_told; i++)
                e->on_notification(e->on_notification_userdata, told[i]);
}

bool de_changes_decide(struct dossier_engine *e, uint64_t n) {
        bool decide = n != e->gen_mark && !e->gen_quiet && n - e->gen_mark > e->trail_changes;
        e->gen_mark = n;
        return decide;
}

void de_publish_decision(struct dossier_engine *e, const struct access_decision *d) {
        thread_last.engine = e;
        thread_last.decision = *d;
}

void de_note_durability_error(int r) {
        note_first(&thread_durability_error, r);
}

int dossier_durability_error(void) {
        return take(&thread_durability_error);
}

void de_note_commit_error(int r) {
        note_first(&thread_commit_error, r);
}

int dossier_commit_error(void) {
        return take(&thread_commit_error);
}

int64_t de_now_of(struct dossier_engine *e) {
        return e->clock ? e->clock(e->clock_userdata) : (int64_t) time(NULL);
}

const char *de_nz(const char *s) {
        return s ? s : "";
}

void de_copy_column(char *dst, size_t size, struct store_stmt *st, int col) {
        const char *t = store_col_text(st, col);
        (void) strcpy_bounded(dst, size, t ? t : "");
}

void de_copy_column_run(struct store_stmt *st, int first, const struct de_col *cols, size_t n) {
        for (size_t i = 0; i < n; i++)
                de_copy_column(cols[i].dst, cols[i].size, st, first + (int) i);
}

int dossier_text_check(const char *s, size_t len, size_t max) {
        const unsigned char *p = (const unsigned char *) s;

        if (!s)
                return -EINVAL;
        if (len >= max)
                return -E2BIG;
        /* continuation bytes are >= 0x80: a byte-wise scan finds every NUL
         * and control character */
        for (size_t i = 0; i < len; i++)
                if (p[i] < 0x20 || p[i] == 0x7f)
                        return -EINVAL;
        return utf8_valid(s, len) ? 0 : -EINVAL;
}

int de_text_field(const char *s, size_t max, bool required) {
        if (!s)
                return required ? -EINVAL : 0;
        if (required && !*s)
                return -EINVAL;
        return dossier_text_check(s, strnlen(s, max), max);
}

int de_code_field(const char *s, bool required) {
        size_t n;

        if (!s || !*s)
                return required ? -EINVAL : 0;
        n = strnlen(s, DOSSIER_CODE_MAX);
        if (n >= DOSSIER_CODE_MAX)
                return -E2BIG;
        return tsv_code_valid(s, n, DOSSIER_CODE_MAX, TSV_CODE_PRINTABLE) ? 0 : -EINVAL;
}

int de_actor_check(const struct dossier_actor *a) {
        int r;

        if (!a || (unsigned) a->kind >= _ACCESS_ACTOR_MAX || (unsigned) a->mode >= _ACCESS_MODE_MAX ||
            (unsigned) a->card >= _ACCESS_CARD_MAX || (unsigned) a->practice >= _ACCESS_PRACTICE_MAX)
                return -EINVAL;
        if (a->kind != ACCESS_ACTOR_SYSTEM && (r = de_code_field(a->id, true)) < 0)
                return r;
        /* establishment staff (CPE, CPA) may carry no profession: their
         * refusals are decided and traced, not "bad input" (docs/rules.md §5) */
        if ((r = de_code_field(a->profession, a->kind == ACCESS_ACTOR_PROFESSIONAL && access_card_reads(a->card))) < 0 ||
            (r = de_code_field(a->specialty, false)) < 0 ||
            (r = de_text_field(a->last_name, DOSSIER_TEXT_MAX, false)) < 0 ||
            (r = de_text_field(a->first_name, DOSSIER_TEXT_MAX, false)) < 0 ||
            (r = de_text_field(a->institution, DOSSIER_TEXT_MAX, false)) < 0 ||
            (r = de_text_field(a->establishment, DOSSIER_TEXT_MAX, false)) < 0 ||
            (r = de_text_field(a->reason, DOSSIER_TEXT_MAX, false)) < 0 ||
            (r = de_text_field(a->session, DOSSIER_TEXT_MAX, false)) < 0 ||
            (r = de_text_field(a->workstation, DOSSIER_TEXT_MAX, false)) < 0)
                return r;
        return 0;
}

/* A dossier is keyed by the INS as spelt once: a lower-case Corsican
 * department would be another dossier of the same person (the API
 * writes every INS it takes in that spelling, nir_canonical()). */
int de_ins_check(const char *ins) {
        return ins && nir_check_canonical(ins) == 0 ? 0 : -EINVAL;
}

int de_uid_check(const char *uid) {
        size_t n;

        if (!uid)
                return -EINVAL;
        n = strnlen(uid, DOSSIER_UID_SIZE);
        if (n != DOSSIER_UID_SIZE - 1)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!((uid[i] >= '0' && uid[i] <= '9') || (uid[i] >= 'a' && uid[i] <= 'f')))
                        return -EINVAL;
        return 0;
}

void *de_grow(void *array, size_t n, size_t *cap, size_t size, size_t first) {
        size_t ncap;
        void *p;

        if (n < *cap)
                return array;
        ncap = *cap ? *cap * 2 : first;
        p = reallocarray(array, ncap, size);
        if (p)
                *cap = ncap;
        return p;
}

int de_sha256(const void *p, size_t n, uint8_t ret[32]) {
        unsigned len = 0;
        return EVP_Digest(p, n, ret, &len, EVP_sha256(), NULL) == 1 && len == 32 ? 0 : -EIO;
}

int dossier_engine_open(const struct dossier_config *cfg, struct dossier_engine **ret) {
        _cleanup_(dossier_engine_closep) struct dossier_engine *e = NULL;
        static const char *const default_exams[] = DOSSIER_DEFAULT_EXAM_TYPES;
        int r;

        if (!cfg || !cfg->path || !cfg->rights || !ret)
                return -EINVAL;
        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        pthread_mutex_init(&e->lock, NULL);
        pthread_mutex_init(&e->readers.lock, NULL);
        pthread_mutex_init(&e->seen.lock, NULL);
        {
                /* a reload waits for the decisions in flight, not for a
                 * stream of new ones */
                pthread_rwlockattr_t a;
                pthread_rwlockattr_init(&a);
                pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
                pthread_rwlock_init(&e->tables, &a);
                pthread_rwlockattr_destroy(&a);
        }
        de_trailq_init(&e->trailq);
        e->rights = cfg->rights;
        e->interactions = cfg->interactions;
        e->duplicate_window = cfg->duplicate_window > 0 ? cfg->duplicate_window : 30 * DOSSIER_DAY;
        e->treatment_window = cfg->treatment_window > 0 ? cfg->treatment_window : 90 * DOSSIER_DAY;
        e->scrypt_n = cfg->scrypt_n ? cfg->scrypt_n : 32768;
        e->scrypt_r = cfg->scrypt_r ? cfg->scrypt_r : 8;
        e->scrypt_p = cfg->scrypt_p ? cfg->scrypt_p : 1;
        e->clock = cfg->clock;
        e->clock_userdata = cfg->clock_userdata;
        e->on_notification = cfg->on_notification;
        e->on_notification_userdata = cfg->on_notification_userdata;
        if (cfg->exam_types) {
                for (size_t i = 0; cfg->exam_types[i]; i++) {
                        if (i >= EXAM_TYPES_MAX || de_code_field(cfg->exam_types[i], true) < 0)
                                return -EINVAL;
                        strcpy_bounded(e->exam_types[i], DOSSIER_CODE_MAX, cfg->exam_types[i]);
                        e->n_exam_types++;
                }
        } else {
                for (size_t i = 0; i < ELEMENTSOF(default_exams); i++)
                        strcpy_bounded(e->exam_types[e->n_exam_types++], DOSSIER_CODE_MAX, default_exams[i]);
        }
        r = store_open(cfg->path, &e->store);
        if (r < 0)
                return r;
        de_group_init(e);
        r = de_readers_init(e, cfg->path);
        if (r < 0)
                return r;
        de_purge_staged(e);
        *ret = TAKE_PTR(e);
        return 0;
}

struct dossier_engine *dossier_engine_close(struct dossier_engine *e) {
        if (!e)
                return NULL;
        de_trailq_stop(e);
        de_readers_free(e);
        store_close(e->store);
        de_trailq_free(&e->trailq);
        pthread_rwlock_destroy(&e->tables);
        pthread_mutex_destroy(&e->seen.lock);
        pthread_mutex_destroy(&e->lock);
        free(e);
        return NULL;
}

int dossier_engine_set_tables(struct dossier_engine *e, const struct rights_table *rights,
                              const struct interactions *interactions) {
        if (!e || !rights)
                return -EINVAL;
        DE_LOCKED(e);
        /* no decision made off the mutex still reads the old ones */
        pthread_rwlock_wrlock(&e->tables);
        e->rights = rights;
        e->interactions = interactions;
        /* a decision made on the old tables is made again on the new */
        atomic_fetch_add_explicit(&e->generation, 1, memory_order_release);
        pthread_rwlock_unlock(&e->tables);
        return 0;
}

int64_t dossier_engine_now(struct dossier_engine *e) {
        return de_now_of(e);
}

struct store *dossier_engine_store(struct dossier_engine *e) {
        return e ? e->store : NULL;
}

int dossier_batch_begin(struct dossier_engine *e) {
        DE_LOCKED(e);
        if (!e)
                return -EINVAL;
        /* the batch takes the writer's transaction: the group's first
         * (others may open the next one while this waits) */
        int r = e->grp.failed;
        struct access_decision mine = e->last; /* others' calls run while this waits */
        while (r >= 0 && e->grp.open)
                r = de_group_wait(e, NULL);
        e->last = mine;
        return r < 0 ? r : store_batch_begin(e->store);
}

int dossier_batch_commit(struct dossier_engine *e) {
        DE_LOCKED(e);
        return e ? store_batch_commit(e->store) : -EINVAL;
}

void dossier_batch_rollback(struct dossier_engine *e) {
        DE_LOCKED(e);
        if (e)
                store_batch_rollback(e->store);
}

/* The calling thread's own last decision on e: another thread's calls in
 * between do not change it. */
const struct access_decision *dossier_last_decision(const struct dossier_engine *e) {
        static const struct access_decision none = {};

        if (!e)
                return NULL;
        return thread_last.engine == e ? &thread_last.decision : &none;
}
