/* engine/store.h: carnet's database, on one of two stores.
 *
 * One store is one database connection: an SQLite file (the default) or a
 * PostgreSQL database reached through libpq.  store_open() chooses by the
 * name it is given: a libpq conninfo ("postgresql://...", "postgres://...",
 * or text containing "host=" or "dbname=") opens PostgreSQL
 * (store-pg.c), anything else is an SQLite file path (store-sqlite.c).
 *
 * SQLite: WAL mode with group commit (below), foreign_keys=ON,
 * secure_delete=ON (destroyed content is overwritten) and a busy timeout; the schema version is PRAGMA
 * user_version.  PostgreSQL: the schema version is the one row of the
 * table store_schema.  On both, the migrations of the backend are applied
 * at open, each in its own transaction, with the same version numbers.
 *
 * SQL text lives next to the code that uses it, as static strings written
 * for both stores: ?1, ?2 ... placeholders (rewritten to $1, $2 ... for
 * PostgreSQL), integers 0/1 for booleans (compared explicitly, never used
 * as a condition), INSERT ... ON CONFLICT, RETURNING, blobs for hashes.
 * The store prepares each string once (PostgreSQL: a named statement per
 * connection) and hands back the cached statement, reset and with its
 * bindings cleared. Values are always bound; no SQL text is ever built
 * from data. A store is used by one thread at a time.
 *
 * Writers: store_begin() opens a write transaction that excludes every
 * other writer of the same database until it ends: BEGIN IMMEDIATE on
 * SQLite, a transaction-level advisory lock on PostgreSQL (several
 * processes may share one PostgreSQL database; docs/dossier-engine.md). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION 10
#define STORE_BUSY_TIMEOUT_MS 5000

struct store;
struct store_stmt;

enum store_kind {
        STORE_SQLITE,
        STORE_POSTGRESQL,
};

/* Whether name is a libpq conninfo rather than a file path. */
bool store_is_conninfo(const char *name);

/* Opens the database and brings its schema up to date. Returns
 * -EPROTONOSUPPORT when the database comes from a newer carnet, -EBADMSG
 * when it is not a database or is corrupt, -ECONNREFUSED when PostgreSQL
 * cannot be reached, -EACCES when a migration is needed that the role may
 * not run.  An SQLite file is created 0600 whatever the umask (an existing
 * one loses group and other bits), so its -wal and -shm files, which
 * SQLite creates with the database's mode, are 0600 too. */
int store_open(const char *name, struct store **ret);
struct store *store_close(struct store *s);
static inline void store_closep(struct store **s) {
        if (*s)
                store_close(*s);
}
#define _cleanup_store_ __attribute__((cleanup(store_closep)))

enum store_kind store_kind(const struct store *s);

/* The statement for the static string sql, prepared on first use. The
 * pointer identifies the statement: pass the same static array each time.
 * The returned statement must be released with store_reset() (or the
 * _cleanup_stmt_ attribute) before the next use. */
int store_prepare(struct store *s, const char *sql, struct store_stmt **ret);
void store_reset(struct store_stmt *st);
static inline void store_resetp(struct store_stmt **st) {
        if (*st)
                store_reset(*st);
}
#define _cleanup_stmt_ __attribute__((cleanup(store_resetp)))

/* Write transactions, excluding every other writer (above). */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);
/* A read-only transaction on one snapshot, for a read of several
 * statements that must agree (the trail's verification); end it with
 * store_rollback(). Writers go on meanwhile. */
int store_begin_read(struct store *s);
/* Whether a transaction is open. */
bool store_in_transaction(struct store *s);

/* Group commit.  On SQLite in WAL mode a COMMIT (or a statement outside a
 * transaction) is written to the -wal file without waiting for the disk;
 * it is durable once store_durable() returns for a mark taken after it.
 * store_written() gives that mark: call it from the thread using the
 * store, after the transaction ends.  store_durable() may be called from
 * any thread, without the store's lock: the threads that wait at once
 * share one fdatasync of the -wal file (engine/wal-sync.h).  Nothing
 * written may be shown to anyone before store_durable() returned 0 for
 * it; a failed sync (-EIO, ...) is final: every later store_durable()
 * and store_begin() returns it.  PostgreSQL, and SQLite outside WAL mode
 * (synchronous=FULL), make each commit durable by itself: the mark is 0
 * and store_durable() returns 0 at once.  store_syncs() counts the
 * fdatasync calls made (0 there); store_group_commit() tells which of the
 * two s is (true: marks, and readers beside the writer). */
