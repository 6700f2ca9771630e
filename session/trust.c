/* session/trust.c: certificate chain, dates, key usage and signature checks
 * with OpenSSL. */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "lib/macro.h"
#include "trust.h"

struct trust_store {
        X509_STORE *store;
        size_t count;
        /* revocation: checked once a CRL path is set, even if nothing loads */
        bool crl_check;
        enum trust_crl_stale crl_stale;
        char crl_path[4096];
        uint64_t crl_stamp; /* what the path looked like at the last load */
        STACK_OF(X509_CRL) *crls;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(X509, X509_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_STORE_CTX, X509_STORE_CTX_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY, EVP_PKEY_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX, EVP_MD_CTX_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR, closedir);
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_CRL, X509_CRL_free);

static int set_err(struct trust_error *e, int err, const char *code, const char *detail) {
        if (e) {
                e->err = err;
                e->code = code;
                snprintf(e->detail, sizeof(e->detail), "%s", detail ? detail : "");
        }
        return err;
}

/* Adds every certificate of one PEM file to the store. */
static int load_pem_file(struct trust_store *s, const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return negerrno();
        size_t added = 0;
        for (;;) {
                _cleanup_(X509_freep) X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
                if (!x)
                        break;
                if (X509_STORE_add_cert(s->store, x) != 1)
                        return -EINVAL;
                added++;
        }
        s->count += added;
        return added > 0 ? 0 : -ENOENT;
}

static bool has_suffix(const char *name, const char *const suffixes[]) {
        size_t n = strlen(name);
        for (size_t i = 0; suffixes[i]; i++) {
                size_t k = strlen(suffixes[i]);
                if (n > k && strcmp(name + n - k, suffixes[i]) == 0)
                        return true;
        }
        return false;
}

/* Calls load(s, file, userdata) on each file of folder dir whose name ends
 * with one of suffixes (NULL-terminated).  0 when one loaded, -ENOENT when
 * none did, a negative errno when the folder does not open. */
static int load_each(struct trust_store *s, const char *dir, const char *const suffixes[],
                     int (*load)(struct trust_store *s, const char *file, void *userdata), void *userdata) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        if (!d)
                return negerrno();
        int r = -ENOENT;
        struct dirent *de;
        while ((de = readdir(d))) {
                char p[4096];
                if (!has_suffix(de->d_name, suffixes) ||
                    snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p))
                        continue;
                if (load(s, p, userdata) == 0)
                        r = 0;
        }
        return r;
}

static int load_pem_each(struct trust_store *s, const char *file, void *userdata) {
        return load_pem_file(s, file);
}

/* Every *.pem and *.crt of a folder (no hashed-name lookup: the folder is
 * read once at start-up). */
static int load_pem_dir(struct trust_store *s, const char *path) {
        static const char *const suffixes[] = {".pem", ".crt", NULL};
        return load_each(s, path, suffixes, load_pem_each, NULL);
}

