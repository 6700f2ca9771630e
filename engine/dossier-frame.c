/* engine/dossier-frame.c: the operation frame: the prologue (checks,
 * transaction, state), the audited decision, the end of the transaction,
 * notifications; see dossier.h and docs/dossier-engine.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dossier-internal.h"
#include "lib/civil-time.h"
#include "lib/macro.h"

static const char sql_dossier[] =
        "SELECT id, status, optout_emergency, optout_call_centre, notify, closed_at, birth_date, deceased_at, "
        "optout_heirs FROM dossiers WHERE ins = ?1";
static const char sql_relation[] =
        "SELECT relation, blocked, sees_masked, first_access_at, express_consent, heir_access FROM dossier_access "
        "WHERE dossier_id = ?1 AND id_nat = ?2";
static const char sql_professional[] =
        "INSERT INTO professionals (id_nat, last_name, first_name, profession, specialty, first_seen, last_seen) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (id_nat) DO UPDATE SET last_name = excluded.last_name, "
        "first_name = excluded.first_name, profession = excluded.profession, specialty = excluded.specialty, "
        "last_seen = excluded.last_seen "
        /* unchanged and seen this minute: no write (a list, a read would
         * otherwise rewrite the row each time) */
        "WHERE professionals.last_name <> excluded.last_name OR professionals.first_name <> excluded.first_name "
        "OR professionals.profession <> excluded.profession OR professionals.specialty <> excluded.specialty "
        "OR professionals.last_seen < excluded.last_seen - " STRINGIFY(DE_SEEN_WINDOW_S);
static const char sql_doc_by_uid[] =
        "SELECT id, type_code, class_code, author_id, status, masked, hidden_from_patient, hidden_since, version, "
        "author_establishment, hidden_from_representatives, hold_notified FROM documents "
        "WHERE dossier_id = ?1 AND uid = ?2";
static const char sql_notify[] =
        "INSERT INTO notifications (dossier_id, recipient, at, kind, message, document, actor, session, audit_seq) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char sql_notified_session[] =
        "SELECT 1 FROM notifications WHERE dossier_id = ?1 AND recipient = ?2 AND kind = ?3 AND actor = ?4 "
        "AND session = ?5 LIMIT 1";
static const char sql_traitants[] =
        "SELECT id_nat FROM dossier_access WHERE dossier_id = ?1 AND relation = 3 AND blocked = 0";
static const char sql_first_access[] =
        "INSERT INTO dossier_access (dossier_id, id_nat, first_access_at, updated_at) VALUES (?1, ?2, ?3, ?3) "
        "ON CONFLICT (dossier_id, id_nat) DO UPDATE SET first_access_at = coalesce(dossier_access.first_access_at, excluded.first_access_at)";

int de_query_by_text(struct store *s, const char *sql, const char *text, struct store_stmt **st) {
        int r = store_prepare_text(s, sql, text, st);

        return r < 0 ? r : store_step(s, *st);
}

int de_load_state(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, int64_t now,
                  struct dstate *ds) {
        return de_load_state_on(e->store, actor, ins, now, ds);
}

