/* tests/unit/test-p11.c: the PKCS#11 layer (pkcs11/) against SoftHSM2.
 *
 * The set-up (a shell script below) makes the test PKI with
 * tests/pki/mkpki.sh, a private SoftHSM2 token folder (SOFTHSM2_CONF points
 * to it) and three tokens: "carnet-rsa" and "carnet-ec" holding the CPS
 * keys and certificates (CKA_ID 01 authentication, 02 signature with
 * CKA_ALWAYS_AUTHENTICATE), "carnet-bad" holding the wrong-key-usage
 * certificates.  Everything lives in a mkdtemp() folder, so two runs can go
 * side by side.
 *
 * What SoftHSM2 cannot show (a PIN pad, a PIN counter that goes down and
 * locks, a card pulled during login) is shown through a test double: a copy
 * of SoftHSM2's function list with C_GetTokenInfo, C_GetSlotInfo and
 * C_Login replaced, opened with p11_module_open_functions(). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include <openssl/evp.h>

#include "session/trust.h"
#include "pkcs11/p11-card.h"
#include "pkcs11/p11-identity.h"
#include "pkcs11/p11-module.h"
#include "lib/macro.h"

#define SOFTHSM "/usr/lib/softhsm/libsofthsm2.so"
#define PIN "1234"

/* Leaks inside SoftHSM2 itself (its singletons outlive C_Finalize) are not
 * ours: LeakSanitizer reads this hook when the binary is built with ASan. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
        return "leak:libsofthsm2\n";
}

static const char setup_script[] =
        "set -eu\n"
        "D=$1\n"
        "sh tests/pki/mkpki.sh \"$D/pki\" >\"$D/mkpki.log\" 2>&1\n"
        "mkdir \"$D/tokens\"\n"
        "printf 'directories.tokendir = %s/tokens\\nobjectstore.backend = file\\nlog.level = ERROR\\n' "
        "\"$D\" >\"$D/softhsm2.conf\"\n"
        "export SOFTHSM2_CONF=\"$D/softhsm2.conf\"\n"
        "M=" SOFTHSM "\n"
        "P=\"$D/pki\"\n"
        "put() { pkcs11-tool --module $M --token-label \"$1\" --login --pin " PIN " "
        "--write-object \"$2\" --type \"$3\" --id \"$4\" --label \"$5\" $6 >/dev/null 2>&1; }\n"
        "for t in rsa ec bad; do\n"
        "  softhsm2-util --init-token --free --label carnet-$t --pin " PIN " --so-pin 87654321 >/dev/null\n"
        "done\n"
        "for t in rsa ec; do\n"
        "  put carnet-$t $P/cps-$t-auth.key privkey 01 auth '--usage-sign'\n"
        "  put carnet-$t $P/cps-$t-auth.pem cert 01 auth ''\n"
        "  put carnet-$t $P/cps-$t-sign.key privkey 02 sign '--usage-sign --always-auth'\n"
        "  put carnet-$t $P/cps-$t-sign.pem cert 02 sign ''\n"
        "done\n"
        "put carnet-bad $P/cps-badusage-auth.pem cert 01 auth ''\n"
        "put carnet-bad $P/cps-badusage-sign.pem cert 02 sign ''\n"
        /* a multi-valued RDN (CN + SN in one SET) for the identity mapping */
        "openssl req -new -x509 -key $P/cps-ec-auth.key -days 30 -multivalue-rdn "
        "-subj '/C=FR/title=60/CN=0123456789+SN=DURAND/GN=ANNE' -out $P/multi.pem 2>/dev/null\n";

static char dir[64];
static struct p11_module *softhsm;
static struct trust_store *anchors;

static void path(char *buf, size_t size, const char *rel) {
        snprintf(buf, size, "%s/%s", dir, rel);
}

static int setup(void **state) {
        char p[256];
        snprintf(dir, sizeof(dir), "/tmp/carnet-test-p11.XXXXXX");
        if (!mkdtemp(dir))
                return -1;
        path(p, sizeof(p), "setup.sh");
        FILE *f = fopen(p, "we");
        if (!f)
                return -1;
        fputs(setup_script, f);
        fclose(f);
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "sh %s/setup.sh %s", dir, dir);
        if (system(cmd) != 0) {
                fprintf(stderr, "test-p11: set-up failed (see %s)\n", dir);
                return -1;
        }
        path(p, sizeof(p), "softhsm2.conf");
        setenv("SOFTHSM2_CONF", p, 1);
        if (p11_module_open(SOFTHSM, &softhsm) < 0)
                return -1;
        path(p, sizeof(p), "pki/ca-chain.pem");
        return trust_store_load(p, &anchors) == 0 ? 0 : -1;
}

