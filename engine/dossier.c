/* engine/dossier.c: the dossier engine; see dossier.h and
 * docs/dossier-engine.md. */
#include <errno.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dossier.h"
#include "lib/macro.h"
#include "lib/nir.h"

#define SCRYPT_SALT_LEN 16
#define SCRYPT_KEY_LEN 32
#define SCRYPT_MAXMEM (256u * 1024 * 1024)
#define EXAM_TYPES_MAX 16

#define INS_OID "1.2.250.1.213.1.4.8"
#define INS_OID_TEST "1.2.250.1.213.1.4.10"

/* Database status values are the enum values (+1 for documents). */
#define DOC_DB_STATUS(s) ((int) (s) + 1)

struct dossier_engine {
        struct store *store;
        const struct rights_table *rights;
        const struct interactions *interactions;
        int64_t duplicate_window;
        int64_t treatment_window;
        char exam_types[EXAM_TYPES_MAX][DOSSIER_CODE_MAX];
        size_t n_exam_types;
        uint64_t scrypt_n;
        uint32_t scrypt_r, scrypt_p;
        int64_t (*clock)(void *userdata);
        void *clock_userdata;
        struct access_decision last;
        /* notifications written by the running operation, told to
         * on_notification once it commits */
        dossier_notification_hook on_notification;
        void *on_notification_userdata;
        char pending[8][32];
        size_t n_pending;
};

/* What one operation knows about the dossier and the actor's standing. */
struct dstate {
        int64_t id;                       /* 0: no dossier row */
        enum access_dossier_status status;
        bool optout_emergency;
        bool optout_call_centre;
        bool notify;
        int64_t closed_at;
        enum access_relation relation;
        bool blocked;
        bool sees_masked;
        bool seen;                        /* actor accessed before */
};

/* A document row as the decision needs it. */
struct drow {
        int64_t id;
        int version;
        bool masked;
        char type_code[DOSSIER_CODE_MAX];
        char class_code[DOSSIER_CODE_MAX];
        char author_id[DOSSIER_CODE_MAX];
        struct access_doc ad;
};

/* ---- SQL ------------------------------------------------------------------ */

static const char sql_dossier[] =
        "SELECT id, status, optout_emergency, optout_call_centre, notify, closed_at FROM dossiers WHERE ins = ?1";
static const char sql_relation[] =
        "SELECT relation, blocked, sees_masked, first_access_at FROM dossier_access WHERE dossier_id = ?1 AND id_nat = ?2";
static const char sql_professional[] =
        "INSERT INTO professionals (id_nat, last_name, first_name, profession, specialty, first_seen, last_seen) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (id_nat) DO UPDATE SET last_name = excluded.last_name, "
        "first_name = excluded.first_name, profession = excluded.profession, specialty = excluded.specialty, "
        "last_seen = excluded.last_seen";
static const char sql_insert_dossier[] =
        "INSERT INTO dossiers (ins, ins_oid, birth_name, first_names, birth_date, sex, birth_place, status, "
        "created_at, secret_salt, secret_hash, secret_n, secret_r, secret_p) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, ?10, ?11, ?12, ?13)";
static const char sql_reopen_dossier[] =
        "UPDATE dossiers SET ins_oid = ?2, birth_name = ?3, first_names = ?4, birth_date = ?5, sex = ?6, "
        "birth_place = ?7, status = 1, created_at = ?8, closed_at = NULL, destroyed_at = NULL, "
        "optout_emergency = 0, optout_call_centre = 0, notify = 1, secret_salt = ?9, secret_hash = ?10, "
        "secret_n = ?11, secret_r = ?12, secret_p = ?13 WHERE ins = ?1";
static const char sql_secret[] =
        "SELECT secret_salt, secret_hash, secret_n, secret_r, secret_p FROM dossiers WHERE ins = ?1 AND status IN (1, 2)";
static const char sql_set_status[] =
        "UPDATE dossiers SET status = ?2, closed_at = ?3 WHERE id = ?1";
static const char sql_purge_contents[] =
        "DELETE FROM contents WHERE doc_id IN (SELECT id FROM documents WHERE dossier_id = ?1)";
static const char sql_purge_documents[] =
        "DELETE FROM documents WHERE dossier_id = ?1";
static const char sql_purge_access[] = "DELETE FROM dossier_access WHERE dossier_id = ?1";
static const char sql_purge_notifications[] = "DELETE FROM notifications WHERE dossier_id = ?1";
static const char sql_tombstone[] =
        "UPDATE dossiers SET status = 3, destroyed_at = ?2, birth_name = '', first_names = '', birth_date = '', "
        "sex = '', birth_place = '', optout_emergency = 0, optout_call_centre = 0, secret_salt = NULL, "
        "secret_hash = NULL, secret_n = NULL, secret_r = NULL, secret_p = NULL WHERE id = ?1";
static const char sql_expired[] =
        "SELECT ins FROM dossiers WHERE status = 2 AND closed_at <= ?1 ORDER BY id LIMIT 1";
static const char sql_doc_by_uid[] =
        "SELECT id, type_code, class_code, author_id, status, masked, hidden_from_patient, hidden_since, version "
        "FROM documents WHERE dossier_id = ?1 AND uid = ?2";
static const char sql_insert_doc[] =
        "INSERT INTO documents (uid, dossier_id, type_code, class_code, format_code, mime, title, author_id, "
        "author_institution, author_role, author_specialty, created_at, deposited_at, size, sha256, status, "
        "version, replaces, masked, hidden_from_patient, hidden_since, medicines) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 1, ?16, ?17, ?18, ?19, ?20, ?21)";
static const char sql_insert_content[] = "INSERT INTO contents (doc_id, content) VALUES (?1, ?2)";
static const char sql_deprecate[] =
        "UPDATE documents SET status = 2, replaced_by = ?2 WHERE id = ?1";
static const char sql_archive[] = "UPDATE documents SET status = 3 WHERE id = ?1";
static const char sql_mask[] = "UPDATE documents SET masked = ?2, version = version + 1 WHERE id = ?1";
static const char sql_release[] =
        "UPDATE documents SET hidden_from_patient = 0, version = version + 1 WHERE id = ?1";
#define DOC_COLUMNS                                                                                          \
        "d.id, d.uid, d.type_code, d.class_code, d.format_code, d.mime, d.title, d.author_id, "                  \
        "d.author_institution, d.author_role, d.author_specialty, d.created_at, d.deposited_at, d.size, "        \
        "d.sha256, d.status, d.version, d.masked, d.hidden_from_patient, d.hidden_since, "                       \
        "(SELECT r.uid FROM documents r WHERE r.id = d.replaced_by)"
static const char sql_list[] =
        "SELECT " DOC_COLUMNS " FROM documents d WHERE d.dossier_id = ?1 AND (?2 OR d.status = 1) "
        "AND d.deposited_at >= ?3 ORDER BY d.deposited_at DESC, d.id DESC";
static const char sql_read[] = "SELECT " DOC_COLUMNS " FROM documents d WHERE d.dossier_id = ?1 AND d.uid = ?2";
static const char sql_content[] = "SELECT content FROM contents WHERE doc_id = ?1";
static const char sql_same_exam[] =
        "SELECT uid, type_code, class_code, author_id, status, masked, hidden_from_patient, hidden_since, created_at "
        "FROM documents WHERE dossier_id = ?1 AND type_code = ?2 AND status = 1 AND created_at >= ?3 "
        "AND created_at <= ?4 AND id != ?5 ORDER BY created_at DESC LIMIT 8";
static const char sql_treatments[] =
        "SELECT uid, type_code, class_code, author_id, status, masked, hidden_from_patient, hidden_since, medicines "
        "FROM documents WHERE dossier_id = ?1 AND status = 1 AND medicines != '' AND created_at >= ?2 "
        "AND id != ?3 ORDER BY created_at DESC LIMIT 64";
static const char sql_set_relation[] =
        "INSERT INTO dossier_access (dossier_id, id_nat, relation, updated_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (dossier_id, id_nat) DO UPDATE SET relation = excluded.relation, updated_at = excluded.updated_at";
static const char sql_set_blocked[] =
        "INSERT INTO dossier_access (dossier_id, id_nat, blocked, updated_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (dossier_id, id_nat) DO UPDATE SET blocked = excluded.blocked, updated_at = excluded.updated_at";
static const char sql_set_sees_masked[] =
        "INSERT INTO dossier_access (dossier_id, id_nat, sees_masked, updated_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (dossier_id, id_nat) DO UPDATE SET sees_masked = excluded.sees_masked, "
        "updated_at = excluded.updated_at";
static const char sql_first_access[] =
        "INSERT INTO dossier_access (dossier_id, id_nat, first_access_at, updated_at) VALUES (?1, ?2, ?3, ?3) "
        "ON CONFLICT (dossier_id, id_nat) DO UPDATE SET first_access_at = coalesce(first_access_at, excluded.first_access_at)";
static const char sql_list_access[] =
        "SELECT a.id_nat, coalesce(p.last_name, ''), coalesce(p.first_name, ''), coalesce(p.profession, ''), "
        "a.relation, a.blocked, a.sees_masked, coalesce(a.first_access_at, 0) FROM dossier_access a "
        "LEFT JOIN professionals p ON p.id_nat = a.id_nat WHERE a.dossier_id = ?1 ORDER BY a.id_nat";
static const char sql_traitants[] =
        "SELECT id_nat FROM dossier_access WHERE dossier_id = ?1 AND relation = 3 AND blocked = 0";
static const char sql_set_options[] =
        "UPDATE dossiers SET optout_emergency = coalesce(?2, optout_emergency), "
        "optout_call_centre = coalesce(?3, optout_call_centre), notify = coalesce(?4, notify) WHERE id = ?1";
static const char sql_notify[] =
        "INSERT INTO notifications (dossier_id, recipient, at, kind, message, document, actor, session, audit_seq) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char sql_notified_session[] =
        "SELECT 1 FROM notifications WHERE dossier_id = ?1 AND recipient = ?2 AND kind = ?3 AND actor = ?4 "
        "AND session = ?5 LIMIT 1";
static const char sql_notifications[] =
        "SELECT id, at, recipient, kind, message, document FROM notifications WHERE dossier_id = ?1 "
        "AND recipient = 'patient' ORDER BY id";
static const char sql_notifications_for[] =
        "SELECT id, at, recipient, kind, message, document FROM notifications WHERE recipient = ?1 ORDER BY id";
