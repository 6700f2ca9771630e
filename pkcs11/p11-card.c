/* pkcs11/p11-card.c: session, certificates, login and signature on a token. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/macro.h"
#include "p11-card.h"

struct p11_card {
        struct p11_module *module;
        CK_FUNCTION_LIST *fl;
        CK_SESSION_HANDLE session; /* CK_INVALID_HANDLE once the card is gone */
        struct p11_token token;
        struct p11_map map;
        struct p11_cert certs[P11_CERTS_MAX];
        size_t ncerts;
        int role_cert[2];          /* index in certs, -1 when none */
        bool logged_in;
        struct p11_error error;
};

/* Records a module failure and returns its errno.  For the ambiguous ones
 * (CKR_GENERAL_ERROR, CKR_DEVICE_ERROR, CKR_FUNCTION_FAILED) the slot is
 * asked whether the token is still there: OpenSC answers that from PC/SC,
 * and a card pulled mid-operation is then reported as "card_removed". */
static int fail_rv(struct p11_card *c, CK_RV rv) {
        p11_error_set_rv(&c->error, rv);
        if (c->error.check_reader && p11_module_slot_present(c->module, c->token.slot) == 0) {
                c->error.err = -ENODEV;
                c->error.code = "card_removed";
                c->error.check_reader = false;
        }
        if (c->error.err == -ENODEV) {
                c->session = CK_INVALID_HANDLE;
                c->logged_in = false;
        }
        return c->error.err;
}

static int fail(struct p11_card *c, int err, const char *code) {
        p11_error_set(&c->error, err, code);
        return err;
}

static void ok(struct p11_card *c) {
        p11_error_set_rv(&c->error, CKR_OK);
}

/* Reads a variable-length attribute into a fresh buffer of at most max
 * bytes (a module is untrusted: a length past max is refused, and so is a
 * second answer longer than the first one that sized the buffer). */
