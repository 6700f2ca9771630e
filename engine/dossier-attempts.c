/* engine/dossier-attempts.c: the secret-guessing brake, in the store; see
 * dossier_attempts_check() in dossier.h. One row per dossier with wrong
 * secrets: failures, the first one's time, and locked_until (0: not
 * locked). */
#include <errno.h>

#include "dossier-internal.h"
#include "lib/macro.h"

static const char sql_get[] = "SELECT locked_until FROM attempts WHERE ins = ?1";
static const char sql_forget[] = "DELETE FROM attempts WHERE ins = ?1";
/* ?2 now, ?3 the maximum, ?4 the end of a lock starting now */
static const char sql_failed[] =
        "INSERT INTO attempts (ins, failures, first_failure_at, locked_until) "
        "VALUES (?1, 1, ?2, CASE WHEN 1 >= ?3 THEN CAST(?4 AS BIGINT) ELSE 0 END) "
        "ON CONFLICT (ins) DO UPDATE SET failures = attempts.failures + 1, "
        "locked_until = CASE WHEN attempts.failures + 1 >= ?3 THEN CAST(?4 AS BIGINT) ELSE attempts.locked_until END "
        "RETURNING failures";

int de_attempts_forget(struct dossier_engine *e, const char *ins) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r = store_prepare_text(e->store, sql_forget, ins, &st);
        return r < 0 ? r : store_exec_step(e->store, st);
}

/* Inside the write transaction: the lock's state for ins at now. */
static int check_locked(struct dossier_engine *e, const char *ins, int64_t now, unsigned *ret_retry_after) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int64_t until;
        int r;

        r = de_query_by_text(e->store, sql_get, ins, &st);
        if (r <= 0)
                return r;
        until = store_col_int64(st, 0);
        store_reset(st);
        st = NULL;
        if (until > now) {
                *ret_retry_after = (unsigned) (until - now);
                return -EBUSY;
        }
        /* the lock ran out: a fresh count */
        return until ? de_attempts_forget(e, ins) : 0;
}

int dossier_attempts_check(struct dossier_engine *e, const char *ins, unsigned *ret_retry_after) {
        DE_LOCKED(e);
        int r;

        if (!e || de_ins_check(ins) < 0 || !ret_retry_after)
                return -EINVAL;
        r = de_begin(e);
        if (r < 0)
                return r;
        r = check_locked(e, ins, de_now_of(e), ret_retry_after);
        if (r == -EBUSY) {
                store_rollback(e->store);
                return r;
        }
        return de_end_tx(e, r);
}

int dossier_attempts_failed(struct dossier_engine *e, const char *ins) {
        DE_LOCKED(e);
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int64_t now, failures = 0;
        int r;

        if (!e || de_ins_check(ins) < 0)
                return -EINVAL;
        now = de_now_of(e);
        r = de_begin(e);
        if (r < 0)
                return r;
        r = store_prepare_text(e->store, sql_failed, ins, &st);
        if (r >= 0 && (r = store_bind_int(st, 2, now)) >= 0 && (r = store_bind_int(st, 3, DOSSIER_ATTEMPTS_MAX)) >= 0 &&
            (r = store_bind_int(st, 4, now + DOSSIER_ATTEMPTS_LOCK_S)) >= 0)
                r = store_step(e->store, st);
        if (r == 0)
                r = -EIO; /* RETURNING gives the row */
        if (r > 0)
                failures = store_col_int64(st, 0);
        if (st)
                store_reset(st);
        st = NULL;
        r = de_end_tx(e, r);
        return r < 0 ? r : failures >= DOSSIER_ATTEMPTS_MAX;
}

int dossier_attempts_succeeded(struct dossier_engine *e, const char *ins) {
        DE_LOCKED(e);
        int r;

        if (!e || de_ins_check(ins) < 0)
                return -EINVAL;
        r = de_begin(e);
        if (r < 0)
                return r;
        return de_end_tx(e, de_attempts_forget(e, ins));
}
