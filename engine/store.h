/* engine/store.h: carnet's SQLite file.
 *
 * One store is one database connection, opened in WAL mode with
 * synchronous=FULL (a committed transaction survives power loss),
 * foreign_keys=ON, secure_delete=ON (destroyed content is overwritten) and a
 * busy timeout. The schema is versioned with PRAGMA user_version and the
 * migrations in store.c are applied at open, each in its own transaction.
 *
 * SQL text lives next to the code that uses it, as static strings; the
 * store prepares each string once and hands back the cached statement,
 * reset and with its bindings cleared. Values are always bound; no SQL text
 * is ever built from data. A store is used by one thread at a time. */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION 5
#define STORE_BUSY_TIMEOUT_MS 5000

struct store;

/* Opens (creating if needed) the database at path and brings its schema up
 * to date. Returns -EPROTONOSUPPORT when the file comes from a newer
 * carnet, -EBADMSG when it is not a database or is corrupt.  The file is
 * created 0600 whatever the umask (an existing one loses group and other
 * bits), so its -wal and -shm files, which SQLite creates with the
 * database's mode, are 0600 too. */
int store_open(const char *path, struct store **ret);
struct store *store_close(struct store *s);
static inline void store_closep(struct store **s) {
        if (*s)
                store_close(*s);
}
#define _cleanup_store_ __attribute__((cleanup(store_closep)))

/* The statement for the static string sql, prepared on first use. The
 * pointer identifies the statement: pass the same static array each time.
 * The returned statement must be released with store_reset() (or the
 * _cleanup_stmt_ attribute) before the next use. */
int store_prepare(struct store *s, const char *sql, sqlite3_stmt **ret);
void store_reset(sqlite3_stmt *st);
static inline void store_resetp(sqlite3_stmt **st) {
        if (*st)
                store_reset(*st);
}
#define _cleanup_stmt_ __attribute__((cleanup(store_resetp)))

/* Write transactions: BEGIN IMMEDIATE so that a writer never has to
 * upgrade a read lock (no SQLITE_BUSY half way through). */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* Batch mode, for bulk loading only (see dossier_batch_begin()): one outer
 * BEGIN IMMEDIATE ... COMMIT; inside it store_begin(), store_commit() and
 * store_rollback() become SAVEPOINT op, RELEASE op and ROLLBACK TO op, so
 * each operation keeps its all-or-nothing effect but nothing is durable
 * before store_batch_commit(). A failed commit leaves the batch open:
 * call store_batch_rollback(). */
int store_batch_begin(struct store *s);
int store_batch_commit(struct store *s);
void store_batch_rollback(struct store *s);

/* Binding helpers; text is copied (SQLITE_TRANSIENT), NULL binds NULL. */
int store_bind_text(sqlite3_stmt *st, int idx, const char *text);
int store_bind_int(sqlite3_stmt *st, int idx, int64_t v);
int store_bind_blob(sqlite3_stmt *st, int idx, const void *p, size_t n);

/* store_prepare(), then text bound to ?1 unless text is NULL. */
int store_prepare_text(struct store *s, const char *sql, const char *text, sqlite3_stmt **ret);

/* Steps st to its end, calling fn for each row; a negative return from fn
 * stops the walk and is returned. 0 at the end, or a negative errno. */
typedef int (*store_row_fn)(sqlite3_stmt *st, void *userdata);
int store_each_row(struct store *s, sqlite3_stmt *st, store_row_fn fn, void *userdata);

/* Steps a statement expected to finish without rows (-EIO etc. on error). */
int store_exec_step(struct store *s, sqlite3_stmt *st);
/* Steps once: 1 for a row, 0 for done, negative errno on error. */
int store_step(struct store *s, sqlite3_stmt *st);

/* Maps an SQLite result code to a negative errno. */
int store_errno(int rc);

int store_schema_version(struct store *s, int *ret);

/* PRAGMA integrity_check: 0 when "ok", -EBADMSG otherwise. */
int store_integrity_check(struct store *s);

/* For tests and tools only. */
sqlite3 *store_db(struct store *s);
