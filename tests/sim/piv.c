/* tests/sim/piv.c: a CPS card played as a PIV applet (NIST SP 800-73), so
 * that OpenSC's PKCS#11 module lists its certificates and signs unchanged.
 *
 * What it answers (docs/cards.md, "In the lab"; the PIV commands as NIST
 * SP 800-73-4 part 2 defines them and OpenSC's card-piv.c sends them):
 *   SELECT the PIV AID (9- or 11-byte form): the application property
 *     template; any other SELECT: 6A82.
 *   GET DATA 00 CB 3F FF {5C L tag}: discovery object 7E, certificates
 *     5FC105 (key 9A) and 5FC10A (key 9C) as 53 {70 DER, 71 00, FE}; any
 *     other object: 6A82.  Le is honoured: the card sends at most Le (and
 *     at most 256) bytes, then 61xx while data remains, served by GET
 *     RESPONSE 00 C0.  OpenSC first reads 8 bytes to learn an object's size.
 *   VERIFY 00 20 00 80 {PIN padded to 8 bytes with FF}; without data it
 *     tells the state: 90 00 verified, 63 CX X tries left, 69 83 blocked.
 *     A wrong PIN answers 63 CX; at 0 tries the card is blocked until the
 *     simulator restarts.  00 20 FF 80 forgets the verification.
 *   GENERAL AUTHENTICATE 00 87 07|11 9A|9C {7C {82 00, 81 L data}}, command
 *     chaining with CLA 10: RSA-2048 raw private operation (OpenSC pads) or
 *     ECDSA P-256 over the data as given (already a digest), DER signature;
 *     answers 7C {82 L signature}.  Needs the PIN verified (69 82
 *     otherwise); key 9C also needs a VERIFY since its last use ("PIN
 *     always", so OpenSC logs in again before each signature).
 *   Anything else: 6D00 for an unknown INS, 6E00 for a CLA other than 00/10.
 * Power off and reset forget the verified PIN; the try counter lives as
 * long as the simulator process, across removal and insertion.
 *
 * Profile keys:
 *   type = cps
 *   pin = 1234              the PIN, 1 to 8 characters (required)
 *   pin_tries = 3           tries allowed after a good PIN, 1..15
 *   pin_tries_left = N      tries left at start (default pin_tries; 0 =
 *                           blocked card)
 *   pin_always = yes|no     key 9C needs a VERIFY before each use (yes)
 *   cert.9a, key.9a         authentication certificate (PEM or DER) and its
 *                           private key (PEM, unencrypted): key 9A, object
 *                           5FC105
 *   cert.9c, key.9c         signature certificate and key: key 9C, object
 *                           5FC10A
 *                           (keys: RSA-2048 or EC P-256; a slot may be
 *                           left out; paths are relative to the profile)
 *   object.TAG = HEX        serves HEX as the whole object TAG (upper-case
 *                           hex: 7E, 7F61, 5FC101 ... 5FC123), replacing the
 *                           built one; an empty value removes the object.
 *                           For hostile-card tests.
 *   atr = HEX               the ATR (default 3B 8A 80 01 "CARNET CPS" 64)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "card.h"
#include "lib/macro.h"

#define PIV_ATR "3B 8A 80 01 43 41 52 4E 45 54 20 43 50 53 64"
#define PIV_OBJ_MAX 4096   /* largest data object served */
#define PIV_OBJS_MAX 48    /* objects on the card */
#define PIV_CHAIN_MAX 1024 /* largest chained command */
#define PIV_PIN_LEN 8
#define PIV_ALG_RSA2048 0x07
#define PIV_ALG_P256 0x11

DEFINE_TRIVIAL_CLEANUP_FUNC(X509, X509_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY, EVP_PKEY_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY_CTX, EVP_PKEY_CTX_free);

/* "A0 00 00 03 08 00 00 10 00" is the PIX without version; "01 00" adds it. */
static const uint8_t piv_aid[] = {0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00};
static const uint8_t select_reply[] = {0x61, 0x11, 0x4F, 0x06, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
                                       0x79, 0x07, 0x4F, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08};
static const uint8_t discovery[] = {0x7E, 0x12, 0x4F, 0x0B, 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00,
                                    0x00, 0x10, 0x00, 0x01, 0x00, 0x5F, 0x2F, 0x02, 0x40, 0x00};

