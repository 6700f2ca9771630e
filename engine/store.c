/* engine/store.c: what both stores share: the choice of backend, the
 * statement cache, transactions and batches, stepping; see store.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/macro.h"
#include "store-backend.h"

bool store_is_conninfo(const char *name) {
        return name && (strncmp(name, "postgresql://", 13) == 0 || strncmp(name, "postgres://", 11) == 0 ||
                        strstr(name, "host=") || strstr(name, "dbname="));
}

int store_open(const char *name, struct store **ret) {
        if (!name || !ret)
                return -EINVAL;
        return store_is_conninfo(name) ? store_pg_open(name, ret) : store_sqlite_open(name, ret);
}

struct store *store_close(struct store *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_stmts; i++)
                s->ops->finalize(s->stmts[i].stmt);
        s->ops->close(s);
        return NULL;
}

enum store_kind store_kind(const struct store *s) {
        return s->ops->kind;
}

int store_prepare(struct store *s, const char *sql, struct store_stmt **ret) {
        struct store_stmt_slot *slot;
        int r;

        if (!s || !sql || !ret)
                return -EINVAL;
        for (size_t i = 0; i < s->n_stmts; i++)
                if (s->stmts[i].sql == sql) {
                        *ret = s->stmts[i].stmt;
                        return 0;
                }
        if (s->n_stmts >= STORE_STMT_MAX)
                return -ENOSPC;
        slot = &s->stmts[s->n_stmts];
        r = s->ops->prepare(s, sql, &slot->stmt);
        if (r < 0)
                return r;
        slot->stmt->store = s;
        slot->sql = sql;
        s->n_stmts++;
        *ret = slot->stmt;
        return 0;
}

void store_reset(struct store_stmt *st) {
        st->store->ops->reset(st);
}

/* Runs sql and, when it succeeds, sets *flag to value (entering or leaving
 * a batch or an operation's savepoint). */
static int control_set(struct store *s, const char *sql, bool *flag, bool value) {
        int r = s->ops->control(s, sql);

        if (r >= 0)
                *flag = value;
        return r;
}

static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";
static const char sql_savepoint[] = "SAVEPOINT op";
static const char sql_release[] = "RELEASE op";
static const char sql_rollback_to[] = "ROLLBACK TO op";

/* Inside a batch: false (and the batch lost) once SQLite has rolled its
 * transaction back by itself, as it may on SQLITE_FULL, SQLITE_IOERR,
 * SQLITE_NOMEM or SQLITE_BUSY; the statements after would otherwise run
 * outside any transaction. */
static bool batch_alive(struct store *s) {
        if (!s->lost && !s->ops->in_transaction(s))
                s->lost = true;
        return !s->lost;
}

int store_begin(struct store *s) {
        if (!s)
                return -EINVAL;
        if (!s->batch)
                return s->ops->begin(s);
        if (s->in_op)
                return -EBUSY;
        if (!batch_alive(s))
                return -EIO;
        return control_set(s, sql_savepoint, &s->in_op, true);
}

int store_begin_read(struct store *s) {
        if (!s)
                return -EINVAL;
        if (s->batch || s->ops->in_transaction(s))
                return -EBUSY;
        return s->ops->begin_read(s);
}

bool store_in_transaction(struct store *s) {
        return s && s->ops->in_transaction(s);
}

int store_commit(struct store *s) {
        if (!s)
                return -EINVAL;
        if (!s->batch)
                return s->ops->control(s, sql_commit);
        if (!batch_alive(s)) {
                s->in_op = false;
                return -EIO;
        }
        return control_set(s, sql_release, &s->in_op, false);
}

void store_rollback(struct store *s) {
        if (!s)
                return;
        if (!s->batch) {
                if (s->ops->in_transaction(s))
                        (void) s->ops->control(s, sql_rollback);
                return;
        }
        if (!s->in_op)
                return;
        s->in_op = false;
        if (!batch_alive(s))
                return; /* nothing left to undo: the batch's commit fails */
        /* undo the operation, then close its savepoint: the batch goes on */
        (void) s->ops->control(s, sql_rollback_to);
        (void) s->ops->control(s, sql_release);
}

int store_batch_begin(struct store *s) {
        int r;

        if (!s)
                return -EINVAL;
        if (s->batch || s->ops->in_transaction(s))
                return -EBUSY;
        r = s->ops->begin(s);
        if (r >= 0)
                s->batch = true;
        return r;
}

