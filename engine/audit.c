/* engine/audit.c: hash-chained trail; see audit.h. */
#include <errno.h>
#include <openssl/evp.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "lib/macro.h"

#define AUDIT_TAG "carnet-audit-v1\n"
#define AUDIT_N_TEXT 10
/* the ten, then the optional ones (workstation, establishment), hashed
 * up to the last that is not empty */
#define AUDIT_N_FIELDS (AUDIT_N_TEXT + 2)

static const char sql_last[] = "SELECT seq, hash FROM audit_head WHERE id = 1";
static const char sql_insert[] =
        "INSERT INTO audit (seq, at, actor_kind, actor, session, action, dossier, document, mode, reason, outcome, "
        "code, prev_hash, hash, workstation, establishment) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
static const char sql_head[] = "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2) "
                               "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash";
static const char sql_walk[] =
        "SELECT seq, at, actor_kind, actor, session, action, dossier, document, mode, reason, outcome, code, "
        "prev_hash, hash, workstation, establishment FROM audit ORDER BY seq";
/* ?3 bounds the rows of one statement: PostgreSQL's result holds them
 * all before the first is read (store-pg.c), so a page asks for no more
 * than it shows, and a whole walk goes by batches of AUDIT_LIST_BATCH. */
static const char sql_list[] =
        "SELECT seq, at, actor_kind, actor, session, action, dossier, document, mode, reason, outcome, code, "
        "workstation, establishment FROM audit WHERE dossier = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";
#define AUDIT_LIST_BATCH 1024

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX, EVP_MD_CTX_free);

static void put_be(uint8_t *p, uint64_t v, int n) {
        for (int i = n - 1; i >= 0; i--, v >>= 8)
                p[i] = (uint8_t) v;
}

/* SHA-256 fetched from OpenSSL's provider once: EVP_sha256() makes
 * EVP_DigestInit_ex() fetch it again at every entry (OpenSSL 3's
 * implicit fetch: about 2 300 instructions, a sixth of an entry's
 * hashing, by callgrind). */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void) {
        sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256(void) {
        pthread_once(&sha256_once, sha256_fetch);
        return sha256_md ? sha256_md : EVP_sha256();
}

/* hash = SHA-256(prev || canonical(entry)); texts[] are the ten fields in
 * canonical order, with their lengths, then the optional ones, hashed up
 * to the last that is not empty (audit.h). */
static int chain_hash(const uint8_t prev[AUDIT_HASH_LEN], int64_t seq, int64_t at, const char *const texts[],
                      const size_t lens[], uint8_t ret[AUDIT_HASH_LEN]) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        uint8_t num[16];
        unsigned len = 0;

        if (!ctx)
                return -ENOMEM;
        put_be(num, (uint64_t) seq, 8);
        put_be(num + 8, (uint64_t) at, 8);
        if (EVP_DigestInit_ex(ctx, sha256(), NULL) != 1 || EVP_DigestUpdate(ctx, prev, AUDIT_HASH_LEN) != 1 ||
            EVP_DigestUpdate(ctx, AUDIT_TAG, strlen(AUDIT_TAG)) != 1 || EVP_DigestUpdate(ctx, num, sizeof(num)) != 1)
                return -EIO;
        int n = AUDIT_N_FIELDS;
        while (n > AUDIT_N_TEXT && lens[n - 1] == 0)
                n--;
        for (int i = 0; i < n; i++) {
                uint8_t l[4];

                if (lens[i] > UINT32_MAX)
                        return -E2BIG;
                put_be(l, lens[i], 4);
                if (EVP_DigestUpdate(ctx, l, 4) != 1 || EVP_DigestUpdate(ctx, texts[i], lens[i]) != 1)
                        return -EIO;
        }
        if (EVP_DigestFinal_ex(ctx, ret, &len) != 1 || len != AUDIT_HASH_LEN)
                return -EIO;
        return 0;
}

static const char *nz(const char *s) {
        return s ? s : "";
}