static const char sql_holds[] =
        "SELECT d.id, d.uid, d.hidden_since, d.hold_notified, s.id, s.ins, s.status FROM documents d "
        "JOIN dossiers s ON s.id = d.dossier_id WHERE d.hidden_from_patient = 1 AND d.hidden_since <= ?1 "
        "AND (d.hold_notified = 0 OR d.hidden_since <= ?2) ORDER BY d.id LIMIT 256";
static const char sql_hold_notified[] = "UPDATE documents SET hold_notified = 1 WHERE id = ?1";

/* ---- small helpers ------------------------------------------------------- */

static int64_t now_of(struct dossier_engine *e) {
        return e->clock ? e->clock(e->clock_userdata) : (int64_t) time(NULL);
}

static const char *nz(const char *s) {
        return s ? s : "";
}

static void copy_column(char *dst, size_t size, sqlite3_stmt *st, int col) {
        const unsigned char *t = sqlite3_column_text(st, col);
        (void) strcpy_bounded(dst, size, t ? (const char *) t : "");
}

/* Decodes one UTF-8 sequence strictly (no overlongs, no surrogates, at
 * most U+10FFFF); returns its length or 0 when invalid. */
static size_t utf8_seq(const unsigned char *p, size_t n) {
        uint32_t c;
        size_t len;

        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xc2 && p[0] <= 0xdf)
                len = 2, c = p[0] & 0x1f;
        else if (p[0] >= 0xe0 && p[0] <= 0xef)
                len = 3, c = p[0] & 0x0f;
        else if (p[0] >= 0xf0 && p[0] <= 0xf4)
                len = 4, c = p[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (p[i] & 0x3f);
        }
        if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        return len;
}

int dossier_text_check(const char *s, size_t len, size_t max) {
        const unsigned char *p = (const unsigned char *) s;

        if (!s)
                return -EINVAL;
        if (len >= max)
                return -E2BIG;
        for (size_t i = 0; i < len;) {
                size_t l;

                if (p[i] < 0x20 || p[i] == 0x7f)
                        return -EINVAL; /* NUL and control characters */
                l = utf8_seq(p + i, len - i);
                if (l == 0)
                        return -EINVAL;
                i += l;
        }
        return 0;
}

/* A C string field: required ones must be non-empty. */
static int text_field(const char *s, size_t max, bool required) {
        if (!s)
                return required ? -EINVAL : 0;
        if (required && !*s)
                return -EINVAL;
        return dossier_text_check(s, strnlen(s, max), max);
}

/* Codes: printable ASCII without spaces. */
static int code_field(const char *s, bool required) {
        size_t n;

        if (!s || !*s)
                return required ? -EINVAL : 0;
        n = strnlen(s, DOSSIER_CODE_MAX);
        if (n >= DOSSIER_CODE_MAX)
                return -E2BIG;
        for (size_t i = 0; i < n; i++)
                if (s[i] <= ' ' || s[i] > '~')
                        return -EINVAL;
        return 0;
}

static int actor_check(const struct dossier_actor *a) {
        int r;

        if (!a || (unsigned) a->kind >= _ACCESS_ACTOR_MAX || (unsigned) a->mode >= _ACCESS_MODE_MAX ||
            (unsigned) a->card >= _ACCESS_CARD_MAX || (unsigned) a->practice >= _ACCESS_PRACTICE_MAX)
                return -EINVAL;
        if (a->kind != ACCESS_ACTOR_SYSTEM && (r = code_field(a->id, true)) < 0)
                return r;
        if ((r = code_field(a->profession, a->kind == ACCESS_ACTOR_PROFESSIONAL)) < 0 ||
            (r = code_field(a->specialty, false)) < 0 || (r = text_field(a->last_name, DOSSIER_TEXT_MAX, false)) < 0 ||
            (r = text_field(a->first_name, DOSSIER_TEXT_MAX, false)) < 0 ||
            (r = text_field(a->institution, DOSSIER_TEXT_MAX, false)) < 0 ||
            (r = text_field(a->reason, DOSSIER_TEXT_MAX, false)) < 0 ||
            (r = text_field(a->session, DOSSIER_TEXT_MAX, false)) < 0)
                return r;
        return 0;
}

static int ins_check(const char *ins) {
        return ins && nir_check(ins) == 0 ? 0 : -EINVAL;
}

static int uid_check(const char *uid) {
        size_t n;

        if (!uid)
                return -EINVAL;
        n = strnlen(uid, DOSSIER_UID_SIZE);
        if (n != DOSSIER_UID_SIZE - 1)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!((uid[i] >= '0' && uid[i] <= '9') || (uid[i] >= 'a' && uid[i] <= 'f')))
                        return -EINVAL;
        return 0;
}

static int new_uid(char ret[DOSSIER_UID_SIZE]) {
        uint8_t b[(DOSSIER_UID_SIZE - 1) / 2];

        if (RAND_bytes(b, sizeof(b)) != 1)
                return -EIO;
        hex_encode(b, sizeof(b), ret);
        return 0;
}

/* Makes room for one more element in a growing array: returns the array
 * (reallocated, capacity doubled, first when empty) or NULL when out of
 * memory, the old array then left as it was. */
static void *grow(void *array, size_t n, size_t *cap, size_t size, size_t first) {
        size_t ncap;
        void *p;

        if (n < *cap)
                return array;
        ncap = *cap ? *cap * 2 : first;
        p = reallocarray(array, ncap, size);
        if (p)
                *cap = ncap;
        return p;
}

static int sha256(const void *p, size_t n, uint8_t ret[32]) {
        unsigned len = 0;
        return EVP_Digest(p, n, ret, &len, EVP_sha256(), NULL) == 1 && len == 32 ? 0 : -EIO;
}

/* ---- engine -------------------------------------------------------------- */

int dossier_engine_open(const struct dossier_config *cfg, struct dossier_engine **ret) {
        _cleanup_(dossier_engine_closep) struct dossier_engine *e = NULL;
        static const char *const default_exams[] = DOSSIER_DEFAULT_EXAM_TYPES;
        int r;

        if (!cfg || !cfg->path || !cfg->rights || !ret)
                return -EINVAL;
        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->rights = cfg->rights;
        e->interactions = cfg->interactions;
        e->duplicate_window = cfg->duplicate_window > 0 ? cfg->duplicate_window : 30 * DOSSIER_DAY;
        e->treatment_window = cfg->treatment_window > 0 ? cfg->treatment_window : 90 * DOSSIER_DAY;
        e->scrypt_n = cfg->scrypt_n ? cfg->scrypt_n : 32768;
        e->scrypt_r = cfg->scrypt_r ? cfg->scrypt_r : 8;
        e->scrypt_p = cfg->scrypt_p ? cfg->scrypt_p : 1;
        e->clock = cfg->clock;
        e->clock_userdata = cfg->clock_userdata;
        e->on_notification = cfg->on_notification;
        e->on_notification_userdata = cfg->on_notification_userdata;
        if (cfg->exam_types) {
                for (size_t i = 0; cfg->exam_types[i]; i++) {
                        if (i >= EXAM_TYPES_MAX || code_field(cfg->exam_types[i], true) < 0)
                                return -EINVAL;
                        strcpy_bounded(e->exam_types[i], DOSSIER_CODE_MAX, cfg->exam_types[i]);
                        e->n_exam_types++;
                }
        } else {
                for (size_t i = 0; i < ELEMENTSOF(default_exams); i++)
                        strcpy_bounded(e->exam_types[e->n_exam_types++], DOSSIER_CODE_MAX, default_exams[i]);
        }
        r = store_open(cfg->path, &e->store);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(e);
        return 0;
}

struct dossier_engine *dossier_engine_close(struct dossier_engine *e) {
        if (!e)
                return NULL;
        store_close(e->store);
        free(e);
        return NULL;
}

int dossier_engine_set_tables(struct dossier_engine *e, const struct rights_table *rights,
                              const struct interactions *interactions) {
        if (!e || !rights)
                return -EINVAL;
        e->rights = rights;
        e->interactions = interactions;
        return 0;
}

int64_t dossier_engine_now(struct dossier_engine *e) {
        return now_of(e);
}

struct store *dossier_engine_store(struct dossier_engine *e) {
        return e ? e->store : NULL;
}

int dossier_batch_begin(struct dossier_engine *e) {
        return e ? store_batch_begin(e->store) : -EINVAL;
}

int dossier_batch_commit(struct dossier_engine *e) {
        return e ? store_batch_commit(e->store) : -EINVAL;
}

void dossier_batch_rollback(struct dossier_engine *e) {
        if (e)
                store_batch_rollback(e->store);
}

const struct access_decision *dossier_last_decision(const struct dossier_engine *e) {
        return e ? &e->last : NULL;
}

/* ---- per-operation state -------------------------------------------------- */

/* Runs the query sql with text bound to ?1 and steps once: 1 with the row
 * in *st, 0 when none, a negative errno. The caller resets *st. */
static int query_by_text(struct dossier_engine *e, const char *sql, const char *text, sqlite3_stmt **st) {
        int r;

        r = store_prepare(e->store, sql, st);
        if (r < 0)
                return r;
        r = store_bind_text(*st, 1, text);
        if (r < 0)
                return r;
        return store_step(e->store, *st);
}

/* Loads the dossier row for ins and the actor's line in its access list.
 * An absent dossier leaves ds->id at 0 and status ABSENT. */
static int load_state(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                      struct dstate *ds) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL, *rel = NULL;
        int r;

        *ds = (struct dstate) { .status = ACCESS_DOSSIER_ABSENT, .notify = true };
        r = query_by_text(e, sql_dossier, ins, &st);
        if (r <= 0)
                return r;
        ds->id = sqlite3_column_int64(st, 0);
        ds->status = (enum access_dossier_status) sqlite3_column_int(st, 1);
        ds->optout_emergency = sqlite3_column_int(st, 2);
        ds->optout_call_centre = sqlite3_column_int(st, 3);
        ds->notify = sqlite3_column_int(st, 4);
        ds->closed_at = sqlite3_column_int64(st, 5);

        if (actor->kind != ACCESS_ACTOR_PROFESSIONAL)
                return 0;
        r = store_prepare(e->store, sql_relation, &rel);
        if (r < 0)
                return r;
        if ((r = store_bind_int(rel, 1, ds->id)) < 0 || (r = store_bind_text(rel, 2, actor->id)) < 0)
                return r;
        r = store_step(e->store, rel);
        if (r <= 0)
                return r;
        ds->relation = (enum access_relation) sqlite3_column_int(rel, 0);
        if ((unsigned) ds->relation >= _ACCESS_REL_MAX)
                return -EBADMSG;
        ds->blocked = sqlite3_column_int(rel, 1);
        ds->sees_masked = sqlite3_column_int(rel, 2);
        ds->seen = sqlite3_column_type(rel, 3) != SQLITE_NULL;
        return 0;
}

