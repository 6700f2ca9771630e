/* engine/dossier-trail.c: what the patient reads of their history (trail,
 * notifications), and the system jobs: retention purge and hold release;
 * see dossier.h and docs/dossier-engine.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dossier-internal.h"
#include "lib/macro.h"

/* The closed dossiers that may be due (the bound of
 * de_months_candidates()), after the id ?2 the job has seen. */
static const char sql_expired[] =
        "SELECT id, ins, closed_at FROM dossiers WHERE status = 2 AND closed_at <= ?1 AND id > ?2 ORDER BY id LIMIT 1";
/* The held-back documents due for a notice (?1) or that may be due for
 * their release (?2, de_months_candidates()), after the id ?3: the last
 * version of each, whose hold its old versions share (one notice for the
 * document, and their release with its own: de_sql_release). */
static const char sql_holds[] =
        "SELECT d.id, d.uid, d.hidden_since, d.hold_notified, s.id, s.ins, s.status FROM documents d "
        "JOIN dossiers s ON s.id = d.dossier_id WHERE d.hidden_from_patient = 1 AND d.replaced_by IS NULL "
        "AND d.hidden_since <= ?1 AND (d.hold_notified = 0 OR d.hidden_since <= ?2) AND d.id > ?3 "
        "ORDER BY d.id LIMIT 256";
static const char sql_hold_notified[] = "UPDATE documents SET hold_notified = 1 WHERE id = ?1";

/* The patient's notifications; with ?2 set (a representative reads them),
 * none about a document withheld from representatives. */
static const char sql_notifications[] =
        "SELECT n.id, n.at, n.recipient, n.kind, n.message, n.document FROM notifications n WHERE n.dossier_id = ?1 "
        "AND n.recipient = 'patient' AND NOT (?2 <> 0 AND EXISTS (SELECT 1 FROM documents d WHERE "
        "d.dossier_id = n.dossier_id AND d.uid = n.document AND d.hidden_from_representatives = 1)) ORDER BY n.id";
static const char sql_notifications_for[] =
        "SELECT id, at, recipient, kind, message, document FROM notifications WHERE recipient = ?1 ORDER BY id";

/* Looks at the next closed dossier after *cursor that may be due, in one
 * transaction and under the engine lock, and purges it if its 10 calendar
 * years have passed: 1 when one was looked at (*ret_purged says whether
 * it went), 0 when none is left. */
static int purge_one(struct dossier_engine *e, int64_t now, int64_t *cursor, bool *ret_purged) {
        static const struct dossier_actor sys = { .kind = ACCESS_ACTOR_SYSTEM, .session = "retention" };
        DE_LOCKED(e);
        char ins[DOSSIER_CODE_MAX];
        struct dstate ds;
        bool due = false;
        int r;

        *ret_purged = false;
        r = de_begin(e);
        if (r < 0)
                return r;
        {
                _cleanup_stmt_ struct store_stmt *st = NULL;

                r = store_prepare(e->store, sql_expired, &st);
                if (r >= 0)
                        r = store_bind_int(st, 1, de_months_candidates(now, DOSSIER_RETENTION_MONTHS));
                if (r >= 0)
                        r = store_bind_int(st, 2, *cursor);
                if (r >= 0)
                        r = store_step(e->store, st);
                if (r > 0) {
                        *cursor = store_col_int64(st, 0);
                        de_copy_column(ins, sizeof(ins), st, 1);
                        due = de_months_elapsed(store_col_int64(st, 2), DOSSIER_RETENTION_MONTHS, now);
                }
        }
        if (r <= 0 || !due) {
                store_rollback(e->store);
                return r;
        }
        r = de_load_state(e, &sys, ins, now, &ds);
        if (r >= 0)
                r = de_decide_audited(e, &sys, ins, &ds, ACCESS_ACTION_PURGE, NULL, NULL, false, now, NULL);
        if (r >= 0 && e->last.allow)
                r = de_purge_dossier(e, ds.id, now);
        r = de_finish(e, r);
        if (r < 0)
                return r;
        *ret_purged = true;
        return 1;
}

/* One expired dossier per transaction, the lock let go in between, so
 * that a long purge never holds the write lock (nor the engine) for long
 * and a crash loses at most one step. */
