/* pkcs11/p11-identity.h: the professional's identity, read from a CPS
 * certificate, and which certificate on the card plays which role.
 *
 * The real CPS certificate profile is not public, so the way from a
 * certificate to an identity is data, not code: struct p11_map says where
 * each field comes from (an attribute of the subject, by OID or short name,
 * or a certificate extension), and p11_map_set() changes one rule from a
 * "key = value" configuration line.  The default follows docs/cards.md and the
 * test PKI (tests/pki/mkpki.sh):
 *
 *     national_id = subject:CN            ("8" + RPPS or "0" + ADELI)
 *     surname     = subject:SN
 *     given_name  = subject:GN
 *     profession  = subject:title         (TRE_G15 code, e.g. 10)
 *     specialty   = subject:OU            (e.g. SM26)
 *     card_type   = extension:1.2.250.1.71.1.2.2   (0 CPS .. 3 CPA)
 *     organisation = (not mapped: the establishment, e.g. "subject:O")
 *     auth_cert   = usage:digitalSignature
 *     sign_cert   = usage:nonRepudiation
 *
 * A subject rule may name an OID ("subject:2.5.4.3") and an occurrence
 * ("subject:OU#2", the second OU); multi-valued RDNs are walked value by
 * value, so "CN=a+SN=b" yields both.  The role rules choose a certificate by
 * key usage, by CKA_ID ("id:01") or by CKA_LABEL ("label:Certificat de
 * Signature CPS"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum p11_source {
        P11_SRC_NONE = 0,   /* field not mapped: left empty */
        P11_SRC_SUBJECT,    /* value of a subject attribute */
        P11_SRC_EXTENSION,  /* a string or integer extension, by OID */
};

struct p11_field_rule {
        enum p11_source source;
        char oid[64];        /* dotted OID or OpenSSL short/long name */
        unsigned occurrence; /* 1 = first */
};

enum p11_role_by {
        P11_ROLE_BY_USAGE = 0,
        P11_ROLE_BY_ID,
        P11_ROLE_BY_LABEL,
};

struct p11_role_rule {
        enum p11_role_by by;
        unsigned usage;      /* P11_KU_* bits, for P11_ROLE_BY_USAGE */
        char value[64];      /* hex CKA_ID or the label */
};

struct p11_map {
        struct p11_field_rule national_id, surname, given_name, profession, specialty, card_type, organisation;
        struct p11_role_rule auth_cert, sign_cert;
};

/* Key usage bits as carnet names them (RFC 5280 order). */
#define P11_KU_DIGITAL_SIGNATURE 0x01u
#define P11_KU_NON_REPUDIATION   0x02u
#define P11_KU_KEY_ENCIPHERMENT  0x04u
#define P11_KU_KEY_CERT_SIGN     0x20u

enum p11_card_type {
        P11_CARD_UNKNOWN = -1,
        P11_CARD_CPS = 0, /* professional */
        P11_CARD_CPF = 1, /* in training */
        P11_CARD_CPE = 2, /* establishment staff */
        P11_CARD_CPA = 3, /* authorised staff */
};

struct p11_identity {
        char national_id[32]; /* idNat_PS */
        char surname[128];
        char given_name[128];
        char profession[8];   /* TRE_G15 code; empty when none */
        char specialty[16];   /* e.g. SM26; empty when none */
        char organisation[128]; /* the establishment; empty when none or not mapped */
        enum p11_card_type card_type;
        /* on -EBADMSG or -ENOENT from p11_identity_from_cert: the field that
         * could not be read ("national_id", "card_type", ...); else NULL */
        const char *bad_field;
};

void p11_map_default(struct p11_map *map);

/* Applies one configuration rule, e.g. ("specialty", "subject:OU") or
 * ("sign_cert", "id:02").  -EINVAL for an unknown key or a bad value. */
int p11_map_set(struct p11_map *map, const char *key, const char *value);

/* Derives the identity from a DER certificate following map (NULL: the
 * default).  The national id must be "8" + 11 digits or "0" + 9 digits
 * (-EBADMSG otherwise), the profession digits, the card type 0..3
 * (P11_CARD_UNKNOWN when the field is absent or unmapped), whether the
 * extension holds it as INTEGER, ENUMERATED, OCTET STRING (digits, or one
 * or two bytes as a number) or any string type.  -EINVAL for a certificate
 * that does not parse, -ENOENT when national_id is missing; on -EBADMSG and
 * -ENOENT, ret->bad_field names the field that could not be read and the
 * rest of *ret is empty. */
int p11_identity_from_cert(const struct p11_map *map, const uint8_t *der, size_t len,
                           struct p11_identity *ret);

const char *p11_card_type_to_string(enum p11_card_type t);

/* Key usage of a DER certificate as P11_KU_* bits; a certificate without the
 * extension gives 0.  -EINVAL when it does not parse. */
int p11_cert_key_usage(const uint8_t *der, size_t len, unsigned *ret);

/* Whether a certificate (with its CKA_ID and CKA_LABEL) fits a role rule. */
bool p11_role_matches(const struct p11_role_rule *rule, unsigned key_usage, const uint8_t *id,
                      size_t id_len, const char *label);
