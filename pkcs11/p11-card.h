/* pkcs11/p11-card.h: one professional card (token) seen through PKCS#11.
 *
 * p11_card_open() opens a read-only session on a slot and reads the public
 * certificates (CKO_CERTIFICATE, DER), choosing the authentication and the
 * signature certificate with the role rules of struct p11_map (by default
 * key usage digitalSignature, resp. nonRepudiation).  Private keys are found
 * by the certificate's CKA_ID when they are needed, after login (many
 * modules hide them before).
 *
 * The PIN is a buffer the caller owns: it is handed to C_Login as it is,
 * never copied, logged or kept.  A NULL PIN on a token with a protected
 * authentication path (PIN pad reader) lets the reader ask for it.
 *
 * Signing takes a SHA-256 digest and produces a signature in the form
 * OpenSSL and session/trust.c verify: RSA keys sign with CKM_RSA_PKCS over
 * the DigestInfo (PKCS#1 v1.5, what every module offers in hardware), EC
 * keys with CKM_ECDSA over the digest, the module's r||s re-encoded as a DER
 * ECDSA-Sig-Value.  A key with CKA_ALWAYS_AUTHENTICATE (the CPS signature
 * key) gets its context-specific login between C_SignInit and C_Sign.
 *
 * A card handle is used by one thread at a time; open one handle per token:
 * PKCS#11 login belongs to the token, so logging out or closing one handle
 * logs every other handle on that token out too.  Each failure is kept as a
 * struct p11_error (p11_card_error()). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p11-error.h"
#include "p11-identity.h"
#include "p11-module.h"

#define P11_CERTS_MAX 8
#define P11_CERT_MAX_LEN 8192
#define P11_ID_MAX 64
#define P11_SIG_MAX 520 /* RSA-4096 (512) or a DER ECDSA P-521 signature (139) */

enum p11_role {
        P11_ROLE_AUTH = 0, /* authentication key: session opening */
        P11_ROLE_SIGN = 1, /* signature key: always authenticate */
};

enum p11_key_type {
        P11_KEY_UNKNOWN = 0,
        P11_KEY_RSA,
        P11_KEY_EC,
};

struct p11_cert {
        uint8_t id[P11_ID_MAX]; /* CKA_ID: pairs the certificate with its key */
        size_t id_len;
        char label[65];
        unsigned key_usage;     /* P11_KU_* */
        uint8_t *der;
        size_t der_len;
};

struct p11_card;

/* Opens a session on slot, reads the certificates and picks the roles by
 * map (NULL: p11_map_default()).  The map is copied. */
int p11_card_open(struct p11_module *m, CK_SLOT_ID slot, const struct p11_map *map,
                  struct p11_card **ret);
/* The same without C_GetSlotInfo, the slot's description known: see
 * p11_module_token_info() for when this is right. */
int p11_card_open_known(struct p11_module *m, CK_SLOT_ID slot, const char *description, const struct p11_map *map,
                        struct p11_card **ret);
/* Logs out when logged in, closes the session.  Accepts NULL, returns NULL. */
struct p11_card *p11_card_close(struct p11_card *c);

/* Token description as read at open time (p11_card_refresh() updates it). */
const struct p11_token *p11_card_token(const struct p11_card *c);
/* Re-reads the token info (PIN flags); returns the PIN state or -errno. */
int p11_card_refresh(struct p11_card *c);

/* Certificates on the card, in the module's order. */
size_t p11_card_ncerts(const struct p11_card *c);
/* The certificate playing role, or NULL (-ENOENT in p11_card_error()). */
const struct p11_cert *p11_card_cert(const struct p11_card *c, enum p11_role role);

/* Identity from the authentication certificate, by the card's map. */
int p11_card_identity(const struct p11_card *c, struct p11_identity *ret);

/* C_Login(CKU_USER).  pin may be NULL only on a token with a protected
 * authentication path.  On a wrong PIN returns -EACCES and the error holds
 * the PIN state read back from the token; -EPERM when locked. */
int p11_card_login(struct p11_card *c, const char *pin, size_t pin_len);
int p11_card_logout(struct p11_card *c);
bool p11_card_logged_in(const struct p11_card *c);

/* Type and CKA_ALWAYS_AUTHENTICATE of the private key of role (after
 * login). */
int p11_card_key_info(struct p11_card *c, enum p11_role role, enum p11_key_type *ret_type,
                      bool *ret_always_auth);

/* Signs a SHA-256 digest with the key of role.  pin serves only the
 * context-specific login of an always-authenticate key (NULL on a PIN pad
 * reader); it is not kept.  Writes at most sig_max bytes; returns the
 * signature length. */
int p11_card_sign(struct p11_card *c, enum p11_role role, const uint8_t digest[32], const char *pin,
                  size_t pin_len, uint8_t *sig, size_t sig_max);

/* The last failure on this card (code "ok" when none). */
const struct p11_error *p11_card_error(const struct p11_card *c);