int store_batch_commit(struct store *s) {
        if (!s)
                return -EINVAL;
        if (!s->batch || s->in_op)
                return -EINVAL;
        if (!batch_alive(s)) {
                s->batch = s->lost = false;
                return -EIO;
        }
        return control_set(s, sql_commit, &s->batch, false);
}

void store_batch_rollback(struct store *s) {
        if (!s || !s->batch)
                return;
        if (s->ops->in_transaction(s))
                (void) s->ops->control(s, sql_rollback);
        s->batch = s->in_op = s->lost = false;
}

int store_bind_text(struct store_stmt *st, int idx, const char *text) {
        return st->store->ops->bind_text(st, idx, text);
}

int store_bind_int(struct store_stmt *st, int idx, int64_t v) {
        return st->store->ops->bind_int(st, idx, v);
}

int store_bind_blob(struct store_stmt *st, int idx, const void *p, size_t n) {
        if (n > INT32_MAX)
                return -E2BIG;
        return st->store->ops->bind_blob(st, idx, n ? p : "", n, true);
}

int store_bind_blob_ref(struct store_stmt *st, int idx, const void *p, size_t n) {
        if (n > INT32_MAX)
                return -E2BIG;
        return st->store->ops->bind_blob(st, idx, n ? p : "", n, false);
}

int store_step(struct store *s, struct store_stmt *st) {
        return st->store->ops->step(st);
}

int store_exec_step(struct store *s, struct store_stmt *st) {
        int r = store_step(s, st);
        return r > 0 ? 0 : r;
}

int store_prepare_text(struct store *s, const char *sql, const char *text, struct store_stmt **ret) {
        int r = store_prepare(s, sql, ret);

        if (r < 0 || !text)
                return r;
        r = store_bind_text(*ret, 1, text);
        if (r < 0)
                store_reset(*ret);
        return r;
}

int store_each_row(struct store *s, struct store_stmt *st, store_row_fn fn, void *userdata) {
        int r;

        while ((r = store_step(s, st)) > 0) {
                r = fn(st, userdata);
                if (r < 0)
                        return r;
        }
        return r;
}

int store_col_int(struct store_stmt *st, int col) {
        return (int) st->store->ops->col_int64(st, col);
}

int64_t store_col_int64(struct store_stmt *st, int col) {
        return st->store->ops->col_int64(st, col);
}

const char *store_col_text(struct store_stmt *st, int col) {
        return st->store->ops->col_text(st, col);
}

size_t store_col_text_len(struct store_stmt *st, int col) {
        return st->store->ops->col_text_len(st, col);
}

const void *store_col_blob(struct store_stmt *st, int col, size_t *ret_len) {
        size_t len_ignored;
        return st->store->ops->col_blob(st, col, ret_len ? ret_len : &len_ignored);
}

bool store_col_is_null(struct store_stmt *st, int col) {
        return st->store->ops->col_is_null(st, col);
}

int64_t store_changes(struct store *s) {
        return s->ops->changes(s);
}

int store_schema_version(struct store *s, int *ret) {
        if (!s || !ret)
                return -EINVAL;
        return s->ops->schema_version(s, ret);
}

int store_integrity_check(struct store *s) {
        if (!s)
                return -EINVAL;
        return s->ops->integrity_check(s);
}

int store_exec_script(struct store *s, const char *sql) {
        if (!s || !sql)
                return -EINVAL;
        return s->ops->exec_script(s, sql);
}

uint64_t store_written(struct store *s) {
        return s && s->ops->written ? s->ops->written(s) : 0;
}

uint64_t store_change_count(struct store *s) {
        return s && s->ops->change_count ? s->ops->change_count(s) : 0;
}

int store_durable(struct store *s, uint64_t mark) {
        return s && s->ops->durable ? s->ops->durable(s, mark) : 0;
}

uint64_t store_syncs(struct store *s) {
        return s && s->ops->syncs ? s->ops->syncs(s) : 0;
}

uint64_t store_foreign_commits(struct store *s) {
        return s && s->ops->foreign_commits ? s->ops->foreign_commits(s) : 0;
}

bool store_group_commit(struct store *s) {
        return s && s->ops->group_commit && s->ops->group_commit(s);
}