static int attr_read(struct p11_card *c, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, size_t max,
                     uint8_t **ret, size_t *ret_len) {
        CK_ATTRIBUTE a = {type, NULL, 0};
        CK_RV rv = c->fl->C_GetAttributeValue(c->session, o, &a, 1);
        if (rv != CKR_OK)
                return fail_rv(c, rv);
        if (a.ulValueLen == (CK_ULONG)-1 || a.ulValueLen > max)
                return fail(c, -EMSGSIZE, "module_error");
        CK_ULONG cap = a.ulValueLen;
        _cleanup_free_ uint8_t *buf = malloc(cap ? cap : 1);
        if (!buf)
                return fail(c, -ENOMEM, "no_memory");
        a.pValue = buf;
        rv = c->fl->C_GetAttributeValue(c->session, o, &a, 1);
        if (rv != CKR_OK)
                return fail_rv(c, rv);
        if (a.ulValueLen > cap)
                return fail(c, -EIO, "module_error"); /* more than it said, and than buf holds */
        *ret_len = a.ulValueLen;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* Finds up to max objects matching tmpl. */
static int find_objects(struct p11_card *c, CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *objs,
                        CK_ULONG max, CK_ULONG *ret_n) {
        CK_RV rv = c->fl->C_FindObjectsInit(c->session, tmpl, n);
        if (rv != CKR_OK)
                return fail_rv(c, rv);
        rv = c->fl->C_FindObjects(c->session, objs, max, ret_n);
        CK_RV rv2 = c->fl->C_FindObjectsFinal(c->session);
        if (rv == CKR_OK)
                rv = rv2;
        if (rv != CKR_OK)
                return fail_rv(c, rv);
        return 0;
}

static void cert_clear(struct p11_cert *cert) {
        free(cert->der);
        *cert = (struct p11_cert){0};
}

/* Reads every X.509 certificate object with its CKA_ID and label. */
static int read_certs(struct p11_card *c) {
        CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
        CK_CERTIFICATE_TYPE ct = CKC_X_509;
        CK_ATTRIBUTE tmpl[] = {
                {CKA_CLASS, &cls, sizeof(cls)},
                {CKA_CERTIFICATE_TYPE, &ct, sizeof(ct)},
        };
        CK_OBJECT_HANDLE objs[P11_CERTS_MAX];
        CK_ULONG n = 0;
        int r = find_objects(c, tmpl, ELEMENTSOF(tmpl), objs, ELEMENTSOF(objs), &n);
        if (r < 0)
                return r;
        for (CK_ULONG i = 0; i < n; i++) {
                struct p11_cert *cert = &c->certs[c->ncerts];
                _cleanup_free_ uint8_t *id = NULL, *label = NULL;
                size_t id_len = 0, label_len = 0;
                r = attr_read(c, objs[i], CKA_VALUE, P11_CERT_MAX_LEN, &cert->der, &cert->der_len);
                if (r < 0)
                        return r;
                r = attr_read(c, objs[i], CKA_ID, P11_ID_MAX, &id, &id_len);
                if (r < 0) {
                        cert_clear(cert);
                        return r;
                }
                memcpy(cert->id, id, id_len);
                cert->id_len = id_len;
                if (attr_read(c, objs[i], CKA_LABEL, sizeof(cert->label) - 1, &label, &label_len) == 0) {
                        memcpy(cert->label, label, label_len);
                        cert->label[label_len] = '\0';
                }
                if (p11_cert_key_usage(cert->der, cert->der_len, &cert->key_usage) < 0) {
                        cert_clear(cert); /* not X.509 we can read: ignore it */
                        continue;
                }
                c->ncerts++;
        }
        ok(c);
        return 0;
}

/* Gives each role its certificate.  The signature role is chosen first; the
 * authentication role prefers a certificate other than the signature one,
 * so that a card whose certificates both carry digitalSignature still gets
 * two distinct keys. */
static void pick_roles(struct p11_card *c) {
        c->role_cert[P11_ROLE_AUTH] = c->role_cert[P11_ROLE_SIGN] = -1;
        for (size_t i = 0; i < c->ncerts && c->role_cert[P11_ROLE_SIGN] < 0; i++) {
                const struct p11_cert *x = &c->certs[i];
                if (p11_role_matches(&c->map.sign_cert, x->key_usage, x->id, x->id_len, x->label))
                        c->role_cert[P11_ROLE_SIGN] = (int)i;
        }
        int fallback = -1;
        for (size_t i = 0; i < c->ncerts; i++) {
                const struct p11_cert *x = &c->certs[i];
                if (!p11_role_matches(&c->map.auth_cert, x->key_usage, x->id, x->id_len, x->label))
                        continue;
                if ((int)i == c->role_cert[P11_ROLE_SIGN]) {
                        fallback = (int)i;
                        continue;
                }
                c->role_cert[P11_ROLE_AUTH] = (int)i;
                return;
        }
        c->role_cert[P11_ROLE_AUTH] = fallback;
}

/* p11_card_open() and p11_card_open_known(): tok NULL, the slot's token read first. */
static int card_open(struct p11_module *m, CK_SLOT_ID slot, const struct p11_token *tok, const struct p11_map *map,
                     struct p11_card **ret) {
        if (!m || !ret)
                return -EINVAL;
        P11_MODULE_GUARD(m);
        _cleanup_free_ struct p11_card *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->module = m;
        c->fl = p11_module_functions(m);
        if (map)
                c->map = *map;
        else
                p11_map_default(&c->map);
        int r = tok ? 0 : p11_module_token(m, slot, &c->token);
        if (r < 0)
                return r;
        if (tok)
                c->token = *tok;
        CK_RV rv = c->fl->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &c->session);
        if (rv != CKR_OK)
                return p11_rv_errno(rv);
        r = read_certs(c);
        if (r < 0) {
                struct p11_card *tmp = TAKE_PTR(c);
                p11_card_close(tmp);
                return r;
        }
        pick_roles(c);
        *ret = TAKE_PTR(c);
        return 0;
}

int p11_card_open(struct p11_module *m, CK_SLOT_ID slot, const struct p11_map *map, struct p11_card **ret) {
        return card_open(m, slot, NULL, map, ret);
}

int p11_card_open_known(struct p11_module *m, CK_SLOT_ID slot, const char *description, const struct p11_map *map,
                        struct p11_card **ret) {
        struct p11_token tok;
        int r = p11_module_token_info(m, slot, description, &tok);
        return r < 0 ? r : card_open(m, slot, &tok, map, ret);
}

struct p11_card *p11_card_close(struct p11_card *c) {
        if (!c)
                return NULL;
        P11_MODULE_GUARD(c->module);
        if (c->session != CK_INVALID_HANDLE) {
                if (c->logged_in)
                        c->fl->C_Logout(c->session);
                c->fl->C_CloseSession(c->session);
        }
        for (size_t i = 0; i < c->ncerts; i++)
                cert_clear(&c->certs[i]);
        free(c);
        return NULL;
}

