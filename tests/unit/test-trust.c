/* tests/unit/test-trust.c: session/trust.c against the test PKI made by
 * tests/pki/mkpki.sh in a private temporary folder: chain, dates (with an
 * injected "now"), key usage, signatures (RSA PKCS#1 v1.5 and ECDSA P-256
 * over SHA-256, made here with OpenSSL from the PKI's key files). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "unit.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "session/trust.h"
#include "lib/macro.h"
#include "pki-fixture.h"

static char pki[64];
static struct trust_store *anchors;

static int setup(void **state) {
        char p[128];
        if (pki_make(pki, "trust") < 0)
                return -1;
        snprintf(p, sizeof(p), "%s/pki/ca-chain.pem", pki);
        return trust_store_load(p, &anchors) == 0 ? 0 : -1;
}

static int teardown(void **state) {
        anchors = trust_store_free(anchors);
        return pki_remove(pki);
}

/* Reads DIR/pki/NAME.pem as DER. */
static uint8_t *cert(const char *name, size_t *len) {
        char p[256];
        uint8_t *der = NULL;
        snprintf(p, sizeof(p), "%s/pki/%s.pem", pki, name);
        assert_int_equal(trust_pem_to_der(p, &der, len), 0);
        return der;
}

/* Signs data with DIR/pki/NAME.key (SHA-256; PKCS#1 v1.5 or DER ECDSA). */
static size_t sign_file_key(const char *name, const void *data, size_t n, uint8_t *sig, size_t max) {
        char p[256];
        snprintf(p, sizeof(p), "%s/pki/%s.key", pki, name);
        FILE *f = fopen(p, "re");
        assert_non_null(f);
        EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
        assert_non_null(k);
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        size_t len = max;
        assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k), 1);
        assert_int_equal(EVP_DigestSign(md, sig, &len, data, n), 1);
        EVP_MD_CTX_free(md);
        EVP_PKEY_free(k);
        return len;
}

UNIT(test_load) {
        struct trust_store *s = NULL;
        char p[128];
        assert_int_equal(trust_store_count(anchors), 2); /* issuing + root */
        assert_int_equal(trust_store_load("/nonexistent/ca.pem", &s), -ENOENT);
        /* a folder works too */
        snprintf(p, sizeof(p), "%s/anchors", pki);
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "mkdir -p %s && cp %s/pki/root.pem %s/pki/issuing.pem %s/", p, pki, pki, p);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(trust_store_load(p, &s), 0);
        assert_int_equal(trust_store_count(s), 2);
        size_t len;
        _cleanup_free_ uint8_t *der = cert("cps-rsa-auth", &len);
        assert_int_equal(trust_verify_cert(s, der, len, 0, TRUST_USAGE_AUTH, NULL), 0);
        s = trust_store_free(s);
        /* a file with no certificate is refused */
        snprintf(p, sizeof(p), "%s/pki/openssl.cnf", pki);
        assert_int_equal(trust_store_load(p, &s), -ENOENT);
}

/* Verifies the certificate in file name for usage at now (0: the real
 * time) and checks the result and its error code. */
static void expect_cert(const char *name, time_t now, enum trust_usage usage, int want, const char *code) {
        struct trust_error e;
        size_t len;
        _cleanup_free_ uint8_t *der = cert(name, &len);
        assert_int_equal(trust_verify_cert(anchors, der, len, now, usage, &e), want);
        assert_string_equal(e.code, code);
}

UNIT(test_good) {
        static const char *const auth[] = {"cps-rsa-auth", "cps-ec-auth", "cps-cpf-auth", "cps-cpe-auth"};
        for (size_t i = 0; i < ELEMENTSOF(auth); i++) {
                expect_cert(auth[i], 0, TRUST_USAGE_AUTH, 0, "ok");
                /* an authentication certificate is not a signature one */
                expect_cert(auth[i], 0, TRUST_USAGE_SIGN, -EKEYREJECTED, "wrong_key_usage");
        }
        expect_cert("cps-rsa-sign", 0, TRUST_USAGE_SIGN, 0, "ok");
        expect_cert("cps-rsa-sign", 0, TRUST_USAGE_AUTH, -EKEYREJECTED, "wrong_key_usage");
}

UNIT(test_unknown_ca) {
        expect_cert("cps-unknown-ca-auth", 0, TRUST_USAGE_AUTH, -ENOKEY, "unknown_ca");
        expect_cert("rogue", 0, TRUST_USAGE_ANY, -ENOKEY, "unknown_ca"); /* self-signed, not an anchor */
}