int dossier_purge_expired(struct dossier_engine *e, unsigned *ret_purged) {
        unsigned purged = 0;
        int64_t now, cursor = 0;
        bool one;
        int r;

        if (!e)
                return -EINVAL;
        now = de_now_of(e);
        while ((r = purge_one(e, now, &cursor, &one)) > 0)
                purged += one;
        if (ret_purged)
                *ret_purged = purged;
        return r;
}

/* One held-back document, as the hold job reads it. */
struct hold {
        int64_t id, since, dossier_id;
        bool was_notified;
        enum access_dossier_status status;
        char uid[DOSSIER_UID_SIZE], ins[DOSSIER_CODE_MAX];
};

/* Reads up to max held-back documents after the id after that may be due
 * for a notice or a release. */
static int load_holds(struct dossier_engine *e, int64_t now, int64_t after, struct hold *h, size_t max,
                      size_t *ret_n) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        size_t n = 0;
        int r;

        r = store_prepare(e->store, sql_holds, &st);
        if (r >= 0)
                r = store_bind_int(st, 1, now - DOSSIER_HOLD_NOTIFY);
        if (r >= 0)
                r = store_bind_int(st, 2, de_months_candidates(now, DOSSIER_HOLD_MONTHS));
        if (r >= 0)
                r = store_bind_int(st, 3, after);
        while (r >= 0 && n < max && (r = store_step(e->store, st)) > 0) {
                h[n].id = store_col_int64(st, 0);
                de_copy_column(h[n].uid, DOSSIER_UID_SIZE, st, 1);
                h[n].since = store_col_int64(st, 2);
                h[n].was_notified = store_col_int(st, 3);
                h[n].dossier_id = store_col_int64(st, 4);
                de_copy_column(h[n].ins, DOSSIER_CODE_MAX, st, 5);
                h[n].status = (enum access_dossier_status) store_col_int(st, 6);
                n++;
        }
        *ret_n = n;
        return r < 0 ? r : 0;
}

/* One held-back document: released (audited) at 1 calendar month, else the
 * patient told once to consult; counted in *notified or *released. */
static int process_hold(struct dossier_engine *e, const struct hold *h, int64_t now, unsigned *notified,
                        unsigned *released) {
        static const struct dossier_actor sys = { .kind = ACCESS_ACTOR_SYSTEM, .session = "hold" };
        struct dstate ds = { .id = h->dossier_id, .status = h->status };
        bool release = de_months_elapsed(h->since, DOSSIER_HOLD_MONTHS, now);
        int r = 0;

        if (release) {
                int64_t seq;

                r = de_decide_audited(e, &sys, h->ins, &ds, ACCESS_ACTION_RELEASE_HOLD, NULL, h->uid, false, now,
                                      &seq);
                if (r >= 0 && e->last.allow)
                        r = de_exec_id_int(e, de_sql_release, h->id, de_hold_end(h->since)); /* lapsed then */
                if (r >= 0 && e->last.allow)
                        (*released)++;
        }
        if (r >= 0 && !h->was_notified) {
                if (!release)
                        r = de_notify(e, h->dossier_id, "patient", now, "hold-consult",
                                      "A document awaits an announcement consultation: please consult "
                                      "the professional who deposited it.",
                                      h->uid, NULL, 0);
                if (r >= 0)
                        r = de_exec_id(e, sql_hold_notified, h->id);
                if (r >= 0 && !release)
                        (*notified)++;
        }
        if (r >= 0 && release && !e->last.allow)
                r = -EIO; /* the system's release is never refused: something is wrong */
        return r;
}

/* Held-back documents: at 2 weeks the patient is told to consult (once),
 * at 1 calendar month the hold ends. Each change is audited as a system
 * action. */
int dossier_tick(struct dossier_engine *e, unsigned *ret_notified, unsigned *ret_released) {
        DE_LOCKED(e);
        unsigned notified = 0, released = 0;
        int64_t now, after = 0;
        int r;

        if (!e)
                return -EINVAL;
        now = de_now_of(e);
        r = de_begin(e);
        if (r < 0)
                return r;
        for (;;) {
                struct hold h[32];
                size_t n = 0;

                r = load_holds(e, now, after, h, ELEMENTSOF(h), &n);
                if (r < 0 || n == 0)
                        break;
                after = h[n - 1].id; /* a row not due yet is not read again */
                for (size_t i = 0; i < n && r >= 0; i++)
                        r = process_hold(e, &h[i], now, &notified, &released);
                if (r < 0)
                        break;
        }
        r = de_end_tx(e, r);
        if (r < 0)
                return r;
        if (ret_notified)
                *ret_notified = notified;
        if (ret_released)
                *ret_released = released;
        return 0;
}