const struct p11_token *p11_card_token(const struct p11_card *c) {
        return c ? &c->token : NULL;
}

int p11_card_refresh(struct p11_card *c) {
        if (!c)
                return -EINVAL;
        P11_MODULE_GUARD(c->module);
        int r = p11_module_token(c->module, c->token.slot, &c->token);
        if (r < 0)
                return fail(c, r, r == -ENODEV ? "card_removed" : "card_error");
        return (int)c->token.pin_state;
}

size_t p11_card_ncerts(const struct p11_card *c) {
        return c ? c->ncerts : 0;
}

const struct p11_cert *p11_card_cert(const struct p11_card *c, enum p11_role role) {
        if (!c || (role != P11_ROLE_AUTH && role != P11_ROLE_SIGN) || c->role_cert[role] < 0)
                return NULL;
        return &c->certs[c->role_cert[role]];
}

int p11_card_identity(const struct p11_card *c, struct p11_identity *ret) {
        const struct p11_cert *x = p11_card_cert(c, P11_ROLE_AUTH);
        if (!x)
                return -ENOENT;
        return p11_identity_from_cert(&c->map, x->der, x->der_len, ret);
}

/* The token of c's slot again, its flags (the PIN's) read afresh: from
 * C_GetTokenInfo alone, the card being the one c holds a session on (no
 * C_GetSlotInfo, in which OpenSC looks at every reader and probes every
 * card it does not know, a Vitale among them). */
static int token_again(struct p11_card *c, struct p11_token *ret) {
        return p11_module_token_info(c->module, c->token.slot, c->token.reader, ret);
}

/* After a failed login, the token flags say how many tries are left (as far
 * as PKCS#11 can tell); they go into the error for the caller. */
static void error_add_pin_state(struct p11_card *c) {
        struct p11_token t;
        if (token_again(c, &t) < 0)
                return;
        c->token = t;
        c->error.pin_state = t.pin_state;
        c->error.tries_left = t.tries_left;
        if (t.pin_state == P11_PIN_LOCKED && c->error.err == -EACCES) {
                /* the wrong PIN was the last try */
                c->error.err = -EPERM;
                c->error.code = "pin_locked";
        }
}

/* Checks that a PIN (or its absence) suits the token. */
static int pin_check(struct p11_card *c, const char *pin, size_t pin_len) {
        if (!pin && !c->token.protected_auth)
                return fail(c, -EINVAL, "pin_required");
        if (pin && (pin_len == 0 || pin_len > 64))
                return fail(c, -EINVAL, "pin_invalid");
        return 0;
}

int p11_card_login(struct p11_card *c, const char *pin, size_t pin_len) {
        if (!c)
                return -EINVAL;
        P11_MODULE_GUARD(c->module);
        if (c->session == CK_INVALID_HANDLE)
                return fail(c, -ENODEV, "card_removed");
        int r = pin_check(c, pin, pin_len);
        if (r < 0)
                return r;
        /* The caller's buffer goes to the module as it is: no copy to wipe.
         * PKCS#11 2.x declares it non-const; modules do not write to it. */
        CK_UTF8CHAR_PTR p = (CK_UTF8CHAR_PTR)(uintptr_t)pin;
        CK_ULONG n = pin ? (CK_ULONG)pin_len : 0;
        CK_RV rv = c->fl->C_Login(c->session, CKU_USER, p, n);
        if (rv == CKR_USER_ALREADY_LOGGED_IN) {
                /* the token was logged in before (by another session of it,
                 * or this one): that verified another PIN, or none.  Log
                 * out, and have the card verify this one. */
                (void)c->fl->C_Logout(c->session);
                c->logged_in = false;
                rv = c->fl->C_Login(c->session, CKU_USER, p, n);
        }
        if (rv != CKR_OK) {
                fail_rv(c, rv);
                if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED)
                        error_add_pin_state(c);
                return c->error.err;
        }
        c->logged_in = true;
        ok(c);
        struct p11_token t;
        if (token_again(c, &t) == 0)
                c->token = t;
        /* A right PIN resets the card's counter.  OpenSC 0.23 keeps showing
         * the flags of the last failure until the next one: trust the login. */
        c->token.pin_state = P11_PIN_OK;
        c->token.tries_left = -1;
        return 0;
}