int de_load_state_on(struct store *s, const struct dossier_actor *actor, const char *ins, int64_t now,
                     struct dstate *ds) {
        _cleanup_stmt_ struct store_stmt *st = NULL, *rel = NULL;
        int r;

        *ds = (struct dstate) { .status = ACCESS_DOSSIER_ABSENT, .notify = true };
        r = de_query_by_text(s, sql_dossier, ins, &st);
        if (r <= 0)
                return r;
        ds->id = store_col_int64(st, 0);
        ds->status = (enum access_dossier_status) store_col_int(st, 1);
        ds->optout_emergency = store_col_int(st, 2);
        ds->optout_call_centre = store_col_int(st, 3);
        ds->notify = store_col_int(st, 4);
        ds->closed_at = store_col_int64(st, 5);
        ds->deceased_at = store_col_int64(st, 7);
        ds->optout_heirs = store_col_int(st, 8);
        /* a destroyed tombstone has no birth date left: nobody acts on it as its patient anyway */
        ds->under_16 = ds->status != ACCESS_DOSSIER_DESTROYED &&
                       !access_age_16_reached(store_col_text(st, 6), now);

        if (actor->kind == ACCESS_ACTOR_REPRESENTATIVE) {
                char birth_date[DOSSIER_CODE_MAX];

                de_copy_column(birth_date, sizeof(birth_date), st, 6);
                r = de_representative_listed(s, ds->id, actor->id, birth_date, now);
                ds->representative = r > 0;
                return r < 0 ? r : 0;
        }
        if (actor->kind != ACCESS_ACTOR_PROFESSIONAL)
                return 0;
        r = store_prepare(s, sql_relation, &rel);
        if (r < 0)
                return r;
        if ((r = store_bind_int(rel, 1, ds->id)) < 0 || (r = store_bind_text(rel, 2, actor->id)) < 0)
                return r;
        r = store_step(s, rel);
        if (r <= 0)
                return r;
        ds->relation = (enum access_relation) store_col_int(rel, 0);
        if ((unsigned) ds->relation >= _ACCESS_REL_MAX)
                return -EBADMSG;
        ds->blocked = store_col_int(rel, 1);
        ds->sees_masked = store_col_int(rel, 2);
        ds->seen = !store_col_is_null(rel, 3);
        ds->express_consent = store_col_int(rel, 4);
        ds->heir_access = store_col_int(rel, 5);
        return 0;
}

int de_bind_professional(struct store_stmt *st, const struct dossier_actor *actor) {
        int r;

        if ((r = store_bind_text(st, 1, actor->id)) < 0 || (r = store_bind_text(st, 2, de_nz(actor->last_name))) < 0 ||
            (r = store_bind_text(st, 3, de_nz(actor->first_name))) < 0 ||
            (r = store_bind_text(st, 4, de_nz(actor->profession))) < 0 ||
            (r = store_bind_text(st, 5, de_nz(actor->specialty))) < 0)
                return r;
        return 0;
}

/* Records the professional in the table of professionals seen. */
static int note_professional(struct dossier_engine *e, const struct dossier_actor *actor, int64_t now) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r;

        if (actor->kind != ACCESS_ACTOR_PROFESSIONAL)
                return 0;
        r = store_prepare(e->store, sql_professional, &st);
        if (r >= 0 && (r = de_bind_professional(st, actor)) >= 0)
                r = store_bind_int(st, 6, now);
        return r < 0 ? r : store_exec_step(e->store, st);
}

bool de_months_elapsed(int64_t since, int months, int64_t now) {
        int64_t end;

        return civil_add_months(since, months, &end) == 0 && end <= now;
}

int64_t de_months_candidates(int64_t now, int months) {
        int64_t bound;

        return civil_add_months(now, -months, &bound) == 0 && bound < now - 4 * DOSSIER_DAY ?
                       bound + 4 * DOSSIER_DAY : now;
}

bool de_held_back(struct store_stmt *st, int col, int64_t now) {
        return store_col_int(st, col) && !de_months_elapsed(store_col_int64(st, col + 1), DOSSIER_HOLD_MONTHS, now);
}

int64_t de_hold_end(int64_t since) {
        int64_t end;

        return civil_add_months(since, DOSSIER_HOLD_MONTHS, &end) == 0 ? end : INT64_MAX;
}

struct access_doc de_row_access_doc(struct store_stmt *st, int64_t now) {
        return (struct access_doc) {
                .type_code = store_col_text(st, 1),
                .class_code = store_col_text(st, 2),
                .author_id = store_col_text(st, 3),
                .status = (enum access_doc_status) (store_col_int(st, 4) - 1),
                .masked = store_col_int(st, 5),
                .hidden_from_patient = de_held_back(st, 6, now),
                .author_establishment = store_col_text(st, 9),
                .hidden_from_representatives = store_col_int(st, 10),
        };
}