/* A reading of the trail or the notifications: decided, audited and
 * committed before the reading, so that the entry recording it is part of
 * what is read (the trail's newest entry: on its last page). */
static int committed_op(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                        enum access_action action, struct dstate *ds) {
        int64_t now;

        return de_finish(e, de_simple_op(e, actor, ins, action, ds, &now));
}

static const char sql_held_uids[] =
        "SELECT uid, hidden_from_patient, hidden_since, hidden_from_representatives FROM documents "
        "WHERE dossier_id = ?1 AND (hidden_from_patient = 1 OR (?2 <> 0 AND hidden_from_representatives = 1))";
/* The entry a page starts after, if it is one of this dossier's trail. */
static const char sql_trail_cursor[] = "SELECT document FROM audit WHERE seq = ?1 AND dossier = ?2";

/* A page of the trail as actor sees it.  The patient's view leaves out
 * the entries about documents still held back from them: "a document was
 * deposited" must wait for the announcement consultation like the
 * document itself.  A representative's also leaves out those the minor
 * withheld from them (L1111-5). */
struct trail_page {
        audit_cb cb;
        void *userdata;
        char (*held)[DOSSIER_UID_SIZE];
        size_t n_held, cap_held;
        size_t max, given;
        bool more;     /* an entry actor sees follows the page */
};

static bool trail_hides(const struct trail_page *p, const char *document) {
        for (size_t i = 0; document && document[0] && i < p->n_held; i++)
                if (strcmp(document, p->held[i]) == 0)
                        return true;
        return false;
}

/* The documents of dossier ds whose entries actor does not see. */
static int trail_load_held(struct dossier_engine *e, const struct dossier_actor *actor, const struct dstate *ds,
                           struct trail_page *p) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        bool rep = actor->kind == ACCESS_ACTOR_REPRESENTATIVE;
        int64_t now = de_now_of(e);
        int r;

        if (!access_acts_as_patient(actor->kind))
                return 0;
        if ((r = store_prepare(e->store, sql_held_uids, &st)) < 0 || (r = store_bind_int(st, 1, ds->id)) < 0 ||
            (r = store_bind_int(st, 2, rep)) < 0)
                return r;
        while ((r = store_step(e->store, st)) > 0) {
                if (!de_held_back(st, 1, now) && !(rep && store_col_int(st, 3)))
                        continue;
                void *held = de_grow(p->held, p->n_held, &p->cap_held, sizeof(*p->held), 8);
                if (!held)
                        return -ENOMEM;
                p->held = held;
                snprintf(p->held[p->n_held++], DOSSIER_UID_SIZE, "%s", store_col_text(st, 0));
        }
        return r;
}

/* after names an entry of the trail of ins that actor sees: 0, else
 * -ESRCH (one they do not see answers as one of another dossier, so that
 * trying sequence numbers tells nothing of a held-back deposit). */
static int trail_cursor(struct dossier_engine *e, const char *ins, int64_t after, const struct trail_page *p) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r;

        if (after == 0)
                return 0;
        r = store_prepare(e->store, sql_trail_cursor, &st);
        if (r >= 0 && (r = store_bind_int(st, 1, after)) >= 0 && (r = store_bind_text(st, 2, ins)) >= 0)
                r = store_step(e->store, st);
        if (r < 0)
                return r;
        return r == 0 || trail_hides(p, store_col_text(st, 0)) ? -ESRCH : 0;
}

static int trail_entry(const struct audit_entry *a, void *userdata) {
        struct trail_page *p = userdata;

        if (trail_hides(p, a->document))
                return 0;
        if (p->given == p->max) {
                p->more = true;
                return 1;
        }
        p->given++;
        return p->cb(a, p->userdata);
}