int trust_store_load(const char *path, struct trust_store **ret) {
        if (!path || !ret)
                return -EINVAL;
        struct stat st;
        if (stat(path, &st) < 0)
                return negerrno();
        struct trust_store *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->store = X509_STORE_new();
        if (!s->store) {
                free(s);
                return -ENOMEM;
        }
        int r = S_ISDIR(st.st_mode) ? load_pem_dir(s, path) : load_pem_file(s, path);
        if (r < 0) {
                trust_store_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

struct trust_store *trust_store_free(struct trust_store *s) {
        if (!s)
                return NULL;
        sk_X509_CRL_pop_free(s->crls, X509_CRL_free);
        X509_STORE_free(s->store);
        free(s);
        return NULL;
}

size_t trust_store_count(const struct trust_store *s) {
        return s ? s->count : 0;
}

static X509 *der_to_x509(const uint8_t *der, size_t len) {
        if (!der || len == 0 || len > 64 * 1024)
                return NULL;
        const unsigned char *p = der;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        if (x && p != der + len) {
                X509_free(x); /* trailing bytes: not one certificate */
                return NULL;
        }
        return x;
}

/* Turns OpenSSL's verification result into carnet's codes. */
static int chain_error(int v, struct trust_error *e) {
        const char *why = X509_verify_cert_error_string(v);
        switch (v) {
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
                return set_err(e, -ENOKEY, "unknown_ca", why);
        case X509_V_ERR_CERT_HAS_EXPIRED:
                return set_err(e, -EKEYEXPIRED, "expired", why);
        case X509_V_ERR_CERT_NOT_YET_VALID:
                return set_err(e, -EKEYEXPIRED, "not_yet_valid", why);
        case X509_V_ERR_CERT_REVOKED:
                return set_err(e, -EKEYREVOKED, "revoked", why);
        case X509_V_ERR_UNABLE_TO_GET_CRL:
                return set_err(e, -EKEYREJECTED, "revocation_unknown", "no valid revocation list of the issuing CA");
        case X509_V_ERR_CRL_HAS_EXPIRED:
                return set_err(e, -EKEYEXPIRED, "crl_expired", why);
        case X509_V_ERR_CRL_NOT_YET_VALID:
                return set_err(e, -EKEYEXPIRED, "crl_not_yet_valid", why);
        case X509_V_ERR_CRL_SIGNATURE_FAILURE:
        case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
        case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
                return set_err(e, -EKEYREJECTED, "crl_invalid", why);
        default:
                return set_err(e, -EKEYREJECTED, "chain_invalid", why);
        }
}

/* Checks the role's key usage; for authentication an extended key usage,
 * when present, must allow clientAuth. */
static int usage_check(X509 *x, enum trust_usage usage, struct trust_error *e) {
        uint32_t ku = X509_get_key_usage(x); /* UINT32_MAX when absent */
        if (usage == TRUST_USAGE_ANY)
                return 0;
        if (ku == UINT32_MAX)
                return set_err(e, -EKEYREJECTED, "wrong_key_usage", "no keyUsage extension");
        if (usage == TRUST_USAGE_AUTH) {
                if (!(ku & KU_DIGITAL_SIGNATURE))
                        return set_err(e, -EKEYREJECTED, "wrong_key_usage", "digitalSignature missing");
                uint32_t xku = X509_get_extended_key_usage(x);
                if (xku != UINT32_MAX && !(xku & (XKU_SSL_CLIENT | XKU_ANYEKU)))
                        return set_err(e, -EKEYREJECTED, "wrong_key_usage", "clientAuth missing");
        } else if (usage == TRUST_USAGE_SIGN && !(ku & KU_NON_REPUDIATION))
                return set_err(e, -EKEYREJECTED, "wrong_key_usage", "nonRepudiation missing");
        return 0;
}

/* The stale policy: with TRUST_CRL_STALE_ACCEPT a CRL past its nextUpdate
 * still says which certificates are revoked. */
static int crl_verify_cb(int ok, X509_STORE_CTX *ctx) {
        const struct trust_store *s = X509_STORE_CTX_get_app_data(ctx);
        if (!ok && s && s->crl_stale == TRUST_CRL_STALE_ACCEPT &&
            X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CRL_HAS_EXPIRED)
                return 1;
        return ok;
}

/* Whether one of the anchors issued crl and signed it. */
static bool crl_signed_by_anchor(const struct trust_store *s, X509_CRL *crl) {
        STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(s->store);
        for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
                X509 *ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
                if (ca && X509_NAME_cmp(X509_get_subject_name(ca), X509_CRL_get_issuer(crl)) == 0 &&
                    X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1)
                        return true;
        }
        return false;
}

/* Reads every CRL of one file (PEM, or one DER CRL) into crls; those no
 * anchor signed are counted in *foreign and left out. */
static int load_crl_file(const struct trust_store *s, const char *path, STACK_OF(X509_CRL) *crls,
                         unsigned *foreign) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return negerrno();
        size_t n = 0;
        bool der = false;
        for (;;) {
                _cleanup_(X509_CRL_freep) X509_CRL *c = der ? NULL : PEM_read_X509_CRL(f, NULL, NULL, NULL);
                if (!c && n == 0 && !der) {
                        der = true; /* one DER CRL, as CAs publish them */
                        rewind(f);
                        c = d2i_X509_CRL_fp(f, NULL);
                }
                if (!c)
                        break;
                n++;
                if (!crl_signed_by_anchor(s, c))
                        (*foreign)++;
                else if (sk_X509_CRL_push(crls, c) > 0)
                        c = NULL; /* the stack owns it */
                else
                        return -ENOMEM;
                if (der)
                        break;
        }
        ERR_clear_error(); /* the end of a PEM file is an "error" to OpenSSL */
        return n > 0 ? 0 : -EBADMSG;
}