/* Records the professional in the table of professionals seen. */
static int note_professional(struct dossier_engine *e, const struct dossier_actor *actor, int64_t now) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        if (actor->kind != ACCESS_ACTOR_PROFESSIONAL)
                return 0;
        r = store_prepare(e->store, sql_professional, &st);
        if (r < 0)
                return r;
        if ((r = store_bind_text(st, 1, actor->id)) < 0 || (r = store_bind_text(st, 2, nz(actor->last_name))) < 0 ||
            (r = store_bind_text(st, 3, nz(actor->first_name))) < 0 ||
            (r = store_bind_text(st, 4, nz(actor->profession))) < 0 ||
            (r = store_bind_text(st, 5, nz(actor->specialty))) < 0 || (r = store_bind_int(st, 6, now)) < 0)
                return r;
        return store_exec_step(e->store, st);
}

/* True when the document is still held back from the patient as of now:
 * columns col (hidden_from_patient) and col + 1 (hidden_since); the
 * 1-month rule applies even if dossier_tick() has not run. */
static bool held_back(sqlite3_stmt *st, int col, int64_t now) {
        return sqlite3_column_int(st, col) && sqlite3_column_int64(st, col + 1) + DOSSIER_HOLD_RELEASE > now;
}

/* The access_doc of a row whose columns 1..7 are type, class, author,
 * status, masked, hidden_from_patient, hidden_since. The strings point
 * into the row: valid until the statement moves on. */
static struct access_doc row_access_doc(sqlite3_stmt *st, int64_t now) {
        return (struct access_doc) {
                .type_code = (const char *) sqlite3_column_text(st, 1),
                .class_code = (const char *) sqlite3_column_text(st, 2),
                .author_id = (const char *) sqlite3_column_text(st, 3),
                .status = (enum access_doc_status) (sqlite3_column_int(st, 4) - 1),
                .masked = sqlite3_column_int(st, 5),
                .hidden_from_patient = held_back(st, 6, now),
        };
}

/* Fills a drow for the document uid of the dossier; -ENOENT if none. The
 * hold is applied as of now (1-month rule). */
static int load_doc(struct dossier_engine *e, int64_t dossier_id, const char *uid, int64_t now, struct drow *d) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        *d = (struct drow) {};
        r = store_prepare(e->store, sql_doc_by_uid, &st);
        if (r < 0)
                return r;
        if ((r = store_bind_int(st, 1, dossier_id)) < 0 || (r = store_bind_text(st, 2, uid)) < 0)
                return r;
        r = store_step(e->store, st);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        d->id = sqlite3_column_int64(st, 0);
        d->version = sqlite3_column_int(st, 8);
        d->ad = row_access_doc(st, now);
        d->masked = d->ad.masked;
        /* copies that outlive the statement */
        copy_column(d->type_code, sizeof(d->type_code), st, 1);
        copy_column(d->class_code, sizeof(d->class_code), st, 2);
        copy_column(d->author_id, sizeof(d->author_id), st, 3);
        d->ad.type_code = d->type_code;
        d->ad.class_code = d->class_code;
        d->ad.author_id = d->author_id;
        return 0;
}

static void fill_request(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                         const struct dstate *ds, enum access_action action, const struct access_doc *doc,
                         bool consent, struct access_request *req) {
        *req = (struct access_request) {
                .actor_kind = actor->kind,
                .actor_id = actor->id,
                .profession = actor->profession,
                .card = actor->card,
                .practice = actor->practice,
                .express_consent = actor->express_consent,
                .mode = actor->mode,
                .reason = actor->reason,
                .dossier_status = ds->status,
                .dossier_ins = ins,
                .optout_emergency = ds->optout_emergency,
                .optout_call_centre = ds->optout_call_centre,
                .relation = ds->relation,
                .blocked = ds->blocked,
                .sees_masked = ds->sees_masked,
                .consent = consent,
                .action = action,
                .doc = doc,
                .rights = e->rights,
        };
}

/* Decides, and appends the trail entry for the decision under the name
 * trail_action. *ret_seq gets the entry's number (to link notifications). */
static int decide_audited_as(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                             const struct dstate *ds, enum access_action action, const char *trail_action,
                             const struct access_doc *doc, const char *doc_uid, bool consent, int64_t now,
                             int64_t *ret_seq) {
        struct access_request req;
        struct audit_entry ae;
        int r;

        fill_request(e, actor, ins, ds, action, doc, consent, &req);
        r = access_decide(&req, &e->last);
        if (r < 0)
                return r;
        ae = (struct audit_entry) {
                .at = now,
                .actor_kind = access_actor_kind_name(actor->kind),
                .actor = nz(actor->id),
                .session = nz(actor->session),
                .action = trail_action,
                .dossier = nz(ins),
                .document = nz(doc_uid),
                .mode = access_mode_name(actor->mode),
                .reason = nz(actor->reason),
                .outcome = e->last.allow ? "allow" : "deny",
                .code = access_reason_name(e->last.reason),
        };
        return audit_append(e->store, &ae, ret_seq);
}

/* The same, the trail naming the action as access.h does. */
static int decide_audited(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                          const struct dstate *ds, enum access_action action, const struct access_doc *doc,
                          const char *doc_uid, bool consent, int64_t now, int64_t *ret_seq) {
        return decide_audited_as(e, actor, ins, ds, action, access_action_name(action), doc, doc_uid, consent, now,
                                 ret_seq);
}

/* The error a denial maps to. */
static int denied_errno(const struct dossier_engine *e) {
        switch (e->last.reason) {
        case ACCESS_DENY_NO_DOSSIER:
        case ACCESS_DENY_NO_DOCUMENT:
                return -ENOENT;
        default:
                return -EACCES;
        }
}

/* Ends the transaction: commits when r >= 0, rolls back on an error (r,
 * or a failed commit). Returns 0 or the error. */
static int end_tx(struct dossier_engine *e, int r) {
        if (r >= 0)
                r = store_commit(e->store);
        if (r < 0)
                store_rollback(e->store);
        /* only what was committed is told */
        for (size_t i = 0; r >= 0 && e->on_notification && i < e->n_pending; i++)
                e->on_notification(e->on_notification_userdata, e->pending[i]);
        e->n_pending = 0;
        return r < 0 ? r : 0;
}

/* Ends an operation: a denial is committed (its trail entry must stay) and
 * mapped to an errno; an error rolls everything back. An error from
 * begin_op() may come with no transaction (nor engine) at all. */
static int finish(struct dossier_engine *e, int r) {
        if (r < 0 && !e)
                return r;
        r = end_tx(e, r);
        if (r < 0)
                return r;
        return e->last.allow ? 0 : denied_errno(e);
}

static int notify(struct dossier_engine *e, int64_t dossier_id, const char *recipient, int64_t now,
                  const char *kind, const char *message, const char *doc_uid, const struct dossier_actor *actor,
                  int64_t seq) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = store_prepare(e->store, sql_notify, &st);
        if (r < 0)
                return r;
        if ((r = store_bind_int(st, 1, dossier_id)) < 0 || (r = store_bind_text(st, 2, recipient)) < 0 ||
            (r = store_bind_int(st, 3, now)) < 0 || (r = store_bind_text(st, 4, kind)) < 0 ||
            (r = store_bind_text(st, 5, message)) < 0 || (r = store_bind_text(st, 6, nz(doc_uid))) < 0 ||
            (r = store_bind_text(st, 7, actor ? nz(actor->id) : "")) < 0 ||
            (r = store_bind_text(st, 8, actor ? nz(actor->session) : "")) < 0 ||
            (r = seq > 0 ? store_bind_int(st, 9, seq) : 0) < 0)
                return r;
        r = store_exec_step(e->store, st);
        if (r >= 0 && e->n_pending < ELEMENTSOF(e->pending))
                snprintf(e->pending[e->n_pending++], sizeof(e->pending[0]), "%s", kind);
        return r;
}

static int already_notified(struct dossier_engine *e, int64_t dossier_id, const char *recipient, const char *kind,
                            const struct dossier_actor *actor) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = store_prepare(e->store, sql_notified_session, &st);
        if (r < 0)
                return r;
        if ((r = store_bind_int(st, 1, dossier_id)) < 0 || (r = store_bind_text(st, 2, recipient)) < 0 ||
            (r = store_bind_text(st, 3, kind)) < 0 || (r = store_bind_text(st, 4, nz(actor->id))) < 0 ||
            (r = store_bind_text(st, 5, nz(actor->session))) < 0)
                return r;
        return store_step(e->store, st);
}

/* After an allowed access by a professional: an emergency access is told
 * to the patient and to each médecin traitant (once per session), and the
 * first access of a professional new to this dossier is told to the
 * patient if they chose to be notified (domain.md s. 2, 3, 7). */
