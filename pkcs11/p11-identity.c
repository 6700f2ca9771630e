/* pkcs11/p11-identity.c: certificate -> professional identity, by rules.
 *
 * Parsing uses OpenSSL's X.509 decoder (d2i_X509), the most exercised DER
 * parser at hand; nothing here decides trust: that is session/trust.c. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lib/macro.h"
#include "p11-identity.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(X509, X509_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(ASN1_OBJECT, ASN1_OBJECT_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(ASN1_TYPE, ASN1_TYPE_free);

static void rule_set(struct p11_field_rule *r, enum p11_source s, const char *oid) {
        *r = (struct p11_field_rule){.source = s, .occurrence = 1};
        snprintf(r->oid, sizeof(r->oid), "%s", oid);
}

void p11_map_default(struct p11_map *map) {
        memset(map, 0, sizeof(*map));
        rule_set(&map->national_id, P11_SRC_SUBJECT, "CN");
        rule_set(&map->surname, P11_SRC_SUBJECT, "SN");
        rule_set(&map->given_name, P11_SRC_SUBJECT, "GN");
        rule_set(&map->profession, P11_SRC_SUBJECT, "title");
        rule_set(&map->specialty, P11_SRC_SUBJECT, "OU");
        rule_set(&map->card_type, P11_SRC_EXTENSION, "1.2.250.1.71.1.2.2");
        map->auth_cert = (struct p11_role_rule){.by = P11_ROLE_BY_USAGE, .usage = P11_KU_DIGITAL_SIGNATURE};
        map->sign_cert = (struct p11_role_rule){.by = P11_ROLE_BY_USAGE, .usage = P11_KU_NON_REPUDIATION};
}

/* Resolves a dotted OID or an OpenSSL name ("CN", "title", "surname"). */
static ASN1_OBJECT *oid_parse(const char *s) {
        return OBJ_txt2obj(s, 0);
}

static int parse_field_rule(const char *v, struct p11_field_rule *ret) {
        struct p11_field_rule r = {.occurrence = 1};
        const char *arg;
        if (strcmp(v, "none") == 0) {
                *ret = (struct p11_field_rule){0};
                return 0;
        }
        if (strncmp(v, "subject:", 8) == 0) {
                r.source = P11_SRC_SUBJECT;
                arg = v + 8;
        } else if (strncmp(v, "extension:", 10) == 0) {
                r.source = P11_SRC_EXTENSION;
                arg = v + 10;
        } else
                return -EINVAL;
        const char *hash = strchr(arg, '#');
        size_t n = hash ? (size_t)(hash - arg) : strlen(arg);
        if (n == 0 || n >= sizeof(r.oid))
                return -EINVAL;
        memcpy(r.oid, arg, n);
        r.oid[n] = '\0';
        if (hash) {
                char *end;
                unsigned long k = strtoul(hash + 1, &end, 10);
                if (!isdigit((unsigned char)hash[1]) || *end || k < 1 || k > 16)
                        return -EINVAL;
                r.occurrence = (unsigned)k;
        }
        _cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *o = oid_parse(r.oid);
        if (!o)
                return -EINVAL;
        *ret = r;
        return 0;
}

