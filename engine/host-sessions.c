/* engine/host-sessions.c: the host's challenges and sessions in the store;
 * see host-sessions.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/sha.h>

#include "dossier-internal.h"
#include "host-sessions.h"
#include "lib/macro.h"

static const char sql_challenge_purge[] = "DELETE FROM host_challenges WHERE expires_at < ?1";
static const char sql_challenge_put[] =
        "INSERT INTO host_challenges (challenge, workstation, expires_at) VALUES (?1, ?2, ?3)";
static const char sql_challenge_take[] =
        "DELETE FROM host_challenges WHERE challenge = ?1 RETURNING workstation, expires_at";
static const char sql_session_purge[] = "DELETE FROM host_sessions WHERE last_used < ?1";
static const char sql_session_put[] =
        "INSERT INTO host_sessions (token_sha256, session_id, kind, workstation, info, opened_at, last_used) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (token_sha256) DO NOTHING";
static const char sql_session_find[] =
        "UPDATE host_sessions SET last_used = ?3 WHERE token_sha256 = ?1 AND workstation = ?2 AND last_used >= ?4 "
        "RETURNING session_id, kind, info, opened_at, last_used";
static const char sql_session_info[] =
        "UPDATE host_sessions SET info = ?3 WHERE token_sha256 = ?1 AND workstation = ?2";
static const char sql_session_delete[] = "DELETE FROM host_sessions WHERE token_sha256 = ?1 AND workstation = ?2";

static bool workstation_ok(const char *w) {
        return w && w[0] && strlen(w) < HOST_WORKSTATION_MAX;
}

static bool token_ok(const char *t) {
        return t && strlen(t) == HOST_TOKEN_LEN && strspn(t, "0123456789abcdef") == HOST_TOKEN_LEN;
}

/* The stored name of a token: its SHA-256 in hex. */
static void token_key(const char *token, char ret[2 * SHA256_DIGEST_LENGTH + 1]) {
        uint8_t d[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)token, strlen(token), d);
        hex_encode(d, sizeof(d), ret);
}

/* Runs sql with ?1 = v to its end. */
static int exec_int(struct dossier_engine *e, const char *sql, int64_t v) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r = store_prepare(e->store, sql, &st);
        if (r < 0 || (r = store_bind_int(st, 1, v)) < 0)
                return r;
        return store_exec_step(e->store, st);
}

int host_challenge_issue(struct dossier_engine *e, const char *workstation, char ret[HOST_CHALLENGE_LEN + 1]) {
        DE_LOCKED(e);
        uint8_t raw[HOST_CHALLENGE_LEN / 2];
        char hex[HOST_CHALLENGE_LEN + 1];
        int64_t now = de_now_of(e);
        int r;

        if (!workstation_ok(workstation))
                return -EINVAL;
        if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
                return -EIO;
        hex_encode(raw, sizeof(raw), hex);
        r = exec_int(e, sql_challenge_purge, now);
        if (r < 0)
                return r;
        _cleanup_stmt_ struct store_stmt *st = NULL;
        r = store_prepare(e->store, sql_challenge_put, &st);
        if (r < 0 || (r = store_bind_text(st, 1, hex)) < 0 || (r = store_bind_text(st, 2, workstation)) < 0 ||
            (r = store_bind_int(st, 3, now + HOST_CHALLENGE_TTL_S)) < 0 || (r = store_exec_step(e->store, st)) < 0)
                return r;
        memcpy(ret, hex, sizeof(hex));
        return 0;
}

int host_challenge_take(struct dossier_engine *e, const char *challenge, const char *workstation) {
        DE_LOCKED(e);
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r;

        if (!workstation_ok(workstation) || !challenge || strlen(challenge) != HOST_CHALLENGE_LEN)
                return -ENOENT;
        r = store_prepare(e->store, sql_challenge_take, &st);
        if (r < 0 || (r = store_bind_text(st, 1, challenge)) < 0)
                return r;
        r = store_step(e->store, st);
        if (r <= 0)
                return r < 0 ? r : -ENOENT;
        const char *w = store_col_text(st, 0);
        int64_t expires = store_col_int64(st, 1);
        if (!w || strcmp(w, workstation) != 0)
                r = -EPERM;
        else if (expires < de_now_of(e))
                r = -ETIME;
        else
                r = 0;
        /* the DELETE is done once stepped; finish the statement */
        while (store_step(e->store, st) > 0)
                ;
        return r;
}

