/* tests/unit/test-audit.c: the store's schema and the audit chain,
 * including tampering with the file behind carnet's back. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "unit.h"

#include "store-fixture.h"
#include "lib/macro.h"
#include "engine/audit.h"
#include "engine/store.h"

struct fixture {
        struct test_store ts;
        const char *path; /* ts.name: the file or the conninfo */
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));

        if (!f || test_store_make(&f->ts) < 0)
                return -1;
        f->path = f->ts.name;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;

        /* only the files (or the schema) this test made */
        test_store_remove(&f->ts);
        free(f);
        return 0;
}

/* Appends n entries, each in its own transaction. */
static void fill(struct store *s, int n) {
        for (int i = 0; i < n; i++) {
                char doc[32];
                struct audit_entry e = {
                        .at = 1700000000 + i, .actor_kind = "professional", .actor = "810001234567",
                        .session = "s1", .action = "read", .dossier = "185057800608491", .document = doc,
                        .mode = "normal", .reason = "", .outcome = "allow", .code = "allow-authorised",
                };
                int64_t seq;

                snprintf(doc, sizeof(doc), "doc-%d", i);
                assert_int_equal(store_begin(s), 0);
                assert_int_equal(audit_append(s, &e, &seq), 0);
                assert_int_equal(store_commit(s), 0);
                assert_int_equal(seq, i + 1);
        }
}

/* Runs sql on the store through a separate connection, as an intruder
 * with a shell would. On PostgreSQL, zeroblob(32) is spelt in its own
 * way. */
static void tamper(struct fixture *f, const char *sql) {
        char buf[512];
        const char *z;

        if (test_pg() && (z = strstr(sql, "zeroblob(32)"))) {
                snprintf(buf, sizeof(buf), "%.*sdecode(repeat('00', 32), 'hex')%s", (int) (z - sql), sql,
                         z + strlen("zeroblob(32)"));
                sql = buf;
        }
        test_store_exec(&f->ts, sql);
}

/* Turns the file into an older schema with tamper_sql, reopens it (which
 * must migrate it to the current version) and returns query's first row. */
static struct store_stmt *upgraded(struct fixture *f, struct store **s, const char *tamper_sql, const char *query) {
        struct store_stmt *st = NULL;
        int v;

        tamper(f, tamper_sql);
        assert_int_equal(store_open(f->path, s), 0);
        assert_int_equal(store_schema_version(*s, &v), 0);
        assert_int_equal(v, STORE_SCHEMA_VERSION);
        assert_int_equal(store_prepare(*s, query, &st), 0);
        assert_int_equal(store_step(*s, st), 1);
        return st;
}

/* What migration 3 -> 4 adds (legal representatives), taken off a file
 * made older. */
#define DROP_SCHEMA_4 "DROP TABLE representatives; ALTER TABLE documents DROP COLUMN hidden_from_representatives;"
/* What migration 4 -> 5 adds (shared dossiers). */
#define DROP_SCHEMA_5 "DROP TABLE attempts; DROP TABLE host_challenges; DROP TABLE host_sessions; " \
                      "ALTER TABLE audit DROP COLUMN workstation;"
/* What migration 5 -> 6 adds (large contents in pieces). */
#define DROP_SCHEMA_6 "DROP TABLE content_chunks; ALTER TABLE contents DROP COLUMN chunks;"
/* What migration 6 -> 7 adds (the establishment of each trail entry). */
#define DROP_SCHEMA_7 "ALTER TABLE audit DROP COLUMN establishment;"
/* What migration 7 -> 8 adds (the documents of every status by time). */
#define DROP_SCHEMA_8 "DROP INDEX documents_by_time;"
/* What migration 8 -> 9 adds (the documents' revisions). */
#define DROP_SCHEMA_9 "ALTER TABLE documents DROP COLUMN revision; ALTER TABLE documents DROP COLUMN updated_at;"
/* A tombstone as schema 9 and older left it (the OID, the dates, a death,
 * the options; a legal representative and a secret-guessing count that
 * a destruction before their purges left), beside an open dossier (the
 * one of the schema-1 file, on SQLite). */