int audit_head(struct store *s, int64_t *ret_seq, uint8_t ret_hash[AUDIT_HASH_LEN]) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r;

        if (!s || !ret_seq || !ret_hash)
                return -EINVAL;
        r = store_prepare_text(s, sql_last, NULL, &st);
        if (r < 0)
                return r;
        r = store_step(s, st);
        if (r < 0)
                return r;
        if (r == 0) {
                *ret_seq = 0;
                memset(ret_hash, 0, AUDIT_HASH_LEN);
                return 0;
        }
        size_t len = 0;
        const void *hash = store_col_blob(st, 1, &len);
        if (!hash || len != AUDIT_HASH_LEN)
                return -EBADMSG;
        *ret_seq = store_col_int64(st, 0);
        memcpy(ret_hash, hash, AUDIT_HASH_LEN);
        return 0;
}

/* Inserts e as entry seq after prev; its hash in ret_hash. */
static int insert_entry(struct store *s, const struct audit_entry *e, int64_t seq, const uint8_t prev[AUDIT_HASH_LEN],
                        uint8_t ret_hash[AUDIT_HASH_LEN]) {
        _cleanup_stmt_ struct store_stmt *ins = NULL;
        const char *texts[AUDIT_N_FIELDS];
        size_t lens[AUDIT_N_FIELDS];
        int r;

        texts[0] = nz(e->actor_kind);
        texts[1] = nz(e->actor);
        texts[2] = nz(e->session);
        texts[3] = nz(e->action);
        texts[4] = nz(e->dossier);
        texts[5] = nz(e->document);
        texts[6] = nz(e->mode);
        texts[7] = nz(e->reason);
        texts[8] = nz(e->outcome);
        texts[9] = nz(e->code);
        texts[10] = nz(e->workstation);
        texts[11] = nz(e->establishment);
        for (int i = 0; i < AUDIT_N_FIELDS; i++)
                lens[i] = strlen(texts[i]);
        r = chain_hash(prev, seq, e->at, texts, lens, ret_hash);
        if (r < 0)
                return r;

        r = store_prepare(s, sql_insert, &ins);
        if (r < 0)
                return r;
        if ((r = store_bind_int(ins, 1, seq)) < 0 || (r = store_bind_int(ins, 2, e->at)) < 0)
                return r;
        for (int i = 0; i < AUDIT_N_TEXT; i++)
                if ((r = store_bind_text(ins, 3 + i, texts[i])) < 0)
                        return r;
        if ((r = store_bind_blob(ins, 13, prev, AUDIT_HASH_LEN)) < 0 ||
            (r = store_bind_blob(ins, 14, ret_hash, AUDIT_HASH_LEN)) < 0 ||
            (r = store_bind_text(ins, 15, texts[10])) < 0 || (r = store_bind_text(ins, 16, texts[11])) < 0)
                return r;
        return store_exec_step(s, ins);
}

int audit_append_many(struct store *s, const struct audit_entry *const *entries, size_t n, int64_t *ret_last_seq,
                      int64_t *ret_changes) {
        _cleanup_stmt_ struct store_stmt *head = NULL;
        uint8_t prev[AUDIT_HASH_LEN], hash[AUDIT_HASH_LEN];
        int64_t seq, changes = 0;
        int r;

        if (!s || (n > 0 && !entries))
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!entries[i])
                        return -EINVAL;
        if (!store_in_transaction(s))
                return -ENOLCK; /* must be inside the caller's transaction */

        r = audit_head(s, &seq, prev);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                r = insert_entry(s, entries[i], ++seq, prev, hash);
                if (r < 0)
                        return r;
                changes += store_changes(s);
                memcpy(prev, hash, AUDIT_HASH_LEN);
        }
        if (n > 0) {
                r = store_prepare(s, sql_head, &head);
                if (r < 0)
                        return r;
                if ((r = store_bind_int(head, 1, seq)) < 0 || (r = store_bind_blob(head, 2, prev, AUDIT_HASH_LEN)) < 0)
                        return r;
                r = store_exec_step(s, head);
                if (r < 0)
                        return r;
                changes += store_changes(s);
        }
        if (ret_last_seq)
                *ret_last_seq = seq;
        if (ret_changes)
                *ret_changes = changes;
        return 0;
}

