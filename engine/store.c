/* engine/store.c: SQLite connection, schema migrations, statement cache. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/macro.h"
#include "store.h"

#define STORE_STMT_MAX 96

struct store_stmt_slot {
        const char *sql;   /* identity: the caller's static string */
        sqlite3_stmt *stmt;
};

struct store {
        sqlite3 *db;
        bool batch;        /* inside store_batch_begin() */
        bool in_op;        /* batch: an operation's SAVEPOINT is open */
        size_t n_stmts;
        struct store_stmt_slot stmts[STORE_STMT_MAX];
};

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
        /* 1 -> 2: the patient's express consent to an occupational or
         * fire-service doctor, recorded by a user action (docs/rules.md §2) */
        "ALTER TABLE dossier_access ADD COLUMN express_consent INTEGER NOT NULL DEFAULT 0;",
        /* 2 -> 3: the establishment of the session that deposited a
         * document, which still sees it masked (docs/rules.md §3) */
        "ALTER TABLE documents ADD COLUMN author_establishment TEXT NOT NULL DEFAULT '';"
        /* ... and after death: when a doctor recorded it, whether the
         * patient opposed their heirs' access, and the doctors who recorded
         * an heir's request */
        "ALTER TABLE dossiers ADD COLUMN deceased_at INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE dossiers ADD COLUMN optout_heirs INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE dossier_access ADD COLUMN heir_access INTEGER NOT NULL DEFAULT 0;",
        /* 3 -> 4: legal representatives, who exercise the patient's rights,
         * and the documents a minor withheld from them (docs/rules.md §3) */
        "CREATE TABLE representatives ("
        "  dossier_id INTEGER NOT NULL REFERENCES dossiers(id),"
        "  ins TEXT NOT NULL,"
        "  kind INTEGER NOT NULL,"
        "  recorded_by TEXT NOT NULL,"
        "  updated_at INTEGER NOT NULL,"
        "  PRIMARY KEY (dossier_id, ins)"
        ") STRICT;"
        "ALTER TABLE documents ADD COLUMN hidden_from_representatives INTEGER NOT NULL DEFAULT 0;",
        /* 4 -> 5: the dossier host's challenges and sessions, shared by
         * every carnet-hostd process on the database (docs/host.md) */
        "CREATE TABLE host_challenges ("
        "  challenge TEXT PRIMARY KEY,"
        "  workstation TEXT NOT NULL,"
        "  expires_at INTEGER NOT NULL"
        ") STRICT;"
        "CREATE TABLE host_sessions ("
        "  token_sha256 TEXT PRIMARY KEY,"
        "  session_id TEXT NOT NULL,"
        "  kind INTEGER NOT NULL,"
        "  workstation TEXT NOT NULL,"
        "  info TEXT NOT NULL,"
        "  opened_at INTEGER NOT NULL,"
        "  last_used INTEGER NOT NULL"
        ") STRICT;",
};

int store_errno(int rc) {
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
        return store_errno(sqlite3_exec(s->db, sql, NULL, NULL, NULL));
}

int store_schema_version(struct store *s, int *ret) {
        sqlite3_stmt *st = NULL;
        int rc;

        if (!s || !ret)
                return -EINVAL;
        rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return store_errno(rc);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : store_errno(rc);
}

/* Applies the migrations the file lacks, each atomically with its version
 * bump, so that a crash half way leaves a consistent older version. */
static int migrate(struct store *s) {
        int version, r;

        r = store_schema_version(s, &version);
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

int store_open(const char *path, struct store **ret) {
        _cleanup_(store_closep) struct store *s = NULL;
        int rc, r;

        if (!path || !ret)
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        r = file_private(path);
        if (r < 0)
                return r;
        rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK)
                return store_errno(rc);
        sqlite3_extended_result_codes(s->db, 1);
        rc = sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
        if (rc != SQLITE_OK)
                return store_errno(rc);
        /* Defensive: no loading of extensions, no double-quoted strings
         * taken as identifiers, no writable schema. */
        sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
        sqlite3_db_config(s->db, SQLITE_DBCONFIG_DQS_DML, 0, NULL);
        sqlite3_db_config(s->db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL);
        sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);

        r = exec(s, "PRAGMA journal_mode = WAL");
        if (r < 0)
                return r;
        r = exec(s, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;");
        if (r < 0)
                return r;
        r = migrate(s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

struct store *store_close(struct store *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_stmts; i++)
                sqlite3_finalize(s->stmts[i].stmt);
        sqlite3_close(s->db);
        free(s);
        return NULL;
}

int store_prepare(struct store *s, const char *sql, sqlite3_stmt **ret) {
        struct store_stmt_slot *slot;
        int rc;

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
        rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &slot->stmt, NULL);
        if (rc != SQLITE_OK)
                return store_errno(rc);
        slot->sql = sql;
        s->n_stmts++;
        *ret = slot->stmt;
        return 0;
}