int de_load_doc(struct dossier_engine *e, int64_t dossier_id, const char *uid, int64_t now, struct drow *d) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r;

        *d = (struct drow) {};
        r = store_prepare(e->store, sql_doc_by_uid, &st);
        if (r < 0)
                return r;
        if ((r = store_bind_int(st, 1, dossier_id)) < 0 || (r = store_bind_text(st, 2, uid)) < 0)
                return r;
        r = store_step(e->store, st);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        d->id = store_col_int64(st, 0);
        d->version = store_col_int(st, 8);
        d->ad = de_row_access_doc(st, now);
        d->masked = d->ad.masked;
        if (d->ad.hidden_from_patient) {
                d->hidden_since = store_col_int64(st, 7);
                d->hold_notified = store_col_int(st, 11);
        }
        /* copies that outlive the statement */
        de_copy_columns(st, 1, DE_COL(d->type_code), DE_COL(d->class_code), DE_COL(d->author_id));
        de_copy_column(d->author_establishment, sizeof(d->author_establishment), st, 9);
        d->ad.author_establishment = d->author_establishment;
        d->ad.type_code = d->type_code;
        d->ad.class_code = d->class_code;
        d->ad.author_id = d->author_id;
        return 0;
}

void de_fill_request(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                     const struct dstate *ds, enum access_action action, const struct access_doc *doc,
                     bool consent, struct access_request *req) {
        *req = (struct access_request) {
                .actor_kind = actor->kind,
                .actor_id = actor->id,
                .establishment = actor->establishment,
                .profession = actor->profession,
                .card = actor->card,
                .practice = actor->practice,
                .express_consent = ds->express_consent,
                .mode = actor->mode,
                .reason = actor->reason,
                .dossier_status = ds->status,
                .dossier_ins = ins,
                .optout_emergency = ds->optout_emergency,
                .optout_call_centre = ds->optout_call_centre,
                .relation = ds->relation,
                .blocked = ds->blocked,
                .sees_masked = ds->sees_masked,
                .consent = consent,
                .patient_under_16 = ds->under_16,
                .deceased = ds->deceased_at != 0,
                .optout_heirs = ds->optout_heirs,
                .heir_access = ds->heir_access,
                .representative = ds->representative,
                .action = action,
                .doc = doc,
                .rights = e->rights,
        };
}

void de_audit_entry(const struct dossier_actor *actor, const char *ins, const char *trail_action,
                    const char *doc_uid, const struct access_decision *d, int64_t now, struct audit_entry *ae) {
        *ae = (struct audit_entry) {
                .at = now,
                .actor_kind = access_actor_kind_name(actor->kind),
                .actor = de_nz(actor->id),
                .session = de_nz(actor->session),
                .action = trail_action,
                .dossier = de_nz(ins),
                .document = de_nz(doc_uid),
                .mode = access_mode_name(actor->mode),
                .reason = de_nz(actor->reason),
                .outcome = d->allow ? "allow" : "deny",
                .code = access_reason_name(d->reason),
                .workstation = de_nz(actor->workstation),
                .establishment = de_nz(actor->establishment),
        };
}

int de_audit_append(struct dossier_engine *e, const struct audit_entry *ae, int64_t *ret_seq) {
        int64_t changes = 0;
        int r = audit_append_many(e->store, &ae, 1, ret_seq, &changes);

        if (r >= 0)
                e->trail_changes += (uint64_t) changes;
        return r;
}

int de_decide_audited_as(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                         const struct dstate *ds, enum access_action action, const char *trail_action,
                         const struct access_doc *doc, const char *doc_uid, bool consent, int64_t now,
                         int64_t *ret_seq) {
        struct access_request req;
        struct audit_entry ae;
        int r;

        de_fill_request(e, actor, ins, ds, action, doc, consent, &req);
        r = access_decide(&req, &e->last);
        if (r < 0)
                return r;
        de_audit_entry(actor, ins, trail_action, doc_uid, &e->last, now, &ae);
        return de_audit_append(e, &ae, ret_seq);
}

