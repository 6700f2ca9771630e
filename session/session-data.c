/* session/session-data.c: what a live session holds besides its
 * description: the signed record, the authentication certificate, the
 * dossier host's token (session.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/macro.h"
#include "session-private.h"

/* Copies the record and signature of s (lock held). */
static int record_copy(const struct session *s, char **ret_record, uint8_t **ret_sig, size_t *ret_sig_len) {
        if (!s->record)
                return -ENODATA;
        _cleanup_free_ char *rec = strdup(s->record);
        _cleanup_free_ uint8_t *sig = malloc(s->sig_len);
        if (!rec || !sig)
                return -ENOMEM;
        memcpy(sig, s->sig, s->sig_len);
        *ret_record = TAKE_PTR(rec);
        *ret_sig = TAKE_PTR(sig);
        *ret_sig_len = s->sig_len;
        return 0;
}

struct record_out {
        char **record;
        uint8_t **sig;
        size_t *sig_len;
};

static int record_of(struct session *s, void *arg) {
        struct record_out *o = arg;
        return record_copy(s, o->record, o->sig, o->sig_len);
}

int sessions_record(struct session_manager *m, const char *id, char **ret_record, uint8_t **ret_sig,
                    size_t *ret_sig_len) {
        return sessions_with(m, id, record_of, &(struct record_out){ret_record, ret_sig, ret_sig_len});
}

struct der_out {
        uint8_t **der;
        size_t *len;
};

static int cert_of(struct session *s, void *arg) {
        struct der_out *o = arg;
        const struct p11_cert *c = s->card ? p11_card_cert(s->card, P11_ROLE_AUTH) : NULL;
        if (!c)
                return -ENODATA;
        if (!(*o->der = malloc(c->der_len)))
                return -ENOMEM;
        memcpy(*o->der, c->der, c->der_len);
        *o->len = c->der_len;
        return 0;
}

int sessions_auth_cert(struct session_manager *m, const char *id, uint8_t **ret_der, size_t *ret_len) {
        return sessions_with(m, id, cert_of, &(struct der_out){ret_der, ret_len});
}

static int token_set(struct session *s, void *arg) {
        memcpy(s->host_token, arg, sizeof(s->host_token));
        return 0;
}

static int token_get(struct session *s, void *arg) {
        if (!s->host_token[0])
                return -ENODATA;
        memcpy(arg, s->host_token, sizeof(s->host_token));
        return 0;
}

int sessions_set_host_token(struct session_manager *m, const char *id, const char *token) {
        if (!token || strlen(token) != SESSION_HOST_TOKEN_LEN)
                return -EINVAL;
        return sessions_with(m, id, token_set, (void *)token);
}

int sessions_host_token(struct session_manager *m, const char *id, char ret[SESSION_HOST_TOKEN_LEN + 1]) {
        return sessions_with(m, id, token_get, ret);
}