int host_session_put(struct dossier_engine *e, const char *token, const char *session_id, int kind,
                     const char *workstation, const char *info, unsigned idle_s) {
        DE_LOCKED(e);
        char key[2 * SHA256_DIGEST_LENGTH + 1];
        int64_t now = de_now_of(e);
        int r;

        if (!token_ok(token) || !session_id || !session_id[0] || strlen(session_id) >= 40 ||
            !workstation_ok(workstation) || !info || strlen(info) >= HOST_INFO_MAX)
                return -EINVAL;
        r = exec_int(e, sql_session_purge, now - (int64_t)idle_s);
        if (r < 0)
                return r;
        token_key(token, key);
        _cleanup_stmt_ struct store_stmt *st = NULL;
        r = store_prepare(e->store, sql_session_put, &st);
        if (r < 0 || (r = store_bind_text(st, 1, key)) < 0 || (r = store_bind_text(st, 2, session_id)) < 0 ||
            (r = store_bind_int(st, 3, kind)) < 0 || (r = store_bind_text(st, 4, workstation)) < 0 ||
            (r = store_bind_text(st, 5, info)) < 0 || (r = store_bind_int(st, 6, now)) < 0)
                return r;
        r = store_exec_step(e->store, st);
        if (r < 0)
                return r;
        return store_changes(e->store) == 1 ? 0 : -EEXIST;
}

/* Reads the row RETURNING gave into ret. */
static int session_row(struct store_stmt *st, const char *workstation, struct host_session *ret) {
        const char *id = store_col_text(st, 0);
        const char *info = store_col_text(st, 2);
        struct host_session hs = {
                .kind = store_col_int(st, 1),
                .opened_at = store_col_int64(st, 3),
                .last_used = store_col_int64(st, 4),
        };
        if (!id || !info || strcpy_bounded(hs.session_id, sizeof(hs.session_id), id) < 0)
                return -EBADMSG;
        (void)strcpy_bounded(hs.workstation, sizeof(hs.workstation), workstation);
        hs.info = strdup(info);
        if (!hs.info)
                return -ENOMEM;
        *ret = hs;
        return 0;
}

int host_session_find(struct dossier_engine *e, const char *token, const char *workstation, unsigned idle_s,
                      struct host_session *ret) {
        DE_LOCKED(e);
        char key[2 * SHA256_DIGEST_LENGTH + 1];
        int64_t now = de_now_of(e);
        int r;

        if (!token_ok(token) || !workstation_ok(workstation))
                return -ENOENT;
        token_key(token, key);
        _cleanup_stmt_ struct store_stmt *st = NULL;
        r = store_prepare(e->store, sql_session_find, &st);
        if (r < 0 || (r = store_bind_text(st, 1, key)) < 0 || (r = store_bind_text(st, 2, workstation)) < 0 ||
            (r = store_bind_int(st, 3, now)) < 0 || (r = store_bind_int(st, 4, now - (int64_t)idle_s)) < 0)
                return r;
        r = store_step(e->store, st);
        if (r <= 0)
                return r < 0 ? r : -ENOENT;
        r = session_row(st, workstation, ret);
        while (store_step(e->store, st) > 0)
                ;
        return r;
}

/* Runs a statement of ?1 = sha256(token), ?2 = workstation[, ?3 = text]:
 * -ENOENT when it changed no row. */
static int session_change(struct dossier_engine *e, const char *sql, const char *token, const char *workstation,
                          const char *text) {
        char key[2 * SHA256_DIGEST_LENGTH + 1];
        int r;

        if (!token_ok(token) || !workstation_ok(workstation))
                return -ENOENT;
        token_key(token, key);
        _cleanup_stmt_ struct store_stmt *st = NULL;
        r = store_prepare(e->store, sql, &st);
        if (r < 0 || (r = store_bind_text(st, 1, key)) < 0 || (r = store_bind_text(st, 2, workstation)) < 0 ||
            (text && (r = store_bind_text(st, 3, text)) < 0) || (r = store_exec_step(e->store, st)) < 0)
                return r;
        return store_changes(e->store) > 0 ? 0 : -ENOENT;
}

int host_session_set_info(struct dossier_engine *e, const char *token, const char *workstation, const char *info) {
        DE_LOCKED(e);
        if (!info || strlen(info) >= HOST_INFO_MAX)
                return -EINVAL;
        return session_change(e, sql_session_info, token, workstation, info);
}

int host_session_delete(struct dossier_engine *e, const char *token, const char *workstation) {
        DE_LOCKED(e);
        return session_change(e, sql_session_delete, token, workstation, NULL);
}
