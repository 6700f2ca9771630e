/* engine/store-backend.h: private to engine/store*.c: what a store
 * backend (store-sqlite.c, store-pg.c) provides to the common part
 * (store.c), which keeps the statement cache and the transaction and
 * batch state. A backend's store and statement structures begin with
 * struct store and struct store_stmt. */
#pragma once

#include "store.h"

#define STORE_STMT_MAX 112

struct store_ops {
        enum store_kind kind;
        /* a new statement for sql (not cached: store.c caches) */
        int (*prepare)(struct store *s, const char *sql, struct store_stmt **ret);
        void (*finalize)(struct store_stmt *st);
        void (*reset)(struct store_stmt *st);
        int (*step)(struct store_stmt *st);
        int (*bind_text)(struct store_stmt *st, int idx, const char *text);
        int (*bind_int)(struct store_stmt *st, int idx, int64_t v);
        int (*bind_blob)(struct store_stmt *st, int idx, const void *p, size_t n, bool copy);
        int64_t (*col_int64)(struct store_stmt *st, int col);
        const char *(*col_text)(struct store_stmt *st, int col);
        size_t (*col_text_len)(struct store_stmt *st, int col);
        const void *(*col_blob)(struct store_stmt *st, int col, size_t *ret_len);
        bool (*col_is_null)(struct store_stmt *st, int col);
        int64_t (*changes)(struct store *s);
        bool (*in_transaction)(struct store *s);
        /* the write transaction (writers excluded), a read snapshot, and
         * one of the fixed strings COMMIT, ROLLBACK, SAVEPOINT op ... */
        int (*begin)(struct store *s);
        int (*begin_read)(struct store *s);
        int (*control)(struct store *s, const char *sql);
        int (*exec_script)(struct store *s, const char *sql);
        int (*schema_version)(struct store *s, int *ret);
        int (*integrity_check)(struct store *s);
        /* group commit (store_written(), store_durable()); NULL: every
         * commit is durable by itself */
        uint64_t (*written)(struct store *s);
        /* the same count, not published: an open transaction's */
        uint64_t (*change_count)(struct store *s);
        int (*durable)(struct store *s, uint64_t mark);
        uint64_t (*syncs)(struct store *s);
        bool (*group_commit)(struct store *s);
        /* store_foreign_commits(); NULL: 0 */
        uint64_t (*foreign_commits)(struct store *s);
        void (*close)(struct store *s);
};

struct store_stmt_slot {
        const char *sql;   /* identity: the caller's static string */
        struct store_stmt *stmt;
};

struct store {
        const struct store_ops *ops;
        bool batch;        /* inside store_batch_begin() */
        bool in_op;        /* batch: an operation's SAVEPOINT is open */
        bool lost;         /* batch: SQLite rolled its transaction back itself */
        size_t n_stmts;
        struct store_stmt_slot stmts[STORE_STMT_MAX];
};

struct store_stmt {
        struct store *store;
};

int store_sqlite_open(const char *path, struct store **ret);
int store_pg_open(const char *conninfo, struct store **ret);