int dossier_trail_page(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                       int64_t after_seq, size_t max, audit_cb cb, void *userdata, bool *ret_more) {
        DE_LOCKED(e);
        struct dstate ds;
        int r = cb && max > 0 && after_seq >= 0 ? committed_op(e, actor, ins, ACCESS_ACTION_READ_TRAIL, &ds) : -EINVAL;

        if (r < 0)
                return r;
        /* the held-back documents, the cursor and the entries on one
         * snapshot: on PostgreSQL other processes append meanwhile, and
         * an entry about a document held back since must not slip in */
        bool own = !store_in_transaction(e->store);
        if (own && (r = store_begin_read(e->store)) < 0)
                return r;
        struct trail_page p = {.cb = cb, .userdata = userdata, .max = max};
        r = trail_load_held(e, actor, &ds, &p);
        if (r >= 0)
                r = trail_cursor(e, ins, after_seq, &p);
        /* by statements of a bounded number of rows, the first one more
         * than the page holds, to know whether an entry follows it */
        if (r >= 0)
                r = audit_list_from(e->store, ins, after_seq, max < SIZE_MAX ? max + 1 : max, trail_entry, &p);
        if (own)
                store_rollback(e->store);
        free(p.held);
        if (r >= 0 && ret_more)
                *ret_more = p.more;
        return r;
}

int dossier_trail(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, audit_cb cb,
                  void *userdata) {
        return dossier_trail_page(e, actor, ins, 0, SIZE_MAX, cb, userdata, NULL);
}

/* One row of sql_notifications(_for) to the caller's callback. */
struct notification_walk {
        dossier_notification_cb cb;
        void *userdata;
};

static int notification_row(struct store_stmt *st, void *userdata) {
        const struct notification_walk *w = userdata;
        struct dossier_notification n = {
                .id = store_col_int64(st, 0),
                .at = store_col_int64(st, 1),
                .recipient = store_col_text(st, 2),
                .kind = store_col_text(st, 3),
                .message = store_col_text(st, 4),
                .document = store_col_text(st, 5),
        };

        return w->cb(&n, w->userdata);
}

/* The notifications of a dossier (recipient NULL) or of one recipient. */
static int walk_notifications(struct dossier_engine *e, const char *sql, int64_t dossier_id, bool representative,
                              const char *recipient, dossier_notification_cb cb, void *userdata) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        struct notification_walk w = { .cb = cb, .userdata = userdata };
        int r;

        r = store_prepare_text(e->store, sql, recipient, &st);
        if (r >= 0 && !recipient && (r = store_bind_int(st, 1, dossier_id)) >= 0)
                r = store_bind_int(st, 2, representative);
        return r < 0 ? r : store_each_row(e->store, st, notification_row, &w);
}

int dossier_notifications(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                          dossier_notification_cb cb, void *userdata) {
        DE_LOCKED(e);
        struct dstate ds;
        int r = cb ? committed_op(e, actor, ins, ACCESS_ACTION_READ_NOTIFICATIONS, &ds) : -EINVAL;

        return r < 0 ? r
                     : walk_notifications(e, sql_notifications, ds.id, actor->kind == ACCESS_ACTOR_REPRESENTATIVE,
                                          NULL, cb, userdata);
}

int dossier_notifications_for(struct dossier_engine *e, const char *id_nat, dossier_notification_cb cb,
                              void *userdata) {
        DE_LOCKED(e);
        if (!e || !cb || de_code_field(id_nat, true) < 0)
                return -EINVAL;
        return walk_notifications(e, sql_notifications_for, 0, false, id_nat, cb, userdata);
}

int dossier_audit_verify(struct dossier_engine *e, int64_t *ret_bad_seq, char *msg, size_t msg_size,
                         int64_t *ret_head_seq, uint8_t ret_head[AUDIT_HASH_LEN]) {
        DE_LOCKED(e);
        /* one snapshot for the walk and the head: on PostgreSQL other
         * processes append meanwhile (inside a batch: the batch's view) */
        if (!e)
                return -EINVAL;
        bool own = !store_in_transaction(e->store);
        int r = own ? store_begin_read(e->store) : 0;
        if (r < 0)
                return r;
        int v = audit_verify(e->store, ret_bad_seq, msg, msg_size);
        r = audit_head(e->store, ret_head_seq, ret_head);
        if (own)
                store_rollback(e->store);
        return v < 0 ? v : r;
}