static int parse_role_rule(const char *v, struct p11_role_rule *ret) {
        struct p11_role_rule r = {0};
        if (strncmp(v, "usage:", 6) == 0) {
                static const struct {
                        const char *name;
                        unsigned bit;
                } ku[] = {
                        {"digitalSignature", P11_KU_DIGITAL_SIGNATURE},
                        {"nonRepudiation", P11_KU_NON_REPUDIATION},
                        {"keyEncipherment", P11_KU_KEY_ENCIPHERMENT},
                };
                r.by = P11_ROLE_BY_USAGE;
                for (size_t i = 0; i < ELEMENTSOF(ku); i++)
                        if (strcmp(v + 6, ku[i].name) == 0)
                                r.usage = ku[i].bit;
                if (!r.usage)
                        return -EINVAL;
        } else if (strncmp(v, "id:", 3) == 0) {
                size_t n = strlen(v + 3);
                if (n == 0 || n % 2 || n >= sizeof(r.value))
                        return -EINVAL;
                for (size_t i = 0; i < n; i++)
                        if (!isxdigit((unsigned char)v[3 + i]))
                                return -EINVAL;
                r.by = P11_ROLE_BY_ID;
                memcpy(r.value, v + 3, n + 1);
        } else if (strncmp(v, "label:", 6) == 0) {
                r.by = P11_ROLE_BY_LABEL;
                if (!v[6] || strcpy_bounded(r.value, sizeof(r.value), v + 6) < 0)
                        return -EINVAL;
        } else
                return -EINVAL;
        *ret = r;
        return 0;
}

int p11_map_set(struct p11_map *map, const char *key, const char *value) {
        if (!map || !key || !value)
                return -EINVAL;
        struct {
                const char *key;
                struct p11_field_rule *rule;
        } fields[] = {
                {"national_id", &map->national_id}, {"surname", &map->surname},
                {"given_name", &map->given_name},   {"profession", &map->profession},
                {"specialty", &map->specialty},     {"card_type", &map->card_type},
                {"organisation", &map->organisation},
        };
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (strcmp(key, fields[i].key) == 0)
                        return parse_field_rule(value, fields[i].rule);
        if (strcmp(key, "auth_cert") == 0)
                return parse_role_rule(value, &map->auth_cert);
        if (strcmp(key, "sign_cert") == 0)
                return parse_role_rule(value, &map->sign_cert);
        return -EINVAL;
}

/* Copies an ASN.1 string as UTF-8 into dst; refuses control characters and
 * values that do not fit (a certificate is untrusted input). */
static int string_copy(const ASN1_STRING *s, char *dst, size_t size) {
        unsigned char *utf8 = NULL;
        int n = ASN1_STRING_to_UTF8(&utf8, s);
        if (n < 0)
                return -EBADMSG;
        int r = 0;
        if ((size_t)n >= size)
                r = -E2BIG;
        for (int i = 0; r == 0 && i < n; i++)
                if (utf8[i] < 0x20 || utf8[i] == 0x7f)
                        r = -EBADMSG;
        if (r == 0) {
                memcpy(dst, utf8, (size_t)n);
                dst[n] = '\0';
        }
        OPENSSL_free(utf8);
        return r;
}

/* A small number (0 to 99) as decimal digits into dst. */
static int number_copy(long v, char *dst, size_t size) {
        if (v < 0 || v > 99)
                return -EBADMSG;
        return snprintf(dst, size, "%ld", v) < (int)size ? 0 : -E2BIG;
}

/* An OCTET STRING's value: printable digits as they are ("1"), else one
 * or two bytes as a big-endian number (01). */
static int octets_copy(const ASN1_OCTET_STRING *os, char *dst, size_t size) {
        const unsigned char *b = ASN1_STRING_get0_data(os);
        int n = ASN1_STRING_length(os);
        bool digits = n > 0;
        for (int i = 0; i < n; i++)
                digits = digits && isdigit(b[i]);
        if (digits) {
                if ((size_t)n >= size)
                        return -E2BIG;
                memcpy(dst, b, (size_t)n);
                dst[n] = '\0';
                return 0;
        }
        if (n < 1 || n > 2)
                return -EBADMSG;
        return number_copy(n == 1 ? b[0] : b[0] << 8 | b[1], dst, size);
}

/* The value of an extension: INTEGER or ENUMERATED (0 to 99), OCTET
 * STRING, or any ASN.1 string type (UTF8String, PrintableString,
 * IA5String, NumericString, VisibleString, T61String, BMPString,
 * UniversalString), as text. */