UNIT(test_dates) {
        expect_cert("cps-expired-auth", 0, TRUST_USAGE_AUTH, -EKEYEXPIRED, "expired");

        /* An injected "now": fine in an hour, not yet valid before the PKI
         * was made, expired after its 825 days. */
        time_t now = time(NULL);
        expect_cert("cps-ec-auth", now + 3600, TRUST_USAGE_AUTH, 0, "ok");
        expect_cert("cps-ec-auth", now - 3 * 86400, TRUST_USAGE_AUTH, -EKEYEXPIRED, "not_yet_valid");
        expect_cert("cps-ec-auth", now + 900L * 86400, TRUST_USAGE_AUTH, -EKEYEXPIRED, "expired");
}

UNIT(test_bad_usage) {
        expect_cert("cps-badusage-auth", 0, TRUST_USAGE_AUTH, -EKEYREJECTED, "wrong_key_usage");
        expect_cert("cps-badusage-auth", 0, TRUST_USAGE_ANY, 0, "ok");
        expect_cert("cps-badusage-sign", 0, TRUST_USAGE_SIGN, -EKEYREJECTED, "wrong_key_usage");
}

UNIT(test_garbage) {
        struct trust_error e;
        static const uint8_t junk[] = {0x30, 0x82, 0x01, 0x00, 0x02, 0x01};
        assert_int_equal(trust_verify_cert(anchors, junk, sizeof(junk), 0, TRUST_USAGE_ANY, &e), -EINVAL);
        assert_string_equal(e.code, "bad_certificate");
        size_t len;
        _cleanup_free_ uint8_t *der = cert("cps-ec-auth", &len);
        _cleanup_free_ uint8_t *longer = malloc(len + 1);
        memcpy(longer, der, len);
        longer[len] = 0;
        assert_int_equal(trust_verify_cert(anchors, longer, len + 1, 0, TRUST_USAGE_ANY, &e), -EINVAL);
        assert_int_equal(trust_verify_cert(anchors, der, len - 1, 0, TRUST_USAGE_ANY, &e), -EINVAL);
        assert_int_equal(trust_verify_signature(junk, sizeof(junk), "x", 1, junk, 2, &e), -EINVAL);
}

UNIT(test_signatures) {
        static const char msg[] = "carnet session record";
        static const char *const who[] = {"cps-rsa-auth", "cps-ec-auth", "cps-rsa-sign", "cps-ec-sign"};
        struct trust_error e;
        for (size_t i = 0; i < ELEMENTSOF(who); i++) {
                uint8_t sig[600];
                size_t len, n = sign_file_key(who[i], msg, sizeof(msg), sig, sizeof(sig));
                _cleanup_free_ uint8_t *der = cert(who[i], &len);
                assert_int_equal(trust_verify_signature(der, len, msg, sizeof(msg), sig, n, &e), 0);
                assert_string_equal(e.code, "ok");
                /* other data, a flipped bit, another key: refused */
                assert_int_equal(trust_verify_signature(der, len, msg, sizeof(msg) - 1, sig, n, &e), -EBADMSG);
                assert_string_equal(e.code, "bad_signature");
                sig[n / 2] ^= 0x01;
                assert_int_equal(trust_verify_signature(der, len, msg, sizeof(msg), sig, n, &e), -EBADMSG);
                sig[n / 2] ^= 0x01;
                size_t olen;
                _cleanup_free_ uint8_t *other = cert(i % 2 ? "cps-cpf-auth" : "cps-rsa-sign", &olen);
                if (i != 2)
                        assert_int_equal(trust_verify_signature(other, olen, msg, sizeof(msg), sig, n, &e),
                                         -EBADMSG);
        }
}

UNIT(test_fingerprint) {
        size_t len;
        uint8_t fp[32], fp2[32];
        _cleanup_free_ uint8_t *der = cert("cps-rsa-auth", &len);
        assert_int_equal(trust_cert_fingerprint(der, len, fp), 0);
        der[len - 1] ^= 1;
        assert_int_equal(trust_cert_fingerprint(der, len, fp2), 0);
        assert_memory_not_equal(fp, fp2, 32);
}

/* A store of the PKI's anchors with the CRLs of file name (in DIR/pki, or
 * a path when it starts with '/'), loaded with policy stale; checks the
 * count loaded and the foreign CRLs left out. */