#define OLD_TOMBSTONE                                                                                       \
        "INSERT INTO dossiers (ins, ins_oid, birth_name, first_names, birth_date, sex, birth_place, status, "    \
        "created_at) VALUES ('185057800608491', 'x', 'A', 'B', '1985-05-12', 'M', '1', 1, 0) "                  \
        "ON CONFLICT (ins) DO NOTHING;"                                                                     \
        "INSERT INTO dossiers (ins, ins_oid, birth_name, first_names, birth_date, sex, birth_place, status, "    \
        "created_at, closed_at, destroyed_at, notify, deceased_at, optout_heirs) VALUES "                       \
        "('269029934173285', '1.2.250.1.213.1.4.10', '', '', '', '', '', 3, 5, 6, 7, 0, 6, 1);"                 \
        "INSERT INTO representatives (dossier_id, ins, kind, recorded_by, updated_at) "                       \
        "SELECT id, '185057800608491', 1, 'p', 0 FROM dossiers WHERE status = 3;"                              \
        "INSERT INTO attempts (ins, failures, first_failure_at) VALUES ('269029934173285', 2, 0);"
/* After migration 9 -> 10: bare tombstones (the death kept), no
 * leftovers, open dossiers untouched. */
#define BARE_TOMBSTONES                                                                                     \
        "SELECT (SELECT count(*) FROM dossiers WHERE status = 3 AND destroyed_at = 7 AND ins_oid = '' "         \
        "AND created_at = 0 AND closed_at IS NULL AND deceased_at = 6 AND notify = 1 AND optout_heirs = 0), "   \
        "(SELECT count(*) FROM representatives), (SELECT count(*) FROM attempts), "                           \
        "(SELECT count(*) FROM dossiers WHERE status = 1 AND ins_oid = 'x' AND birth_name = 'A')"

/* The store with an old tombstone, made schema 9 by set_version_9,
 * reopens at the current version with the tombstone bare (migration 9 -> 10). */
static void tombstone_upgraded(struct fixture *f, const char *set_version_9) {
        _cleanup_store_ struct store *s = NULL;
        char sql[2048];

        snprintf(sql, sizeof(sql), "%s%s", OLD_TOMBSTONE, set_version_9);
        struct store_stmt *st = upgraded(f, &s, sql, BARE_TOMBSTONES);
        assert_int_equal(store_col_int(st, 0), 1);
        assert_int_equal(store_col_int(st, 1), 0);
        assert_int_equal(store_col_int(st, 2), 0);
        assert_int_equal(store_col_int(st, 3), 1);
        store_reset(st);
}

/* What the migrations from 6 -> 7 on add. */
#define DROP_SINCE_6 DROP_SCHEMA_9 DROP_SCHEMA_8 DROP_SCHEMA_7