static int teardown(void **state) {
        char cmd[128];
        softhsm = p11_module_close(softhsm);
        anchors = trust_store_free(anchors);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

/* The slot of the token labelled label. */
static CK_SLOT_ID slot_of(struct p11_module *m, const char *label) {
        struct p11_token t[P11_TOKENS_MAX];
        int n = p11_module_tokens(m, t, ELEMENTSOF(t));
        assert_true(n > 0);
        for (int i = 0; i < n; i++)
                if (strcmp(t[i].label, label) == 0)
                        return t[i].slot;
        fail_msg("no token %s", label);
        return 0;
}

static struct p11_card *open_card(struct p11_module *m, const char *label, const struct p11_map *map) {
        struct p11_card *c = NULL;
        assert_int_equal(p11_card_open(m, slot_of(m, label), map, &c), 0);
        return c;
}

static void sha256(const void *data, size_t n, uint8_t out[32]) {
        unsigned len = 32;
        assert_int_equal(EVP_Digest(data, n, out, &len, EVP_sha256(), NULL), 1);
}

static uint8_t *pem(const char *rel, size_t *len) {
        char p[256];
        uint8_t *der = NULL;
        path(p, sizeof(p), rel);
        assert_int_equal(trust_pem_to_der(p, &der, len), 0);
        return der;
}

/* ---- module and tokens -------------------------------------------------- */

UNIT(test_module_open) {
        struct p11_module *m = NULL;
        assert_int_equal(p11_module_open("/nonexistent/module.so", &m), -ENOENT);
        assert_null(m);
        /* a shared object that is not a PKCS#11 module */
        assert_int_equal(p11_module_open("libcrypto.so.3", &m), -ELIBBAD);
        assert_int_equal(p11_module_open_functions(NULL, P11_LOCKING_MODULE, &m), -EINVAL);
        assert_int_equal(p11_module_open_locking(SOFTHSM, 7, &m), -EINVAL);
        assert_null(p11_module_close(NULL));
        /* a second handle on an initialised module shares it */
        assert_int_equal(p11_module_open(SOFTHSM, &m), 0);
        assert_non_null(p11_module_functions(m));
        m = p11_module_close(m);
        struct p11_token t[P11_TOKENS_MAX];
        assert_true(p11_module_tokens(softhsm, t, ELEMENTSOF(t)) >= 3);
}

UNIT(test_tokens) {
        struct p11_token t[P11_TOKENS_MAX], one;
        int n = p11_module_tokens(softhsm, t, ELEMENTSOF(t));
        int seen = 0;
        for (int i = 0; i < n; i++) {
                if (strncmp(t[i].label, "carnet-", 7) != 0)
                        continue; /* SoftHSM2 keeps one free slot */
                seen++;
                assert_true(t[i].login_required);
                assert_false(t[i].protected_auth);
                assert_int_equal(t[i].pin_state, P11_PIN_OK);
                assert_string_equal(t[i].manufacturer, "SoftHSM project");
                /* SoftHSM2's slot description plays the reader name */
                assert_true(p11_token_in_reader(&t[i], t[i].reader));
                assert_int_equal(p11_module_token_for_reader(softhsm, t[i].reader, &one), 0);
                assert_int_equal(one.slot, t[i].slot);
                assert_int_equal(p11_module_slot_present(softhsm, t[i].slot), 1);
        }
        assert_int_equal(seen, 3);
        assert_int_equal(p11_module_token_for_reader(softhsm, "Virtual PCD 00 01", &one), -ENODEV);
        /* only max entries are written, the count is the real one */
        assert_int_equal(p11_module_tokens(softhsm, t, 1), n);
        assert_int_equal(p11_module_token(softhsm, 0xdeadbeef, &one), -ENXIO);
}

UNIT(test_reader_names) {
        struct p11_token t = {0};
        snprintf(t.reader, sizeof(t.reader), "Virtual PCD 00 01");
        assert_true(p11_token_in_reader(&t, "Virtual PCD 00 01"));
        assert_false(p11_token_in_reader(&t, "Virtual PCD 00 00"));
        assert_false(p11_token_in_reader(&t, "Virtual PCD 00 011"));
        /* OpenSC cuts the reader name to the 64 bytes of slotDescription */
        const char *lng = "Gemalto PC Twin Reader (ABCDEF0123456789ABCDEF) 00 00 with a long suffix";
        memcpy(t.reader, lng, 64);
        t.reader[64] = '\0';
        assert_true(p11_token_in_reader(&t, lng));
        assert_false(p11_token_in_reader(NULL, lng));
}

/* ---- certificates, roles, identity ----------------------------------------- */

UNIT(test_certs_and_roles) {
        static const char *const labels[] = {"carnet-rsa", "carnet-ec"};
        for (size_t i = 0; i < ELEMENTSOF(labels); i++) {
                struct p11_card *c = open_card(softhsm, labels[i], NULL);
                assert_int_equal(p11_card_ncerts(c), 2);
                const struct p11_cert *a = p11_card_cert(c, P11_ROLE_AUTH);
                const struct p11_cert *s = p11_card_cert(c, P11_ROLE_SIGN);
                assert_non_null(a);
                assert_non_null(s);
                assert_int_equal(a->id_len, 1);
                assert_int_equal(a->id[0], 0x01);
                assert_int_equal(s->id[0], 0x02);
                assert_string_equal(a->label, "auth");
                assert_int_equal(a->key_usage, P11_KU_DIGITAL_SIGNATURE);
                assert_int_equal(s->key_usage, P11_KU_NON_REPUDIATION);
                /* the certificates read are the PKI's, and they chain */
                char rel[64];
                size_t len;
                snprintf(rel, sizeof(rel), "pki/cps-%s-auth.pem", labels[i] + 7);
                _cleanup_free_ uint8_t *der = pem(rel, &len);
                assert_int_equal(a->der_len, len);
                assert_memory_equal(a->der, der, len);
                assert_int_equal(trust_verify_cert(anchors, a->der, a->der_len, 0, TRUST_USAGE_AUTH, NULL), 0);
                assert_int_equal(trust_verify_cert(anchors, s->der, s->der_len, 0, TRUST_USAGE_SIGN, NULL), 0);
                p11_card_close(c);
        }
}

UNIT(test_identity_card) {
        struct p11_identity id;
        struct p11_card *c = open_card(softhsm, "carnet-rsa", NULL);
        assert_int_equal(p11_card_identity(c, &id), 0);
        assert_string_equal(id.national_id, "899700000001");
        assert_string_equal(id.surname, "LAMBERT");
        assert_string_equal(id.given_name, "CAMILLE");
        assert_string_equal(id.profession, "10");
        assert_string_equal(id.specialty, "SM26");
        assert_int_equal(id.card_type, P11_CARD_CPS);
        p11_card_close(c);
        c = open_card(softhsm, "carnet-ec", NULL);
        assert_int_equal(p11_card_identity(c, &id), 0);
        assert_string_equal(id.national_id, "899700000002");
        assert_string_equal(id.surname, "MOREAU");
        assert_string_equal(id.profession, "60");
        assert_string_equal(id.specialty, "");
        p11_card_close(c);
}

UNIT(test_identity_profiles) {
        struct p11_identity id;
        size_t len;
        _cleanup_free_ uint8_t *cpf = pem("pki/cps-cpf-auth.pem", &len);
        assert_int_equal(p11_identity_from_cert(NULL, cpf, len, &id), 0);
        assert_int_equal(id.card_type, P11_CARD_CPF);
        assert_string_equal(p11_card_type_to_string(id.card_type), "CPF");
        assert_string_equal(id.given_name, "LINA");

        size_t clen;
        _cleanup_free_ uint8_t *cpe = pem("pki/cps-cpe-auth.pem", &clen);
        assert_int_equal(p11_identity_from_cert(NULL, cpe, clen, &id), 0);
        assert_int_equal(id.card_type, P11_CARD_CPE);
        assert_string_equal(id.profession, "");
        assert_string_equal(id.specialty, "");

        /* multi-valued RDN "CN=0123456789+SN=DURAND": ADELI national id */
        size_t mlen;
        _cleanup_free_ uint8_t *multi = pem("pki/multi.pem", &mlen);
        assert_int_equal(p11_identity_from_cert(NULL, multi, mlen, &id), 0);
        assert_string_equal(id.national_id, "0123456789");
        assert_string_equal(id.surname, "DURAND");
        assert_string_equal(id.given_name, "ANNE");
        assert_int_equal(id.card_type, P11_CARD_UNKNOWN); /* no extension */

        /* a CA certificate has no national id */
        size_t rlen;
        _cleanup_free_ uint8_t *root = pem("pki/root.pem", &rlen);
        assert_int_equal(p11_identity_from_cert(NULL, root, rlen, &id), -EBADMSG);
        static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
        assert_int_equal(p11_identity_from_cert(NULL, junk, sizeof(junk), &id), -EINVAL);
        assert_int_equal(p11_identity_from_cert(NULL, cpf, len - 1, &id), -EINVAL);
}

UNIT(test_identity_map_config) {
        struct p11_map map;
        struct p11_identity id;
        size_t len;
        _cleanup_free_ uint8_t *der = pem("pki/cps-rsa-auth.pem", &len);
        p11_map_default(&map);

        /* rules change with "key = value" strings */
        assert_int_equal(p11_map_set(&map, "specialty", "none"), 0);
        assert_int_equal(p11_map_set(&map, "profession", "subject:2.5.4.12"), 0); /* title by OID */
        assert_int_equal(p11_map_set(&map, "given_name", "subject:O"), 0);
        assert_int_equal(p11_identity_from_cert(&map, der, len, &id), 0);
        assert_string_equal(id.specialty, "");
        assert_string_equal(id.profession, "10");
        assert_string_equal(id.given_name, "carnet TEST ONLY");

        /* the card type could come from elsewhere; a missing one is unknown */
        assert_int_equal(p11_map_set(&map, "card_type", "extension:1.2.250.1.71.1.2.9"), 0);
        assert_int_equal(p11_identity_from_cert(&map, der, len, &id), 0);
        assert_int_equal(id.card_type, P11_CARD_UNKNOWN);
        /* a value that is not a card type digit is refused */
        assert_int_equal(p11_map_set(&map, "card_type", "subject:SN"), 0);
        assert_int_equal(p11_identity_from_cert(&map, der, len, &id), -EBADMSG);
        p11_map_default(&map);

        /* occurrences: there is one CN only */
        assert_int_equal(p11_map_set(&map, "national_id", "subject:CN#2"), 0);
        assert_int_equal(p11_identity_from_cert(&map, der, len, &id), -ENOENT);
        assert_int_equal(p11_map_set(&map, "national_id", "subject:SN"), 0);
        assert_int_equal(p11_identity_from_cert(&map, der, len, &id), -EBADMSG); /* not an idNat */

        static const char *const bad[][2] = {
                {"nickname", "subject:CN"},        {"surname", "issuer:CN"},
                {"surname", "subject:"},           {"surname", "subject:no.such.oid"},
                {"surname", "subject:CN#0"},       {"surname", "subject:CN#x"},
                {"auth_cert", "usage:encipherOnly"}, {"auth_cert", "id:0"},
                {"auth_cert", "id:zz"},            {"sign_cert", "label:"},
                {"sign_cert", "serial:1"},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(p11_map_set(&map, bad[i][0], bad[i][1]), -EINVAL);
        assert_int_equal(p11_map_set(&map, "auth_cert", "id:01"), 0);
        assert_int_equal(p11_map_set(&map, "sign_cert", "label:Certificat de Signature CPS"), 0);
        assert_int_equal(p11_map_set(&map, "auth_cert", "usage:digitalSignature"), 0);
}

/* The wrong-usage card: by key usage the authentication role falls to the
 * only digitalSignature certificate (the one meant for signing) and there
 * is no signature role; with the role fixed by CKA_ID the real
 * authentication certificate is read and trust.c refuses it. */
UNIT(test_bad_usage_card) {
        struct p11_card *c = open_card(softhsm, "carnet-bad", NULL);
        assert_int_equal(p11_card_ncerts(c), 2);
        assert_null(p11_card_cert(c, P11_ROLE_SIGN));
        const struct p11_cert *a = p11_card_cert(c, P11_ROLE_AUTH);
        assert_non_null(a);
        assert_int_equal(a->id[0], 0x02);
        p11_card_close(c);

        struct p11_map map;
        p11_map_default(&map);
        assert_int_equal(p11_map_set(&map, "auth_cert", "id:01"), 0);
        assert_int_equal(p11_map_set(&map, "sign_cert", "label:sign"), 0);
        c = open_card(softhsm, "carnet-bad", &map);
        a = p11_card_cert(c, P11_ROLE_AUTH);
        assert_non_null(a);
        assert_int_equal(a->id[0], 0x01);
        struct trust_error e;
        assert_int_equal(trust_verify_cert(anchors, a->der, a->der_len, 0, TRUST_USAGE_AUTH, &e), -EKEYREJECTED);
        assert_string_equal(e.code, "wrong_key_usage");
        const struct p11_cert *s = p11_card_cert(c, P11_ROLE_SIGN);
        assert_non_null(s);
        assert_int_equal(trust_verify_cert(anchors, s->der, s->der_len, 0, TRUST_USAGE_SIGN, &e), -EKEYREJECTED);
        /* no keys on this token */
        assert_int_equal(p11_card_login(c, PIN, 4), 0);
        uint8_t digest[32] = {0}, sig[P11_SIG_MAX];
        assert_int_equal(p11_card_sign(c, P11_ROLE_AUTH, digest, NULL, 0, sig, sizeof(sig)), -ENOKEY);
        assert_string_equal(p11_card_error(c)->code, "no_key");
        p11_card_close(c);
}

/* ---- PIN and signatures ----------------------------------------------------- */

UNIT(test_pin_wrong_then_right) {
        struct p11_card *c = open_card(softhsm, "carnet-ec", NULL);
        char pin[8] = "0000";
        assert_int_equal(p11_card_login(c, pin, strlen(pin)), -EACCES);
        const struct p11_error *e = p11_card_error(c);
        assert_int_equal(e->rv, CKR_PIN_INCORRECT);
        assert_string_equal(e->code, "pin_incorrect");
        /* SoftHSM2 has no counter: it only raises COUNT_LOW */
        assert_int_equal(e->pin_state, P11_PIN_COUNT_LOW);
        assert_int_equal(e->tries_left, -1);
        assert_int_equal(p11_card_refresh(c), P11_PIN_COUNT_LOW);
        assert_false(p11_card_logged_in(c));

        assert_int_equal(p11_card_login(c, "", 0), -EINVAL);
        assert_string_equal(p11_card_error(c)->code, "pin_invalid");
        assert_int_equal(p11_card_login(c, NULL, 0), -EINVAL); /* no PIN pad here */
        assert_string_equal(p11_card_error(c)->code, "pin_required");

        memcpy(pin, PIN, 5);
        assert_int_equal(p11_card_login(c, pin, strlen(pin)), 0);
        assert_true(p11_card_logged_in(c));
        assert_string_equal(p11_card_error(c)->code, "ok");
        assert_int_equal(p11_card_token(c)->pin_state, P11_PIN_OK);
        /* the caller's buffer is left as it was: the caller wipes it */
        assert_string_equal(pin, PIN);
        secure_zero(pin, sizeof(pin));
        assert_int_equal(p11_card_logout(c), 0);
        assert_false(p11_card_logged_in(c));
        p11_card_close(c);
}

/* A login on a token logged in already (another session of it, or this
 * one) checks this PIN all the same: SoftHSM2 answers the second C_Login
 * CKR_USER_ALREADY_LOGGED_IN, which is not a verified PIN. */
UNIT(test_second_login_checks_pin) {
        struct p11_card *c = open_card(softhsm, "carnet-rsa", NULL);
        struct p11_card *other = open_card(softhsm, "carnet-rsa", NULL);
        assert_int_equal(p11_card_login(c, PIN, 4), 0);
        assert_int_equal(p11_card_login(c, "0000", 4), -EACCES);
        assert_string_equal(p11_card_error(c)->code, "pin_incorrect");
        assert_false(p11_card_logged_in(c));
        assert_int_equal(p11_card_login(c, PIN, 4), 0);
        /* the token is logged in through c: other's wrong PIN is refused too */
        assert_int_equal(p11_card_login(other, "0000", 4), -EACCES);
        assert_false(p11_card_logged_in(other));
        assert_int_equal(p11_card_login(other, PIN, 4), 0);
        assert_true(p11_card_logged_in(other));
        p11_card_close(other);
        p11_card_close(c);
}

static void sign_and_verify(const char *label, enum p11_key_type want) {
        static const char record[] = "session=42;idnat=899700000001;nonce=abcdef";
        uint8_t digest[32], sig[P11_SIG_MAX];
        sha256(record, sizeof(record), digest);
        struct p11_card *c = open_card(softhsm, label, NULL);

        /* before login the private keys are hidden */
        assert_int_equal(p11_card_sign(c, P11_ROLE_AUTH, digest, NULL, 0, sig, sizeof(sig)), -ENOKEY);
        assert_string_equal(p11_card_error(c)->code, "login_required");

        assert_int_equal(p11_card_login(c, PIN, 4), 0);
        enum p11_key_type type;
        bool always;
        assert_int_equal(p11_card_key_info(c, P11_ROLE_AUTH, &type, &always), 0);
        assert_int_equal(type, want);
        assert_false(always);
        assert_int_equal(p11_card_key_info(c, P11_ROLE_SIGN, &type, &always), 0);
        assert_true(always);

        for (int role = P11_ROLE_AUTH; role <= P11_ROLE_SIGN; role++) {
                const struct p11_cert *x = p11_card_cert(c, role);
                int n = p11_card_sign(c, role, digest, PIN, 4, sig, sizeof(sig));
                assert_true(n > 0);
                if (want == P11_KEY_RSA)
                        assert_int_equal(n, 256);
                else
                        assert_int_equal(sig[0], 0x30); /* DER */
                struct trust_error e;
                assert_int_equal(trust_verify_signature(x->der, x->der_len, record, sizeof(record), sig, (size_t)n, &e), 0);
                assert_int_equal(trust_verify_signature(x->der, x->der_len, record, sizeof(record) - 1, sig, (size_t)n, &e),
                                 -EBADMSG);
        }
        /* the signature key needs its PIN again, a right one */
        assert_int_equal(p11_card_sign(c, P11_ROLE_SIGN, digest, NULL, 0, sig, sizeof(sig)), -EINVAL);
        assert_string_equal(p11_card_error(c)->code, "pin_required");
        assert_int_equal(p11_card_sign(c, P11_ROLE_SIGN, digest, "9999", 4, sig, sizeof(sig)), -EACCES);
        assert_string_equal(p11_card_error(c)->code, "pin_incorrect");
        /* the half-done operation was cleared: signing works again */
        assert_true(p11_card_sign(c, P11_ROLE_SIGN, digest, PIN, 4, sig, sizeof(sig)) > 0);
        assert_true(p11_card_sign(c, P11_ROLE_AUTH, digest, NULL, 0, sig, sizeof(sig)) > 0);
        /* a buffer too small is refused, and the session still works */
        assert_int_equal(p11_card_sign(c, P11_ROLE_AUTH, digest, NULL, 0, sig, 16), -ENOBUFS);
        assert_true(p11_card_sign(c, P11_ROLE_AUTH, digest, NULL, 0, sig, sizeof(sig)) > 0);
        p11_card_close(c);
}

UNIT(test_sign_rsa) {
        sign_and_verify("carnet-rsa", P11_KEY_RSA);
}

UNIT(test_sign_ec) {
        sign_and_verify("carnet-ec", P11_KEY_EC);
}

/* ---- test double: PIN pad, PIN counter, card pulled ------------------------ */

static CK_FUNCTION_LIST *real;
static CK_FUNCTION_LIST fake;
static struct {
        bool pinpad;
        int tries;            /* < 0: counter off (SoftHSM2's own behaviour) */
        bool fail_general;    /* C_Login answers CKR_GENERAL_ERROR */
        bool pulled;          /* and the slot has no token any more */
        int logins_null;      /* C_Login calls with a NULL PIN */
        CK_ULONG id_grows;    /* C_GetAttributeValue says CKA_ID is this much longer once read */
        CK_USER_TYPE last_user;
        const void *last_pin; /* the pointer C_Login received */
} dbl;

static CK_RV fake_get_slot_info(CK_SLOT_ID slot, CK_SLOT_INFO_PTR info) {
        CK_RV rv = real->C_GetSlotInfo(slot, info);
        if (rv == CKR_OK && dbl.pulled)
                info->flags &= ~(CK_FLAGS)CKF_TOKEN_PRESENT;
        return rv;
}

static CK_RV fake_get_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info) {
        CK_RV rv = real->C_GetTokenInfo(slot, info);
        if (rv != CKR_OK)
                return rv;
        if (dbl.pinpad)
                info->flags |= CKF_PROTECTED_AUTHENTICATION_PATH;
        if (dbl.tries >= 0) {
                info->flags &= ~(CK_FLAGS)(CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED);
                if (dbl.tries == 0)
                        info->flags |= CKF_USER_PIN_LOCKED;
                else if (dbl.tries == 1)
                        info->flags |= CKF_USER_PIN_FINAL_TRY;
                else if (dbl.tries < 3)
                        info->flags |= CKF_USER_PIN_COUNT_LOW;
        }
        return CKR_OK;
}

/* A PIN pad reader: a NULL PIN means "the reader asks"; here the user types
 * the right PIN on it.  With the counter on, a card that locks at 0. */
static CK_RV fake_login(CK_SESSION_HANDLE s, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len) {
        dbl.last_user = user;
        dbl.last_pin = pin;
        if (dbl.fail_general)
                return CKR_GENERAL_ERROR;
        if (!pin) {
                if (!dbl.pinpad)
                        return CKR_ARGUMENTS_BAD;
                dbl.logins_null++;
                return real->C_Login(s, user, (CK_UTF8CHAR_PTR)PIN, 4);
        }
        if (dbl.tries >= 0) {
                if (dbl.tries == 0)
                        return CKR_PIN_LOCKED;
                bool right = len == 4 && memcmp(pin, PIN, 4) == 0;
                if (!right) {
                        dbl.tries--;
                        return CKR_PIN_INCORRECT;
                }
                dbl.tries = 3;
        }
        return real->C_Login(s, user, pin, len);
}

/* A module that lies: the length of a CKA_ID it has just written into the
 * caller's buffer is said longer than the length it gave to size it. */
static CK_RV fake_get_attribute_value(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n) {
        CK_RV rv = real->C_GetAttributeValue(s, o, t, n);
        for (CK_ULONG i = 0; rv == CKR_OK && i < n; i++)
                if (t[i].type == CKA_ID && t[i].pValue)
                        t[i].ulValueLen += dbl.id_grows;
        return rv;
}

static struct p11_module *open_double(void) {
        real = p11_module_functions(softhsm);
        fake = *real;
        fake.C_GetSlotInfo = fake_get_slot_info;
        fake.C_GetTokenInfo = fake_get_token_info;
        fake.C_Login = fake_login;
        fake.C_GetAttributeValue = fake_get_attribute_value;
        memset(&dbl, 0, sizeof(dbl));
        dbl.tries = -1;
        struct p11_module *m = NULL;
        /* SoftHSM2 is initialised already: this handle will not finalise it */
        assert_int_equal(p11_module_open_functions(&fake, P11_LOCKING_MODULE, &m), 0);
        return m;
}

UNIT(test_pinpad) {
        struct p11_module *m = open_double();
        dbl.pinpad = true;
        struct p11_card *c = open_card(m, "carnet-rsa", NULL);
        assert_true(p11_card_token(c)->protected_auth);
        assert_int_equal(p11_card_login(c, NULL, 0), 0);
        assert_int_equal(dbl.logins_null, 1);
        assert_int_equal(dbl.last_user, CKU_USER);

        /* the always-authenticate key: the context-specific login goes to the pad too */
        uint8_t digest[32], sig[P11_SIG_MAX];
        sha256("pad", 3, digest);
        int n = p11_card_sign(c, P11_ROLE_SIGN, digest, NULL, 0, sig, sizeof(sig));
        assert_true(n > 0);
        assert_int_equal(dbl.logins_null, 2);
        assert_int_equal(dbl.last_user, CKU_CONTEXT_SPECIFIC);
        const struct p11_cert *x = p11_card_cert(c, P11_ROLE_SIGN);
        assert_int_equal(trust_verify_signature(x->der, x->der_len, "pad", 3, sig, (size_t)n, NULL), 0);
        p11_card_close(c);
        p11_module_close(m);
}

UNIT(test_pin_counter) {
        struct p11_module *m = open_double();
        dbl.tries = 3;
        struct p11_card *c = open_card(m, "carnet-ec", NULL);
        const struct p11_error *e = p11_card_error(c);
        static const struct {
                int err;
                const char *code;
                enum p11_pin_state state;
                int tries;
        } steps[] = {
                {-EACCES, "pin_incorrect", P11_PIN_COUNT_LOW, -1},
                {-EACCES, "pin_incorrect", P11_PIN_FINAL_TRY, 1},
                {-EPERM, "pin_locked", P11_PIN_LOCKED, 0}, /* the last try blocked it */
                {-EPERM, "pin_locked", P11_PIN_LOCKED, 0},
        };
        char wrong[] = "4321";
        for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
                assert_int_equal(p11_card_login(c, wrong, 4), steps[i].err);
                assert_ptr_equal(dbl.last_pin, wrong); /* handed on, not copied */
                assert_string_equal(e->code, steps[i].code);
                assert_int_equal(e->pin_state, steps[i].state);
                assert_int_equal(e->tries_left, steps[i].tries);
        }
        /* even the right PIN cannot open a locked card */
        assert_int_equal(p11_card_login(c, PIN, 4), -EPERM);
        assert_int_equal(e->rv, CKR_PIN_LOCKED);
        assert_int_equal(e->tries_left, 0);
        assert_int_equal(p11_card_token(c)->pin_state, P11_PIN_LOCKED);
        assert_string_equal(p11_pin_state_to_string(P11_PIN_LOCKED), "locked");
        p11_card_close(c);
        p11_module_close(m);
}