/* A fingerprint of what path holds: names, sizes and times of the file or
 * of the folder's *.pem, *.crl and *.der files. */
static uint64_t crl_stamp_of(const char *path) {
        struct stat st;
        if (stat(path, &st) < 0)
                return 0;
        uint64_t h = (uint64_t)st.st_mtim.tv_sec * 1000000007u ^ (uint64_t)st.st_mtim.tv_nsec ^
                     (uint64_t)st.st_size << 20 ^ (uint64_t)st.st_ino;
        if (!S_ISDIR(st.st_mode))
                return h ? h : 1;
        _cleanup_(closedirp) DIR *d = opendir(path);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                char p[4096];
                if (de->d_name[0] == '.' || snprintf(p, sizeof(p), "%s/%s", path, de->d_name) >= (int)sizeof(p) ||
                    stat(p, &st) < 0)
                        continue;
                h = h * 1099511628211u ^ (uint64_t)st.st_mtim.tv_sec ^ (uint64_t)st.st_mtim.tv_nsec << 7 ^
                    (uint64_t)st.st_size << 33 ^ (uint64_t)st.st_ino;
        }
        return h ? h : 1;
}

/* What load_crl_each() fills while a folder of CRLs is read. */
struct crl_load {
        STACK_OF(X509_CRL) *crls;
        unsigned foreign;
};

static int load_crl_each(struct trust_store *s, const char *file, void *userdata) {
        struct crl_load *l = userdata;
        return load_crl_file(s, file, l->crls, &l->foreign);
}

/* Reads the CRLs of s->crl_path into a new stack and, when it reads,
 * swaps it in. */
static int crl_reload(struct trust_store *s, unsigned *ret_foreign) {
        static const char *const suffixes[] = {".pem", ".crl", ".der", NULL};
        uint64_t stamp = crl_stamp_of(s->crl_path);
        struct crl_load l = {.crls = sk_X509_CRL_new_null()};
        STACK_OF(X509_CRL) *crls = l.crls;
        struct stat st;
        int r = 0;

        if (!crls)
                return -ENOMEM;
        if (stat(s->crl_path, &st) < 0)
                r = negerrno();
        else if (!S_ISDIR(st.st_mode))
                r = load_crl_file(s, s->crl_path, crls, &l.foreign);
        else
                r = load_each(s, s->crl_path, suffixes, load_crl_each, &l);
        unsigned foreign = l.foreign;
        if (r < 0) {
                sk_X509_CRL_pop_free(crls, X509_CRL_free);
                return r;
        }
        sk_X509_CRL_pop_free(s->crls, X509_CRL_free);
        s->crls = crls;
        s->crl_stamp = stamp;
        if (ret_foreign)
                *ret_foreign = foreign;
        return sk_X509_CRL_num(crls);
}

int trust_store_load_crls(struct trust_store *s, const char *path, enum trust_crl_stale stale,
                          unsigned *ret_foreign) {
        if (!s || !path || strcpy_bounded(s->crl_path, sizeof(s->crl_path), path) < 0)
                return -EINVAL;
        s->crl_check = true; /* from now on, whatever loads: the safe default */
        s->crl_stale = stale;
        return crl_reload(s, ret_foreign);
}

int trust_store_refresh_crls(struct trust_store *s, bool force, unsigned *ret_foreign) {
        if (!s || !s->crl_check)
                return 0;
        if (!force && crl_stamp_of(s->crl_path) == s->crl_stamp)
                return 0;
        int r = crl_reload(s, ret_foreign);
        return r < 0 ? r : 1;
}

size_t trust_store_crl_count(const struct trust_store *s) {
        return s && s->crls ? (size_t)sk_X509_CRL_num(s->crls) : 0;
}

/* Does x's chain of signatures lead to an anchor, its dates and the CRLs
 * aside? */