UNIT_FIXTURE(test_schema, setup, teardown) {
        struct fixture *f = *state;
        _cleanup_store_ struct store *s = NULL;
        struct store_stmt *st;
        int v;

        SKIP_ON_PG(); /* older SQLite files and PRAGMA user_version; PostgreSQL: test_pg_schema */

        assert_int_equal(store_open(f->path, &s), 0);
        assert_int_equal(store_schema_version(s, &v), 0);
        assert_int_equal(v, STORE_SCHEMA_VERSION);
        assert_int_equal(store_integrity_check(s), 0);
        s = store_close(s);
        /* reopening applies nothing and keeps the version */
        assert_int_equal(store_open(f->path, &s), 0);
        assert_int_equal(store_schema_version(s, &v), 0);
        assert_int_equal(v, STORE_SCHEMA_VERSION);
        s = store_close(s);
        /* a schema-1 file (before express_consent) upgrades, its rows kept */
        st = upgraded(f, &s, "INSERT INTO dossiers (ins, ins_oid, birth_name, first_names, birth_date, sex, "
                             "birth_place, status, created_at) VALUES ('185057800608491', 'x', 'A', 'B', "
                             "'1985-05-12', 'M', '1', 1, 0);"
                             "INSERT INTO dossier_access (dossier_id, id_nat, relation, updated_at) VALUES (1, 'p', 1, 0);"
                             "ALTER TABLE dossier_access DROP COLUMN express_consent;"
                             "ALTER TABLE documents DROP COLUMN author_establishment; ALTER TABLE dossiers DROP COLUMN deceased_at;"
                             "ALTER TABLE dossiers DROP COLUMN optout_heirs; ALTER TABLE dossier_access DROP COLUMN heir_access;"
                             DROP_SINCE_6 DROP_SCHEMA_6 DROP_SCHEMA_5 DROP_SCHEMA_4
                             "PRAGMA user_version = 1",
                      "SELECT relation, express_consent FROM dossier_access");
        assert_int_equal(store_col_int(st, 0), 1);
        assert_int_equal(store_col_int(st, 1), 0);
        store_reset(st);
        s = store_close(s);
        /* a schema-2 file (before author_establishment) upgrades, its documents kept */
        st = upgraded(f, &s, "INSERT INTO documents (uid, dossier_id, type_code, class_code, format_code, mime, "
                             "title, author_id, author_institution, author_role, author_specialty, created_at, "
                             "deposited_at, size, sha256, status, version) VALUES ('u1', 1, '11488-4', '10', 'f', "
                             "'m', 't', 'p', '', '', '', 0, 0, 0, x'00', 1, 1);"
                             "ALTER TABLE documents DROP COLUMN author_establishment; ALTER TABLE dossiers DROP COLUMN deceased_at;"
                             "ALTER TABLE dossiers DROP COLUMN optout_heirs; ALTER TABLE dossier_access DROP COLUMN heir_access;"
                             DROP_SINCE_6 DROP_SCHEMA_6 DROP_SCHEMA_5 DROP_SCHEMA_4
                             "PRAGMA user_version = 2",
                      "SELECT uid, author_establishment FROM documents");
        assert_string_equal(store_col_text(st, 0), "u1");
        assert_string_equal(store_col_text(st, 1), "");
        store_reset(st);
        s = store_close(s);
        /* a schema-3 file (before legal representatives) upgrades, its documents kept */
        st = upgraded(f, &s, DROP_SINCE_6 DROP_SCHEMA_6 DROP_SCHEMA_5 DROP_SCHEMA_4 "PRAGMA user_version = 3",
                      "SELECT uid, hidden_from_representatives, (SELECT count(*) FROM representatives) FROM documents");
        assert_string_equal(store_col_text(st, 0), "u1");
        assert_int_equal(store_col_int(st, 1), 0);
        assert_int_equal(store_col_int(st, 2), 0);
        store_reset(st);
        s = store_close(s);
        /* a schema-5 file (contents in one piece only) upgrades, its contents kept */
        tamper(f, "INSERT INTO contents (doc_id, content) VALUES (1, x'2550');");
        st = upgraded(f, &s, DROP_SINCE_6 DROP_SCHEMA_6 "PRAGMA user_version = 5",
                      "SELECT content, chunks, (SELECT count(*) FROM content_chunks) FROM contents");
        assert_int_equal(store_col_int(st, 1), 0);
        assert_int_equal(store_col_int(st, 2), 0);
        store_reset(st);
        s = store_close(s);
        /* a schema-6 file (trail entries without establishment) upgrades,
         * its trail kept and still verifying */
        assert_int_equal(store_open(f->path, &s), 0);
        fill(s, 3);
        s = store_close(s);
        st = upgraded(f, &s, DROP_SINCE_6 "PRAGMA user_version = 6",
                      "SELECT count(*), min(establishment), max(establishment) FROM audit");
        assert_int_equal(store_col_int(st, 0), 3);
        assert_string_equal(store_col_text(st, 1), "");
        assert_string_equal(store_col_text(st, 2), "");
        store_reset(st);
        int64_t bad = -1;
        char msg[256];
        assert_int_equal(audit_verify(s, &bad, msg, sizeof(msg)), 0);
        s = store_close(s);
        /* a schema-7 file gains the index of the lists of every status */
        st = upgraded(f, &s, DROP_SCHEMA_9 DROP_SCHEMA_8 "PRAGMA user_version = 7",
                      "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'documents_by_time'");
        assert_int_equal(store_col_int(st, 0), 1);
        store_reset(st);
        s = store_close(s);
        /* a schema-8 file's documents get their revisions: above every
         * version a copy was taken at when their status changed since,
         * dated at the migration */
        tamper(f, "INSERT INTO documents (uid, dossier_id, type_code, class_code, format_code, mime, "
                  "title, author_id, author_institution, author_role, author_specialty, created_at, "
                  "deposited_at, size, sha256, status, version) VALUES ('u2', 1, '11488-4', '10', 'f', "
                  "'m', 't', 'p', '', '', '', 0, 0, 0, x'00', 3, 2);");
        st = upgraded(f, &s, DROP_SCHEMA_9 "PRAGMA user_version = 8",
                      "SELECT group_concat(uid || ':' || revision || ':' || "
                      "coalesce(updated_at > strftime('%s', 'now') - 600, 'none'), ' ') "
                      "FROM (SELECT * FROM documents ORDER BY uid)");
        assert_string_equal(store_col_text(st, 0), "u1:1:none u2:3:1");
        store_reset(st);
        s = store_close(s);
        /* a schema-9 file's tombstones are wiped down to id, INS, status,
         * destroyed_at and a recorded death */
        tombstone_upgraded(f, "PRAGMA user_version = 9");
        /* a file from a newer carnet is refused */
        tamper(f, "PRAGMA user_version = 99");
        assert_int_equal(store_open(f->path, &s), -EPROTONOSUPPORT);
}