struct piv_obj {
        uint32_t tag;
        uint8_t *data; /* NULL: present in the profile as absent */
        size_t len;
};

struct piv_key {
        uint8_t ref; /* 9A or 9C */
        uint8_t alg; /* PIV_ALG_*, 0 when the slot is empty */
        uint32_t obj_tag;
        EVP_PKEY *pkey;
};

struct piv {
        struct card base;
        uint8_t pin[PIV_PIN_LEN]; /* padded with FF */
        int tries_max;
        int tries_left;
        bool pin_always;
        bool verified; /* PIN verified since power on */
        bool consent;  /* PIN verified since key 9C was last used */
        struct piv_key keys[2];
        struct piv_obj objs[PIV_OBJS_MAX];
        size_t n_objs;
        /* command chaining */
        uint8_t chain[PIV_CHAIN_MAX];
        size_t chain_len;
        bool chaining;
        uint8_t chain_ins, chain_p1, chain_p2;
        /* response data left for GET RESPONSE */
        uint8_t pending[PIV_OBJ_MAX + 16];
        size_t pending_len, pending_off;
};

static void piv_free(struct card *c) {
        struct piv *v = (struct piv *)c;
        if (!v)
                return;
        for (size_t i = 0; i < v->n_objs; i++)
                free(v->objs[i].data);
        for (size_t i = 0; i < ELEMENTSOF(v->keys); i++)
                EVP_PKEY_free(v->keys[i].pkey);
        secure_zero(v->pin, sizeof(v->pin));
        secure_zero(v->chain, sizeof(v->chain));
        free(v);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct card, piv_free);

static struct piv_obj *piv_find_obj(struct piv *v, uint32_t tag) {
        for (size_t i = 0; i < v->n_objs; i++)
                if (v->objs[i].tag == tag)
                        return &v->objs[i];
        return NULL;
}

/* Sets object tag to a copy of data (NULL: absent), replacing any. */
static int piv_set_obj(struct piv *v, uint32_t tag, const uint8_t *data, size_t len) {
        struct piv_obj *o = piv_find_obj(v, tag);
        uint8_t *copy = NULL;
        if (len > PIV_OBJ_MAX)
                return -E2BIG;
        if (data) {
                copy = malloc(len ? len : 1);
                if (!copy)
                        return -ENOMEM;
                memcpy(copy, data, len);
        }
        if (!o) {
                if (v->n_objs >= PIV_OBJS_MAX) {
                        free(copy);
                        return -E2BIG;
                }
                o = &v->objs[v->n_objs++];
                o->tag = tag;
        }
        free(o->data);
        o->data = copy;
        o->len = data ? len : 0;
        return 0;
}

/* The size of the BER encoding of length n (n < 64 KiB). */
static size_t ber_len_size(size_t n) {
        return n < 0x80 ? 1 : n < 0x100 ? 2 : 3;
}

/* Writes a BER length at p (room for 3 bytes); returns its size. */
static size_t ber_len(uint8_t *p, size_t n) {
        if (n < 0x80) {
                p[0] = (uint8_t)n;
                return 1;
        }
        if (n < 0x100) {
                p[0] = 0x81;
                p[1] = (uint8_t)n;
                return 2;
        }
        p[0] = 0x82;
        p[1] = (uint8_t)(n >> 8);
        p[2] = (uint8_t)n;
        return 3;
}

/* Reads one TLV with a one-byte tag and a BER length (up to 2 bytes) from
 * buf[*off..len); on success *off points past the value.  -EBADMSG when the
 * TLV is truncated or malformed. */
static int tlv_next(const uint8_t *buf, size_t len, size_t *off, uint8_t *ret_tag,
                    const uint8_t **ret_val, size_t *ret_len) {
        size_t o = *off, n;
        if (o + 2 > len || (buf[o] & 0x1F) == 0x1F)
                return -EBADMSG;
        uint8_t tag = buf[o++];
        uint8_t l0 = buf[o++];
        if (l0 < 0x80)
                n = l0;
        else if (l0 == 0x81 && o + 1 <= len)
                n = buf[o++];
        else if (l0 == 0x82 && o + 2 <= len) {
                n = (size_t)buf[o] << 8 | buf[o + 1];
                o += 2;
        } else
                return -EBADMSG;
        if (n > len - o)
                return -EBADMSG;
        *ret_tag = tag;
        *ret_val = buf + o;
        *ret_len = n;
        *off = o + n;
        return 0;
}

