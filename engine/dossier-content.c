/* engine/dossier-content.c: large contents in pieces (schema 6): staged
 * before their deposit, each piece in its own short transaction, and read
 * back piece by piece through a struct dossier_content; see dossier.h and
 * docs/dossier-engine.md, "Large contents". */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "dossier-internal.h"
#include "lib/macro.h"
#include "lib/readall.h"

static const char sql_stage[] = "INSERT INTO content_chunks (uid, seq, staged_at, data) VALUES (?1, ?2, ?3, ?4)";
static const char sql_drop[] = "DELETE FROM content_chunks WHERE uid = ?1";
static const char sql_piece[] = "SELECT data FROM content_chunks WHERE uid = ?1 AND seq = ?2";
/* the pieces of uploads whose deposit never came (a crash, a kill):
 * older than DE_STAGED_MAX, so as never to take one still being staged by
 * another process of a shared database */
static const char sql_orphans[] =
        "DELETE FROM content_chunks WHERE uid IN (SELECT c.uid FROM content_chunks c WHERE c.seq = 0 "
        "AND c.staged_at < ?1 AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.uid = c.uid))";

static size_t min_size(size_t a, size_t b) {
        return a < b ? a : b;
}

struct dossier_content {
        struct dossier_engine *e;
        char uid[DOSSIER_UID_SIZE];
        int64_t size, seen;       /* bytes in all; bytes fetched so far */
        int64_t chunks, next;     /* pieces (0: whole in buf); the next to fetch */
        uint8_t sha256[32];
        EVP_MD_CTX *md;
        uint8_t *buf;             /* the whole content, or the current piece */
        size_t cap, len, pos;
};

/* One piece: uid's piece seq, len bytes, in its own transaction. */
static int stage_piece(struct dossier_engine *e, const char *uid, int64_t seq, const void *p, size_t len) {
        DE_LOCKED(e);
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r = de_begin(e);

        if (r < 0)
                return r;
        e->gen_quiet = true; /* no decision reads the pieces */
        r = store_prepare(e->store, sql_stage, &st);
        if (r >= 0 && (r = store_bind_text(st, 1, uid)) >= 0 && (r = store_bind_int(st, 2, seq)) >= 0 &&
            (r = store_bind_int(st, 3, de_now_of(e))) >= 0 && (r = store_bind_blob_ref(st, 4, p, len)) >= 0)
                r = store_exec_step(e->store, st);
        if (st)
                store_reset(TAKE_PTR(st));
        return de_end_tx(e, r);
}

void de_drop_staged(struct dossier_engine *e, const char *uid) {
        DE_LOCKED(e);
        _cleanup_stmt_ struct store_stmt *st = NULL;

        if (store_prepare_text(e->store, sql_drop, uid, &st) >= 0)
                (void) store_exec_step(e->store, st);
}

int de_stage_content(struct dossier_engine *e, const char *uid, const struct dossier_content_file *f,
                     int64_t *ret_chunks) {
        size_t cap = min_size(f->len, DE_CHUNK);
        _cleanup_free_ uint8_t *buf = malloc(cap ? cap : 1);
        int64_t seq = 0;
        int r = 0;

        if (!buf)
                return -ENOMEM;
        for (size_t off = 0; off < f->len; seq++) {
                size_t n = min_size(f->len - off, DE_CHUNK);

                /* -EIO: shorter than announced */
                r = pread_exact(f->fd, buf, n, off);
                if (r >= 0)
                        r = stage_piece(e, uid, seq, buf, n);
                if (r < 0)
                        break;
                off += n;
        }
        secure_zero(buf, cap);
        if (r < 0) {
                de_drop_staged(e, uid);
                return r;
        }
        *ret_chunks = seq;
        return 0;
}

void de_purge_staged(struct dossier_engine *e) {
        DE_LOCKED(e);
        _cleanup_stmt_ struct store_stmt *st = NULL;

        /* best effort: a read-only or busy file keeps its orphans until next time */
        if (store_prepare(e->store, sql_orphans, &st) >= 0 && store_bind_int(st, 1, de_now_of(e) - DE_STAGED_MAX) >= 0)
                (void) store_exec_step(e->store, st);
}