/* Tampers with sql, then checks that the chain breaks at entry want. */
static void expect_broken(struct fixture *f, const char *sql, int64_t want) {
        _cleanup_store_ struct store *s = NULL;
        int64_t bad = -1;
        char msg[256];

        tamper(f, sql);
        assert_int_equal(store_open(f->path, &s), 0);
        assert_int_equal(audit_verify(s, &bad, msg, sizeof(msg)), -EBADMSG);
        assert_int_equal(bad, want);
}

/* The hash of an entry after prev, computed apart from audit.c, from the
 * format audit.h gives: the ten texts, then the nopt optional ones
 * (workstation, establishment) as given. */
static void format_hash(const uint8_t prev[AUDIT_HASH_LEN], int64_t seq, const struct audit_entry *e, int nopt,
                        uint8_t ret[AUDIT_HASH_LEN]) {
        const char *texts[] = {e->actor_kind, e->actor, e->session, e->action, e->dossier, e->document, e->mode,
                               e->reason, e->outcome, e->code, e->workstation, e->establishment};
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        uint8_t num[16];
        unsigned len = 0;

        assert_non_null(ctx);
        for (int i = 0; i < 8; i++) {
                num[i] = (uint8_t) ((uint64_t) seq >> (56 - 8 * i));
                num[8 + i] = (uint8_t) ((uint64_t) e->at >> (56 - 8 * i));
        }
        assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
        EVP_DigestUpdate(ctx, prev, AUDIT_HASH_LEN);
        EVP_DigestUpdate(ctx, "carnet-audit-v1\n", 16);
        EVP_DigestUpdate(ctx, num, sizeof(num));
        for (int i = 0; i < 10 + nopt; i++) {
                const char *t = texts[i] ? texts[i] : "";
                uint32_t n = (uint32_t) strlen(t);
                uint8_t l[4] = {(uint8_t) (n >> 24), (uint8_t) (n >> 16), (uint8_t) (n >> 8), (uint8_t) n};
                EVP_DigestUpdate(ctx, l, 4);
                EVP_DigestUpdate(ctx, t, n);
        }
        assert_int_equal(EVP_DigestFinal_ex(ctx, ret, &len), 1);
        EVP_MD_CTX_free(ctx);
}

static int keep_establishment(const struct audit_entry *e, void *userdata) {
        char (*seen)[32] = userdata;
        if (e->seq >= 1 && e->seq <= 4)
                snprintf(seen[e->seq - 1], sizeof(seen[0]), "%s", e->establishment ? e->establishment : "(null)");
        return 0;
}

/* Schema 7: the establishment is in the entry and its hash. An entry
 * without one hashes as schema 5 and 6 did (its workstation only when
 * not empty); with one, the workstation is hashed too, empty or not, so
 * that a value moved from one column to the other breaks the chain. */
