/* engine/dossier-access-lists.c: the access list: consent, authorisations,
 * blocks, the médecin traitant and the masked-documents grant; see
 * dossier.h and docs/dossier-engine.md. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dossier-internal.h"
#include "lib/macro.h"

static const char sql_set_relation[] =
        "INSERT INTO dossier_access (dossier_id, id_nat, relation, updated_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (dossier_id, id_nat) DO UPDATE SET relation = excluded.relation, updated_at = excluded.updated_at";
/* one médecin traitant per dossier: naming one makes the previous one
 * (relation 3) an authorised professional (?3), who keeps their access */
static const char sql_demote_traitant[] =
        "UPDATE dossier_access SET relation = ?3, updated_at = ?4 WHERE dossier_id = ?1 AND id_nat <> ?2 "
        "AND relation = 3";
static const char sql_set_express[] =
        "INSERT INTO dossier_access (dossier_id, id_nat, express_consent, updated_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (dossier_id, id_nat) DO UPDATE SET express_consent = excluded.express_consent, "
        "updated_at = excluded.updated_at";
/* a revocation ends an express consent too */
static const char sql_revoke[] =
        "INSERT INTO dossier_access (dossier_id, id_nat, relation, updated_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (dossier_id, id_nat) DO UPDATE SET relation = excluded.relation, express_consent = 0, "
        "updated_at = excluded.updated_at";
static const char sql_set_blocked[] =
        "INSERT INTO dossier_access (dossier_id, id_nat, blocked, updated_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (dossier_id, id_nat) DO UPDATE SET blocked = excluded.blocked, updated_at = excluded.updated_at";
static const char sql_set_sees_masked[] =
        "INSERT INTO dossier_access (dossier_id, id_nat, sees_masked, updated_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (dossier_id, id_nat) DO UPDATE SET sees_masked = excluded.sees_masked, "
        "updated_at = excluded.updated_at";
static const char sql_list_access[] =
        "SELECT a.id_nat, coalesce(p.last_name, ''), coalesce(p.first_name, ''), coalesce(p.profession, ''), "
        "a.relation, a.blocked, a.sees_masked, coalesce(a.first_access_at, 0) FROM dossier_access a "
        "LEFT JOIN professionals p ON p.id_nat = a.id_nat WHERE a.dossier_id = ?1 ORDER BY a.id_nat";

/* Writes one column of the actor id_nat's line in the dossier's access
 * list (sql is one of sql_set_relation, sql_set_blocked,
 * sql_set_sees_masked), creating the line if needed. */
static int set_access_line(struct dossier_engine *e, const char *sql, int64_t dossier_id, const char *id_nat,
                           int64_t value, int64_t now) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r;

        r = store_prepare(e->store, sql, &st);
        if (r < 0)
                return r;
        if ((r = store_bind_int(st, 1, dossier_id)) < 0 || (r = store_bind_text(st, 2, id_nat)) < 0 ||
            (r = store_bind_int(st, 3, value)) < 0 || (r = store_bind_int(st, 4, now)) < 0)
                return r;
        return store_exec_step(e->store, st);
}

int de_record_consent(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                      const struct dstate *ds, int64_t now) {
        int64_t seq = 0;
        int r;

        /* an occupational or fire-service doctor records the patient's
         * express consent, and only that (docs/rules.md §2) */
        bool express = actor->practice != ACCESS_PRACTICE_CARE;
        r = de_decide_audited_as(e, actor, ins, ds, ACCESS_ACTION_RECORD_CONSENT,
                                 express ? DOSSIER_ACTION_RECORD_EXPRESS_CONSENT
                                         : access_action_name(ACCESS_ACTION_RECORD_CONSENT),
                                 NULL, NULL, false, now, &seq);
        if (r >= 0 && e->last.allow && express)
                r = set_access_line(e, sql_set_express, ds->id, actor->id, 1, now);
        /* never lower a care-team or traitant relation */
        else if (r >= 0 && e->last.allow && ds->relation == ACCESS_REL_NONE)
                r = set_access_line(e, sql_set_relation, ds->id, actor->id, ACCESS_REL_AUTHORISED, now);
        return r;
}

int dossier_record_consent(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins) {
        DE_LOCKED(e);
        struct dstate ds;
        int64_t now;
        int r;

        r = de_begin_op(e, actor, ins, &ds, &now);
        if (r >= 0)
                r = de_record_consent(e, actor, ins, &ds, now);
        return de_finish(e, r);
}

