/* engine/dossier-representatives.c: a dossier's legal representatives,
 * who exercise the patient's rights (docs/rules.md §3 "Legal
 * representatives"); see dossier.h and docs/dossier-engine.md. */
#include <errno.h>
#include <string.h>

#include "dossier-internal.h"
#include "lib/macro.h"

static const char sql_listed[] = "SELECT kind FROM representatives WHERE dossier_id = ?1 AND ins = ?2";
static const char sql_set[] =
        "INSERT INTO representatives (dossier_id, ins, kind, recorded_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) "
        "ON CONFLICT (dossier_id, ins) DO UPDATE SET kind = excluded.kind, recorded_by = excluded.recorded_by, "
        "updated_at = excluded.updated_at";
static const char sql_remove[] = "DELETE FROM representatives WHERE dossier_id = ?1 AND ins = ?2";

static const char *const kind_names[_DOSSIER_REP_MAX] = {
        [DOSSIER_REP_PARENTAL_AUTHORITY] = "parental-authority",
        [DOSSIER_REP_GUARDIAN] = "guardian",
};

const char *dossier_representative_kind_name(enum dossier_representative_kind kind) {
        return (unsigned) kind < _DOSSIER_REP_MAX ? kind_names[kind] : NULL;
}

int dossier_representative_kind_from_name(const char *name) {
        for (unsigned i = 0; name && i < _DOSSIER_REP_MAX; i++)
                if (strcmp(name, kind_names[i]) == 0)
                        return (int) i;
        return -EINVAL;
}

int de_representative_listed(struct store *s, int64_t dossier_id, const char *rep_ins, const char *birth_date,
                             int64_t now) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r;

        if (!dossier_id || !rep_ins)
                return 0;
        r = store_prepare(s, sql_listed, &st);
        if (r < 0)
                return r;
        if ((r = store_bind_int(st, 1, dossier_id)) < 0 || (r = store_bind_text(st, 2, rep_ins)) < 0)
                return r;
        r = store_step(s, st);
        if (r <= 0)
                return r;
        /* parental authority lasts until majority (Code civil 371-1, 414);
         * a guardian's, for a protected adult, whatever the age */
        return store_col_int(st, 0) == DOSSIER_REP_GUARDIAN ||
               !access_age_reached(birth_date, ACCESS_AGE_MAJORITY, now);
}

/* Records (kind >= 0) or removes (kind < 0) one representative: one
 * decision of the professional, traced, then one statement. */
static int representative_op(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                             const char *rep_ins, int kind) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        struct dstate ds;
        int64_t now;
        int r;

        if (!e || de_ins_check(rep_ins) < 0 || !ins || strcmp(rep_ins, ins) == 0)
                return -EINVAL;
        r = de_simple_op(e, actor, ins, ACCESS_ACTION_MANAGE_REPRESENTATIVES, &ds, &now);
        if (r < 0 || !e->last.allow)
                return de_finish(e, r);
        r = store_prepare(e->store, kind >= 0 ? sql_set : sql_remove, &st);
        if (r >= 0 && (r = store_bind_int(st, 1, ds.id)) >= 0 && (r = store_bind_text(st, 2, rep_ins)) >= 0 &&
            (r = kind >= 0 ? store_bind_int(st, 3, kind) : 0) >= 0 &&
            (r = kind >= 0 ? store_bind_text(st, 4, actor->id) : 0) >= 0 &&
            (r = kind >= 0 ? store_bind_int(st, 5, now) : 0) >= 0)
                r = store_exec_step(e->store, st);
        /* removing one not listed: the decision's entry stays, -ENOENT */
        bool none = r >= 0 && kind < 0 && store_changes(e->store) == 0;
        r = de_finish(e, r);
        return r == 0 && none ? -ENOENT : r;
}

int dossier_set_representative(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                               const char *rep_ins, enum dossier_representative_kind kind) {
        if ((unsigned) kind >= _DOSSIER_REP_MAX)
                return -EINVAL;
        DE_LOCKED(e);
        return representative_op(e, actor, ins, rep_ins, (int) kind);
}

int dossier_remove_representative(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                                  const char *rep_ins) {
        DE_LOCKED(e);
        return representative_op(e, actor, ins, rep_ins, -1);
}
