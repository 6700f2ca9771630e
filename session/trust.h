/* session/trust.h: is this professional certificate one we believe, and did
 * its key sign this?
 *
 * The trust anchors are the CA certificates of a PEM file or of a folder of
 * PEM files (tests: the PKI's ca-chain.pem).  trust_verify_cert() checks the
 * chain up to an anchor, the validity dates at a given time (injectable for
 * tests) and the key usage the certificate's role needs;
 * trust_verify_signature() checks a signature over data with the
 * certificate's public key: RSA PKCS#1 v1.5 or ECDSA (DER), both over
 * SHA-256, which is what pkcs11/p11-card.h produces.
 *
 * Errors are a negative errno plus, when err is not NULL, a stable code
 * string (see docs/pkcs11.md):
 *     unknown_ca       -ENOKEY        no path to a configured anchor
 *     expired          -EKEYEXPIRED   notAfter is before now
 *     not_yet_valid    -EKEYEXPIRED   notBefore is after now
 *     wrong_key_usage  -EKEYREJECTED  the role's key usage is missing
 *     chain_invalid    -EKEYREJECTED  any other chain fault (bad CA signature...)
 *     bad_signature    -EBADMSG       the signature does not verify
 *     bad_certificate  -EINVAL        the DER does not parse
 *     key_unsupported  -EOPNOTSUPP    neither RSA nor EC
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct trust_store;

enum trust_usage {
        TRUST_USAGE_ANY = 0,  /* chain and dates only */
        TRUST_USAGE_AUTH,     /* keyUsage digitalSignature (and clientAuth if EKU present) */
        TRUST_USAGE_SIGN,     /* keyUsage nonRepudiation */
};

struct trust_error {
        int err;
        const char *code;   /* never NULL once set; "ok" on success */
        char detail[128];   /* OpenSSL's words for the chain fault, or empty */
};

/* Loads the anchors from a PEM file or a folder of PEM files. */
int trust_store_load(const char *path, struct trust_store **ret);
/* Accepts NULL, returns NULL. */
struct trust_store *trust_store_free(struct trust_store *s);
/* Number of anchor certificates loaded. */
size_t trust_store_count(const struct trust_store *s);

/* Verifies a DER certificate for usage at time now (0: the current time). */
int trust_verify_cert(const struct trust_store *s, const uint8_t *der, size_t len, time_t now,
                      enum trust_usage usage, struct trust_error *err);

/* Verifies sig over data (hashed here with SHA-256) with the certificate's
 * public key.  It does not check the certificate: call trust_verify_cert(). */
int trust_verify_signature(const uint8_t *cert_der, size_t cert_len, const void *data,
                           size_t data_len, const uint8_t *sig, size_t sig_len,
                           struct trust_error *err);

/* SHA-256 of the DER certificate (the fingerprint in session records). */
int trust_cert_fingerprint(const uint8_t *der, size_t len, uint8_t ret[32]);

/* Reads the first certificate of a PEM file as DER (malloc'ed). */
int trust_pem_to_der(const char *path, uint8_t **ret, size_t *ret_len);