static struct trust_store *with_crls(const char *name, enum trust_crl_stale stale, int want, unsigned foreign) {
        struct trust_store *s = NULL;
        char p[256];
        unsigned f = 99;
        snprintf(p, sizeof(p), "%s/pki/ca-chain.pem", pki);
        assert_int_equal(trust_store_load(p, &s), 0);
        if (name[0] == '/')
                snprintf(p, sizeof(p), "%s", name);
        else
                snprintf(p, sizeof(p), "%s/pki/%s", pki, name);
        assert_int_equal(trust_store_load_crls(s, p, stale, &f), want);
        if (want >= 0)
                assert_int_equal(f, foreign);
        return s;
}

/* Verifies cert name with store s; checks the result and its code. */
static void expect_in(struct trust_store *s, const char *name, int want, const char *code) {
        struct trust_error e;
        size_t len;
        _cleanup_free_ uint8_t *der = cert(name, &len);
        assert_int_equal(trust_verify_cert(s, der, len, 0, TRUST_USAGE_AUTH, &e), want);
        assert_string_equal(e.code, code);
}

UNIT(test_crls) {
        struct trust_store *s = with_crls("crl.pem", TRUST_CRL_STALE_REFUSE, 1, 0);
        expect_in(s, "cps-revoked-auth", -EKEYREVOKED, "revoked");
        expect_in(s, "cps-rsa-auth", 0, "ok");
        /* without CRLs the revoked card passes: revocation is what refuses it */
        expect_cert("cps-revoked-auth", 0, TRUST_USAGE_AUTH, 0, "ok");
        s = trust_store_free(s);

        /* past its nextUpdate: refused by default, used when so configured */
        s = with_crls("crl-expired.pem", TRUST_CRL_STALE_REFUSE, 1, 0);
        expect_in(s, "cps-rsa-auth", -EKEYEXPIRED, "crl_expired");
        s = trust_store_free(s);
        s = with_crls("crl-expired.pem", TRUST_CRL_STALE_ACCEPT, 1, 0);
        expect_in(s, "cps-rsa-auth", 0, "ok");
        expect_in(s, "cps-revoked-auth", -EKEYREVOKED, "revoked");
        s = trust_store_free(s);

        /* a CRL no anchor signed is left out: the issuer then has none */
        s = with_crls("crl-rogue.pem", TRUST_CRL_STALE_REFUSE, 0, 1);
        expect_in(s, "cps-rsa-auth", -EKEYREJECTED, "revocation_unknown");
        s = trust_store_free(s);

        /* a path that does not read: every card refused, never let through */
        s = with_crls("/nonexistent/crl.pem", TRUST_CRL_STALE_REFUSE, -ENOENT, 0);
        expect_in(s, "cps-rsa-auth", -EKEYREJECTED, "revocation_unknown");
        s = trust_store_free(s);
        s = with_crls("openssl.cnf", TRUST_CRL_STALE_REFUSE, -EBADMSG, 0);
        expect_in(s, "cps-rsa-auth", -EKEYREJECTED, "revocation_unknown");
        s = trust_store_free(s);
}

/* Whether the chain of cert name verified (trust_error.issued), by store
 * s at now; checks the result's code. */
static bool issued_in(struct trust_store *s, const char *name, time_t now, const char *code) {
        struct trust_error e = {.issued = true};
        size_t len;
        _cleanup_free_ uint8_t *der = cert(name, &len);
        (void)trust_verify_cert(s, der, len, now, TRUST_USAGE_AUTH, &e);
        assert_string_equal(e.code, code);
        return e.issued;
}

/* A forger's certificate for the revoked card's holder, with its serial,
 * naming the issuing CA as its issuer (name and key id) but signed by a
 * key of the forger's: DIR/pki/forged-revoked-auth.pem.  RSA, as the
 * issuing CA's key (OpenSSL looks for an issuer of the signature's kind). */