static bool chain_issued(const struct trust_store *s, X509 *x) {
        _cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        if (!ctx || X509_STORE_CTX_init(ctx, s->store, x, NULL) != 1)
                return false;
        X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
        return X509_verify_cert(ctx) == 1;
}

/* Builds and checks the chain at time now, then the key usage.  Called when
 * a session is opened, on the certificate the card just proved it holds. */
int trust_verify_cert(const struct trust_store *s, const uint8_t *der, size_t len, time_t now,
                      enum trust_usage usage, struct trust_error *err) {
        if (err)
                err->issued = false;
        if (!s || !der)
                return set_err(err, -EINVAL, "bad_certificate", "no certificate");
        _cleanup_(X509_freep) X509 *x = der_to_x509(der, len);
        if (!x)
                return set_err(err, -EINVAL, "bad_certificate", "DER does not parse");
        _cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        if (!ctx || X509_STORE_CTX_init(ctx, s->store, x, NULL) != 1)
                return set_err(err, -ENOMEM, "no_memory", NULL);
        X509_STORE_CTX_set_time(ctx, 0, now ? now : time(NULL));
        if (s->crl_check) {
                X509_STORE_CTX_set0_crls(ctx, s->crls);
                X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_CRL_CHECK);
                X509_STORE_CTX_set_app_data(ctx, (void *)s);
                X509_STORE_CTX_set_verify_cb(ctx, crl_verify_cb);
        }
        if (X509_verify_cert(ctx) != 1) {
                int r = chain_error(X509_STORE_CTX_get_error(ctx), err);
                if (err)
                        err->issued = chain_issued(s, x);
                return r;
        }
        if (err)
                err->issued = true;
        int r = usage_check(x, usage, err);
        if (r < 0)
                return r;
        set_err(err, 0, "ok", NULL);
        return 0;
}

int trust_verify_signature(const uint8_t *cert_der, size_t cert_len, const void *data,
                           size_t data_len, const uint8_t *sig, size_t sig_len,
                           struct trust_error *err) {
        if (!data || !sig || sig_len == 0)
                return set_err(err, -EINVAL, "bad_signature", "no signature");
        _cleanup_(X509_freep) X509 *x = der_to_x509(cert_der, cert_len);
        if (!x)
                return set_err(err, -EINVAL, "bad_certificate", "DER does not parse");
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *pk = X509_get_pubkey(x);
        if (!pk)
                return set_err(err, -EOPNOTSUPP, "key_unsupported", NULL);
        int id = EVP_PKEY_get_base_id(pk);
        if (id != EVP_PKEY_RSA && id != EVP_PKEY_EC)
                return set_err(err, -EOPNOTSUPP, "key_unsupported", NULL);
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
        /* RSA defaults to PKCS#1 v1.5 padding; EC expects a DER ECDSA-Sig-Value */
        if (!md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) != 1)
                return set_err(err, -ENOMEM, "no_memory", NULL);
        if (EVP_DigestVerify(md, sig, sig_len, data, data_len) != 1)
                return set_err(err, -EBADMSG, "bad_signature", NULL);
        set_err(err, 0, "ok", NULL);
        return 0;
}

int trust_cert_fingerprint(const uint8_t *der, size_t len, uint8_t ret[32]) {
        if (!der || !len || !ret)
                return -EINVAL;
        unsigned n = 32;
        if (EVP_Digest(der, len, ret, &n, EVP_sha256(), NULL) != 1)
                return -EIO;
        return 0;
}

int trust_pem_to_der(const char *path, uint8_t **ret, size_t *ret_len) {
        if (!path || !ret || !ret_len)
                return -EINVAL;
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return negerrno();
        _cleanup_(X509_freep) X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
        if (!x)
                return -EINVAL;
        unsigned char *der = NULL;
        int n = i2d_X509(x, &der);
        if (n <= 0)
                return -EINVAL;
        /* OPENSSL_malloc'ed: hand a plain malloc'ed copy to the caller */
        uint8_t *copy = malloc((size_t)n);
        if (copy)
                memcpy(copy, der, (size_t)n);
        OPENSSL_free(der);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        *ret_len = (size_t)n;
        return 0;
}
