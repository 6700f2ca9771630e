/* engine/store-sqlite.c: the SQLite store: one connection to a file,
 * its migrations, PRAGMAs and statements; see store.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/macro.h"
#include "store-backend.h"
#include "store-schema.h"
#include "wal-checkpoint.h"
#include "wal-sync.h"

struct sqlite_store {
        struct store base;
        sqlite3 *db;
        struct wal_sync *wal; /* NULL: not in WAL mode, synchronous=FULL */
        struct wal_checkpointer *ckpt; /* WAL mode: checkpoints in a thread */
        int64_t data_version;          /* PRAGMA data_version when last read */
        uint64_t foreign;              /* write transactions that found it changed */
};

struct sqlite_stmt {
        struct store_stmt base;
        sqlite3_stmt *st;
};

static sqlite3 *db_of(struct store *s) {
        return ((struct sqlite_store *) s)->db;
}

static sqlite3_stmt *st_of(struct store_stmt *st) {
        return ((struct sqlite_stmt *) st)->st;
}

/* Schema migrations: migrations[i] takes user_version i to i + 1. Never
 * edit a shipped entry; append a new one. Status values match
 * enum access_dossier_status and enum access_doc_status + 1. */
static const char *const migrations[] = {
        /* 0 -> 1 */
        "CREATE TABLE dossiers ("
        "  id INTEGER PRIMARY KEY,"
        "  ins TEXT NOT NULL UNIQUE,"
        "  ins_oid TEXT NOT NULL,"
        "  birth_name TEXT NOT NULL,"
        "  first_names TEXT NOT NULL,"
        "  birth_date TEXT NOT NULL,"
        "  sex TEXT NOT NULL,"
        "  birth_place TEXT NOT NULL,"
        "  status INTEGER NOT NULL CHECK (status IN (1, 2, 3)),"
        "  created_at INTEGER NOT NULL,"
        "  closed_at INTEGER,"
        "  destroyed_at INTEGER,"
        "  optout_emergency INTEGER NOT NULL DEFAULT 0,"
        "  optout_call_centre INTEGER NOT NULL DEFAULT 0,"
        "  notify INTEGER NOT NULL DEFAULT 1,"
        "  secret_salt BLOB,"
        "  secret_hash BLOB,"
        "  secret_n INTEGER,"
        "  secret_r INTEGER,"
        "  secret_p INTEGER"
        ") STRICT;"
        "CREATE TABLE professionals ("
        "  id_nat TEXT PRIMARY KEY,"
        "  last_name TEXT NOT NULL,"
        "  first_name TEXT NOT NULL,"
        "  profession TEXT NOT NULL,"
        "  specialty TEXT NOT NULL,"
        "  first_seen INTEGER NOT NULL,"
        "  last_seen INTEGER NOT NULL"
        ") STRICT;"
        "CREATE TABLE dossier_access ("
        "  dossier_id INTEGER NOT NULL REFERENCES dossiers(id) ON DELETE CASCADE,"
        "  id_nat TEXT NOT NULL,"
        "  relation INTEGER NOT NULL DEFAULT 0,"
        "  blocked INTEGER NOT NULL DEFAULT 0,"
        "  sees_masked INTEGER NOT NULL DEFAULT 0,"
        "  first_access_at INTEGER,"
        "  updated_at INTEGER NOT NULL,"
        "  PRIMARY KEY (dossier_id, id_nat)"
        ") STRICT, WITHOUT ROWID;"
        "CREATE TABLE documents ("
        "  id INTEGER PRIMARY KEY,"
        "  uid TEXT NOT NULL UNIQUE,"
        "  dossier_id INTEGER NOT NULL REFERENCES dossiers(id),"
        "  type_code TEXT NOT NULL,"
        "  class_code TEXT NOT NULL,"
        "  format_code TEXT NOT NULL,"
        "  mime TEXT NOT NULL,"
        "  title TEXT NOT NULL,"
        "  author_id TEXT NOT NULL,"
        "  author_institution TEXT NOT NULL,"
        "  author_role TEXT NOT NULL,"
        "  author_specialty TEXT NOT NULL,"
        "  created_at INTEGER NOT NULL,"
        "  deposited_at INTEGER NOT NULL,"
        "  size INTEGER NOT NULL,"
        "  sha256 BLOB NOT NULL,"
        "  status INTEGER NOT NULL CHECK (status IN (1, 2, 3)),"
        "  version INTEGER NOT NULL,"
        "  replaces INTEGER REFERENCES documents(id),"
        "  replaced_by INTEGER REFERENCES documents(id),"
        "  masked INTEGER NOT NULL DEFAULT 0,"
        "  hidden_from_patient INTEGER NOT NULL DEFAULT 0,"
        "  hidden_since INTEGER,"
        "  hold_notified INTEGER NOT NULL DEFAULT 0,"
        "  medicines TEXT NOT NULL DEFAULT ''"
        ") STRICT;"
        "CREATE INDEX documents_by_dossier ON documents(dossier_id, status, deposited_at);"
        "CREATE INDEX documents_by_type ON documents(dossier_id, type_code, created_at);"
        "CREATE INDEX documents_held ON documents(hidden_since) WHERE hidden_from_patient = 1;"
        "CREATE TABLE contents ("
        "  doc_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,"
        "  content BLOB NOT NULL"
        ") STRICT;"
        "CREATE TABLE audit ("
        "  seq INTEGER PRIMARY KEY,"
        "  at INTEGER NOT NULL,"
        "  actor_kind TEXT NOT NULL,"
        "  actor TEXT NOT NULL,"
        "  session TEXT NOT NULL,"
        "  action TEXT NOT NULL,"
        "  dossier TEXT NOT NULL,"
        "  document TEXT NOT NULL,"
        "  mode TEXT NOT NULL,"
        "  reason TEXT NOT NULL,"
        "  outcome TEXT NOT NULL,"
        "  code TEXT NOT NULL,"
        "  prev_hash BLOB NOT NULL,"
        "  hash BLOB NOT NULL"
        ") STRICT;"
        "CREATE INDEX audit_by_dossier ON audit(dossier, seq);"
        "CREATE TABLE audit_head ("
        "  id INTEGER PRIMARY KEY CHECK (id = 1),"
        "  seq INTEGER NOT NULL,"
        "  hash BLOB NOT NULL"
        ") STRICT;"
        "CREATE TABLE notifications ("
        "  id INTEGER PRIMARY KEY,"
        "  dossier_id INTEGER NOT NULL REFERENCES dossiers(id) ON DELETE CASCADE,"
        "  recipient TEXT NOT NULL,"
        "  at INTEGER NOT NULL,"
        "  kind TEXT NOT NULL,"
        "  message TEXT NOT NULL,"
        "  document TEXT NOT NULL DEFAULT '',"
        "  actor TEXT NOT NULL DEFAULT '',"
        "  session TEXT NOT NULL DEFAULT '',"
        "  audit_seq INTEGER"
        ") STRICT;"
        "CREATE INDEX notifications_by_dossier ON notifications(dossier_id, id);",
        /* 1 -> 2, 2 -> 3, 3 -> 4: store-schema.h */
        STORE_MIGRATION_2,
        STORE_MIGRATION_3("INTEGER"),
        STORE_MIGRATION_4(" STRICT", "INTEGER"),
        /* 4 -> 5: shared dossiers (one database, several hosts): the
         * workstation of each trail entry, the secret-guessing brake, and
         * the host's challenges and sessions (written by carnet-hostd) */
        STORE_MIGRATION_5(" STRICT", "INTEGER"),
        /* 5 -> 6: large contents in pieces */
        STORE_MIGRATION_6(" STRICT", "INTEGER", "BLOB"),
        /* 6 -> 7: the establishment of each trail entry */
        STORE_MIGRATION_7,
        /* 7 -> 8: the documents of every status by deposit time */
        STORE_MIGRATION_8(""),
        /* 8 -> 9: the documents' revisions */
        STORE_MIGRATION_9("INTEGER", "CAST(strftime('%s', 'now') AS INTEGER)"),
        /* 9 -> 10: the tombstones older versions left, wiped */
        STORE_MIGRATION_10,
};