static void forge_revoked(void) {
        char cmd[2048];
        snprintf(cmd, sizeof(cmd),
                 "cd %s/pki && openssl genrsa -out forger.key 2048 2>/dev/null && "
                 "skid=$(openssl x509 -in issuing.pem -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ') && "
                 "openssl req -new -x509 -key forger.key -days 30 -addext \"subjectKeyIdentifier=$skid\" "
                 "-subj \"$(openssl x509 -in issuing.pem -noout -subject -nameopt compat | sed 's/^subject=//')\" "
                 "-out forger-ca.pem && "
                 "openssl req -new -key forger.key -out forged.csr "
                 "-subj \"$(openssl x509 -in cps-revoked-auth.pem -noout -subject -nameopt compat | "
                 "sed 's/^subject=//')\" && "
                 "printf 'keyUsage=digitalSignature\\nauthorityKeyIdentifier=keyid\\n' >forged.ext && "
                 "openssl x509 -req -in forged.csr -CA forger-ca.pem -CAkey forger.key -days 30 -extfile forged.ext "
                 "-set_serial 0x$(openssl x509 -in cps-revoked-auth.pem -noout -serial | cut -d= -f2) "
                 "-out forged-revoked-auth.pem 2>/dev/null",
                 pki);
        assert_int_equal(system(cmd), 0);
}

/* A refused certificate's subject is the PKI's only when its chain
 * verified: expired, not yet valid, wrong usage, revoked; not an unknown
 * CA's, nor a forged one that the CRL calls revoked (OpenSSL looks at the
 * CRL before the signatures). */
UNIT(test_issued) {
        time_t now = time(NULL);
        assert_true(issued_in(anchors, "cps-rsa-auth", 0, "ok"));
        assert_true(issued_in(anchors, "cps-expired-auth", 0, "expired"));
        assert_true(issued_in(anchors, "cps-ec-auth", now - 3 * 86400, "not_yet_valid"));
        assert_true(issued_in(anchors, "cps-badusage-auth", 0, "wrong_key_usage"));
        assert_false(issued_in(anchors, "cps-unknown-ca-auth", 0, "unknown_ca"));
        forge_revoked();
        assert_false(issued_in(anchors, "forged-revoked-auth", 0, "chain_invalid"));
        struct trust_store *s = with_crls("crl.pem", TRUST_CRL_STALE_REFUSE, 1, 0);
        assert_true(issued_in(s, "cps-revoked-auth", 0, "revoked"));
        assert_false(issued_in(s, "forged-revoked-auth", 0, "revoked"));
        s = trust_store_free(s);
        s = with_crls("crl-rogue.pem", TRUST_CRL_STALE_REFUSE, 0, 1);
        assert_true(issued_in(s, "cps-rsa-auth", 0, "revocation_unknown"));
        s = trust_store_free(s);

        struct trust_error e = {.issued = true};
        static const uint8_t junk[] = {0x30, 0x82, 0x01, 0x00, 0x02, 0x01};
        assert_int_equal(trust_verify_cert(anchors, junk, sizeof(junk), 0, TRUST_USAGE_ANY, &e), -EINVAL);
        assert_false(e.issued);
}

UNIT(test_crl_folder_and_refresh) {
        char dir[128], cmd[1024];
        snprintf(dir, sizeof(dir), "%s/crls", pki);
        /* a folder holding a DER CRL of the issuing CA that lists nothing */
        snprintf(cmd, sizeof(cmd), "mkdir -p %s && openssl crl -in %s/pki/crl-empty.pem -outform DER -out %s/issuing.crl",
                 dir, pki, dir);
        assert_int_equal(system(cmd), 0);
        struct trust_store *s = with_crls(dir, TRUST_CRL_STALE_REFUSE, 1, 0);
        expect_in(s, "cps-revoked-auth", 0, "ok");
        assert_int_equal(trust_store_refresh_crls(s, false, NULL), 0); /* nothing changed */
        /* the CA publishes a new CRL: it takes effect at the next refresh */
        snprintf(cmd, sizeof(cmd), "openssl crl -in %s/pki/crl.pem -outform DER -out %s/issuing.crl.new && "
                 "mv %s/issuing.crl.new %s/issuing.crl", pki, dir, dir, dir);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(trust_store_refresh_crls(s, false, NULL), 1);
        assert_int_equal(trust_store_crl_count(s), 1);
        expect_in(s, "cps-revoked-auth", -EKEYREVOKED, "revoked");
        /* a new file that does not read: the CRLs in use stay */
        snprintf(cmd, sizeof(cmd), "echo garbage >%s/issuing.crl", dir);
        assert_int_equal(system(cmd), 0);
        assert_true(trust_store_refresh_crls(s, false, NULL) < 0);
        expect_in(s, "cps-revoked-auth", -EKEYREVOKED, "revoked");
        s = trust_store_free(s);
}

UNIT_GROUP("trust", setup, teardown)
