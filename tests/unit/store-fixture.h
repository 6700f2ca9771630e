/* tests/unit/store-fixture.h: the store a test runs the engine on. By
 * default an SQLite file in a temporary folder; when CARNET_TEST_PG holds
 * a libpq conninfo in key=value form (tests/lab/t-engine-pg.sh), a fresh
 * schema of that PostgreSQL database for each test, reached by adding
 * options='-csearch_path=SCHEMA' (and application_name=SCHEMA, so that a
 * test can find its connections) to the conninfo. test_store_exec() runs
 * SQL behind the engine's back (an intruder with a shell, or a test
 * reading a column). Include it after <cmocka.h>. */
#pragma once

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db-files.h"
#include "lib/macro.h"

struct test_store {
        char dir[64];
        char name[640];   /* the file path or the conninfo given to the engine */
        char schema[64];  /* PostgreSQL: the test's schema */
};

static _unused_ const char *test_pg(void) {
        const char *c = getenv("CARNET_TEST_PG");
        return c && *c ? c : NULL;
}

/* A test that only makes sense on SQLite (file modes, corrupt files,
 * PRAGMA user_version) says so and is skipped on PostgreSQL. */
#define SKIP_ON_PG()                                                              \
        do {                                                                      \
                if (test_pg()) {                                                  \
                        print_message("SKIP: SQLite only (CARNET_TEST_PG is set)\n"); \
                        skip();                                                   \
                }                                                                 \
        } while (0)

/* Runs sql on conninfo through a connection of its own. */
static _unused_ int test_pg_exec(const char *conninfo, const char *sql, char *err, size_t err_size) {
        PGconn *c = PQconnectdb(conninfo);
        int r = 0;

        if (PQstatus(c) != CONNECTION_OK) {
                snprintf(err, err_size, "%s", PQerrorMessage(c));
                PQfinish(c);
                return -1;
        }
        PGresult *res = PQexec(c, sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
                snprintf(err, err_size, "%s", PQerrorMessage(c));
                r = -1;
        }
        PQclear(res);
        PQfinish(c);
        return r;
}

static _unused_ int test_store_schema(const struct test_store *t, bool create) {
        char sql[256], err[256];

        snprintf(sql, sizeof(sql), "SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE;%s%s", t->schema,
                 create ? "CREATE SCHEMA " : "", create ? t->schema : "");
        if (test_pg_exec(test_pg(), sql, err, sizeof(err)) < 0)
                return fprintf(stderr, "test store: %s\n", err), -1;
        return 0;
}

static _unused_ int test_store_make(struct test_store *t) {
        static unsigned counter;

        strcpy(t->dir, "/tmp/carnet-test-XXXXXX");
        if (!mkdtemp(t->dir))
                return -1;
        if (!test_pg()) {
                snprintf(t->name, sizeof(t->name), "%s/carnet.db", t->dir);
                return 0;
        }
        snprintf(t->schema, sizeof(t->schema), "t_%d_%u", (int) getpid(), counter++);
        snprintf(t->name, sizeof(t->name), "%s options='-csearch_path=%s' application_name=%s", test_pg(), t->schema,
                 t->schema);
        return test_store_schema(t, true);
}

/* Empties the store: the next open starts from nothing. */
static _unused_ void test_store_clear(struct test_store *t) {
        if (test_pg())
                (void) test_store_schema(t, true);
        else
                db_files_remove(t->name);
}

static _unused_ void test_store_remove(struct test_store *t) {
        if (test_pg())
                (void) test_store_schema(t, false);
        else
                db_files_remove(t->name);
        rmdir(t->dir);
}

/* Runs sql (several statements) on the store through a connection of
 * its own, failing the test on an error. */
static _unused_ void test_store_exec(const struct test_store *t, const char *sql) {
        char err[512] = "";

        if (test_pg()) {
                if (test_pg_exec(t->name, sql, err, sizeof(err)) < 0)
                        fail_msg("test_store_exec: %s", err);
                return;
        }
        sqlite3 *db = NULL;
        if (sqlite3_open(t->name, &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
                snprintf(err, sizeof(err), "%s", sqlite3_errmsg(db));
        sqlite3_close(db);
        if (err[0])
                fail_msg("test_store_exec: %s", err);
}

/* The first column of the first row of sql (text bound to ?1 unless
 * NULL), read through a connection of its own: it sees what is
 * committed. The test fails when the query does. */
static _unused_ int64_t test_store_query_int(const struct test_store *t, const char *sql, const char *text) {
        int64_t v = -1;

        if (test_pg()) {
                char q[1024];
                const char *p;
                size_t n = 0;
                /* ?1 -> $1 (the only placeholder these queries use) */
                for (p = sql; *p && n + 2 < sizeof(q); p++)
                        q[n++] = (p[0] == '?' && p[1] == '1') ? '$' : *p;
                q[n] = '\0';
                PGconn *c = PQconnectdb(t->name);
                PGresult *res = PQexecParams(c, q, text ? 1 : 0, NULL, &text, NULL, NULL, 0);
                if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1)
                        fail_msg("test_store_query_int: %s", PQerrorMessage(c));
                v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
                PQclear(res);
                PQfinish(c);
                return v;
        }
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        if (sqlite3_open_v2(t->name, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
            (text && sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC) != SQLITE_OK) || sqlite3_step(st) != SQLITE_ROW) {
                sqlite3_finalize(st);
                sqlite3_close(db);
                fail_msg("test_store_query_int: %s", sql);
        }
        v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
        return v;
}