int audit_append(struct store *s, const struct audit_entry *e, int64_t *ret_seq) {
        if (!e)
                return -EINVAL;
        return audit_append_many(s, &e, 1, ret_seq, NULL);
}

_printf_(5, 6)
static int bad(int64_t seq, int64_t *ret_bad_seq, char *msg, size_t msg_size, const char *fmt, ...);

static int bad(int64_t seq, int64_t *ret_bad_seq, char *msg, size_t msg_size, const char *fmt, ...) {
        va_list ap;

        if (ret_bad_seq)
                *ret_bad_seq = seq;
        if (msg && msg_size > 0) {
                va_start(ap, fmt);
                vsnprintf(msg, msg_size, fmt, ap);
                va_end(ap);
        }
        return -EBADMSG;
}

/* Walks the chain in sequence order. Gaps name the first missing entry; a
 * broken link (prev_hash) names the entry whose predecessor was removed,
 * moved or rewritten; a wrong hash names the altered entry; a head that
 * does not match the last entry names the first entry removed at the end. */
static int verify_walk(struct store *s, int64_t *ret_bad_seq, char *msg, size_t msg_size) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        uint8_t prev[AUDIT_HASH_LEN] = {}, head_hash[AUDIT_HASH_LEN];
        int64_t expect = 1, head_seq;
        int r;

        r = store_prepare(s, sql_walk, &st);
        if (r < 0)
                return r;
        for (;;) {
                const char *texts[AUDIT_N_FIELDS];
                size_t lens[AUDIT_N_FIELDS];
                uint8_t h[AUDIT_HASH_LEN];
                int64_t seq;

                r = store_step(s, st);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                seq = store_col_int64(st, 0);
                if (seq != expect)
                        return bad(expect, ret_bad_seq, msg, msg_size,
                                   seq > expect ? "entry %" PRId64 " is missing" : "entry %" PRId64 " is out of order",
                                   expect);
                for (int i = 0; i < AUDIT_N_FIELDS; i++) {
                        int col = i < AUDIT_N_TEXT ? 2 + i : 14 + (i - AUDIT_N_TEXT);
                        texts[i] = store_col_text(st, col);
                        if (!texts[i])
                                return bad(seq, ret_bad_seq, msg, msg_size, "entry %" PRId64 " was altered", seq);
                        lens[i] = store_col_text_len(st, col);
                }
                size_t prev_len = 0, hash_len = 0;
                const void *row_prev = store_col_blob(st, 12, &prev_len);
                if (prev_len != AUDIT_HASH_LEN || memcmp(row_prev, prev, AUDIT_HASH_LEN) != 0)
                        return prev_len != AUDIT_HASH_LEN ?
                                bad(seq, ret_bad_seq, msg, msg_size, "entry %" PRId64 " was altered", seq) :
                                bad(seq, ret_bad_seq, msg, msg_size,
                                    "entry %" PRId64 " does not follow entry %" PRId64
                                    " (an entry was altered, removed or reordered)", seq, seq - 1);
                r = chain_hash(prev, seq, store_col_int64(st, 1), texts, lens, h);
                if (r < 0)
                        return r;
                const void *row_hash = store_col_blob(st, 13, &hash_len);
                if (hash_len != AUDIT_HASH_LEN || memcmp(row_hash, h, AUDIT_HASH_LEN) != 0)
                        return bad(seq, ret_bad_seq, msg, msg_size, "entry %" PRId64 " was altered", seq);
                memcpy(prev, h, AUDIT_HASH_LEN);
                expect++;
        }
        store_reset(st);
        st = NULL;

        r = audit_head(s, &head_seq, head_hash);
        if (r < 0)
                return r;
        if (head_seq != expect - 1 || memcmp(head_hash, prev, AUDIT_HASH_LEN) != 0)
                return bad(expect, ret_bad_seq, msg, msg_size,
                           "trail ends at entry %" PRId64 " but its head says %" PRId64 ": entry %" PRId64
                           " onwards removed or head altered", expect - 1, head_seq, expect);
        if (ret_bad_seq)
                *ret_bad_seq = 0;
        return 0;
}