static int extension_value(X509 *x, const ASN1_OBJECT *oid, char *dst, size_t size) {
        int idx = X509_get_ext_by_OBJ(x, oid, -1);
        if (idx < 0)
                return -ENOENT;
        ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(x, idx));
        const unsigned char *p = ASN1_STRING_get0_data(os);
        const unsigned char *end = p + ASN1_STRING_length(os);
        _cleanup_(ASN1_TYPE_freep) ASN1_TYPE *t = d2i_ASN1_TYPE(NULL, &p, end - p);
        if (!t || p != end)
                return -EBADMSG; /* not DER, or bytes after the value */
        switch (t->type) {
        case V_ASN1_UTF8STRING:
        case V_ASN1_PRINTABLESTRING:
        case V_ASN1_IA5STRING:
        case V_ASN1_NUMERICSTRING:
        case V_ASN1_VISIBLESTRING:
        case V_ASN1_T61STRING:
        case V_ASN1_BMPSTRING:
        case V_ASN1_UNIVERSALSTRING:
                return string_copy(t->value.asn1_string, dst, size);
        case V_ASN1_OCTET_STRING:
                return octets_copy(t->value.octet_string, dst, size);
        case V_ASN1_INTEGER:
                return number_copy(ASN1_INTEGER_get(t->value.integer), dst, size);
        case V_ASN1_ENUMERATED:
                return number_copy(ASN1_ENUMERATED_get(t->value.enumerated), dst, size);
        default:
                return -EBADMSG;
        }
}

/* Reads one mapped field into dst (empty string when unmapped or absent:
 * returns -ENOENT then). */
static int field_get(X509 *x, const struct p11_field_rule *rule, char *dst, size_t size) {
        dst[0] = '\0';
        if (rule->source == P11_SRC_NONE)
                return -ENOENT;
        _cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *oid = oid_parse(rule->oid);
        if (!oid)
                return -EINVAL;
        if (rule->source == P11_SRC_EXTENSION)
                return extension_value(x, oid, dst, size);

        /* Subject: every value in turn, whatever RDN it sits in. */
        const X509_NAME *name = X509_get_subject_name(x);
        int idx = -1;
        for (unsigned k = 0; k < (rule->occurrence ? rule->occurrence : 1); k++) {
                idx = X509_NAME_get_index_by_OBJ(name, oid, idx);
                if (idx < 0)
                        return -ENOENT;
        }
        return string_copy(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)), dst, size);
}

static bool all_digits(const char *s, size_t n) {
        if (strlen(s) != n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isdigit((unsigned char)s[i]))
                        return false;
        return true;
}

/* idNat_PS: "8" + 11-digit RPPS or "0" + 9-digit ADELI (docs/rules.md §5). */
static bool national_id_valid(const char *s) {
        return (s[0] == '8' && all_digits(s, 12)) || (s[0] == '0' && all_digits(s, 10));
}

/* The one place where a certificate becomes a professional identity.  Called
 * on the authentication certificate when a CPS is inserted and again when a
 * session is opened; the result is only as trustworthy as the certificate,
 * so callers verify it with trust_verify_cert() before believing it. */