/* An attribute whose length, once read, is more than the buffer sized
 * from the module's first answer: the card does not open (-EIO,
 * module_error), nothing is read past the buffer. */
UNIT(test_attribute_longer_than_said) {
        struct p11_module *m = open_double();
        struct p11_card *c = NULL;
        dbl.id_grows = 16; /* still under P11_ID_MAX */
        assert_int_equal(p11_card_open(m, slot_of(m, "carnet-rsa"), NULL, &c), -EIO);
        assert_null(c);
        dbl.id_grows = 0;
        c = open_card(m, "carnet-rsa", NULL);
        assert_int_equal(p11_card_cert(c, P11_ROLE_AUTH)->id_len, 1);
        p11_card_close(c);
        p11_module_close(m);
}

UNIT(test_pulled_during_login) {
        struct p11_module *m = open_double();
        struct p11_card *c = open_card(m, "carnet-rsa", NULL);
        const struct p11_error *e = p11_card_error(c);

        /* CKR_GENERAL_ERROR with the card still there: ask PC/SC */
        dbl.fail_general = true;
        assert_int_equal(p11_card_login(c, PIN, 4), -EIO);
        assert_int_equal(e->rv, CKR_GENERAL_ERROR);
        assert_string_equal(e->code, "card_error");
        assert_true(e->check_reader);
        assert_true(p11_card_token(c)->reader[0] != 0); /* the reader to ask PC/SC about */

        /* the same with the card gone: reported as removed */
        dbl.pulled = true;
        assert_int_equal(p11_card_login(c, PIN, 4), -ENODEV);
        assert_int_equal(e->rv, CKR_GENERAL_ERROR);
        assert_string_equal(e->code, "card_removed");
        assert_false(e->check_reader);
        /* the handle is dead from now on, and says so */
        uint8_t digest[32] = {0}, sig[P11_SIG_MAX];
        assert_int_equal(p11_card_login(c, PIN, 4), -ENODEV);
        assert_int_equal(p11_card_sign(c, P11_ROLE_AUTH, digest, NULL, 0, sig, sizeof(sig)), -ENODEV);
        assert_int_equal(p11_card_refresh(c), -ENODEV);
        assert_int_equal(p11_module_slot_present(m, p11_card_token(c)->slot), 0);
        p11_card_close(c);
        p11_module_close(m);
}