UNIT_FIXTURE(test_establishment, setup, teardown) {
        struct fixture *f = *state;
        _cleanup_store_ struct store *s = NULL;
        struct audit_entry e[4];
        static const char *const ws[] = {"", "ws-1", "", "ws-2"}, *const est[] = {"", "", "Clinique A", "Clinique B"};
        static const int nopt[] = {0, 1, 2, 2};
        uint8_t prev[AUDIT_HASH_LEN] = {}, want[AUDIT_HASH_LEN], h[AUDIT_HASH_LEN];
        char seen[4][32] = {}, msg[256];
        int64_t seq, bad = -1;

        assert_int_equal(store_open(f->path, &s), 0);
        for (int i = 0; i < 4; i++) {
                e[i] = (struct audit_entry) {
                        .at = 1700000100 + i, .actor_kind = "professional", .actor = "810001234567",
                        .session = "s1", .action = "read", .dossier = "185057800608491", .document = "doc-1",
                        .mode = "normal", .outcome = "allow", .code = "allow-authorised",
                        .workstation = ws[i], .establishment = est[i],
                };
                assert_int_equal(store_begin(s), 0);
                assert_int_equal(audit_append(s, &e[i], &seq), 0);
                assert_int_equal(store_commit(s), 0);
                assert_int_equal(audit_head(s, &seq, h), 0);
                format_hash(prev, i + 1, &e[i], nopt[i], want);
                assert_memory_equal(h, want, AUDIT_HASH_LEN);
                memcpy(prev, h, AUDIT_HASH_LEN);
        }
        assert_int_equal(audit_verify(s, &bad, msg, sizeof(msg)), 0);
        assert_int_equal(audit_list(s, "185057800608491", keep_establishment, seen), 0);
        assert_string_equal(seen[0], "");
        assert_string_equal(seen[2], "Clinique A");
        assert_string_equal(seen[3], "Clinique B");
        s = store_close(s);
        /* altered, the chain breaks there */
        expect_broken(f, "UPDATE audit SET establishment = 'Clinique Z' WHERE seq = 3", 3);
        /* moved to the workstation's column: the chain breaks too */
        expect_broken(f, "UPDATE audit SET establishment = '', workstation = 'Clinique A' WHERE seq = 3", 3);
        /* added to an entry that had none */
        expect_broken(f, "UPDATE audit SET establishment = 'Clinique A', workstation = '' WHERE seq = 3;"
                         "UPDATE audit SET establishment = 'Clinique A' WHERE seq = 1", 1);
}

UNIT_FIXTURE(test_not_a_database, setup, teardown) {
        struct fixture *f = *state;
        struct store *s = NULL;
        SKIP_ON_PG(); /* a file */
        FILE *fp = fopen(f->path, "we");

        assert_non_null(fp);
        fputs("this is not an SQLite file, it is long enough to be checked by the header parser....", fp);
        fclose(fp);
        assert_int_equal(store_open(f->path, &s), -EBADMSG);
        assert_null(s);
}

UNIT_FIXTURE(test_append_outside_transaction, setup, teardown) {
        struct fixture *f = *state;
        _cleanup_store_ struct store *s = NULL;
        struct audit_entry e = { .at = 1 };

        assert_int_equal(store_open(f->path, &s), 0);
        assert_int_equal(audit_append(s, &e, NULL), -ENOLCK);
}

UNIT_FIXTURE(test_intact, setup, teardown) {
        struct fixture *f = *state;
        _cleanup_store_ struct store *s = NULL;
        uint8_t h[AUDIT_HASH_LEN];
        int64_t bad = -1, seq;
        char msg[256];

        assert_int_equal(store_open(f->path, &s), 0);
        assert_int_equal(audit_verify(s, &bad, msg, sizeof(msg)), 0); /* empty */
        fill(s, 20);
        assert_int_equal(audit_verify(s, &bad, msg, sizeof(msg)), 0);
        assert_int_equal(bad, 0);
        assert_int_equal(audit_head(s, &seq, h), 0);
        assert_int_equal(seq, 20);
}