/* What each change of dossier_set_access() writes. */
static const struct {
        const char *sql;
        int64_t value;
} access_changes[_DOSSIER_ACCESS_CHANGE_MAX] = {
        [DOSSIER_ACCESS_AUTHORISE] = { sql_set_relation, ACCESS_REL_AUTHORISED },
        [DOSSIER_ACCESS_CARE_TEAM] = { sql_set_relation, ACCESS_REL_CARE_TEAM },
        [DOSSIER_ACCESS_TRAITANT] = { sql_set_relation, ACCESS_REL_TRAITANT },
        [DOSSIER_ACCESS_REVOKE] = { sql_revoke, ACCESS_REL_NONE },
        [DOSSIER_ACCESS_BLOCK] = { sql_set_blocked, 1 },
        [DOSSIER_ACCESS_UNBLOCK] = { sql_set_blocked, 0 },
        [DOSSIER_ACCESS_GRANT_MASKED] = { sql_set_sees_masked, 1 },
        [DOSSIER_ACCESS_REVOKE_MASKED] = { sql_set_sees_masked, 0 },
};

int dossier_set_access_many(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                            const char *id_nat, const enum dossier_access_change *changes, size_t n) {
        DE_LOCKED(e);
        struct dstate ds;
        int64_t now;
        int r;

        if (de_code_field(id_nat, true) < 0 || !changes || n == 0 || n > _DOSSIER_ACCESS_CHANGE_MAX)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if ((unsigned) changes[i] >= _DOSSIER_ACCESS_CHANGE_MAX)
                        return -EINVAL;
        r = de_begin_op(e, actor, ins, &ds, &now);
        /* each change decided and traced as one call of its own would be,
         * all in this transaction */
        for (size_t i = 0; r >= 0 && i < n; i++) {
                int64_t seq = 0;
                r = de_decide_audited(e, actor, ins, &ds, ACCESS_ACTION_MANAGE_ACCESS, NULL, NULL, false, now, &seq);
                if (r < 0)
                        break;
                if (!e->last.allow) {
                        /* the first one's refusal is kept (its trail entry);
                         * a later one undoes the changes before it */
                        if (i > 0)
                                r = de_denied_errno(&e->last);
                        break;
                }
                r = de_after_allow(e, actor, &ds, now, seq);
                ds.seen = true;
                enum dossier_access_change c = changes[i];
                if (r >= 0 && c == DOSSIER_ACCESS_TRAITANT)
                        r = set_access_line(e, sql_demote_traitant, ds.id, id_nat, ACCESS_REL_AUTHORISED, now);
                if (r >= 0)
                        r = set_access_line(e, access_changes[c].sql, ds.id, id_nat, access_changes[c].value, now);
        }
        return de_finish(e, r);
}

int dossier_set_access(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                       const char *id_nat, enum dossier_access_change change) {
        return dossier_set_access_many(e, actor, ins, id_nat, &change, 1);
}

int dossier_list_access(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                        struct dossier_access_entry **ret, size_t *ret_n) {
        DE_LOCKED(e);
        _cleanup_free_ struct dossier_access_entry *list = NULL;
        struct dstate ds;
        size_t n = 0, cap = 0;
        int64_t now;
        int r;

        if (!ret || !ret_n)
                return -EINVAL;
        r = de_simple_op(e, actor, ins, ACCESS_ACTION_MANAGE_ACCESS, &ds, &now);
        if (r >= 0 && e->last.allow) {
                _cleanup_stmt_ struct store_stmt *st = NULL;

                r = store_prepare(e->store, sql_list_access, &st);
                if (r >= 0)
                        r = store_bind_int(st, 1, ds.id);
                while (r >= 0 && (r = store_step(e->store, st)) > 0) {
                        struct dossier_access_entry *a, *nl = de_grow(list, n, &cap, sizeof(*list), 8);

                        if (!nl) {
                                r = -ENOMEM;
                                break;
                        }
                        list = nl;
                        a = &list[n++];
                        *a = (struct dossier_access_entry) {};
                        de_copy_columns(st, 0, DE_COL(a->id_nat), DE_COL(a->last_name), DE_COL(a->first_name),
                                        DE_COL(a->profession));
                        a->relation = (enum access_relation) store_col_int(st, 4);
                        a->blocked = store_col_int(st, 5);
                        a->sees_masked = store_col_int(st, 6);
                        a->first_access_at = store_col_int64(st, 7);
                }
        }
        r = de_finish(e, r);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}