/* Two threads sign at once, one per token, with the module's own locks and
 * with carnet's.  (One card handle per token: PKCS#11 login belongs to the
 * token, so a handle that logs out or closes logs every other one out.) */
struct worker {
        struct p11_module *m;
        const char *label;
        int ok;
};

static void *worker_run(void *arg) {
        struct worker *w = arg;
        uint8_t digest[32], sig[P11_SIG_MAX];
        sha256(w->label, strlen(w->label), digest);
        struct p11_card *c = NULL;
        struct p11_token all[P11_TOKENS_MAX];
        int n = p11_module_tokens(w->m, all, ELEMENTSOF(all));
        for (int i = 0; i < n; i++)
                if (strcmp(all[i].label, w->label) == 0 && p11_card_open(w->m, all[i].slot, NULL, &c) == 0)
                        break;
        if (!c)
                return NULL;
        if (p11_card_login(c, PIN, 4) == 0)
                for (int k = 0; k < 10; k++) {
                        int len = p11_card_sign(c, P11_ROLE_AUTH, digest, NULL, 0, sig, sizeof(sig));
                        const struct p11_cert *x = p11_card_cert(c, P11_ROLE_AUTH);
                        if (len > 0 && trust_verify_signature(x->der, x->der_len, w->label, strlen(w->label), sig,
                                                              (size_t)len, NULL) == 0)
                                w->ok++;
                }
        p11_card_close(c);
        return NULL;
}