/* Entries appended together chain exactly as appended one by one: the
 * same head, the same hashes; none appended changes nothing. */
UNIT_FIXTURE(test_append_many, setup, teardown) {
        struct fixture *f = *state;
        _cleanup_store_ struct store *s = NULL, *s2 = NULL;
        struct test_store ts2;
        uint8_t h[AUDIT_HASH_LEN], h2[AUDIT_HASH_LEN];
        int64_t seq = -1, seq2 = -1, bad = -1;
        char msg[256];
        struct audit_entry e[3];
        const struct audit_entry *pe[3];

        for (int i = 0; i < 3; i++) {
                e[i] = (struct audit_entry) {
                        .at = 1700000000 + i, .actor_kind = "professional", .actor = "810001234567",
                        .session = "s1", .action = i == 1 ? "list" : "read", .dossier = "185057800608491",
                        .mode = "normal", .outcome = "allow", .code = "allow-authorised",
                        .workstation = i == 2 ? "ws-2" : "",
                };
                pe[i] = &e[i];
        }
        assert_int_equal(test_store_make(&ts2), 0);
        assert_int_equal(store_open(f->path, &s), 0);
        assert_int_equal(store_open(ts2.name, &s2), 0);
        for (int i = 0; i < 3; i++) {
                assert_int_equal(store_begin(s), 0);
                assert_int_equal(audit_append(s, &e[i], NULL), 0);
                assert_int_equal(store_commit(s), 0);
        }
        uint64_t before = store_written(s2);
        int64_t changes = -1;
        assert_int_equal(store_begin(s2), 0);
        assert_int_equal(audit_append_many(s2, pe, 0, &seq2, &changes), 0);
        assert_int_equal(seq2, 0);
        assert_int_equal(changes, 0);
        assert_int_equal(audit_append_many(s2, pe, 3, &seq2, &changes), 0);
        assert_int_equal(store_commit(s2), 0);
        assert_int_equal(seq2, 3);
        /* three rows and the head: exactly what the connection counts as
         * written (the engine tells a call's trail writes from its others
         * by this, docs/dossier-engine.md) */
        assert_int_equal(changes, 4);
        if (store_group_commit(s2))
                assert_int_equal(store_written(s2) - before, (uint64_t) changes);
        assert_int_equal(audit_head(s, &seq, h), 0);
        assert_int_equal(audit_head(s2, &seq2, h2), 0);
        assert_int_equal(seq, 3);
        assert_int_equal(seq2, 3);
        assert_memory_equal(h, h2, AUDIT_HASH_LEN);
        assert_int_equal(audit_verify(s2, &bad, msg, sizeof(msg)), 0);
        /* outside a transaction: refused, nothing written */
        assert_int_equal(audit_append_many(s2, pe, 3, NULL, NULL), -ENOLCK);
        assert_int_equal(audit_head(s2, &seq2, h2), 0);
        assert_int_equal(seq2, 3);
        s2 = store_close(s2);
        test_store_remove(&ts2);
}

/* What a walk of the trail gave: its count, the last seq, where to stop. */
struct walk {
        size_t n;
        int64_t last, stop_at;
        int fail;
};

static int walked(const struct audit_entry *e, void *userdata) {
        struct walk *w = userdata;
        assert_true(e->seq > w->last);
        assert_string_equal(e->dossier, "185057800608491");
        w->n++;
        w->last = e->seq;
        return e->seq == w->stop_at ? (w->fail ? w->fail : 1) : 0;
}

/* audit_list() walks a dossier's entries in statements of a bounded
 * number of rows, each after the last of the one before: 2 500 entries,
 * one in two of another dossier, come once and in order; the callback
 * stops the walk with a positive value (0 returned) or fails it with a
 * negative one; audit_list_after() reads at most its max after a seq. */