static int sqlite_errno(int rc) {
        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_ROW:
        case SQLITE_DONE:
                return 0;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_READONLY:
                return -EROFS;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_CANTOPEN:
                return -EACCES;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
                return -EBADMSG;
        case SQLITE_TOOBIG:
                return -E2BIG;
        case SQLITE_CONSTRAINT:
                return -EEXIST;
        case SQLITE_MISMATCH:
        case SQLITE_RANGE:
                return -EINVAL;
        default:
                return -EIO;
        }
}

static int exec(struct store *s, const char *sql) {
        return sqlite_errno(sqlite3_exec(db_of(s), sql, NULL, NULL, NULL));
}

static int sq_schema_version(struct store *s, int *ret) {
        sqlite3_stmt *st = NULL;
        int rc;

        rc = sqlite3_prepare_v2(db_of(s), "PRAGMA user_version", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sqlite_errno(rc);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : sqlite_errno(rc);
}

/* Applies the migrations the file lacks, each atomically with its version
 * bump, so that a crash half way leaves a consistent older version. */
static int migrate(struct store *s) {
        int version, r;

        r = sq_schema_version(s, &version);
        if (r < 0)
                return r;
        if (version > (int) ELEMENTSOF(migrations))
                return -EPROTONOSUPPORT;
        for (int v = version; v < (int) ELEMENTSOF(migrations); v++) {
                char bump[64];

                r = exec(s, "BEGIN IMMEDIATE");
                if (r < 0)
                        return r;
                snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1); /* integer, not data */
                r = exec(s, migrations[v]);
                if (r >= 0)
                        r = exec(s, bump);
                if (r >= 0)
                        r = exec(s, "COMMIT");
                if (r < 0) {
                        exec(s, "ROLLBACK");
                        return r;
                }
        }
        return 0;
}