/* Sends up to le bytes of the pending data (at most 256), with 61xx while
 * more remains and 9000 at the end. */
static int piv_send_pending(struct piv *v, size_t le, struct resp *r) {
        size_t left = v->pending_len - v->pending_off;
        size_t n = left < le ? left : le;
        if (n > 256)
                n = 256;
        const uint8_t *p = v->pending + v->pending_off;
        v->pending_off += n;
        left -= n;
        if (!left) {
                v->pending_len = v->pending_off = 0;
                return resp_data(r, p, n, 0x9000);
        }
        return resp_data(r, p, n, 0x6100 | (left > 0xff ? 0 : left));
}

/* Answers a command with n bytes of data, honouring its Le. */
static int piv_reply(struct piv *v, const struct apdu *a, const uint8_t *data, size_t n,
                     struct resp *r) {
        if (n > sizeof(v->pending))
                return -ENOBUFS;
        memcpy(v->pending, data, n);
        v->pending_len = n;
        v->pending_off = 0;
        return piv_send_pending(v, a->has_le ? a->le : 256, r);
}

static int piv_select(struct card *c, const struct apdu *a, struct resp *r) {
        struct piv *v = (struct piv *)c;
        if (a->p1 != 0x04 || (a->lc != 9 && a->lc != sizeof(piv_aid)) ||
            memcmp(a->data, piv_aid, a->lc) != 0)
                return resp_sw(r, 0x6A82);
        if (a->p2 == 0x0C) { /* no response data wanted */
                return resp_sw(r, 0x9000);
        }
        return piv_reply(v, a, select_reply, sizeof(select_reply), r);
}

static int piv_get_data(struct card *c, const struct apdu *a, struct resp *r) {
        struct piv *v = (struct piv *)c;
        if (a->p1 != 0x3F || a->p2 != 0xFF)
                return resp_sw(r, 0x6A86);
        /* 5C L tag, with a tag of 1 to 3 bytes */
        if (a->lc < 3 || a->data[0] != 0x5C || a->data[1] < 1 || a->data[1] > 3 ||
            a->lc != 2u + a->data[1])
                return resp_sw(r, 0x6A80);
        uint32_t tag = 0;
        for (size_t i = 0; i < a->data[1]; i++)
                tag = tag << 8 | a->data[2 + i];
        const struct piv_obj *o = piv_find_obj(v, tag);
        if (!o || !o->data)
                return resp_sw(r, 0x6A82);
        return piv_reply(v, a, o->data, o->len, r);
}

static int piv_verify(struct card *c, const struct apdu *a, struct resp *r) {
        struct piv *v = (struct piv *)c;
        if ((a->p1 != 0x00 && a->p1 != 0xFF) || a->p2 != 0x80)
                return resp_sw(r, a->p1 == 0x00 || a->p1 == 0xFF ? 0x6A88 : 0x6A86);
        if (a->p1 == 0xFF) { /* reset the security status */
                if (a->lc)
                        return resp_sw(r, 0x6A80);
                v->verified = v->consent = false;
                return resp_sw(r, 0x9000);
        }
        if (v->tries_left <= 0)
                return resp_sw(r, 0x6983);
        if (a->lc == 0) { /* status query */
                return resp_sw(r, v->verified ? 0x9000 : 0x63C0 | (uint16_t)v->tries_left);
        }
        if (a->lc != PIV_PIN_LEN)
                return resp_sw(r, 0x6A80);
        if (CRYPTO_memcmp(a->data, v->pin, PIV_PIN_LEN) != 0) {
                v->tries_left--;
                v->verified = v->consent = false;
                return resp_sw(r, 0x63C0 | (uint16_t)v->tries_left);
        }
        v->tries_left = v->tries_max;
        v->verified = v->consent = true;
        return resp_sw(r, 0x9000);
}

/* Signs in with key k; writes the signature into sig (size *len in, length
 * out).  -EBADMSG when OpenSSL refuses the input (such as an RSA block not
 * smaller than the modulus). */
