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
 * and, once revocation lists are loaded (trust_store_load_crls):
 *     revoked             -EKEYREVOKED  the issuing CA's CRL lists it
 *     revocation_unknown  -EKEYREJECTED no CRL of the issuing CA signed by an anchor
 *     crl_expired         -EKEYEXPIRED  the CRL is past its nextUpdate (stale policy: refuse)
 *     crl_not_yet_valid   -EKEYEXPIRED  the CRL's thisUpdate is in the future
 *     crl_invalid         -EKEYREJECTED the CRL's signature does not verify
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct trust_store;

/* What a CRL past its nextUpdate means: refuse (the default: the list may
 * miss a card revoked since) or still use it. */
enum trust_crl_stale {
        TRUST_CRL_STALE_REFUSE = 0,
        TRUST_CRL_STALE_ACCEPT,
};

enum trust_usage {
        TRUST_USAGE_ANY = 0,  /* chain and dates only */
        TRUST_USAGE_AUTH,     /* keyUsage digitalSignature (and clientAuth if EKU present) */
        TRUST_USAGE_SIGN,     /* keyUsage nonRepudiation */
};

struct trust_error {
        int err;
        const char *code;   /* never NULL once set; "ok" on success */
        char detail[128];   /* OpenSSL's words for the chain fault, or empty */
        /* trust_verify_cert(): the certificate's chain of signatures leads to
         * an anchor, whatever its dates, key usage or revocation say: its
         * subject is the one the PKI certified, even when it is refused
         * (expired, revoked, wrong usage).  False for unknown_ca,
         * chain_invalid, bad_certificate, and for a certificate the CRLs
         * refuse before its signature is checked (OpenSSL checks revocation
         * first: a forged certificate with a revoked serial is "revoked"). */
        bool issued;
};

/* Loads the anchors from a PEM file or a folder of PEM files. */
int trust_store_load(const char *path, struct trust_store **ret);
/* Accepts NULL, returns NULL. */
struct trust_store *trust_store_free(struct trust_store *s);
/* Number of anchor certificates loaded. */
size_t trust_store_count(const struct trust_store *s);

/* Revocation: loads the CRLs of a file (PEM, or one DER CRL) or of a
 * folder (*.pem, *.crl, *.der).  A CRL that no anchor issued and signed is
 * left out and counted in *ret_foreign.  From this call on, whatever it
 * returns, trust_verify_cert() checks revocation: a certificate whose
 * issuing CA has no usable CRL is refused (revocation_unknown).  Returns
 * the number of CRLs kept, or a negative errno (-ENOENT, -EBADMSG for a
 * file that holds no CRL) with no CRL in use. */
int trust_store_load_crls(struct trust_store *s, const char *path, enum trust_crl_stale stale,
                          unsigned *ret_foreign);
/* Reads the CRLs again when what the path holds changed since the last
 * load (names, sizes, times), or always with force.  Returns 1 when it
 * reloaded, 0 when nothing changed (or no CRL path is set), a negative
 * errno when the new files do not read (the CRLs in use stay). */
int trust_store_refresh_crls(struct trust_store *s, bool force, unsigned *ret_foreign);
/* Number of CRLs in use. */
size_t trust_store_crl_count(const struct trust_store *s);

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