int de_decide_audited(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                      const struct dstate *ds, enum access_action action, const struct access_doc *doc,
                      const char *doc_uid, bool consent, int64_t now, int64_t *ret_seq) {
        return de_decide_audited_as(e, actor, ins, ds, action, access_action_name(action), doc, doc_uid, consent, now,
                                 ret_seq);
}

int de_denied_errno(const struct access_decision *d) {
        switch (d->reason) {
        case ACCESS_DENY_NO_DOSSIER:
        case ACCESS_DENY_NO_DOCUMENT:
                return -ENOENT;
        default:
                return -EACCES;
        }
}

int de_end_tx(struct dossier_engine *e, int r) {
        if (r >= 0)
                r = store_commit(e->store);
        if (r < 0) {
                store_rollback(e->store);
                e->n_pending = 0; /* only what was committed is told */
        }
        /* the committed ones are told by de_unlock(), once on disk */
        return r < 0 ? r : 0;
}

int de_finish(struct dossier_engine *e, int r) {
        if (r < 0 && !e)
                return r;
        r = de_end_tx(e, r);
        if (r < 0)
                return r;
        return e->last.allow ? 0 : de_denied_errno(&e->last);
}

int de_notify(struct dossier_engine *e, int64_t dossier_id, const char *recipient, int64_t now,
              const char *kind, const char *message, const char *doc_uid, const struct dossier_actor *actor,
              int64_t seq) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r;

        r = store_prepare(e->store, sql_notify, &st);
        if (r < 0)
                return r;
        if ((r = store_bind_int(st, 1, dossier_id)) < 0 || (r = store_bind_text(st, 2, recipient)) < 0 ||
            (r = store_bind_int(st, 3, now)) < 0 || (r = store_bind_text(st, 4, kind)) < 0 ||
            (r = store_bind_text(st, 5, message)) < 0 || (r = store_bind_text(st, 6, de_nz(doc_uid))) < 0 ||
            (r = store_bind_text(st, 7, actor ? de_nz(actor->id) : "")) < 0 ||
            (r = store_bind_text(st, 8, actor ? de_nz(actor->session) : "")) < 0 ||
            (r = seq > 0 ? store_bind_int(st, 9, seq) : 0) < 0)
                return r;
        r = store_exec_step(e->store, st);
        if (r >= 0 && e->n_pending < ELEMENTSOF(e->pending))
                snprintf(e->pending[e->n_pending++], sizeof(e->pending[0]), "%s", kind);
        return r;
}

static int already_notified(struct dossier_engine *e, int64_t dossier_id, const char *recipient, const char *kind,
                            const struct dossier_actor *actor) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r;

        r = store_prepare(e->store, sql_notified_session, &st);
        if (r < 0)
                return r;
        if ((r = store_bind_int(st, 1, dossier_id)) < 0 || (r = store_bind_text(st, 2, recipient)) < 0 ||
            (r = store_bind_text(st, 3, kind)) < 0 || (r = store_bind_text(st, 4, de_nz(actor->id))) < 0 ||
            (r = store_bind_text(st, 5, de_nz(actor->session))) < 0)
                return r;
        return store_step(e->store, st);
}