int de_content_new(struct dossier_engine *e, const struct dossier_doc *d, int64_t chunks, void *whole,
                   struct dossier_content **ret) {
        struct dossier_content *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        c->e = e;
        memcpy(c->uid, d->uid, sizeof(c->uid));
        memcpy(c->sha256, d->sha256, sizeof(c->sha256));
        c->size = d->size;
        c->chunks = chunks;
        if (chunks == 0) {
                c->buf = whole;
                c->cap = c->len = (size_t) d->size;
                c->seen = d->size;
        } else if (!(c->md = EVP_MD_CTX_new()) || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1) {
                dossier_content_free(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

/* Steps piece c->next on s and keeps its bytes in c->buf. */
static int fetch_on(struct dossier_content *c, struct store *s) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        const void *p;
        size_t n = 0;
        int r = store_prepare(s, sql_piece, &st);

        if (r >= 0 && (r = store_bind_text(st, 1, c->uid)) >= 0 && (r = store_bind_int(st, 2, c->next)) >= 0)
                r = store_step(s, st);
        if (r < 0)
                return r;
        p = r > 0 ? store_col_blob(st, 0, &n) : NULL;
        /* a missing piece, or one too many bytes: not the content deposited */
        if (r == 0 || n > DE_CHUNK || (int64_t) n > c->size - c->seen)
                return -EBADMSG;
        if (!c->buf && !(c->buf = malloc(DE_CHUNK)))
                return -ENOMEM;
        c->cap = DE_CHUNK;
        memcpy(c->buf, p, n);
        c->len = n;
        c->pos = 0;
        return 0;
}

/* The next piece, on a read connection (or on the writer, under the
 * mutex, when none is free), hashed; the last one only after the digest
 * and size of the whole are checked. */
static int fetch(struct dossier_content *c) {
        struct store *rd = de_reader_take(c->e);
        int r;

        if (rd) {
                r = fetch_on(c, rd);
                de_reader_put(c->e, rd);
        } else {
                DE_LOCKED(c->e);
                r = fetch_on(c, c->e->store);
        }
        if (r < 0)
                return r;
        if (EVP_DigestUpdate(c->md, c->buf, c->len) != 1)
                return -EIO;
        c->seen += (int64_t) c->len;
        if (++c->next == c->chunks) {
                uint8_t digest[32];

                if (EVP_DigestFinal_ex(c->md, digest, NULL) != 1)
                        return -EIO;
                if (c->seen != c->size || memcmp(digest, c->sha256, 32) != 0) {
                        secure_zero(c->buf, c->len);
                        c->len = 0;
                        return -EBADMSG;
                }
        }
        return 0;
}

long dossier_content_read(struct dossier_content *c, void *buf, size_t max) {
        if (!c || !buf)
                return -EINVAL;
        if (max == 0)
                return 0;
        while (c->pos == c->len) {
                if (c->next >= c->chunks)
                        return 0;
                int r = fetch(c);
                if (r < 0) {
                        c->next = c->chunks; /* nothing more, ever */
                        return r;
                }
        }
        size_t n = min_size(max, c->len - c->pos);
        memcpy(buf, c->buf + c->pos, n);
        c->pos += n;
        return (long) n;
}

int64_t dossier_content_size(const struct dossier_content *c) {
        return c ? c->size : 0;
}

struct dossier_content *dossier_content_free(struct dossier_content *c) {
        if (!c)
                return NULL;
        if (c->buf)
                secure_zero(c->buf, c->cap);
        free(c->buf);
        EVP_MD_CTX_free(c->md);
        free(c);
        return NULL;
}

int dossier_content_take(struct dossier_content *c, void **ret, size_t *ret_len) {
        _cleanup_free_ uint8_t *all = NULL;
        size_t at = 0;
        long n;

        if (!c || !ret || !ret_len || c->next > 0)
                return -EINVAL;
        if (c->chunks == 0) {
                *ret = c->buf ? c->buf : malloc(1);
                if (!*ret)
                        return -ENOMEM;
                *ret_len = c->len;
                c->buf = NULL;
                c->cap = c->len = 0;
                return 0;
        }
        all = malloc((size_t) c->size + 1);
        if (!all)
                return -ENOMEM;
        /* one byte of room past the size: reading goes on to the end (0),
         * where the last piece has been checked */
        while ((n = dossier_content_read(c, all + at, (size_t) c->size + 1 - at)) > 0)
                at += (size_t) n;
        if (n < 0) {
                secure_zero(all, at);
                return (int) n;
        }
        *ret = TAKE_PTR(all);
        *ret_len = at;
        return 0;
}