/* Creates the database file 0600 whatever the umask, before SQLite opens
 * it: SQLite gives the -wal and -shm files the database's own mode, so
 * they are 0600 too.  An existing file loses any group or other bits.
 * ":memory:" and SQLite's URI names are left to SQLite. */
static int file_private(const char *path) {
        if (!path[0] || strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
                return 0;
        _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return negerrno();
        struct stat st;
        if (fstat(fd, &st) < 0)
                return negerrno();
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0)
                return negerrno();
        return 0;
}

static const struct store_ops sqlite_ops;
static int data_version(struct store *s, int64_t *ret);

/* Group commit (wal-sync.h): once the schema is up to date (migrations
 * commit with synchronous=FULL), a database in WAL mode commits without
 * waiting for the disk and store_durable() syncs the -wal file for every
 * waiter at once.  A database that is not in WAL mode (":memory:", a
 * file system without shared memory) keeps synchronous=FULL. */
static int group_commit(struct sqlite_store *q) {
        sqlite3_stmt *st = NULL;
        bool wal = false;

        if (sqlite3_prepare_v2(q->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW) {
                const unsigned char *t = sqlite3_column_text(st, 0);
                wal = t && strcmp((const char *) t, "wal") == 0;
        }
        sqlite3_finalize(st);
        const char *db = sqlite3_db_filename(q->db, "main");
        const char *path = wal ? sqlite3_filename_wal(db) : NULL;
        if (!path || !path[0] || wal_sync_open(path, &q->wal) < 0)
                return 0; /* synchronous=FULL stays */
        int r = exec(&q->base, "PRAGMA synchronous = NORMAL");
        if (r < 0) {
                q->wal = (wal_sync_free(q->wal), NULL);
                return r;
        }
        /* SQLite's automatic checkpoints stay if this fails */
        (void) wal_checkpointer_new(q->db, db, &q->ckpt);
        return 0;
}

/* Before SQLite's first use in the process: no memory statistics, which
 * cost a process-wide mutex on every allocation of every connection (the
 * readers and the writer contend on it) and serve nothing here (no soft
 * heap limit, no sqlite3_memory_used()).  Too late once SQLite runs
 * (SQLITE_MISUSE): then it stays as it was. */
static void sqlite_setup(void) {
        (void) sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int connect_db(struct sqlite_store *q, const char *path) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, sqlite_setup);
        int rc = sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK)
                return sqlite_errno(rc);
        sqlite3_extended_result_codes(q->db, 1);
        rc = sqlite3_busy_timeout(q->db, STORE_BUSY_TIMEOUT_MS);
        if (rc != SQLITE_OK)
                return sqlite_errno(rc);
        /* Defensive: no loading of extensions, no double-quoted strings
         * taken as identifiers, no writable schema. */
        sqlite3_db_config(q->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
        sqlite3_db_config(q->db, SQLITE_DBCONFIG_DQS_DML, 0, NULL);
        sqlite3_db_config(q->db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL);
        sqlite3_db_config(q->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
        return 0;
}

int store_sqlite_open(const char *path, struct store **ret) {
        _cleanup_(store_closep) struct store *s = NULL;
        struct sqlite_store *q;
        int r;

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        s = &q->base;
        s->ops = &sqlite_ops;
        r = file_private(path);
        if (r < 0)
                return r;
        r = connect_db(q, path);
        if (r < 0)
                return r;
        r = exec(s, "PRAGMA journal_mode = WAL");
        if (r < 0)
                return r;
        r = exec(s, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;");
        if (r < 0)
                return r;
        r = migrate(s);
        if (r < 0)
                return r;
        r = group_commit(q);
        if (r < 0)
                return r;
        /* what the first write transaction compares with */
        r = data_version(s, &q->data_version);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

static void sq_close(struct store *s) {
        wal_checkpointer_free(((struct sqlite_store *) s)->ckpt);
        sqlite3_close(db_of(s));
        wal_sync_free(((struct sqlite_store *) s)->wal);
        free(s);
}

/* A mark of what the connection has written (store_written()). */
static uint64_t sq_written(struct store *s) {
        struct sqlite_store *q = (struct sqlite_store *) s;
        if (!q->wal)
                return 0;
        uint64_t mark = (uint64_t) sqlite3_total_changes64(q->db);
        wal_sync_publish(q->wal, mark);
        return mark;
}

static uint64_t sq_change_count(struct store *s) {
        struct sqlite_store *q = (struct sqlite_store *) s;
        return q->wal ? (uint64_t) sqlite3_total_changes64(q->db) : 0;
}

static int sq_durable(struct store *s, uint64_t mark) {
        struct sqlite_store *q = (struct sqlite_store *) s;
        return q->wal && mark ? wal_sync_wait(q->wal, mark) : 0;
}

static uint64_t sq_syncs(struct store *s) {
        struct sqlite_store *q = (struct sqlite_store *) s;
        return q->wal ? wal_sync_count(q->wal) : 0;
}

static bool sq_group_commit(struct store *s) {
        return ((struct sqlite_store *) s)->wal != NULL;
}

static int sq_prepare(struct store *s, const char *sql, struct store_stmt **ret) {
        _cleanup_free_ struct sqlite_stmt *st = calloc(1, sizeof(*st));
        int rc;

        if (!st)
                return -ENOMEM;
        rc = sqlite3_prepare_v3(db_of(s), sql, -1, SQLITE_PREPARE_PERSISTENT, &st->st, NULL);
        if (rc != SQLITE_OK)
                return sqlite_errno(rc);
        *ret = &TAKE_PTR(st)->base;
        return 0;
}

static void sq_finalize(struct store_stmt *st) {
        sqlite3_finalize(st_of(st));
        free(st);
}

static void sq_reset(struct store_stmt *st) {
        sqlite3_reset(st_of(st));
        sqlite3_clear_bindings(st_of(st));
}

static int sq_step(struct store_stmt *st) {
        int rc = sqlite3_step(st_of(st));

        if (rc == SQLITE_ROW)
                return 1;
        if (rc == SQLITE_DONE)
                return 0;
        return sqlite_errno(rc);
}

static int sq_bind_text(struct store_stmt *st, int idx, const char *text) {
        if (!text)
                return sqlite_errno(sqlite3_bind_null(st_of(st), idx));
        return sqlite_errno(sqlite3_bind_text(st_of(st), idx, text, -1, SQLITE_TRANSIENT));
}

static int sq_bind_int(struct store_stmt *st, int idx, int64_t v) {
        return sqlite_errno(sqlite3_bind_int64(st_of(st), idx, v));
}

static int sq_bind_blob(struct store_stmt *st, int idx, const void *p, size_t n, bool copy) {
        return sqlite_errno(sqlite3_bind_blob64(st_of(st), idx, p, n, copy ? SQLITE_TRANSIENT : SQLITE_STATIC));
}

static int64_t sq_col_int64(struct store_stmt *st, int col) {
        return sqlite3_column_int64(st_of(st), col);
}

static const char *sq_col_text(struct store_stmt *st, int col) {
        return (const char *) sqlite3_column_text(st_of(st), col);
}

static size_t sq_col_text_len(struct store_stmt *st, int col) {
        return (size_t) sqlite3_column_bytes(st_of(st), col);
}

static const void *sq_col_blob(struct store_stmt *st, int col, size_t *ret_len) {
        const void *p = sqlite3_column_blob(st_of(st), col);

        *ret_len = (size_t) sqlite3_column_bytes(st_of(st), col);
        return p;
}

static bool sq_col_is_null(struct store_stmt *st, int col) {
        return sqlite3_column_type(st_of(st), col) == SQLITE_NULL;
}

static int64_t sq_changes(struct store *s) {
        return sqlite3_changes64(db_of(s));
}

static bool sq_in_transaction(struct store *s) {
        return !sqlite3_get_autocommit(db_of(s));
}

/* Runs one of the static transaction-control strings, cached. */
static int sq_control(struct store *s, const char *sql) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r = store_prepare(s, sql, &st);
        return r < 0 ? r : store_exec_step(s, st);
}

/* PRAGMA data_version: it changes when another connection commits to
 * the file (not with this one's own commits, nor a passive checkpoint),
 * as of the read transaction it runs in. */
static int data_version(struct store *s, int64_t *ret) {
        static const char sql_data_version[] = "PRAGMA data_version";
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r = store_prepare(s, sql_data_version, &st);
        if (r >= 0)
                r = store_step(s, st);
        if (r == 0)
                r = -EIO;
        if (r > 0)
                *ret = store_col_int64(st, 0);
        return r < 0 ? r : 0;
}

/* BEGIN IMMEDIATE so that a writer never has to upgrade a read lock (no
 * SQLITE_BUSY half way through).  Inside it no other connection commits
 * until it ends: a data_version changed since the last one this
 * connection read says that another did before (store_foreign_commits();
 * one that cannot be read counts as changed). */
static int sq_begin(struct store *s) {
        static const char sql_begin[] = "BEGIN IMMEDIATE";
        struct sqlite_store *q = (struct sqlite_store *) s;
        int r = q->wal ? wal_sync_error(q->wal) : 0;
        if (r >= 0)
                r = sq_control(s, sql_begin);
        if (r < 0)
                return r;
        int64_t v = q->data_version;
        if (data_version(s, &v) < 0 || v != q->data_version)
                q->foreign++;
        q->data_version = v;
        return 0;
}

static uint64_t sq_foreign_commits(struct store *s) {
        return ((struct sqlite_store *) s)->foreign;
}

/* A deferred transaction: its first read fixes the WAL snapshot. */
static int sq_begin_read(struct store *s) {
        static const char sql_begin_read[] = "BEGIN";
        return sq_control(s, sql_begin_read);
}

static int sq_integrity_check(struct store *s) {
        sqlite3_stmt *st = NULL;
        int rc, r = -EBADMSG;

        rc = sqlite3_prepare_v2(db_of(s), "PRAGMA integrity_check", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sqlite_errno(rc);
        if (sqlite3_step(st) == SQLITE_ROW) {
                const unsigned char *t = sqlite3_column_text(st, 0);
                if (t && strcmp((const char *) t, "ok") == 0)
                        r = 0;
        }
        sqlite3_finalize(st);
        return r;
}

static const struct store_ops sqlite_ops = {
        .kind = STORE_SQLITE,
        .prepare = sq_prepare,
        .finalize = sq_finalize,
        .reset = sq_reset,
        .step = sq_step,
        .bind_text = sq_bind_text,
        .bind_int = sq_bind_int,
        .bind_blob = sq_bind_blob,
        .col_int64 = sq_col_int64,
        .col_text = sq_col_text,
        .col_text_len = sq_col_text_len,
        .col_blob = sq_col_blob,
        .col_is_null = sq_col_is_null,
        .changes = sq_changes,
        .in_transaction = sq_in_transaction,
        .begin = sq_begin,
        .begin_read = sq_begin_read,
        .control = sq_control,
        .exec_script = exec,
        .schema_version = sq_schema_version,
        .integrity_check = sq_integrity_check,
        .written = sq_written,
        .change_count = sq_change_count,
        .durable = sq_durable,
        .syncs = sq_syncs,
        .group_commit = sq_group_commit,
        .foreign_commits = sq_foreign_commits,
        .close = sq_close,
};