uint64_t store_written(struct store *s);
/* The count store_written() gives, but neither a mark nor published: it
 * may count an open transaction's changes (what they decide, never what
 * to wait for). */
uint64_t store_change_count(struct store *s);
int store_durable(struct store *s, uint64_t mark);
uint64_t store_syncs(struct store *s);
bool store_group_commit(struct store *s);
/* How many write transactions begun on s found that another connection
 * to the same file had committed since s's previous one (SQLite's PRAGMA
 * data_version, read inside BEGIN IMMEDIATE: no other connection commits
 * until it ends); read it once store_begin() or store_batch_begin()
 * returned.  A caller that decided on a snapshot of a reader (the
 * engine's reads off its mutex) learns so that such a commit came.  0 on
 * PostgreSQL, where every decision is made inside the writer's own
 * transaction, which sees every commit before it (READ COMMITTED). */
uint64_t store_foreign_commits(struct store *s);

/* Batch mode, for bulk loading only (see dossier_batch_begin()): one outer
 * write transaction; inside it store_begin(), store_commit() and
 * store_rollback() become SAVEPOINT op, RELEASE op and ROLLBACK TO op, so
 * each operation keeps its all-or-nothing effect but nothing is durable
 * before store_batch_commit(). A failed commit leaves the batch open:
 * call store_batch_rollback(). */
int store_batch_begin(struct store *s);
int store_batch_commit(struct store *s);
void store_batch_rollback(struct store *s);

/* Binding helpers; text and blobs are copied, NULL text binds NULL.
 * store_bind_blob_ref() does not copy: p must stay valid until the
 * statement is reset (large contents). */
int store_bind_text(struct store_stmt *st, int idx, const char *text);
int store_bind_int(struct store_stmt *st, int idx, int64_t v);
int store_bind_blob(struct store_stmt *st, int idx, const void *p, size_t n);
int store_bind_blob_ref(struct store_stmt *st, int idx, const void *p, size_t n);

/* store_prepare(), then text bound to ?1 unless text is NULL. */
int store_prepare_text(struct store *s, const char *sql, const char *text, struct store_stmt **ret);

/* Steps st to its end, calling fn for each row; a negative return from fn
 * stops the walk and is returned. 0 at the end, or a negative errno. */
typedef int (*store_row_fn)(struct store_stmt *st, void *userdata);
int store_each_row(struct store *s, struct store_stmt *st, store_row_fn fn, void *userdata);

/* Steps a statement expected to finish without rows (-EIO etc. on error). */
int store_exec_step(struct store *s, struct store_stmt *st);
/* Steps once: 1 for a row, 0 for done, negative errno on error. */
int store_step(struct store *s, struct store_stmt *st);

/* The current row's columns (0-based). A boolean result reads as 0/1 on
 * both stores. store_col_text() is NULL for SQL NULL; it and
 * store_col_blob() point into the row: valid until the next step. */
int store_col_int(struct store_stmt *st, int col);
int64_t store_col_int64(struct store_stmt *st, int col);
const char *store_col_text(struct store_stmt *st, int col);
/* The text's length in bytes (an SQLite text may hold a NUL). */
size_t store_col_text_len(struct store_stmt *st, int col);
const void *store_col_blob(struct store_stmt *st, int col, size_t *ret_len);
bool store_col_is_null(struct store_stmt *st, int col);

/* Rows changed by the last INSERT, UPDATE or DELETE. */
int64_t store_changes(struct store *s);

int store_schema_version(struct store *s, int *ret);

/* SQLite: PRAGMA integrity_check, 0 when "ok", -EBADMSG otherwise.
 * PostgreSQL keeps its own checksums: 0 when the connection answers. */
int store_integrity_check(struct store *s);

/* Runs SQL text with no parameters (several statements allowed): for
 * tools, tests and fixed settings (a PRAGMA), never with text built from
 * data. */
int store_exec_script(struct store *s, const char *sql);