int de_after_allow(struct dossier_engine *e, const struct dossier_actor *actor, const struct dstate *ds,
                   int64_t now, int64_t seq) {
        char msg[512];
        int r;

        if (actor->kind != ACCESS_ACTOR_PROFESSIONAL || ds->id == 0)
                return 0;
        if (e->last.flags & ACCESS_FLAG_EMERGENCY) {
                _cleanup_stmt_ struct store_stmt *st = NULL;
                char traitants[8][DOSSIER_CODE_MAX];
                size_t n = 0;

                snprintf(msg, sizeof(msg), "Emergency access by %s %s (%s), reason: %s", de_nz(actor->first_name),
                         de_nz(actor->last_name), de_nz(actor->id), de_nz(actor->reason));
                r = already_notified(e, ds->id, "patient", "emergency-access", actor);
                if (r < 0)
                        return r;
                if (r == 0) {
                        r = de_notify(e, ds->id, "patient", now, "emergency-access", msg, NULL, actor, seq);
                        if (r < 0)
                                return r;
                        r = store_prepare(e->store, sql_traitants, &st);
                        if (r < 0)
                                return r;
                        if ((r = store_bind_int(st, 1, ds->id)) < 0)
                                return r;
                        while (n < ELEMENTSOF(traitants) && (r = store_step(e->store, st)) > 0)
                                de_copy_column(traitants[n++], DOSSIER_CODE_MAX, st, 0);
                        if (r < 0)
                                return r;
                        store_reset(st);
                        st = NULL;
                        for (size_t i = 0; i < n; i++) {
                                r = de_notify(e, ds->id, traitants[i], now, "emergency-access", msg, NULL, actor, seq);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        if (!ds->seen) {
                _cleanup_stmt_ struct store_stmt *st = NULL;

                r = store_prepare(e->store, sql_first_access, &st);
                if (r < 0)
                        return r;
                if ((r = store_bind_int(st, 1, ds->id)) < 0 || (r = store_bind_text(st, 2, actor->id)) < 0 ||
                    (r = store_bind_int(st, 3, now)) < 0)
                        return r;
                r = store_exec_step(e->store, st);
                if (r < 0)
                        return r;
                if (ds->notify) {
                        snprintf(msg, sizeof(msg), "First access to your dossier by %s %s (%s)",
                                 de_nz(actor->first_name), de_nz(actor->last_name), de_nz(actor->id));
                        r = de_notify(e, ds->id, "patient", now, "first-access", msg, NULL, actor, seq);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int de_begin_op(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                struct dstate *ds, int64_t *ret_now) {
        int64_t now;
        int r;

        if (!e || de_actor_check(actor) < 0 || de_ins_check(ins) < 0)
                return -EINVAL;
        now = *ret_now = de_now_of(e);
        r = de_begin(e);
        if (r < 0)
                return r;
        r = note_professional(e, actor, now);
        if (r < 0)
                goto fail;
        r = de_load_state(e, actor, ins, now, ds);
        if (r < 0)
                goto fail;
        return 0;
fail:
        store_rollback(e->store);
        return r;
}

int de_dossier_op(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                  enum access_action action, struct dstate *ds, int64_t *ret_now, int64_t *ret_seq) {
        int r;

        r = de_begin_op(e, actor, ins, ds, ret_now);
        if (r < 0)
                return r;
        return de_decide_audited(e, actor, ins, ds, action, NULL, NULL, false, *ret_now, ret_seq);
}

int de_simple_op(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                 enum access_action action, struct dstate *ds, int64_t *ret_now) {
        int64_t seq = 0;
        int r;

        r = de_dossier_op(e, actor, ins, action, ds, ret_now, &seq);
        if (r >= 0 && e->last.allow)
                r = de_after_allow(e, actor, ds, *ret_now, seq);
        return r;
}

int de_finish_allowed(struct dossier_engine *e, const struct dossier_actor *actor, const struct dstate *ds,
                      int64_t now, int64_t seq, int r) {
        if (r >= 0)
                r = de_after_allow(e, actor, ds, now, seq);
        return de_finish(e, r);
}

/* Runs sql with its integer parameters ?1 to ?n. */
static int exec_ints(struct dossier_engine *e, const char *sql, const int64_t *v, size_t n) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r = store_prepare(e->store, sql, &st);

        for (size_t i = 0; r >= 0 && i < n; i++)
                r = store_bind_int(st, (int)i + 1, v[i]);
        return r < 0 ? r : store_exec_step(e->store, st);
}

int de_exec_id(struct dossier_engine *e, const char *sql, int64_t id) {
        return exec_ints(e, sql, (const int64_t[]) {id}, 1);
}

int de_exec_id_int(struct dossier_engine *e, const char *sql, int64_t id, int64_t v) {
        return exec_ints(e, sql, (const int64_t[]) {id, v}, 2);
}

int de_exec_id_int2(struct dossier_engine *e, const char *sql, int64_t id, int64_t v, int64_t w) {
        return exec_ints(e, sql, (const int64_t[]) {id, v, w}, 3);
}