UNIT(test_threads) {
        for (int mode = P11_LOCKING_MODULE; mode <= P11_LOCKING_CARNET; mode++) {
                struct p11_module *m = NULL;
                assert_int_equal(p11_module_open_locking(SOFTHSM, mode, &m), 0);
                assert_int_equal(p11_module_locking(m), mode);
                pthread_t th[2];
                struct worker w[2];
                for (int i = 0; i < 2; i++) {
                        w[i] = (struct worker){.m = m, .label = i % 2 ? "carnet-ec" : "carnet-rsa"};
                        assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
                }
                for (int i = 0; i < 2; i++) {
                        pthread_join(th[i], NULL);
                        assert_int_equal(w[i].ok, 10);
                }
                p11_module_close(m);
        }
}

/* A module whose slot list grows between the size query and the contents:
 * the size query says 2, the list then holds 40 (8 past P11_TOKENS_MAX),
 * the real SoftHSM2 slots first, then ids that C_GetSlotInfo refuses. */
#define GROWN 40
static struct {
        CK_SLOT_ID ids[GROWN];
        CK_ULONG real_n;
        int unknown;          /* C_GetSlotInfo calls with an id never handed out */
} grow;

static CK_RV grow_get_slot_list(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR n) {
        if (!list) {
                *n = 2;
                return CKR_OK;
        }
        if (*n < GROWN) {
                *n = GROWN;
                return CKR_BUFFER_TOO_SMALL;
        }
        memcpy(list, grow.ids, sizeof(grow.ids));
        *n = GROWN;
        return CKR_OK;
}

