/* p11remote/p11-wire.h: the messages between carnetd and carnet-p11-helper.
 *
 * The PKCS#11 module (OpenSC, the agency's module) and everything that
 * parses card data run in carnet-p11-helper, an unprivileged process of
 * its own, as OpenSSH runs ssh-pkcs11-helper; carnetd talks to it over a
 * socketpair (p11-client.c).  Each message is a fixed header (type, card
 * handle, payload length) and a payload of at most P11W_PAYLOAD_MAX bytes,
 * built and read with the bounded codec below.  The helper answers a fixed
 * table of requests (p11w_rules), each allowed only in some states of the
 * card handle it names:
 *
 *     request        states            reply payload
 *     TOKEN_FOR      none (no handle)  error, token
 *     OPEN           none              error, handle, token, ncerts, roles, identity
 *     CERT           opened, logged in error, the certificate of a role (<= 8 KiB DER)
 *     PIN_STATUS     opened, logged in error, pin state, tries left
 *     LOGIN          opened            error          (opened -> logged in)
 *     KEY_INFO       logged in         error, key type, always-authenticate
 *     SIGN           logged in         error, signature (<= P11_SIG_MAX)
 *     CLOSE          opened, logged in error          (-> closed: handle freed)
 *     OPEN_KNOWN     none              as OPEN (p11_card_open_known())
 *     SLOT_STATE     none              error, token present, slot description
 *
 * A request in the wrong state, or longer than its rule allows, gets an
 * error reply ("wrong_state", "message_too_long"); an unknown type, a
 * header whose length exceeds P11W_PAYLOAD_MAX or a payload that does not
 * decode is malformed: the helper exits, carnetd starts another.  PINs are
 * at most P11W_PIN_MAX bytes and wiped from every buffer that held them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkcs11/p11-card.h"
#include "pkcs11/p11-error.h"
#include "pkcs11/p11-identity.h"
#include "pkcs11/p11-module.h"

#define P11W_PAYLOAD_MAX 9216 /* one certificate (8 KiB) and its CKA_ID, label */
#define P11W_PIN_MAX 64
#define P11W_READER_MAX 256
#define P11W_CODE_MAX 32
#define P11W_HANDLES_MAX 32
#define P11W_FD 3 /* the helper's end of the socketpair */

enum p11w_type {
        P11W_TOKEN_FOR = 1,
        P11W_OPEN,
        P11W_CERT,
        P11W_PIN_STATUS,
        P11W_LOGIN,
        P11W_KEY_INFO,
        P11W_SIGN,
        P11W_CLOSE,
        P11W_OPEN_KNOWN,
        P11W_SLOT_STATE,
        _P11W_TYPE_MAX,
        P11W_REPLY = 0x8000, /* or'ed into the request's type; alone: "ready" */
};

/* The state of the card handle a request names. */
enum p11w_state {
        P11W_ST_NONE = 1u << 0, /* no handle (handle 0) */
        P11W_ST_OPENED = 1u << 1,
        P11W_ST_LOGGED_IN = 1u << 2,
};

struct p11w_header {
        uint16_t type;
        uint16_t zero;
        uint32_t handle;
        uint32_t len;
};

struct p11w_rule {
        enum p11w_type type;
        const char *name;
        unsigned states; /* P11W_ST_* allowed */
        size_t max_len;  /* of the request's payload */
};

/* The rule of a request type, or NULL for an unknown one. */
const struct p11w_rule *p11w_rule(unsigned type);

/* Checks a request header against the table for a handle in state st:
 * 0 when allowed; -EBADMSG when malformed (unknown type, length over
 * P11W_PAYLOAD_MAX, zero field set: the connection ends); -EMSGSIZE when
 * longer than the rule allows and -EPERM in a wrong state (error reply). */
int p11w_check(const struct p11w_header *h, enum p11w_state st);

/* A bounded buffer: writes past cap and reads past len set bad and do
 * nothing. */
struct p11w_buf {
        uint8_t data[P11W_PAYLOAD_MAX];
        size_t len, off;
        bool bad;
};

void p11w_init(struct p11w_buf *b);
/* Wipes the whole buffer (it may have held a PIN). */
void p11w_wipe(struct p11w_buf *b);
void p11w_put_u8(struct p11w_buf *b, uint8_t v);
void p11w_put_u32(struct p11w_buf *b, uint32_t v);
void p11w_put_u64(struct p11w_buf *b, uint64_t v);
void p11w_put_bytes(struct p11w_buf *b, const void *p, size_t n); /* u16 length, bytes */
void p11w_put_str(struct p11w_buf *b, const char *s);              /* NULL as "" */
uint8_t p11w_get_u8(struct p11w_buf *b);
uint32_t p11w_get_u32(struct p11w_buf *b);
uint64_t p11w_get_u64(struct p11w_buf *b);
/* Reads a byte string of at most max bytes into p; returns its length. */
size_t p11w_get_bytes(struct p11w_buf *b, void *p, size_t max);
/* Reads a string without NUL that fits dst (size with the NUL). */
void p11w_get_str(struct p11w_buf *b, char *dst, size_t size);
/* True when the whole payload was read and nothing was bad. */
bool p11w_done(const struct p11w_buf *b);

/* The fixed parts carried by the replies. */
void p11w_put_error(struct p11w_buf *b, const struct p11_error *e);
/* code receives the code string (P11W_CODE_MAX); e->code points to it. */
void p11w_get_error(struct p11w_buf *b, struct p11_error *e, char code[P11W_CODE_MAX]);
void p11w_put_token(struct p11w_buf *b, const struct p11_token *t);
void p11w_get_token(struct p11w_buf *b, struct p11_token *t);
void p11w_put_identity(struct p11w_buf *b, const struct p11_identity *id);
/* bad_field receives the field name; id->bad_field points to it or is NULL. */
void p11w_get_identity(struct p11w_buf *b, struct p11_identity *id, char bad_field[P11W_CODE_MAX]);
void p11w_put_map(struct p11w_buf *b, const struct p11_map *map);
void p11w_get_map(struct p11w_buf *b, struct p11_map *map);

/* Whole messages on a stream socket.  p11w_send: 0 or -errno.  p11w_recv
 * waits at most timeout_ms (-1: for ever) for the whole message: 0,
 * -ECONNRESET at end of file, -ETIMEDOUT, -EBADMSG for a header over the
 * bounds, or -errno.  The payload lands in b (b->len). */
int p11w_send(int fd, uint16_t type, uint32_t handle, const struct p11w_buf *b);
int p11w_recv(int fd, struct p11w_header *h, struct p11w_buf *b, int timeout_ms);