int p11_identity_from_cert(const struct p11_map *map, const uint8_t *der, size_t len,
                           struct p11_identity *ret) {
        struct p11_map def;
        if (!der || !len || !ret || len > 64 * 1024)
                return -EINVAL;
        if (!map) {
                p11_map_default(&def);
                map = &def;
        }
        const unsigned char *p = der;
        _cleanup_(X509_freep) X509 *x = d2i_X509(NULL, &p, (long)len);
        if (!x || p != der + len)
                return -EINVAL;

        struct p11_identity id = {.card_type = P11_CARD_UNKNOWN};
        char ct[8];
        *ret = (struct p11_identity){.card_type = P11_CARD_UNKNOWN, .bad_field = "national_id"};
        int r = field_get(x, &map->national_id, id.national_id, sizeof(id.national_id));
        if (r < 0)
                return r == -ENOENT ? -ENOENT : -EBADMSG;
        if (!national_id_valid(id.national_id))
                return -EBADMSG;
        struct {
                const char *name;
                const struct p11_field_rule *rule;
                char *dst;
                size_t size;
        } opt[] = {
                {"surname", &map->surname, id.surname, sizeof(id.surname)},
                {"given_name", &map->given_name, id.given_name, sizeof(id.given_name)},
                {"profession", &map->profession, id.profession, sizeof(id.profession)},
                {"specialty", &map->specialty, id.specialty, sizeof(id.specialty)},
                {"card_type", &map->card_type, ct, sizeof(ct)},
                {"organisation", &map->organisation, id.organisation, sizeof(id.organisation)},
        };
        for (size_t i = 0; i < ELEMENTSOF(opt); i++) {
                ret->bad_field = opt[i].name;
                r = field_get(x, opt[i].rule, opt[i].dst, opt[i].size);
                if (r < 0 && r != -ENOENT)
                        return -EBADMSG;
        }
        ret->bad_field = "profession";
        if (id.profession[0] && !all_digits(id.profession, strlen(id.profession)))
                return -EBADMSG;
        ret->bad_field = "card_type";
        if (ct[0]) {
                if (!all_digits(ct, strlen(ct)) || strlen(ct) != 1 || ct[0] > '3')
                        return -EBADMSG;
                id.card_type = (enum p11_card_type)(ct[0] - '0');
        }
        *ret = id;
        return 0;
}

const char *p11_card_type_to_string(enum p11_card_type t) {
        switch (t) {
        case P11_CARD_CPS:
                return "CPS";
        case P11_CARD_CPF:
                return "CPF";
        case P11_CARD_CPE:
                return "CPE";
        case P11_CARD_CPA:
                return "CPA";
        default:
                return "unknown";
        }
}

int p11_cert_key_usage(const uint8_t *der, size_t len, unsigned *ret) {
        if (!der || !len || !ret || len > 64 * 1024)
                return -EINVAL;
        const unsigned char *p = der;
        _cleanup_(X509_freep) X509 *x = d2i_X509(NULL, &p, (long)len);
        if (!x)
                return -EINVAL;
        uint32_t ku = X509_get_key_usage(x); /* UINT32_MAX when absent */
        unsigned bits = 0;
        if (ku != UINT32_MAX) {
                if (ku & KU_DIGITAL_SIGNATURE)
                        bits |= P11_KU_DIGITAL_SIGNATURE;
                if (ku & KU_NON_REPUDIATION)
                        bits |= P11_KU_NON_REPUDIATION;
                if (ku & KU_KEY_ENCIPHERMENT)
                        bits |= P11_KU_KEY_ENCIPHERMENT;
                if (ku & KU_KEY_CERT_SIGN)
                        bits |= P11_KU_KEY_CERT_SIGN;
        }
        *ret = bits;
        return 0;
}

static int hexval(char c) {
        return isdigit((unsigned char)c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10);
}

bool p11_role_matches(const struct p11_role_rule *rule, unsigned key_usage, const uint8_t *id,
                      size_t id_len, const char *label) {
        switch (rule->by) {
        case P11_ROLE_BY_USAGE:
                if (key_usage & P11_KU_KEY_CERT_SIGN)
                        return false; /* a CA certificate is never a role */
                return rule->usage && (key_usage & rule->usage) == rule->usage;
        case P11_ROLE_BY_ID: {
                size_t n = strlen(rule->value) / 2;
                if (n != id_len)
                        return false;
                for (size_t i = 0; i < n; i++)
                        if (id[i] != (hexval(rule->value[2 * i]) << 4 | hexval(rule->value[2 * i + 1])))
                                return false;
                return true;
        }
        case P11_ROLE_BY_LABEL:
                return label && strcmp(label, rule->value) == 0;
        }
        return false;
}