static CK_RV grow_get_slot_info(CK_SLOT_ID slot, CK_SLOT_INFO_PTR info) {
        bool known = false;
        for (int i = 0; i < GROWN; i++)
                known |= grow.ids[i] == slot;
        if (!known)
                grow.unknown++;
        return real->C_GetSlotInfo(slot, info);
}

UNIT(test_slot_list_grows) {
        real = p11_module_functions(softhsm);
        grow.real_n = 16;
        CK_SLOT_ID mine[16];
        assert_int_equal(real->C_GetSlotList(CK_TRUE, mine, &grow.real_n), CKR_OK);
        int tokens = 0;
        for (int i = 0; i < GROWN; i++) {
                grow.ids[i] = i < (int)grow.real_n ? mine[i] : 0x7000u + (CK_SLOT_ID)i;
                if (i < (int)grow.real_n)
                        tokens++;
        }
        grow.unknown = 0;
        fake = *real;
        fake.C_GetSlotList = grow_get_slot_list;
        fake.C_GetSlotInfo = grow_get_slot_info;
        struct p11_module *m = NULL;
        assert_int_equal(p11_module_open_functions(&fake, P11_LOCKING_MODULE, &m), 0);
        struct p11_token t[P11_TOKENS_MAX];
        assert_int_equal(p11_module_tokens(m, t, ELEMENTSOF(t)), tokens);
        assert_int_equal(grow.unknown, 0);
        p11_module_close(m);
}

UNIT(test_error_table) {
        assert_int_equal(p11_rv_errno(CKR_PIN_INCORRECT), -EACCES);
        assert_int_equal(p11_rv_errno(CKR_PIN_LOCKED), -EPERM);
        assert_int_equal(p11_rv_errno(CKR_DEVICE_REMOVED), -ENODEV);
        assert_string_equal(p11_rv_code(CKR_TOKEN_NOT_PRESENT), "card_removed");
        assert_string_equal(p11_rv_code(CKR_FUNCTION_CANCELED), "cancelled");
        assert_string_equal(p11_rv_code(0x8000abcdUL), "module_error");
        assert_int_equal(p11_rv_errno(0x8000abcdUL), -EIO);
        assert_int_equal(p11_pin_state_from_flags(CKF_USER_PIN_LOCKED | CKF_USER_PIN_COUNT_LOW), P11_PIN_LOCKED);
        assert_int_equal(p11_pin_state_from_flags(0), P11_PIN_OK);
}

UNIT_GROUP("p11", setup, teardown)