static int piv_sign(const struct piv_key *k, const uint8_t *in, size_t in_len, uint8_t *sig,
                    size_t *len) {
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k->pkey, NULL);
        if (!ctx)
                return -ENOMEM;
        if (EVP_PKEY_sign_init(ctx) <= 0)
                return -EIO;
        if (k->alg == PIV_ALG_RSA2048) {
                if (in_len != 256)
                        return -EBADMSG;
                if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) <= 0)
                        return -EIO;
        } else if (in_len == 0 || in_len > 64)
                return -EBADMSG;
        if (EVP_PKEY_sign(ctx, sig, len, in, in_len) <= 0) {
                ERR_clear_error();
                return -EBADMSG;
        }
        return 0;
}

/* GENERAL AUTHENTICATE on the whole (unchained) command data. */
static int piv_general_auth(struct piv *v, uint8_t alg, uint8_t ref, const uint8_t *d,
                            size_t n, const struct apdu *a, struct resp *r) {
        struct piv_key *k = NULL;
        for (size_t i = 0; i < ELEMENTSOF(v->keys); i++)
                if (v->keys[i].ref == ref && v->keys[i].alg)
                        k = &v->keys[i];
        if (!k)
                return resp_sw(r, 0x6A88);
        if (alg != k->alg)
                return resp_sw(r, 0x6A86);

        /* 7C { 82 00, 81 L challenge } in any order; nothing else. */
        size_t off = 0, in_len = 0;
        const uint8_t *tmpl, *in = NULL, *val;
        size_t tmpl_len, len;
        uint8_t tag;
        bool want_resp = false;
        if (tlv_next(d, n, &off, &tag, &tmpl, &tmpl_len) < 0 || tag != 0x7C || off != n)
                return resp_sw(r, 0x6A80);
        for (off = 0; off < tmpl_len;) {
                if (tlv_next(tmpl, tmpl_len, &off, &tag, &val, &len) < 0)
                        return resp_sw(r, 0x6A80);
                if (tag == 0x82 && len == 0)
                        want_resp = true;
                else if (tag == 0x81) {
                        in = val;
                        in_len = len;
                } else {
                        return resp_sw(r, 0x6A80); /* witness, exponentiation: not offered */
                }
        }
        if (!want_resp || !in)
                return resp_sw(r, 0x6A80);

        if (!v->verified || (ref == 0x9C && v->pin_always && !v->consent))
                return resp_sw(r, 0x6982);
        if (ref == 0x9C)
                v->consent = false;

        uint8_t sig[512], out[16 + sizeof(sig)];
        size_t sig_len = sizeof(sig);
        int ret = piv_sign(k, in, in_len, sig, &sig_len);
        if (ret == -EBADMSG)
                return resp_sw(r, 0x6A80);
        if (ret < 0)
                return ret;
        if (sig_len > sizeof(sig))
                return -EIO;
        /* 7C L 82 L signature */
        size_t o = 0;
        out[o++] = 0x7C;
        o += ber_len(out + o, 1 + ber_len_size(sig_len) + sig_len);
        out[o++] = 0x82;
        o += ber_len(out + o, sig_len);
        memcpy(out + o, sig, sig_len);
        o += sig_len;
        return piv_reply(v, a, out, o, r);
}

/* INS 87: gathers chained parts (CLA 10), then runs the whole command. */
static int piv_general_auth_part(struct card *c, const struct apdu *a, struct resp *r) {
        struct piv *v = (struct piv *)c;
        if (v->chaining && (a->ins != v->chain_ins || a->p1 != v->chain_p1 || a->p2 != v->chain_p2))
                v->chaining = false;
        if (!v->chaining)
                v->chain_len = 0;
        if (a->lc > sizeof(v->chain) - v->chain_len) {
                v->chaining = false;
                v->chain_len = 0;
                return resp_sw(r, 0x6700);
        }
        if (a->lc)
                memcpy(v->chain + v->chain_len, a->data, a->lc);
        v->chain_len += a->lc;
        if (a->cla & 0x10) {
                v->chaining = true;
                v->chain_ins = a->ins;
                v->chain_p1 = a->p1;
                v->chain_p2 = a->p2;
                return resp_sw(r, 0x9000);
        }
        v->chaining = false;
        int ret = piv_general_auth(v, a->p1, a->p2, v->chain, v->chain_len, a, r);
        secure_zero(v->chain, v->chain_len);
        v->chain_len = 0;
        return ret;
}