static int after_allow(struct dossier_engine *e, const struct dossier_actor *actor, const struct dstate *ds,
                       int64_t now, int64_t seq) {
        char msg[512];
        int r;

        if (actor->kind != ACCESS_ACTOR_PROFESSIONAL || ds->id == 0)
                return 0;
        if (e->last.flags & ACCESS_FLAG_EMERGENCY) {
                _cleanup_stmt_ sqlite3_stmt *st = NULL;
                char traitants[8][DOSSIER_CODE_MAX];
                size_t n = 0;

                snprintf(msg, sizeof(msg), "Emergency access by %s %s (%s), reason: %s", nz(actor->first_name),
                         nz(actor->last_name), nz(actor->id), nz(actor->reason));
                r = already_notified(e, ds->id, "patient", "emergency-access", actor);
                if (r < 0)
                        return r;
                if (r == 0) {
                        r = notify(e, ds->id, "patient", now, "emergency-access", msg, NULL, actor, seq);
                        if (r < 0)
                                return r;
                        r = store_prepare(e->store, sql_traitants, &st);
                        if (r < 0)
                                return r;
                        if ((r = store_bind_int(st, 1, ds->id)) < 0)
                                return r;
                        while (n < ELEMENTSOF(traitants) && (r = store_step(e->store, st)) > 0)
                                copy_column(traitants[n++], DOSSIER_CODE_MAX, st, 0);
                        if (r < 0)
                                return r;
                        store_reset(st);
                        st = NULL;
                        for (size_t i = 0; i < n; i++) {
                                r = notify(e, ds->id, traitants[i], now, "emergency-access", msg, NULL, actor, seq);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        if (!ds->seen) {
                _cleanup_stmt_ sqlite3_stmt *st = NULL;

                r = store_prepare(e->store, sql_first_access, &st);
                if (r < 0)
                        return r;
                if ((r = store_bind_int(st, 1, ds->id)) < 0 || (r = store_bind_text(st, 2, actor->id)) < 0 ||
                    (r = store_bind_int(st, 3, now)) < 0)
                        return r;
                r = store_exec_step(e->store, st);
                if (r < 0)
                        return r;
                if (ds->notify) {
                        snprintf(msg, sizeof(msg), "First access to your dossier by %s %s (%s)",
                                 nz(actor->first_name), nz(actor->last_name), nz(actor->id));
                        r = notify(e, ds->id, "patient", now, "first-access", msg, NULL, actor, seq);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* The common prologue of an operation on one dossier: validate the actor
 * and the INS (-EINVAL, nothing begun), read the clock into *ret_now,
 * begin, note the professional, load the state. On error nothing is left
 * open. */
static int begin_op(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                    struct dstate *ds, int64_t *ret_now) {
        int64_t now;
        int r;

        if (!e || actor_check(actor) < 0 || ins_check(ins) < 0)
                return -EINVAL;
        now = *ret_now = now_of(e);
        r = store_begin(e->store);
        if (r < 0)
                return r;
        r = note_professional(e, actor, now);
        if (r < 0)
                goto fail;
        r = load_state(e, actor, ins, ds);
        if (r < 0)
                goto fail;
        return 0;
fail:
        store_rollback(e->store);
        return r;
}

/* The prologue, then the audited decision of an action on the dossier as
 * a whole (no document). */
static int dossier_op(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                      enum access_action action, struct dstate *ds, int64_t *ret_now, int64_t *ret_seq) {
        int r;

        r = begin_op(e, actor, ins, ds, ret_now);
        if (r < 0)
                return r;
        return decide_audited(e, actor, ins, ds, action, NULL, NULL, false, *ret_now, ret_seq);
}

/* For an operation with no document: the prologue, then decide, audit and
 * notify. The caller performs the action if allowed and ends with
 * finish(), which also copes with a failed prologue. */
static int simple_op(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                     enum access_action action, struct dstate *ds, int64_t *ret_now) {
        int64_t seq = 0;
        int r;

        r = dossier_op(e, actor, ins, action, ds, ret_now, &seq);
        if (r >= 0 && e->last.allow)
                r = after_allow(e, actor, ds, *ret_now, seq);
        return r;
}

/* Ends an allowed operation on a document or a list: the notifications
 * of the access, then finish(). */
static int finish_allowed(struct dossier_engine *e, const struct dossier_actor *actor, const struct dstate *ds,
                          int64_t now, int64_t seq, int r) {
        if (r >= 0)
                r = after_allow(e, actor, ds, now, seq);
        return finish(e, r);
}

/* ---- lifecycle ------------------------------------------------------------- */

static int scrypt_hash(const char *secret, const uint8_t *salt, uint64_t n, uint32_t r, uint32_t p,
                       uint8_t ret[SCRYPT_KEY_LEN]) {
        if (EVP_PBE_scrypt(secret, strlen(secret), salt, SCRYPT_SALT_LEN, n, r, p, SCRYPT_MAXMEM, ret,
                           SCRYPT_KEY_LEN) != 1)
                return -EIO;
        return 0;
}

/* 16 characters from an alphabet without look-alikes (80 bits), grouped
 * by four for the receipt. */
static int new_secret(char ret[DOSSIER_SECRET_SIZE]) {
        static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        uint8_t b[16];
        size_t o = 0;

        if (RAND_bytes(b, sizeof(b)) != 1)
                return -EIO;
        for (size_t i = 0; i < sizeof(b); i++) {
                if (i > 0 && i % 4 == 0)
                        ret[o++] = '-';
                ret[o++] = alphabet[b[i] & 31];
        }
        ret[o] = '\0';
        secure_zero(b, sizeof(b));
        return 0;
}

static int identity_check(const struct dossier_identity *id) {
        int r;

        if (!id || ins_check(id->ins) < 0 || !id->ins_oid)
                return -EINVAL;
        if (strcmp(id->ins_oid, INS_OID) != 0 && strcmp(id->ins_oid, INS_OID_TEST) != 0)
                return -EINVAL;
        if ((r = text_field(id->birth_name, DOSSIER_TEXT_MAX, true)) < 0 ||
            (r = text_field(id->first_names, DOSSIER_TEXT_MAX, true)) < 0 ||
            (r = code_field(id->birth_date, true)) < 0 || (r = code_field(id->sex, true)) < 0 ||
            (r = code_field(id->birth_place, true)) < 0)
                return r;
        if (strcmp(id->sex, "M") != 0 && strcmp(id->sex, "F") != 0 && strcmp(id->sex, "U") != 0)
                return -EINVAL;
        return 0;
}

int dossier_create(struct dossier_engine *e, const struct dossier_actor *actor, const struct dossier_identity *id,
                   bool consent, char ret_secret[DOSSIER_SECRET_SIZE]) {
        char secret[DOSSIER_SECRET_SIZE];
        uint8_t salt[SCRYPT_SALT_LEN], hash[SCRYPT_KEY_LEN];
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        struct dstate ds;
        int64_t now, seq = 0;
        int r;

        if (!e || !ret_secret || actor_check(actor) < 0)
                return -EINVAL;
        r = identity_check(id);
        if (r < 0)
                return r;

        /* the slow hash runs before the transaction so as not to hold the
         * write lock for it */
        r = new_secret(secret);
        if (r < 0)
                return r;
        if (RAND_bytes(salt, sizeof(salt)) != 1)
                return -EIO;
        r = scrypt_hash(secret, salt, e->scrypt_n, e->scrypt_r, e->scrypt_p, hash);
        if (r < 0)
                goto out;

        r = begin_op(e, actor, id->ins, &ds, &now);
        if (r < 0)
                goto out;
        r = decide_audited(e, actor, id->ins, &ds, ACCESS_ACTION_CREATE, NULL, NULL, consent, now, &seq);
        if (r < 0 || !e->last.allow)
                goto done;
        r = store_prepare(e->store, ds.status == ACCESS_DOSSIER_DESTROYED ? sql_reopen_dossier : sql_insert_dossier,
                          &st);
        if (r < 0)
                goto done;
        if ((r = store_bind_text(st, 1, id->ins)) < 0 || (r = store_bind_text(st, 2, id->ins_oid)) < 0 ||
            (r = store_bind_text(st, 3, id->birth_name)) < 0 || (r = store_bind_text(st, 4, id->first_names)) < 0 ||
            (r = store_bind_text(st, 5, id->birth_date)) < 0 || (r = store_bind_text(st, 6, id->sex)) < 0 ||
            (r = store_bind_text(st, 7, id->birth_place)) < 0 || (r = store_bind_int(st, 8, now)) < 0 ||
            (r = store_bind_blob(st, 9, salt, sizeof(salt))) < 0 || (r = store_bind_blob(st, 10, hash, sizeof(hash))) < 0 ||
            (r = store_bind_int(st, 11, (int64_t) e->scrypt_n)) < 0 || (r = store_bind_int(st, 12, e->scrypt_r)) < 0 ||
            (r = store_bind_int(st, 13, e->scrypt_p)) < 0)
                goto done;
        r = store_exec_step(e->store, st);
done:
        store_resetp(&st);
        st = NULL;
        r = finish(e, r);
        if (r >= 0)
                memcpy(ret_secret, secret, DOSSIER_SECRET_SIZE);
out:
        secure_zero(secret, sizeof(secret));
        secure_zero(hash, sizeof(hash));
        return r;
}

/* Appends the trail entry of a secret check. It is not an access_decide()
 * decision (nothing is read yet) but the patient's authentication, which
 * their history must show, granted or refused, like every decision. The
 * actor is the patient the caller claims to be. */
static int audit_secret(struct dossier_engine *e, const char *ins, enum access_reason reason) {
        bool allow = reason < _ACCESS_ALLOW_MAX;
        struct audit_entry ae = {
                .at = now_of(e),
                .actor_kind = access_actor_kind_name(ACCESS_ACTOR_PATIENT),
                .actor = ins,
                .session = "",
                .action = DOSSIER_ACTION_VERIFY_SECRET,
                .dossier = ins,
                .document = "",
                .mode = access_mode_name(ACCESS_MODE_NORMAL),
                .reason = "",
                .outcome = allow ? "allow" : "deny",
                .code = access_reason_name(reason),
        };
        int r;

        e->last = (struct access_decision) { .allow = allow, .reason = reason };
        r = store_begin(e->store);
        if (r < 0)
                return r;
        return end_tx(e, audit_append(e->store, &ae, NULL));
}

int dossier_verify_secret(struct dossier_engine *e, const char *ins, const char *secret) {
        uint8_t salt[SCRYPT_SALT_LEN], want[SCRYPT_KEY_LEN], got[SCRYPT_KEY_LEN];
        enum access_reason reason = ACCESS_DENY_BAD_SECRET;
        uint64_t n = 0;
        uint32_t rr = 0, p = 0;
        int r;

        if (!e || ins_check(ins) < 0 || !secret || strnlen(secret, 256) >= 256)
                return -EINVAL;
        {
                _cleanup_stmt_ sqlite3_stmt *st = NULL;

                r = query_by_text(e, sql_secret, ins, &st);
                if (r < 0)
                        return r;
                if (r > 0) {
                        if (sqlite3_column_bytes(st, 0) != SCRYPT_SALT_LEN ||
                            sqlite3_column_bytes(st, 1) != SCRYPT_KEY_LEN)
                                return -EBADMSG;
                        memcpy(salt, sqlite3_column_blob(st, 0), SCRYPT_SALT_LEN);
                        memcpy(want, sqlite3_column_blob(st, 1), SCRYPT_KEY_LEN);
                        n = (uint64_t) sqlite3_column_int64(st, 2);
                        rr = (uint32_t) sqlite3_column_int64(st, 3);
                        p = (uint32_t) sqlite3_column_int64(st, 4);
                }
        }
        if (r == 0)
                reason = ACCESS_DENY_NO_DOSSIER;
        else {
                /* the slow hash runs outside any transaction */
                r = scrypt_hash(secret, salt, n, rr, p, got);
                if (r >= 0)
                        reason = CRYPTO_memcmp(want, got, SCRYPT_KEY_LEN) == 0 ? ACCESS_ALLOW_PATIENT
                                                                                : ACCESS_DENY_BAD_SECRET;
                secure_zero(got, sizeof(got));
                secure_zero(want, sizeof(want));
                if (r < 0)
                        return r;
        }
        r = audit_secret(e, ins, reason);
        if (r < 0)
                return r;
        return reason == ACCESS_ALLOW_PATIENT ? 0 : reason == ACCESS_DENY_NO_DOSSIER ? -ENOENT : -EACCES;
}

static int exec_id(struct dossier_engine *e, const char *sql, int64_t id) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = store_prepare(e->store, sql, &st);

        if (r < 0)
                return r;
        if ((r = store_bind_int(st, 1, id)) < 0)
                return r;
        return store_exec_step(e->store, st);
}

/* Runs a statement whose parameters are a row id and one integer. */
static int exec_id_int(struct dossier_engine *e, const char *sql, int64_t id, int64_t v) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = store_prepare(e->store, sql, &st);

        if (r < 0)
                return r;
        if ((r = store_bind_int(st, 1, id)) < 0 || (r = store_bind_int(st, 2, v)) < 0)
                return r;
        return store_exec_step(e->store, st);
}

static int set_status(struct dossier_engine *e, int64_t id, enum access_dossier_status status, int64_t closed_at) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = store_prepare(e->store, sql_set_status, &st);

        if (r < 0)
                return r;
        if ((r = store_bind_int(st, 1, id)) < 0 || (r = store_bind_int(st, 2, status)) < 0 ||
            (r = closed_at ? store_bind_int(st, 3, closed_at) : 0) < 0)
                return r;
        return store_exec_step(e->store, st);
}

/* Content, documents, access list and notifications go; the dossier row
 * stays as a tombstone (INS and dates), and the trail stays. */
static int purge_dossier(struct dossier_engine *e, int64_t id, int64_t now) {
        int r;

        if ((r = exec_id(e, sql_purge_contents, id)) < 0 || (r = exec_id(e, sql_purge_documents, id)) < 0 ||
            (r = exec_id(e, sql_purge_access, id)) < 0 || (r = exec_id(e, sql_purge_notifications, id)) < 0)
                return r;
        return exec_id_int(e, sql_tombstone, id, now);
}

/* Close, reactivate and destroy share their shape. */
static int lifecycle_op(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                        enum access_action action) {
        struct dstate ds;
        int64_t now;
        int r;

        r = simple_op(e, actor, ins, action, &ds, &now);
        if (r < 0 || !e->last.allow)
                return finish(e, r);
        switch (action) {
        case ACCESS_ACTION_CLOSE:
                r = set_status(e, ds.id, ACCESS_DOSSIER_CLOSED, now);
                break;
        case ACCESS_ACTION_REACTIVATE:
                r = set_status(e, ds.id, ACCESS_DOSSIER_OPEN, 0);
                break;
        case ACCESS_ACTION_DESTROY:
                r = purge_dossier(e, ds.id, now);
                break;
        default:
                r = -EINVAL;
        }
        return finish(e, r);
}

static const char sql_traits[] =
        "SELECT ins_oid, birth_name, first_names, birth_date, sex, birth_place, created_at, "
        "coalesce(destroyed_at, 0) FROM dossiers WHERE id = ?1";

int dossier_info(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                 struct dossier_info *ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        struct dossier_info info = {};
        struct dstate ds;
        int64_t now;
        int r;

        if (!e || !ret || actor_check(actor) < 0 || ins_check(ins) < 0)
                return -EINVAL;
        now = now_of(e);
        r = store_begin(e->store);
        if (r < 0)
                return r;
        /* like begin_op(), without noting the professional: reading a status
         * is not an access to the dossier */
        if ((r = load_state(e, actor, ins, &ds)) < 0 ||
            (r = decide_audited_as(e, actor, ins, &ds, ACCESS_ACTION_LIST, DOSSIER_ACTION_READ_STATUS, NULL, NULL,
                                   false, now, NULL)) < 0)
                goto fail;
        info.decision = e->last;
        info.status = ds.status;
        info.closed_at = ds.closed_at;
        if (ds.id) {
                r = store_prepare(e->store, sql_traits, &st);
                if (r < 0 || (r = store_bind_int(st, 1, ds.id)) < 0 || (r = store_step(e->store, st)) < 0)
                        goto fail;
                info.created_at = sqlite3_column_int64(st, 6);
                info.destroyed_at = sqlite3_column_int64(st, 7);
                info.traits_shown = info.decision.allow && ds.status != ACCESS_DOSSIER_DESTROYED;
                if (info.traits_shown) {
                        copy_column(info.ins_oid, sizeof(info.ins_oid), st, 0);
                        copy_column(info.birth_name, sizeof(info.birth_name), st, 1);
                        copy_column(info.first_names, sizeof(info.first_names), st, 2);
                        copy_column(info.birth_date, sizeof(info.birth_date), st, 3);
                        copy_column(info.sex, sizeof(info.sex), st, 4);
                        copy_column(info.birth_place, sizeof(info.birth_place), st, 5);
                }
        }
        info.options_shown = actor->kind == ACCESS_ACTOR_PATIENT && info.decision.allow;
        if (info.options_shown) {
                info.optout_emergency = ds.optout_emergency;
                info.optout_call_centre = ds.optout_call_centre;
                info.notify = ds.notify;
        }
        r = store_commit(e->store);
        if (r < 0)
                goto fail;
        *ret = info;
        return 0;
fail:
        store_rollback(e->store);
        return r;
}

int dossier_close(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins) {
        return lifecycle_op(e, actor, ins, ACCESS_ACTION_CLOSE);
}

int dossier_reactivate(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins) {
        return lifecycle_op(e, actor, ins, ACCESS_ACTION_REACTIVATE);
}

int dossier_destroy(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins) {
        return lifecycle_op(e, actor, ins, ACCESS_ACTION_DESTROY);
}

/* One expired dossier per transaction, so that a long purge never holds
 * the write lock for long and a crash loses at most one step. */
int dossier_purge_expired(struct dossier_engine *e, unsigned *ret_purged) {
        static const struct dossier_actor sys = { .kind = ACCESS_ACTOR_SYSTEM, .session = "retention" };
        unsigned purged = 0;
        int64_t now;
        int r;

        if (!e)
                return -EINVAL;
        now = now_of(e);
        for (;;) {
                char ins[DOSSIER_CODE_MAX];
                struct dstate ds;

                r = store_begin(e->store);
                if (r < 0)
                        return r;
                {
                        _cleanup_stmt_ sqlite3_stmt *st = NULL;

                        r = store_prepare(e->store, sql_expired, &st);
                        if (r >= 0)
                                r = store_bind_int(st, 1, now - DOSSIER_RETENTION);
                        if (r >= 0)
                                r = store_step(e->store, st);
                        if (r > 0)
                                copy_column(ins, sizeof(ins), st, 0);
                }
                if (r <= 0) {
                        store_rollback(e->store);
                        break;
                }
                r = load_state(e, &sys, ins, &ds);
                if (r >= 0)
                        r = decide_audited(e, &sys, ins, &ds, ACCESS_ACTION_PURGE, NULL, NULL, false, now, NULL);
                if (r >= 0 && e->last.allow)
                        r = purge_dossier(e, ds.id, now);
                r = finish(e, r);
                if (r < 0)
                        return r;
                purged++;
        }
        if (ret_purged)
                *ret_purged = purged;
        return r;
}

/* Held-back documents: at 2 weeks the patient is told to consult (once),
 * at 1 month the hold ends. Each change is audited as a system action. */
int dossier_tick(struct dossier_engine *e, unsigned *ret_notified, unsigned *ret_released) {
        static const struct dossier_actor sys = { .kind = ACCESS_ACTOR_SYSTEM, .session = "hold" };
        unsigned notified = 0, released = 0;
        int64_t now;
        int r;

        if (!e)
                return -EINVAL;
        now = now_of(e);
        r = store_begin(e->store);
        if (r < 0)
                return r;
        for (;;) {
                struct {
                        int64_t id, since, dossier_id;
                        bool was_notified;
                        enum access_dossier_status status;
                        char uid[DOSSIER_UID_SIZE], ins[DOSSIER_CODE_MAX];
                } h[32];
                size_t n = 0;

                {
                        _cleanup_stmt_ sqlite3_stmt *st = NULL;

                        r = store_prepare(e->store, sql_holds, &st);
                        if (r >= 0)
                                r = store_bind_int(st, 1, now - DOSSIER_HOLD_NOTIFY);
                        if (r >= 0)
                                r = store_bind_int(st, 2, now - DOSSIER_HOLD_RELEASE);
                        while (r >= 0 && n < ELEMENTSOF(h) && (r = store_step(e->store, st)) > 0) {
                                h[n].id = sqlite3_column_int64(st, 0);
                                copy_column(h[n].uid, DOSSIER_UID_SIZE, st, 1);
                                h[n].since = sqlite3_column_int64(st, 2);
                                h[n].was_notified = sqlite3_column_int(st, 3);
                                h[n].dossier_id = sqlite3_column_int64(st, 4);
                                copy_column(h[n].ins, DOSSIER_CODE_MAX, st, 5);
                                h[n].status = (enum access_dossier_status) sqlite3_column_int(st, 6);
                                n++;
                        }
                }
                if (r < 0 || n == 0)
                        break;
                for (size_t i = 0; i < n && r >= 0; i++) {
                        struct dstate ds = { .id = h[i].dossier_id, .status = h[i].status };
                        bool release = h[i].since + DOSSIER_HOLD_RELEASE <= now;

                        if (release) {
                                int64_t seq;

                                r = decide_audited(e, &sys, h[i].ins, &ds, ACCESS_ACTION_RELEASE_HOLD, NULL,
                                                   h[i].uid, false, now, &seq);
                                if (r >= 0 && e->last.allow)
                                        r = exec_id(e, sql_release, h[i].id);
                                if (r >= 0 && e->last.allow)
                                        released++;
                        }
                        if (r >= 0 && !h[i].was_notified) {
                                if (!release)
                                        r = notify(e, h[i].dossier_id, "patient", now, "hold-consult",
                                                   "A document awaits an announcement consultation: please consult "
                                                   "the professional who deposited it.",
                                                   h[i].uid, NULL, 0);
                                if (r >= 0)
                                        r = exec_id(e, sql_hold_notified, h[i].id);
                                if (r >= 0 && !release)
                                        notified++;
                        }
                        if (r >= 0 && release && !e->last.allow)
                                r = -EIO; /* would loop forever */
                }
                if (r < 0)
                        break;
        }
        r = end_tx(e, r);
        if (r < 0)
                return r;
        if (ret_notified)
                *ret_notified = notified;
        if (ret_released)
                *ret_released = released;
        return 0;
}

/* ---- documents ------------------------------------------------------------- */

/* Splits "A,B,C" into validated substance codes; -EINVAL on a bad code. */
static int parse_medicines(const char *s, char codes[][INTERACTIONS_CODE_MAX], size_t max, size_t *ret_n) {
        size_t n = 0;

        *ret_n = 0;
        if (!s || !*s)
                return 0;
        for (const char *p = s;;) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t) (comma - p) : strlen(p);

                if (n >= max)
                        return -E2BIG;
                if (!interactions_code_valid(p, len))
                        return -EINVAL;
                memcpy(codes[n], p, len);
                codes[n][len] = '\0';
                n++;
                if (!comma)
                        break;
                p = comma + 1;
        }
        *ret_n = n;
        return 0;
}

static int meta_check(const struct dossier_doc_meta *m, const void *content, size_t len) {
        char codes[DOSSIER_MEDICINES_MAX][INTERACTIONS_CODE_MAX];
        size_t n;
        int r;

        if (!m || (len > 0 && !content))
                return -EINVAL;
        if (len > DOSSIER_CONTENT_MAX)
                return -E2BIG;
        if ((r = code_field(m->type_code, true)) < 0 || (r = code_field(m->class_code, true)) < 0 ||
            (r = code_field(m->format_code, true)) < 0 || (r = code_field(m->mime, true)) < 0 ||
            (r = text_field(m->title, DOSSIER_TITLE_MAX + 1, true)) < 0 ||
            (r = text_field(m->institution, DOSSIER_TEXT_MAX, false)) < 0 ||
            (r = text_field(m->role, DOSSIER_TEXT_MAX, false)) < 0 ||
            (r = text_field(m->specialty, DOSSIER_TEXT_MAX, false)) < 0)
                return r;
        if (m->medicines && strnlen(m->medicines, 1024) >= 1024)
                return -E2BIG;
        return parse_medicines(m->medicines, codes, ELEMENTSOF(codes), &n);
}

static void warn(struct dossier_warnings *w, enum dossier_warning_kind kind, const char *other_uid,
                 const char *fmt, ...) _printf_(4, 5);
static void warn(struct dossier_warnings *w, enum dossier_warning_kind kind, const char *other_uid,
                 const char *fmt, ...) {
        va_list ap;

        if (!w)
                return;
        if (w->n >= DOSSIER_WARNINGS_MAX) {
                w->truncated = true;
                return;
        }
        w->w[w->n].kind = kind;
        strcpy_bounded(w->w[w->n].other_uid, DOSSIER_UID_SIZE, nz(other_uid));
        va_start(ap, fmt);
        vsnprintf(w->w[w->n].detail, sizeof(w->w[w->n].detail), fmt, ap);
        va_end(ap);
        w->n++;
}

/* True when the actor could read the candidate document described by the
 * columns 0..7 of st (uid, type, class, author, status, masked, hidden,
 * hidden_since): an alert must not reveal a document its reader may not
 * see. */
static bool may_see_row(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                        const struct dstate *ds, sqlite3_stmt *st, int64_t now) {
        struct access_request req;
        struct access_decision d;
        struct access_doc doc = row_access_doc(st, now);

        fill_request(e, actor, ins, ds, ACCESS_ACTION_READ, &doc, false, &req);
        /* the alert is about reading, whatever the mode allows for writing */
        return access_decide(&req, &d) >= 0 && d.allow;
}

/* Care-coordination alerts for a new document (doc_id already inserted):
 * the same exam type within the window, and interacting medicines between
 * the new prescription and current treatments (domain.md s. 1). */
static int alerts(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                  const struct dstate *ds, const struct dossier_doc_meta *m, int64_t doc_id, int64_t now,
                  struct dossier_warnings *w) {
        char mine[DOSSIER_MEDICINES_MAX][INTERACTIONS_CODE_MAX];
        size_t n_mine = 0;
        int r;

        for (size_t i = 0; i < e->n_exam_types; i++) {
                _cleanup_stmt_ sqlite3_stmt *st = NULL;

                if (strcmp(e->exam_types[i], m->type_code) != 0)
                        continue;
                r = store_prepare(e->store, sql_same_exam, &st);
                if (r < 0)
                        return r;
                if ((r = store_bind_int(st, 1, ds->id)) < 0 || (r = store_bind_text(st, 2, m->type_code)) < 0 ||
                    (r = store_bind_int(st, 3, m->created_at - e->duplicate_window)) < 0 ||
                    (r = store_bind_int(st, 4, m->created_at + e->duplicate_window)) < 0 ||
                    (r = store_bind_int(st, 5, doc_id)) < 0)
                        return r;
                while ((r = store_step(e->store, st)) > 0) {
                        int64_t days;

                        if (!may_see_row(e, actor, ins, ds, st, now))
                                continue;
                        days = (m->created_at - sqlite3_column_int64(st, 8)) / DOSSIER_DAY;
                        warn(w, DOSSIER_WARN_DUPLICATE_EXAM, (const char *) sqlite3_column_text(st, 0),
                             "same exam type %s already done %" PRId64 " day(s) %s", m->type_code,
                             days < 0 ? -days : days, days < 0 ? "later" : "earlier");
                        break;
                }
                if (r < 0)
                        return r;
                break;
        }

        r = parse_medicines(m->medicines, mine, ELEMENTSOF(mine), &n_mine);
        if (r < 0 || n_mine == 0 || !e->interactions)
                return r < 0 ? r : 0;
        for (size_t i = 0; i < n_mine; i++)
                for (size_t j = i + 1; j < n_mine; j++) {
                        const struct interaction *x = interactions_find(e->interactions, mine[i], mine[j]);
                        if (x)
                                warn(w, DOSSIER_WARN_INTERACTION, NULL, "%s: %s (within this prescription)",
                                     x->severity, x->note);
                }
        {
                _cleanup_stmt_ sqlite3_stmt *st = NULL;

                r = store_prepare(e->store, sql_treatments, &st);
                if (r < 0)
                        return r;
                if ((r = store_bind_int(st, 1, ds->id)) < 0 ||
                    (r = store_bind_int(st, 2, now - e->treatment_window)) < 0 || (r = store_bind_int(st, 3, doc_id)) < 0)
                        return r;
                while ((r = store_step(e->store, st)) > 0) {
                        char theirs[DOSSIER_MEDICINES_MAX][INTERACTIONS_CODE_MAX];
                        size_t n_theirs;

                        if (!may_see_row(e, actor, ins, ds, st, now))
                                continue;
                        if (parse_medicines((const char *) sqlite3_column_text(st, 8), theirs, ELEMENTSOF(theirs),
                                            &n_theirs) < 0)
                                continue;
                        for (size_t i = 0; i < n_mine; i++)
                                for (size_t j = 0; j < n_theirs; j++) {
                                        const struct interaction *x =
                                                interactions_find(e->interactions, mine[i], theirs[j]);
                                        if (x)
                                                warn(w, DOSSIER_WARN_INTERACTION,
                                                     (const char *) sqlite3_column_text(st, 0), "%s: %s",
                                                     x->severity, x->note);
                                }
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Inserts the document row and its content; returns the new row id. */
static int insert_doc(struct dossier_engine *e, const struct dossier_actor *actor, int64_t dossier_id,
                      const struct dossier_doc_meta *m, const void *content, size_t len, int version,
                      int64_t replaces, bool masked, int64_t now, const char *uid, int64_t *ret_id) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL, *ct = NULL;
        uint8_t digest[32];
        int r;

        r = sha256(len ? content : "", len, digest);
        if (r < 0)
                return r;
        r = store_prepare(e->store, sql_insert_doc, &st);
        if (r < 0)
                return r;
        if ((r = store_bind_text(st, 1, uid)) < 0 || (r = store_bind_int(st, 2, dossier_id)) < 0 ||
            (r = store_bind_text(st, 3, m->type_code)) < 0 || (r = store_bind_text(st, 4, m->class_code)) < 0 ||
            (r = store_bind_text(st, 5, m->format_code)) < 0 || (r = store_bind_text(st, 6, m->mime)) < 0 ||
            (r = store_bind_text(st, 7, m->title)) < 0 || (r = store_bind_text(st, 8, actor->id)) < 0 ||
            (r = store_bind_text(st, 9, m->institution ? m->institution : nz(actor->institution))) < 0 ||
            (r = store_bind_text(st, 10, nz(m->role))) < 0 ||
            (r = store_bind_text(st, 11, m->specialty ? m->specialty : nz(actor->specialty))) < 0 ||
            (r = store_bind_int(st, 12, m->created_at)) < 0 || (r = store_bind_int(st, 13, now)) < 0 ||
            (r = store_bind_int(st, 14, (int64_t) len)) < 0 || (r = store_bind_blob(st, 15, digest, 32)) < 0 ||
            (r = store_bind_int(st, 16, version)) < 0 || (r = replaces ? store_bind_int(st, 17, replaces) : 0) < 0 ||
            (r = store_bind_int(st, 18, masked)) < 0 || (r = store_bind_int(st, 19, m->hidden_from_patient)) < 0 ||
            (r = m->hidden_from_patient ? store_bind_int(st, 20, now) : 0) < 0 ||
            (r = store_bind_text(st, 21, nz(m->medicines))) < 0)
                return r;
        r = store_exec_step(e->store, st);
        if (r < 0)
                return r;
        *ret_id = sqlite3_last_insert_rowid(store_db(e->store));

        r = store_prepare(e->store, sql_insert_content, &ct);
        if (r < 0)
                return r;
        if ((r = store_bind_int(ct, 1, *ret_id)) < 0)
                return r;
        /* bound without copy: content outlives the statement's use */
        r = store_errno(sqlite3_bind_blob64(ct, 2, len ? content : "", len, SQLITE_STATIC));
        if (r < 0)
                return r;
        return store_exec_step(e->store, ct);
}

/* Deposit and replace: old_uid NULL for a deposit. */
static int put_doc(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, const char *old_uid,
                   const struct dossier_doc_meta *m, const void *content, size_t len, char ret_uid[DOSSIER_UID_SIZE],
                   struct dossier_warnings *ret_warnings) {
        char uid[DOSSIER_UID_SIZE];
        struct drow old = {};
        struct access_doc newdoc;
        struct dstate ds;
        int64_t now, seq = 0, id = 0;
        int r;

        if (!e || !ret_uid || actor_check(actor) < 0 || ins_check(ins) < 0 || (old_uid && uid_check(old_uid) < 0))
                return -EINVAL;
        r = meta_check(m, content, len);
        if (r < 0)
                return r;
        if (ret_warnings)
                *ret_warnings = (struct dossier_warnings) {};
        r = new_uid(uid);
        if (r < 0)
                return r;
        r = begin_op(e, actor, ins, &ds, &now);
        if (r < 0)
                return r;

        newdoc = (struct access_doc) {
                .type_code = m->type_code, .class_code = m->class_code, .author_id = actor->id,
                .hidden_from_patient = m->hidden_from_patient,
        };
        if (old_uid) {
                r = ds.id ? load_doc(e, ds.id, old_uid, now, &old) : -ENOENT;
                if (r < 0 && r != -ENOENT)
                        return finish(e, r);
                r = decide_audited(e, actor, ins, &ds, ACCESS_ACTION_REPLACE, r == -ENOENT ? NULL : &old.ad,
                                   old_uid, false, now, &seq);
                /* the new version must itself be depositable */
                if (r >= 0 && e->last.allow)
                        r = decide_audited(e, actor, ins, &ds, ACCESS_ACTION_DEPOSIT, &newdoc, uid, false, now, &seq);
        } else
                r = decide_audited(e, actor, ins, &ds, ACCESS_ACTION_DEPOSIT, &newdoc, uid, false, now, &seq);
        if (r < 0 || !e->last.allow)
                return finish(e, r);

        r = insert_doc(e, actor, ds.id, m, content, len, old_uid ? old.version + 1 : 1, old.id, old.masked, now, uid,
                       &id);
        if (r >= 0 && old_uid)
                r = exec_id_int(e, sql_deprecate, old.id, id);
        if (r >= 0)
                r = alerts(e, actor, ins, &ds, m, id, now, ret_warnings);
        r = finish_allowed(e, actor, &ds, now, seq, r);
        if (r >= 0)
                memcpy(ret_uid, uid, DOSSIER_UID_SIZE);
        return r;
}

int dossier_deposit(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                    const struct dossier_doc_meta *meta, const void *content, size_t len,
                    char ret_uid[DOSSIER_UID_SIZE], struct dossier_warnings *ret_warnings) {
        return put_doc(e, actor, ins, NULL, meta, content, len, ret_uid, ret_warnings);
}

int dossier_replace(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                    const char *old_uid, const struct dossier_doc_meta *meta, const void *content, size_t len,
                    char ret_uid[DOSSIER_UID_SIZE], struct dossier_warnings *ret_warnings) {
        if (!old_uid)
                return -EINVAL;
        return put_doc(e, actor, ins, old_uid, meta, content, len, ret_uid, ret_warnings);
}

/* Archive, mask/unmask and release share their shape: one document, one
 * decision, one UPDATE. */
static int doc_op(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, const char *uid,
                  enum access_action action, int arg) {
        struct drow d;
        struct dstate ds;
        int64_t now, seq = 0;
        int r;

        if (uid_check(uid) < 0)
                return -EINVAL;
        r = begin_op(e, actor, ins, &ds, &now);
        if (r < 0)
                return r;
        r = ds.id ? load_doc(e, ds.id, uid, now, &d) : -ENOENT;
        if (r < 0 && r != -ENOENT)
                return finish(e, r);
        r = decide_audited(e, actor, ins, &ds, action, r == -ENOENT ? NULL : &d.ad, uid, false, now, &seq);
        if (r < 0 || !e->last.allow)
                return finish(e, r);
        switch (action) {
        case ACCESS_ACTION_ARCHIVE:
                r = exec_id(e, sql_archive, d.id);
                break;
        case ACCESS_ACTION_RELEASE_HOLD:
                r = exec_id(e, sql_release, d.id);
                break;
        case ACCESS_ACTION_MASK:
                r = exec_id_int(e, sql_mask, d.id, !!arg);
                break;
        default:
                r = -EINVAL;
        }
        return finish_allowed(e, actor, &ds, now, seq, r);
}

int dossier_archive(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, const char *uid) {
        return doc_op(e, actor, ins, uid, ACCESS_ACTION_ARCHIVE, 0);
}

int dossier_set_masked(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, const char *uid,
                       bool masked) {
        return doc_op(e, actor, ins, uid, ACCESS_ACTION_MASK, masked);
}

int dossier_release_hold(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                         const char *uid) {
        return doc_op(e, actor, ins, uid, ACCESS_ACTION_RELEASE_HOLD, 0);
}

/* ---- reading --------------------------------------------------------------- */

/* Fills d and ad from a row of DOC_COLUMNS. */
static void doc_from_row(sqlite3_stmt *st, int64_t now, struct dossier_doc *d, struct access_doc *ad) {
        *d = (struct dossier_doc) {};
        copy_column(d->uid, sizeof(d->uid), st, 1);
        copy_column(d->type_code, sizeof(d->type_code), st, 2);
        copy_column(d->class_code, sizeof(d->class_code), st, 3);
        copy_column(d->format_code, sizeof(d->format_code), st, 4);
        copy_column(d->mime, sizeof(d->mime), st, 5);
        copy_column(d->title, sizeof(d->title), st, 6);
        copy_column(d->author_id, sizeof(d->author_id), st, 7);
        copy_column(d->institution, sizeof(d->institution), st, 8);
        copy_column(d->role, sizeof(d->role), st, 9);
        copy_column(d->specialty, sizeof(d->specialty), st, 10);
        d->created_at = sqlite3_column_int64(st, 11);
        d->deposited_at = sqlite3_column_int64(st, 12);
        d->size = sqlite3_column_int64(st, 13);
        if (sqlite3_column_bytes(st, 14) == 32)
                memcpy(d->sha256, sqlite3_column_blob(st, 14), 32);
        d->status = (enum access_doc_status) (sqlite3_column_int(st, 15) - 1);
        d->version = sqlite3_column_int(st, 16);
        d->masked = sqlite3_column_int(st, 17);
        d->hidden_from_patient = held_back(st, 18, now);
        copy_column(d->replaced_by, sizeof(d->replaced_by), st, 20);
        d->patient_deposit = strcmp(d->class_code, ACCESS_CLASS_PATIENT) == 0;
        *ad = (struct access_doc) {
                .type_code = d->type_code,
                .class_code = d->class_code,
                .author_id = d->author_id,
                .status = d->status,
                .masked = d->masked,
                .hidden_from_patient = d->hidden_from_patient,
        };
}

/* One audited LIST decision, then each document is filtered through the
 * READ decision (not audited one by one: the trail says the list was
 * read). */
int dossier_list(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, unsigned flags,
                 struct dossier_doc **ret, size_t *ret_n) {
        _cleanup_free_ struct dossier_doc *docs = NULL;
        struct dstate ds;
        size_t n = 0, cap = 0;
        int64_t now, seq = 0;
        int r;

        if (!ret || !ret_n)
                return -EINVAL;
        r = dossier_op(e, actor, ins, ACCESS_ACTION_LIST, &ds, &now, &seq);
        if (r < 0 || !e->last.allow)
                return finish(e, r);
        {
                _cleanup_stmt_ sqlite3_stmt *st = NULL;
                struct access_decision keep = e->last;

                r = store_prepare(e->store, sql_list, &st);
                if (r < 0)
                        return finish(e, r);
                if ((r = store_bind_int(st, 1, ds.id)) < 0 ||
                    (r = store_bind_int(st, 2, !!(flags & DOSSIER_LIST_ALL_STATUSES))) < 0 ||
                    (r = store_bind_int(st, 3, flags & DOSSIER_LIST_FIRST_SEARCH ? now - DOSSIER_FIRST_SEARCH
                                                                                : INT64_MIN)) < 0)
                        return finish(e, r);
                while ((r = store_step(e->store, st)) > 0) {
                        struct dossier_doc *nd = grow(docs, n, &cap, sizeof(*docs), 16);
                        struct access_request req;
                        struct access_decision d;
                        struct access_doc ad;

                        if (!nd) {
                                r = -ENOMEM;
                                break;
                        }
                        docs = nd;
                        doc_from_row(st, now, &docs[n], &ad);
                        fill_request(e, actor, ins, &ds, ACCESS_ACTION_READ, &ad, false, &req);
                        if (access_decide(&req, &d) < 0 || !d.allow)
                                continue;
                        docs[n].warn_hidden_from_patient = d.flags & ACCESS_FLAG_WARN_HIDDEN_FROM_PATIENT;
                        n++;
                }
                e->last = keep;
        }
        r = finish_allowed(e, actor, &ds, now, seq, r);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(docs);
        *ret_n = n;
        return 0;
}

int dossier_read(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, const char *uid,
                 struct dossier_doc *ret_doc, void **ret_content, size_t *ret_len) {
        _cleanup_free_ void *content = NULL;
        struct dossier_doc d;
        struct access_doc ad;
        struct dstate ds;
        bool found = false;
        int64_t now, seq = 0, id = 0;
        size_t len = 0;
        uint8_t digest[32];
        int r;

        if (!ret_doc || !ret_content || !ret_len || uid_check(uid) < 0)
                return -EINVAL;
        r = begin_op(e, actor, ins, &ds, &now);
        if (r < 0)
                return r;
        if (ds.id) {
                _cleanup_stmt_ sqlite3_stmt *st = NULL;

                r = store_prepare(e->store, sql_read, &st);
                if (r >= 0 && (r = store_bind_int(st, 1, ds.id)) >= 0 && (r = store_bind_text(st, 2, uid)) >= 0)
                        r = store_step(e->store, st);
                if (r > 0) {
                        doc_from_row(st, now, &d, &ad);
                        id = sqlite3_column_int64(st, 0);
                        found = true;
                }
                if (r < 0)
                        return finish(e, r);
        }
        r = decide_audited(e, actor, ins, &ds, ACCESS_ACTION_READ, found ? &ad : NULL, uid, false, now, &seq);
        if (r < 0 || !e->last.allow)
                return finish(e, r);
        d.warn_hidden_from_patient = e->last.flags & ACCESS_FLAG_WARN_HIDDEN_FROM_PATIENT;
        {
                _cleanup_stmt_ sqlite3_stmt *st = NULL;

                r = store_prepare(e->store, sql_content, &st);
                if (r >= 0 && (r = store_bind_int(st, 1, id)) >= 0)
                        r = store_step(e->store, st);
                if (r == 0)
                        r = -EBADMSG; /* metadata without content */
                if (r > 0) {
                        const void *blob = sqlite3_column_blob(st, 0);

                        len = (size_t) sqlite3_column_bytes(st, 0);
                        content = malloc(len ? len : 1);
                        if (!content)
                                r = -ENOMEM;
                        else if (len)
                                memcpy(content, blob, len);
                }
        }
        if (r >= 0)
                r = sha256(len ? content : "", len, digest);
        if (r >= 0 && (memcmp(digest, d.sha256, 32) != 0 || (int64_t) len != d.size))
                r = -EBADMSG;
        r = finish_allowed(e, actor, &ds, now, seq, r);
        if (r < 0)
                return r;
        *ret_doc = d;
        *ret_content = TAKE_PTR(content);
        *ret_len = len;
        return 0;
}

/* ---- the access list and options ----------------------------------------- */

/* Writes one column of the actor id_nat's line in the dossier's access
 * list (sql is one of sql_set_relation, sql_set_blocked,
 * sql_set_sees_masked), creating the line if needed. */
static int set_access_line(struct dossier_engine *e, const char *sql, int64_t dossier_id, const char *id_nat,
                           int64_t value, int64_t now) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = store_prepare(e->store, sql, &st);
        if (r < 0)
                return r;
        if ((r = store_bind_int(st, 1, dossier_id)) < 0 || (r = store_bind_text(st, 2, id_nat)) < 0 ||
            (r = store_bind_int(st, 3, value)) < 0 || (r = store_bind_int(st, 4, now)) < 0)
                return r;
        return store_exec_step(e->store, st);
}

int dossier_record_consent(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins) {
        struct dstate ds;
        int64_t now, seq = 0;
        int r;

        r = dossier_op(e, actor, ins, ACCESS_ACTION_RECORD_CONSENT, &ds, &now, &seq);
        /* never lower a care-team or traitant relation */
        if (r >= 0 && e->last.allow && ds.relation == ACCESS_REL_NONE)
                r = set_access_line(e, sql_set_relation, ds.id, actor->id, ACCESS_REL_AUTHORISED, now);
        return finish(e, r);
}

/* What each change of dossier_set_access() writes. */
static const struct {
        const char *sql;
        int64_t value;
} access_changes[_DOSSIER_ACCESS_CHANGE_MAX] = {
        [DOSSIER_ACCESS_AUTHORISE] = { sql_set_relation, ACCESS_REL_AUTHORISED },
        [DOSSIER_ACCESS_CARE_TEAM] = { sql_set_relation, ACCESS_REL_CARE_TEAM },
        [DOSSIER_ACCESS_TRAITANT] = { sql_set_relation, ACCESS_REL_TRAITANT },
        [DOSSIER_ACCESS_REVOKE] = { sql_set_relation, ACCESS_REL_NONE },
        [DOSSIER_ACCESS_BLOCK] = { sql_set_blocked, 1 },
        [DOSSIER_ACCESS_UNBLOCK] = { sql_set_blocked, 0 },
        [DOSSIER_ACCESS_GRANT_MASKED] = { sql_set_sees_masked, 1 },
        [DOSSIER_ACCESS_REVOKE_MASKED] = { sql_set_sees_masked, 0 },
};

int dossier_set_access(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                       const char *id_nat, enum dossier_access_change change) {
        struct dstate ds;
        int64_t now;
        int r;

        if (code_field(id_nat, true) < 0 || (unsigned) change >= _DOSSIER_ACCESS_CHANGE_MAX)
                return -EINVAL;
        r = simple_op(e, actor, ins, ACCESS_ACTION_MANAGE_ACCESS, &ds, &now);
        if (r >= 0 && e->last.allow)
                r = set_access_line(e, access_changes[change].sql, ds.id, id_nat, access_changes[change].value, now);
        return finish(e, r);
}

int dossier_list_access(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                        struct dossier_access_entry **ret, size_t *ret_n) {
        _cleanup_free_ struct dossier_access_entry *list = NULL;
        struct dstate ds;
        size_t n = 0, cap = 0;
        int64_t now;
        int r;

        if (!ret || !ret_n)
                return -EINVAL;
        r = simple_op(e, actor, ins, ACCESS_ACTION_MANAGE_ACCESS, &ds, &now);
        if (r >= 0 && e->last.allow) {
                _cleanup_stmt_ sqlite3_stmt *st = NULL;

                r = store_prepare(e->store, sql_list_access, &st);
                if (r >= 0)
                        r = store_bind_int(st, 1, ds.id);
                while (r >= 0 && (r = store_step(e->store, st)) > 0) {
                        struct dossier_access_entry *a, *nl = grow(list, n, &cap, sizeof(*list), 8);

                        if (!nl) {
                                r = -ENOMEM;
                                break;
                        }
                        list = nl;
                        a = &list[n++];
                        *a = (struct dossier_access_entry) {};
                        copy_column(a->id_nat, sizeof(a->id_nat), st, 0);
                        copy_column(a->last_name, sizeof(a->last_name), st, 1);
                        copy_column(a->first_name, sizeof(a->first_name), st, 2);
                        copy_column(a->profession, sizeof(a->profession), st, 3);
                        a->relation = (enum access_relation) sqlite3_column_int(st, 4);
                        a->blocked = sqlite3_column_int(st, 5);
                        a->sees_masked = sqlite3_column_int(st, 6);
                        a->first_access_at = sqlite3_column_int64(st, 7);
                }
        }
        r = finish(e, r);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}

int dossier_set_options(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                        int optout_emergency, int optout_call_centre, int notify_choice) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        struct dstate ds;
        int64_t now;
        int r;

        r = simple_op(e, actor, ins, ACCESS_ACTION_SET_OPTIONS, &ds, &now);
        if (r >= 0 && e->last.allow && (r = store_prepare(e->store, sql_set_options, &st)) >= 0 &&
            (r = store_bind_int(st, 1, ds.id)) >= 0 &&
            (r = optout_emergency >= 0 ? store_bind_int(st, 2, !!optout_emergency) : 0) >= 0 &&
            (r = optout_call_centre >= 0 ? store_bind_int(st, 3, !!optout_call_centre) : 0) >= 0 &&
            (r = notify_choice >= 0 ? store_bind_int(st, 4, !!notify_choice) : 0) >= 0)
                r = store_exec_step(e->store, st);
        return finish(e, r);
}

/* ---- trail and notifications ---------------------------------------------- */

/* A reading of the trail or the notifications: decided, audited and
 * committed before the reading, so that the entry recording it is part of
 * what is read. */
static int committed_op(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                        enum access_action action, struct dstate *ds) {
        int64_t now;

        return finish(e, simple_op(e, actor, ins, action, ds, &now));
}

static const char sql_held_uids[] =
        "SELECT uid, hidden_from_patient, hidden_since FROM documents WHERE dossier_id = ?1 AND hidden_from_patient = 1";

/* The patient's view of the trail leaves out the entries about documents
 * still held back from them: "a document was deposited" must wait for the
 * announcement consultation like the document itself. */
struct trail_filter {
        audit_cb cb;
        void *userdata;
        char (*held)[DOSSIER_UID_SIZE];
        size_t n_held;
};

static int trail_filtered(const struct audit_entry *a, void *userdata) {
        const struct trail_filter *f = userdata;
        for (size_t i = 0; a->document && a->document[0] && i < f->n_held; i++)
                if (strcmp(a->document, f->held[i]) == 0)
                        return 0;
        return f->cb(a, f->userdata);
}

int dossier_trail(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, audit_cb cb,
                  void *userdata) {
        struct dstate ds;
        int r = cb ? committed_op(e, actor, ins, ACCESS_ACTION_READ_TRAIL, &ds) : -EINVAL;

        if (r < 0)
                return r;
        if (actor->kind != ACCESS_ACTOR_PATIENT)
                return audit_list(e->store, ins, cb, userdata);

        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        struct trail_filter f = {.cb = cb, .userdata = userdata};
        int64_t now = now_of(e);
        size_t cap = 0;
        if ((r = store_prepare(e->store, sql_held_uids, &st)) < 0 || (r = store_bind_int(st, 1, ds.id)) < 0)
                return r;
        while ((r = store_step(e->store, st)) > 0) {
                if (!held_back(st, 1, now))
                        continue;
                if (f.n_held == cap) {
                        size_t ncap = cap ? cap * 2 : 8;
                        void *p = realloc(f.held, ncap * sizeof(*f.held));
                        if (!p) {
                                r = -ENOMEM;
                                break;
                        }
                        f.held = p;
                        cap = ncap;
                }
                snprintf(f.held[f.n_held++], DOSSIER_UID_SIZE, "%s", (const char *)sqlite3_column_text(st, 0));
        }
        if (r >= 0)
                r = audit_list(e->store, ins, trail_filtered, &f);
        free(f.held);
        return r;
}

static int walk_notifications(struct dossier_engine *e, const char *sql, int64_t dossier_id, const char *recipient,
                              dossier_notification_cb cb, void *userdata) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = store_prepare(e->store, sql, &st);
        if (r < 0)
                return r;
        r = recipient ? store_bind_text(st, 1, recipient) : store_bind_int(st, 1, dossier_id);
        if (r < 0)
                return r;
        while ((r = store_step(e->store, st)) > 0) {
                struct dossier_notification n = {
                        .id = sqlite3_column_int64(st, 0),
                        .at = sqlite3_column_int64(st, 1),
                        .recipient = (const char *) sqlite3_column_text(st, 2),
                        .kind = (const char *) sqlite3_column_text(st, 3),
                        .message = (const char *) sqlite3_column_text(st, 4),
                        .document = (const char *) sqlite3_column_text(st, 5),
                };
                r = cb(&n, userdata);
                if (r < 0)
                        return r;
        }
        return r;
}

int dossier_notifications(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                          dossier_notification_cb cb, void *userdata) {
        struct dstate ds;
        int r = cb ? committed_op(e, actor, ins, ACCESS_ACTION_READ_NOTIFICATIONS, &ds) : -EINVAL;

        return r < 0 ? r : walk_notifications(e, sql_notifications, ds.id, NULL, cb, userdata);
}

int dossier_notifications_for(struct dossier_engine *e, const char *id_nat, dossier_notification_cb cb,
                              void *userdata) {
        if (!e || !cb || code_field(id_nat, true) < 0)
                return -EINVAL;
        return walk_notifications(e, sql_notifications_for, 0, id_nat, cb, userdata);
}
