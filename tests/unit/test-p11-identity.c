/* tests/unit/test-p11-identity.c: the card-type extension
 * (1.2.250.1.71.1.2.2) in every encoding a CPS certificate may use, and
 * errors that name the field.  Certificates are made here with OpenSSL:
 * p11_identity_from_cert reads them, trust.c is what verifies them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pkcs11/p11-identity.h"

#define CARD_TYPE_OID "1.2.250.1.71.1.2.2"

/* A self-signed certificate CN=899700000001, SN=LAMBERT with the card-type
 * extension holding the DER value ext (none when ext_len is 0); its DER in
 * *ret (free it). */
static size_t make_cert(const uint8_t *ext, size_t ext_len, uint8_t **ret) {
        EVP_PKEY *key = EVP_EC_gen("P-256");
        X509 *x = X509_new();
        assert_non_null(key);
        assert_non_null(x);
        X509_NAME *n = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"899700000001", -1, -1, 0);
        X509_NAME_add_entry_by_txt(n, "SN", MBSTRING_ASC, (const unsigned char *)"LAMBERT", -1, -1, 0);
        X509_set_issuer_name(x, n);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
        X509_gmtime_adj(X509_getm_notBefore(x), 0);
        X509_gmtime_adj(X509_getm_notAfter(x), 3600);
        X509_set_pubkey(x, key);
        if (ext_len) {
                ASN1_OBJECT *o = OBJ_txt2obj(CARD_TYPE_OID, 1);
                ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
                ASN1_OCTET_STRING_set(os, ext, (int)ext_len);
                X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, o, 0, os);
                assert_non_null(e);
                assert_int_equal(X509_add_ext(x, e, -1), 1);
                X509_EXTENSION_free(e);
                ASN1_OCTET_STRING_free(os);
                ASN1_OBJECT_free(o);
        }
        assert_true(X509_sign(x, key, EVP_sha256()) > 0);
        *ret = NULL;
        int len = i2d_X509(x, ret);
        assert_true(len > 0);
        X509_free(x);
        EVP_PKEY_free(key);
        return (size_t)len;
}

/* The identity read from a certificate whose extension holds ext. */
static int identity_with(const uint8_t *ext, size_t ext_len, struct p11_identity *id) {
        uint8_t *der;
        size_t len = make_cert(ext, ext_len, &der);
        int r = p11_identity_from_cert(NULL, der, len, id);
        OPENSSL_free(der);
        return r;
}


UNIT(card_type_encodings) {
        static const struct {
                const char *what;
                uint8_t der[8];
                size_t len;
                enum p11_card_type want;
        } cases[] = {
                {"INTEGER 1", {0x02, 0x01, 0x01}, 3, P11_CARD_CPF},
                {"INTEGER 0", {0x02, 0x01, 0x00}, 3, P11_CARD_CPS},
                {"ENUMERATED 2", {0x0A, 0x01, 0x02}, 3, P11_CARD_CPE},
                {"OCTET STRING 03", {0x04, 0x01, 0x03}, 3, P11_CARD_CPA},
                {"OCTET STRING 00 01", {0x04, 0x02, 0x00, 0x01}, 4, P11_CARD_CPF},
                {"OCTET STRING \"2\"", {0x04, 0x01, '2'}, 3, P11_CARD_CPE},
                {"UTF8String \"0\"", {0x0C, 0x01, '0'}, 3, P11_CARD_CPS},
                {"PrintableString \"3\"", {0x13, 0x01, '3'}, 3, P11_CARD_CPA},
                {"IA5String \"1\"", {0x16, 0x01, '1'}, 3, P11_CARD_CPF},
                {"NumericString \"2\"", {0x12, 0x01, '2'}, 3, P11_CARD_CPE},
                {"BMPString \"1\"", {0x1E, 0x02, 0x00, '1'}, 4, P11_CARD_CPF},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct p11_identity id;
                int r = identity_with(cases[i].der, cases[i].len, &id);
                if (r != 0 || id.card_type != cases[i].want)
                        fail_msg("%s: r=%d card_type=%d, expected %d", cases[i].what, r, id.card_type,
                                 cases[i].want);
                assert_string_equal(id.national_id, "899700000001");
                assert_null(id.bad_field);
        }
        struct p11_identity id;
        assert_int_equal(identity_with(NULL, 0, &id), 0);
        assert_int_equal(id.card_type, P11_CARD_UNKNOWN); /* absent: unknown, not an error */
}

/* Values that cannot be a card type are refused, naming the field. */
UNIT(unreadable_card_type_named) {
        static const struct {
                const char *what;
                uint8_t der[8];
                size_t len;
        } cases[] = {
                {"INTEGER 7", {0x02, 0x01, 0x07}, 3},
                {"INTEGER -1", {0x02, 0x01, 0xFF}, 3},
                {"INTEGER 300", {0x02, 0x02, 0x01, 0x2C}, 4},
                {"OCTET STRING of 3 bytes", {0x04, 0x03, 0x00, 0x00, 0x01}, 5},
                {"empty OCTET STRING", {0x04, 0x00}, 2},
                {"UTF8String \"12\"", {0x0C, 0x02, '1', '2'}, 4},
                {"UTF8String \"A\"", {0x0C, 0x01, 'A'}, 3},
                {"BOOLEAN", {0x01, 0x01, 0xFF}, 3},
                {"SEQUENCE", {0x30, 0x03, 0x02, 0x01, 0x01}, 5},
                {"truncated INTEGER", {0x02, 0x02, 0x01}, 3},
                {"bytes after the value", {0x02, 0x01, 0x01, 0x00}, 4},
                {"control character", {0x0C, 0x01, 0x01}, 3},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct p11_identity id;
                int r = identity_with(cases[i].der, cases[i].len, &id);
                if (r != -EBADMSG)
                        fail_msg("%s: r=%d, expected -EBADMSG", cases[i].what, r);
                if (!id.bad_field || strcmp(id.bad_field, "card_type") != 0)
                        fail_msg("%s: bad_field %s", cases[i].what, id.bad_field ? id.bad_field : "(null)");
                assert_string_equal(id.national_id, ""); /* nothing half-read */
        }
}

UNIT_GROUP("p11-identity", NULL, NULL)
