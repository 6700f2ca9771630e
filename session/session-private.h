/* session/session-private.h: one session of the table, for the files of
 * session/ that read or change what a live session holds (session.c owns
 * the table and its lock). */
#pragma once

#include <openssl/sha.h>
#include <stdbool.h>

#include "pkcs11/p11-card.h"
#include "session.h"

struct session {
        bool live;
        struct session_info info;
        uint8_t token_hash[SHA256_DIGEST_LENGTH]; /* only the hash of the secret is kept */
        struct p11_card *card; /* kept open: the card stays powered, PIN verified */
        char *record;          /* canonical JSON that the card signed */
        uint8_t sig[P11_SIG_MAX];
        size_t sig_len;
        char host_token[SESSION_HOST_TOKEN_LEN + 1]; /* agent mode; "" none */
};

/* Runs fn on live session id (any uid) with the table locked and returns
 * what it returns; -ENOENT when there is no such session. */
int sessions_with(struct session_manager *m, const char *id, int (*fn)(struct session *s, void *arg), void *arg);
