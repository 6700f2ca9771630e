/* tests/fuzz/fuzz-identity.c: pkcs11/p11-identity.c's certificate to
 * identity mapping (default map) and key-usage reading on any bytes as a
 * DER certificate. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pkcs11/p11-identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct p11_identity id;
        unsigned ku;
        (void)p11_identity_from_cert(NULL, data, size, &id);
        (void)p11_cert_key_usage(data, size, &ku);
        return 0;
}