void store_reset(sqlite3_stmt *st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
}

/* Runs one of the static transaction-control strings below. */
static int control(struct store *s, const char *sql) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = store_prepare(s, sql, &st);
        return r < 0 ? r : store_exec_step(s, st);
}

/* Runs sql and, when it succeeds, sets *flag to value (entering or leaving
 * a batch or an operation's savepoint). */
static int control_set(struct store *s, const char *sql, bool *flag, bool value) {
        int r = control(s, sql);

        if (r >= 0)
                *flag = value;
        return r;
}

static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";
static const char sql_savepoint[] = "SAVEPOINT op";
static const char sql_release[] = "RELEASE op";
static const char sql_rollback_to[] = "ROLLBACK TO op";

int store_begin(struct store *s) {
        if (!s)
                return -EINVAL;
        if (!s->batch)
                return control(s, sql_begin);
        if (s->in_op)
                return -EBUSY;
        return control_set(s, sql_savepoint, &s->in_op, true);
}

int store_commit(struct store *s) {
        if (!s)
                return -EINVAL;
        if (!s->batch)
                return control(s, sql_commit);
        return control_set(s, sql_release, &s->in_op, false);
}

void store_rollback(struct store *s) {
        if (!s || sqlite3_get_autocommit(s->db))
                return;
        if (!s->batch) {
                (void) control(s, sql_rollback);
                return;
        }
        if (!s->in_op)
                return;
        /* undo the operation, then close its savepoint: the batch goes on */
        (void) control(s, sql_rollback_to);
        (void) control(s, sql_release);
        s->in_op = false;
}

int store_batch_begin(struct store *s) {
        if (!s)
                return -EINVAL;
        if (s->batch || !sqlite3_get_autocommit(s->db))
                return -EBUSY;
        return control_set(s, sql_begin, &s->batch, true);
}

int store_batch_commit(struct store *s) {
        if (!s)
                return -EINVAL;
        if (!s->batch || s->in_op)
                return -EINVAL;
        return control_set(s, sql_commit, &s->batch, false);
}

void store_batch_rollback(struct store *s) {
        if (!s || !s->batch)
                return;
        if (!sqlite3_get_autocommit(s->db))
                (void) control(s, sql_rollback);
        s->batch = s->in_op = false;
}

int store_bind_text(sqlite3_stmt *st, int idx, const char *text) {
        if (!text)
                return store_errno(sqlite3_bind_null(st, idx));
        return store_errno(sqlite3_bind_text(st, idx, text, -1, SQLITE_TRANSIENT));
}

int store_bind_int(sqlite3_stmt *st, int idx, int64_t v) {
        return store_errno(sqlite3_bind_int64(st, idx, v));
}

int store_bind_blob(sqlite3_stmt *st, int idx, const void *p, size_t n) {
        if (n > INT32_MAX)
                return -E2BIG;
        return store_errno(sqlite3_bind_blob64(st, idx, n ? p : "", n, SQLITE_TRANSIENT));
}

int store_step(struct store *s, sqlite3_stmt *st) {
        int rc = sqlite3_step(st);

        if (rc == SQLITE_ROW)
                return 1;
        if (rc == SQLITE_DONE)
                return 0;
        return store_errno(rc);
}

int store_exec_step(struct store *s, sqlite3_stmt *st) {
        int r = store_step(s, st);
        return r > 0 ? 0 : r;
}

int store_prepare_text(struct store *s, const char *sql, const char *text, sqlite3_stmt **ret) {
        int r = store_prepare(s, sql, ret);

        if (r < 0 || !text)
                return r;
        r = store_bind_text(*ret, 1, text);
        if (r < 0)
                store_reset(*ret);
        return r;
}

int store_each_row(struct store *s, sqlite3_stmt *st, store_row_fn fn, void *userdata) {
        int r;

        while ((r = store_step(s, st)) > 0) {
                r = fn(st, userdata);
                if (r < 0)
                        return r;
        }
        return r;
}

int store_integrity_check(struct store *s) {
        sqlite3_stmt *st = NULL;
        int rc, r = -EBADMSG;

        if (!s)
                return -EINVAL;
        rc = sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return store_errno(rc);
        if (sqlite3_step(st) == SQLITE_ROW) {
                const unsigned char *t = sqlite3_column_text(st, 0);
                if (t && strcmp((const char *) t, "ok") == 0)
                        r = 0;
        }
        sqlite3_finalize(st);
        return r;
}

sqlite3 *store_db(struct store *s) {
        return s ? s->db : NULL;
}
