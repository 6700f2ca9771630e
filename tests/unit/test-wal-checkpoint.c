/* tests/unit/test-wal-checkpoint.c: the WAL checkpoints run in a thread of
 * their own (engine/wal-checkpoint.h): commits that take the -wal file
 * past 1000 pages wake it, it copies the pages into the database file,
 * and the data and the file stay whole. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "engine/wal-checkpoint.h"

static void exec_ok(sqlite3 *db, const char *sql) {
        char *err = NULL;
        if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
                fail_msg("%s: %s", sql, err ? err : "?");
}

UNIT(test_checkpoints_in_their_thread) {
        char dir[] = "/tmp/carnet-ckpt-XXXXXX", path[64], wal[72];
        sqlite3 *db = NULL;
        struct wal_checkpointer *c = NULL;
        static unsigned char blob[200 * 1024];

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/db", dir);
        snprintf(wal, sizeof(wal), "%s-wal", path);
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        exec_ok(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; CREATE TABLE t (b BLOB)");
        assert_int_equal(wal_checkpointer_new(db, path, &c), 0);
        for (size_t i = 0; i < sizeof(blob); i++)
                blob[i] = (unsigned char) (i * 31 + 7);
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?1)", -1, &st, NULL), SQLITE_OK);
        for (int i = 0; i < 30; i++) { /* about 1 500 pages in all */
                assert_int_equal(sqlite3_bind_blob(st, 1, blob, sizeof(blob), SQLITE_STATIC), SQLITE_OK);
                assert_int_equal(sqlite3_step(st), SQLITE_DONE);
                sqlite3_reset(st);
        }
        sqlite3_finalize(st);
        /* a liveness bound, not a measure */
        for (int i = 0; i < 3000 && wal_checkpointer_runs(c) == 0; i++)
                usleep(10000);
        assert_true(wal_checkpointer_runs(c) > 0);
        /* the pages are in the database file now, not only in the -wal */
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        assert_true(sb.st_size >= (off_t) WAL_CHECKPOINT_PAGES * 4096);
        wal_checkpointer_free(c);
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*), sum(length(b)) FROM t", -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), 30);
        assert_int_equal(sqlite3_column_int64(st, 1), 30 * (sqlite3_int64) sizeof(blob));
        sqlite3_finalize(st);
        assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_string_equal((const char *) sqlite3_column_text(st, 0), "ok");
        sqlite3_finalize(st);
        sqlite3_close(db);
        unlink(wal);
        snprintf(wal, sizeof(wal), "%s-shm", path);
        unlink(wal);
        unlink(path);
        rmdir(dir);
}

UNIT_GROUP("wal-checkpoint", NULL, NULL)