int p11_card_logout(struct p11_card *c) {
        if (!c)
                return -EINVAL;
        P11_MODULE_GUARD(c->module);
        if (!c->logged_in || c->session == CK_INVALID_HANDLE)
                return 0;
        c->logged_in = false;
        CK_RV rv = c->fl->C_Logout(c->session);
        if (rv != CKR_OK && rv != CKR_USER_NOT_LOGGED_IN)
                return fail_rv(c, rv);
        ok(c);
        return 0;
}

bool p11_card_logged_in(const struct p11_card *c) {
        return c && c->logged_in;
}

/* The private key paired with the role's certificate by CKA_ID. */
static int find_key(struct p11_card *c, enum p11_role role, CK_OBJECT_HANDLE *ret) {
        const struct p11_cert *x = p11_card_cert(c, role);
        if (!x)
                return fail(c, -ENOENT, role == P11_ROLE_AUTH ? "no_auth_cert" : "no_sign_cert");
        if (c->session == CK_INVALID_HANDLE)
                return fail(c, -ENODEV, "card_removed");
        CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
        CK_ATTRIBUTE tmpl[] = {
                {CKA_CLASS, &cls, sizeof(cls)},
                {CKA_ID, (void *)x->id, x->id_len},
        };
        CK_OBJECT_HANDLE objs[2];
        CK_ULONG n = 0;
        int r = find_objects(c, tmpl, ELEMENTSOF(tmpl), objs, ELEMENTSOF(objs), &n);
        if (r < 0)
                return r;
        if (n == 0)
                return fail(c, -ENOKEY, c->logged_in ? "no_key" : "login_required");
        *ret = objs[0];
        return 0;
}

static int key_attrs(struct p11_card *c, CK_OBJECT_HANDLE key, enum p11_key_type *ret_type,
                     bool *ret_always) {
        CK_KEY_TYPE kt = (CK_KEY_TYPE)-1;
        CK_BBOOL always = CK_FALSE;
        CK_ATTRIBUTE a = {CKA_KEY_TYPE, &kt, sizeof(kt)};
        CK_RV rv = c->fl->C_GetAttributeValue(c->session, key, &a, 1);
        if (rv != CKR_OK)
                return fail_rv(c, rv);
        /* Older modules do not know the attribute: not "always". */
        CK_ATTRIBUTE b = {CKA_ALWAYS_AUTHENTICATE, &always, sizeof(always)};
        if (c->fl->C_GetAttributeValue(c->session, key, &b, 1) != CKR_OK)
                always = CK_FALSE;
        *ret_type = kt == CKK_RSA ? P11_KEY_RSA : kt == CKK_EC ? P11_KEY_EC : P11_KEY_UNKNOWN;
        *ret_always = always == CK_TRUE;
        return 0;
}

int p11_card_key_info(struct p11_card *c, enum p11_role role, enum p11_key_type *ret_type,
                      bool *ret_always_auth) {
        if (!c || !ret_type || !ret_always_auth)
                return -EINVAL;
        P11_MODULE_GUARD(c->module);
        CK_OBJECT_HANDLE key;
        int r = find_key(c, role, &key);
        if (r < 0)
                return r;
        r = key_attrs(c, key, ret_type, ret_always_auth);
        if (r < 0)
                return r;
        ok(c);
        return 0;
}

/* Appends a DER INTEGER holding the big-endian unsigned v (n bytes). */
static size_t der_uint(uint8_t *out, const uint8_t *v, size_t n) {
        while (n > 1 && v[0] == 0) {
                v++;
                n--;
        }
        bool pad = v[0] & 0x80;
        out[0] = 0x02;
        out[1] = (uint8_t)(n + pad);
        out[2] = 0;
        memcpy(out + 2 + pad, v, n);
        return 2 + pad + n;
}

/* r||s (PKCS#11 CKM_ECDSA output) -> DER SEQUENCE { INTEGER r, INTEGER s }. */
static int ecdsa_to_der(const uint8_t *raw, size_t raw_len, uint8_t *out, size_t max) {
        uint8_t body[2 * (2 + 1 + 66)];
        if (raw_len == 0 || raw_len % 2 || raw_len > 2 * 66)
                return -EBADMSG;
        size_t half = raw_len / 2;
        size_t n = der_uint(body, raw, half);
        n += der_uint(body + n, raw + half, half);
        size_t hdr = n < 128 ? 2 : 3;
        if (hdr + n > max)
                return -ENOBUFS;
        out[0] = 0x30;
        if (n < 128)
                out[1] = (uint8_t)n;
        else {
                out[1] = 0x81;
                out[2] = (uint8_t)n;
        }
        memcpy(out + hdr, body, n);
        return (int)(hdr + n);
}