/* The walk and the head are read on one snapshot: on PostgreSQL another
 * process may append meanwhile (store.h). Inside the caller's transaction,
 * that transaction's view is used. */
int audit_verify(struct store *s, int64_t *ret_bad_seq, char *msg, size_t msg_size) {
        bool own;
        int r;

        if (!s)
                return -EINVAL;
        if (msg && msg_size > 0)
                msg[0] = '\0';
        own = !store_in_transaction(s);
        if (own && (r = store_begin_read(s)) < 0)
                return r;
        r = verify_walk(s, ret_bad_seq, msg, msg_size);
        if (own)
                store_rollback(s);
        return r;
}

/* One row of sql_list as an entry; its strings point into the row. */
static struct audit_entry list_row(struct store_stmt *st) {
        return (struct audit_entry) {
                .seq = store_col_int64(st, 0),
                .at = store_col_int64(st, 1),
                .actor_kind = store_col_text(st, 2),
                .actor = store_col_text(st, 3),
                .session = store_col_text(st, 4),
                .action = store_col_text(st, 5),
                .dossier = store_col_text(st, 6),
                .document = store_col_text(st, 7),
                .mode = store_col_text(st, 8),
                .reason = store_col_text(st, 9),
                .outcome = store_col_text(st, 10),
                .code = store_col_text(st, 11),
                .workstation = store_col_text(st, 12),
                .establishment = store_col_text(st, 13),
        };
}

int audit_list_after(struct store *s, const char *dossier, int64_t after, size_t max, audit_cb cb, void *userdata,
                     size_t *ret_n) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        size_t n = 0;
        int r;

        if (!s || !dossier || !cb || after < 0 || max == 0)
                return -EINVAL;
        r = store_prepare_text(s, sql_list, dossier, &st);
        if (r >= 0 && (r = store_bind_int(st, 2, after)) >= 0)
                r = store_bind_int(st, 3, max < INT64_MAX ? (int64_t) max : INT64_MAX);
        while (r >= 0 && (r = store_step(s, st)) > 0) {
                struct audit_entry e = list_row(st);
                n++;
                r = cb(&e, userdata);
                if (r != 0)
                        break;
        }
        if (ret_n)
                *ret_n = n;
        return r < 0 ? r : 0;
}

/* audit_list_from()'s walk: the caller's callback, and where a batch ended. */
struct list_walk {
        audit_cb cb;
        void *userdata;
        int64_t last;
        bool stopped;
};

static int list_next(const struct audit_entry *e, void *userdata) {
        struct list_walk *w = userdata;
        int r = w->cb(e, w->userdata);

        w->last = e->seq;
        w->stopped = r != 0;
        return r;
}

/* Batches, the first of first rows (at most AUDIT_LIST_BATCH), the
 * others of AUDIT_LIST_BATCH, each after the last entry of the one
 * before, until one comes short or cb stops. */
int audit_list_from(struct store *s, const char *dossier, int64_t after, size_t first, audit_cb cb,
                    void *userdata) {
        struct list_walk w = { .cb = cb, .userdata = userdata };
        size_t batch = first > 0 && first < AUDIT_LIST_BATCH ? first : AUDIT_LIST_BATCH;
        int r;

        for (;;) {
                size_t n = 0;
                w.stopped = false;
                r = audit_list_after(s, dossier, after, batch, list_next, &w, &n);
                if (r < 0 || w.stopped || n < batch)
                        return r;
                after = w.last;
                batch = AUDIT_LIST_BATCH;
        }
}

int audit_list(struct store *s, const char *dossier, audit_cb cb, void *userdata) {
        return audit_list_from(s, dossier, 0, AUDIT_LIST_BATCH, cb, userdata);
}