static int piv_get_response(struct card *c, const struct apdu *a, struct resp *r) {
        struct piv *v = (struct piv *)c;
        if (a->p1 || a->p2)
                return resp_sw(r, 0x6A86);
        if (!v->pending_len)
                return resp_sw(r, 0x6985);
        return piv_send_pending(v, a->has_le ? a->le : 256, r);
}

static const struct card_ins piv_ins[] = {
        {0xA4, piv_select},
        {0xCB, piv_get_data},
        {0xC0, piv_get_response},
        {0x20, piv_verify},
        {0x87, piv_general_auth_part},
};

static int piv_transmit(struct card *c, const struct apdu *a, struct resp *r) {
        struct piv *v = (struct piv *)c;
        if (a->ins != 0xC0)
                v->pending_len = v->pending_off = 0;
        if (a->ins != 0x87 && v->chaining) {
                v->chaining = false;
                v->chain_len = 0;
        }
        if ((a->cla & ~0x10) != 0x00)
                return resp_sw(r, 0x6E00);
        if ((a->cla & 0x10) && a->ins != 0x87)
                return resp_sw(r, 0x6884); /* chaining not supported here */
        return card_dispatch(c, piv_ins, ELEMENTSOF(piv_ins), a, r);
}

static void piv_reset(struct card *c) {
        struct piv *v = (struct piv *)c;
        v->verified = v->consent = false;
        v->chaining = false;
        secure_zero(v->chain, sizeof(v->chain));
        v->chain_len = 0;
        v->pending_len = v->pending_off = 0;
}

/* Reads a certificate, PEM or DER, into *ret. */
static int load_cert(const char *path, X509 **ret) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return negerrno();
        X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
        if (!x) {
                rewind(f);
                x = d2i_X509_fp(f, NULL);
        }
        ERR_clear_error();
        if (!x)
                return -EINVAL;
        *ret = x;
        return 0;
}

static int load_key(const char *path, EVP_PKEY **ret) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return negerrno();
        EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, (void *)"");
        ERR_clear_error();
        if (!k)
                return -EINVAL;
        *ret = k;
        return 0;
}

/* The PIV algorithm id of a key, or -EOPNOTSUPP. */
static int key_alg(EVP_PKEY *k) {
        char group[32];
        if (EVP_PKEY_is_a(k, "RSA") && EVP_PKEY_get_bits(k) == 2048)
                return PIV_ALG_RSA2048;
        if (EVP_PKEY_is_a(k, "EC") &&
            EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof(group), NULL) == 1 &&
            (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0))
                return PIV_ALG_P256;
        return -EOPNOTSUPP;
}

/* Loads cert.<slot> and key.<slot> into key k and its certificate object:
 * 53 L { 70 L DER, 71 01 00, FE 00 }. */
static int piv_load_slot(struct piv *v, const struct profile *p, const char *slot,
                         struct piv_key *k) {
        char ck[32], kk[32], cpath[4096], kpath[4096];
        _cleanup_(X509_freep) X509 *x = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
        _cleanup_free_ uint8_t *der = NULL;
        int r;

        snprintf(ck, sizeof(ck), "cert.%s", slot);
        snprintf(kk, sizeof(kk), "key.%s", slot);
        bool has_c = profile_get(p, ck), has_k = profile_get(p, kk);
        if (!has_c && !has_k)
                return 0;
        if (!has_c || !has_k) {
                fprintf(stderr, "piv: %s and %s go together\n", ck, kk);
                return -EINVAL;
        }
        if ((r = profile_path(p, ck, cpath, sizeof(cpath))) < 0 ||
            (r = profile_path(p, kk, kpath, sizeof(kpath))) < 0)
                return r;
        if ((r = load_cert(cpath, &x)) < 0) {
                fprintf(stderr, "piv: %s: cannot read a certificate: %s\n", cpath, strerror(-r));
                return r;
        }
        if ((r = load_key(kpath, &pkey)) < 0) {
                fprintf(stderr, "piv: %s: cannot read a private key: %s\n", kpath, strerror(-r));
                return r;
        }
        if ((r = key_alg(pkey)) < 0) {
                fprintf(stderr, "piv: %s: only RSA-2048 and EC P-256 keys are offered\n", kpath);
                return r;
        }
        k->alg = (uint8_t)r;
        if (X509_check_private_key(x, pkey) != 1)
                fprintf(stderr, "piv: warning: %s does not match %s\n", kpath, cpath);
        ERR_clear_error();

        int dl = i2d_X509(x, &der);
        if (dl <= 0 || (size_t)dl > PIV_OBJ_MAX - 32)
                return -EINVAL;
        uint8_t obj[PIV_OBJ_MAX];
        static const uint8_t tail[] = {0x71, 0x01, 0x00, 0xFE, 0x00};
        size_t inner = 1 + ber_len_size((size_t)dl) + (size_t)dl + sizeof(tail);
        size_t o = 0;
        obj[o++] = 0x53;
        o += ber_len(obj + o, inner);
        obj[o++] = 0x70;
        o += ber_len(obj + o, (size_t)dl);
        memcpy(obj + o, der, (size_t)dl);
        o += (size_t)dl;
        memcpy(obj + o, tail, sizeof(tail));
        o += sizeof(tail);
        if ((r = piv_set_obj(v, k->obj_tag, obj, o)) < 0)
                return r;
        k->pkey = TAKE_PTR(pkey);
        return 0;
}