/* Ends a half-done signature.  PKCS#11 2.40 has no way to cancel C_SignInit,
 * so the session is replaced.  The login belongs to the token and lasts as
 * long as one session is open: the new session is opened before the old one
 * is closed, or closing the last one would log the user out. */
static void session_reset(struct p11_card *c) {
        CK_SESSION_HANDLE fresh = CK_INVALID_HANDLE;
        if (c->session == CK_INVALID_HANDLE)
                return;
        if (c->fl->C_OpenSession(c->token.slot, CKF_SERIAL_SESSION, NULL, NULL, &fresh) != CKR_OK)
                fresh = CK_INVALID_HANDLE;
        c->fl->C_CloseSession(c->session);
        c->session = fresh;
        if (fresh == CK_INVALID_HANDLE)
                c->logged_in = false;
}

/* Signs digest with the role's key, as described in p11-card.h.  Called with
 * the user logged in; for an always-authenticate key the PIN (or the PIN
 * pad) is asked again right after C_SignInit, as PKCS#11 requires. */
int p11_card_sign(struct p11_card *c, enum p11_role role, const uint8_t digest[32], const char *pin,
                  size_t pin_len, uint8_t *sig, size_t sig_max) {
        static const uint8_t sha256_prefix[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                                  0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                                  0x01, 0x05, 0x00, 0x04, 0x20};
        if (!c || !digest || !sig || sig_max == 0)
                return -EINVAL;
        P11_MODULE_GUARD(c->module);
        CK_OBJECT_HANDLE key;
        enum p11_key_type type;
        bool always;
        int r = find_key(c, role, &key);
        if (r < 0)
                return r;
        r = key_attrs(c, key, &type, &always);
        if (r < 0)
                return r;
        if (always && (r = pin_check(c, pin, pin_len)) < 0)
                return r;

        uint8_t input[sizeof(sha256_prefix) + 32];
        CK_ULONG input_len;
        CK_MECHANISM mech = {0};
        if (type == P11_KEY_RSA) {
                mech.mechanism = CKM_RSA_PKCS;
                memcpy(input, sha256_prefix, sizeof(sha256_prefix));
                memcpy(input + sizeof(sha256_prefix), digest, 32);
                input_len = sizeof(input);
        } else if (type == P11_KEY_EC) {
                mech.mechanism = CKM_ECDSA;
                memcpy(input, digest, 32);
                input_len = 32;
        } else
                return fail(c, -EOPNOTSUPP, "key_type_unsupported");

        CK_RV rv = c->fl->C_SignInit(c->session, &mech, key);
        if (rv != CKR_OK)
                return fail_rv(c, rv);
        if (always) {
                rv = c->fl->C_Login(c->session, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)(uintptr_t)pin,
                                    pin ? (CK_ULONG)pin_len : 0);
                if (rv != CKR_OK) {
                        fail_rv(c, rv);
                        if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED)
                                error_add_pin_state(c);
                        session_reset(c);
                        return c->error.err;
                }
        }
        uint8_t raw[P11_SIG_MAX];
        CK_ULONG raw_len = sizeof(raw);
        rv = c->fl->C_Sign(c->session, input, input_len, raw, &raw_len);
        if (rv != CKR_OK) {
                r = fail_rv(c, rv);
                /* any other C_Sign failure ends the operation by itself */
                if (rv == CKR_BUFFER_TOO_SMALL)
                        session_reset(c);
                return r;
        }
        if (raw_len > sizeof(raw))
                return fail(c, -EMSGSIZE, "module_error");
        if (type == P11_KEY_EC) {
                r = ecdsa_to_der(raw, raw_len, sig, sig_max);
                if (r < 0)
                        return fail(c, r, r == -ENOBUFS ? "buffer_too_small" : "module_error");
        } else {
                if (raw_len > sig_max)
                        return fail(c, -ENOBUFS, "buffer_too_small");
                memcpy(sig, raw, raw_len);
                r = (int)raw_len;
        }
        ok(c);
        return r;
}

const struct p11_error *p11_card_error(const struct p11_card *c) {
        return c ? &c->error : NULL;
}