UNIT_FIXTURE(test_list_batches, setup, teardown) {
        struct fixture *f = *state;
        _cleanup_store_ struct store *s = NULL;
        struct audit_entry e[2500];
        const struct audit_entry *pe[2500];
        struct walk w = {};
        size_t n = 9;

        for (size_t i = 0; i < ELEMENTSOF(e); i++) {
                e[i] = (struct audit_entry) {
                        .at = 1700000000, .actor_kind = "professional", .actor = "810001234567", .action = "read",
                        .dossier = i % 2 ? "269029934173285" : "185057800608491", .outcome = "allow",
                        .code = "allow-authorised",
                };
                pe[i] = &e[i];
        }
        assert_int_equal(store_open(f->path, &s), 0);
        assert_int_equal(store_begin(s), 0);
        assert_int_equal(audit_append_many(s, pe, ELEMENTSOF(pe), NULL, NULL), 0);
        assert_int_equal(store_commit(s), 0);

        assert_int_equal(audit_list(s, "185057800608491", walked, &w), 0);
        assert_int_equal(w.n, 1250);
        assert_int_equal(w.last, 2499);
        /* stopped past the first statement's rows */
        w = (struct walk) {.stop_at = 2101};
        assert_int_equal(audit_list(s, "185057800608491", walked, &w), 0);
        assert_int_equal(w.n, 1051);
        w = (struct walk) {.stop_at = 2101, .fail = -EIO};
        assert_int_equal(audit_list(s, "185057800608491", walked, &w), -EIO);

        w = (struct walk) {.last = 2047};
        assert_int_equal(audit_list_after(s, "185057800608491", 2047, 3, walked, &w, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(w.last, 2053);
        w = (struct walk) {.last = 2495};
        assert_int_equal(audit_list_after(s, "185057800608491", 2495, 3, walked, &w, &n), 0);
        assert_int_equal(n, 2); /* 2497, 2499: the end */
        assert_int_equal(audit_list_after(s, "185057800608491", 2499, 3, walked, &w, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(audit_list_after(s, "185057800608491", 0, 0, walked, &w, &n), -EINVAL);
        assert_int_equal(audit_list_after(s, "185057800608491", -1, 3, walked, &w, &n), -EINVAL);
}

/* Each tampering must be detected and name the expected entry. */
UNIT_FIXTURE(test_tampering, setup, teardown) {
        static const struct {
                const char *sql;
                int64_t bad;
                const char *words;
        } cases[] = {
                { "UPDATE audit SET outcome = 'deny' WHERE seq = 7", 7, "entry 7 was altered" },
                { "UPDATE audit SET at = at + 1 WHERE seq = 1", 1, "entry 1 was altered" },
                { "UPDATE audit SET actor = 'x' || actor WHERE seq = 20", 20, "entry 20 was altered" },
                { "DELETE FROM audit WHERE seq = 5", 5, "entry 5 is missing" },
                /* delete and renumber so that there is no gap */
                { "DELETE FROM audit WHERE seq = 5; UPDATE audit SET seq = seq - 1 WHERE seq > 5;", 5,
                  "does not follow" },
                /* swap the contents of two rows, keeping the numbers */
                { "UPDATE audit SET seq = -1 WHERE seq = 9; UPDATE audit SET seq = 9 WHERE seq = 10;"
                  "UPDATE audit SET seq = 10 WHERE seq = -1;", 9, "does not follow" },
                /* truncate the tail */
                { "DELETE FROM audit WHERE seq > 17", 18, "removed" },
                { "UPDATE audit SET reason = 'coma' WHERE seq = 3", 3, "entry 3 was altered" },
                /* rewrite one entry and its hash consistently: the next link breaks */
                { "UPDATE audit SET hash = zeroblob(32) WHERE seq = 11", 11, "entry 11 was altered" },
                { "UPDATE audit SET prev_hash = zeroblob(32) WHERE seq = 2", 2, "does not follow" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct fixture *f = *state;
                _cleanup_store_ struct store *s = NULL;
                int64_t bad = -1;
                char msg[256];

                test_store_clear(&f->ts);
                assert_int_equal(store_open(f->path, &s), 0);
                fill(s, 20);
                s = store_close(s);

                tamper(f, cases[i].sql);
                assert_int_equal(store_open(f->path, &s), 0);
                assert_int_equal(audit_verify(s, &bad, msg, sizeof(msg)), -EBADMSG);
                if (bad != cases[i].bad || !strstr(msg, cases[i].words))
                        fail_msg("case %zu: bad=%lld msg='%s'", i, (long long) bad, msg);
        }
}

/* The first entry fill() writes, hashed as the format was before
 * workstations (computed apart, from the format in audit.h). */
#define FIRST_ENTRY_HASH "bdaa16d411ef524a28337287fa3b57f0e823942f27343925eeb24a78616521c2"

static int keep_workstation(const struct audit_entry *e, void *userdata) {
        char (*seen)[16] = userdata;
        if (e->seq >= 1 && e->seq <= 2)
                snprintf(seen[e->seq - 1], sizeof(seen[0]), "%s", e->workstation ? e->workstation : "(null)");
        return 0;
}

/* An entry without a workstation hashes as it always did (old chains
 * verify); one with a workstation has it in its hash and in the list. */
UNIT_FIXTURE(test_workstation, setup, teardown) {
        struct fixture *f = *state;
        _cleanup_store_ struct store *s = NULL;
        struct audit_entry e = {
                .at = 1700000001, .actor_kind = "professional", .actor = "810001234567", .session = "s1",
                .action = "read", .dossier = "185057800608491", .document = "doc-1", .mode = "normal",
                .outcome = "allow", .code = "allow-authorised", .workstation = "ws-cabinet-01",
        };
        char seen[2][16] = {}, hex[2 * AUDIT_HASH_LEN + 1];
        uint8_t h[AUDIT_HASH_LEN];
        int64_t seq, bad = -1;
        char msg[256];

        assert_int_equal(store_open(f->path, &s), 0);
        fill(s, 1);
        assert_int_equal(audit_head(s, &seq, h), 0);
        for (int i = 0; i < AUDIT_HASH_LEN; i++)
                snprintf(hex + 2 * i, 3, "%02x", h[i]);
        assert_string_equal(hex, FIRST_ENTRY_HASH);
        assert_int_equal(store_begin(s), 0);
        assert_int_equal(audit_append(s, &e, &seq), 0);
        assert_int_equal(store_commit(s), 0);
        assert_int_equal(audit_verify(s, &bad, msg, sizeof(msg)), 0);
        assert_int_equal(audit_list(s, "185057800608491", keep_workstation, seen), 0);
        assert_string_equal(seen[0], "");
        assert_string_equal(seen[1], "ws-cabinet-01");
        s = store_close(s);
        /* the workstation is covered by the hash */
        expect_broken(f, "UPDATE audit SET workstation = 'ws-other' WHERE seq = 2", 2);
        expect_broken(f, "UPDATE audit SET workstation = 'ws-cabinet-01' WHERE seq = 2;"
                         "UPDATE audit SET workstation = 'ws-added' WHERE seq = 1", 1);
}

/* PostgreSQL keeps its version in store_schema; a newer one is refused
 * as on SQLite. */
UNIT_FIXTURE(test_pg_schema, setup, teardown) {
        struct fixture *f = *state;
        _cleanup_store_ struct store *s = NULL;
        int v;

        if (!test_pg()) {
                print_message("SKIP: PostgreSQL only (CARNET_TEST_PG is not set)\n");
                skip();
        }
        assert_int_equal(store_open(f->path, &s), 0);
        assert_int_equal(store_kind(s), STORE_POSTGRESQL);
        assert_int_equal(store_schema_version(s, &v), 0);
        assert_int_equal(v, STORE_SCHEMA_VERSION);
        s = store_close(s);
        assert_int_equal(test_store_query_int(&f->ts, "SELECT count(*) FROM attempts", NULL), 0);
        assert_int_equal(test_store_query_int(&f->ts, "SELECT count(*) FROM host_sessions", NULL), 0);
        assert_int_equal(test_store_query_int(&f->ts, "SELECT count(*) FROM pg_indexes WHERE schemaname = "
                                                      "current_schema() AND indexname = 'documents_by_time'", NULL),
                         1);
        tombstone_upgraded(f, "UPDATE store_schema SET version = 9");
        tamper(f, "UPDATE store_schema SET version = 99");
        assert_int_equal(store_open(f->path, &s), -EPROTONOSUPPORT);
}

UNIT_GROUP("audit", NULL, NULL)