/* Applies object.TAG overrides for the tags a PIV card may hold. */
static int piv_load_overrides(struct piv *v, const struct profile *p) {
        uint32_t tags[2 + 0x23] = {0x7E, 0x7F61};
        for (uint32_t i = 0; i < 0x23; i++)
                tags[2 + i] = 0x5FC101 + i;
        for (size_t i = 0; i < ELEMENTSOF(tags); i++) {
                char key[32];
                uint8_t buf[PIV_OBJ_MAX];
                snprintf(key, sizeof(key), "object.%X", tags[i]);
                int n = profile_get_hex(p, key, buf, sizeof(buf));
                if (n == -ENOENT)
                        continue;
                if (n < 0)
                        return n;
                int r = piv_set_obj(v, tags[i], n ? buf : NULL, (size_t)n);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int piv_new(const struct profile *p, struct card **ret) {
        _cleanup_(piv_freep) struct card *c = NULL;
        int r = card_alloc(sizeof(struct piv), &piv_ops, p, PIV_ATR, &c);

        if (r < 0)
                return r;
        struct piv *v = (struct piv *)c;
        v->keys[0] = (struct piv_key){.ref = 0x9A, .obj_tag = 0x5FC105};
        v->keys[1] = (struct piv_key){.ref = 0x9C, .obj_tag = 0x5FC10A};

        const char *pin = profile_get(p, "pin");
        if (!pin || !*pin || strlen(pin) > PIV_PIN_LEN) {
                fprintf(stderr, "piv: 'pin' must hold 1 to %d characters\n", PIV_PIN_LEN);
                return -EINVAL;
        }
        memset(v->pin, 0xFF, sizeof(v->pin));
        memcpy(v->pin, pin, strlen(pin));
        v->tries_max = (int)profile_get_long(p, "pin_tries", 3, &r);
        v->tries_left = (int)profile_get_long(p, "pin_tries_left", v->tries_max, &r);
        if (r < 0)
                return r;
        if (v->tries_max < 1 || v->tries_max > 15 || v->tries_left < 0 ||
            v->tries_left > v->tries_max) {
                fprintf(stderr, "piv: need 1 <= pin_tries <= 15 and 0 <= pin_tries_left <= pin_tries\n");
                return -EINVAL;
        }
        const char *always = profile_get(p, "pin_always");
        if (!always || strcasecmp(always, "yes") == 0)
                v->pin_always = true;
        else if (strcasecmp(always, "no") != 0) {
                fprintf(stderr, "piv: pin_always must be yes or no\n");
                return -EINVAL;
        }

        if ((r = piv_set_obj(v, 0x7E, discovery, sizeof(discovery))) < 0 ||
            (r = piv_load_slot(v, p, "9a", &v->keys[0])) < 0 ||
            (r = piv_load_slot(v, p, "9c", &v->keys[1])) < 0 ||
            (r = piv_load_overrides(v, p)) < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

CARD_OPS(piv, "cps");
