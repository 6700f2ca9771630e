/* tests/unit/scrypt-wrap.h: EVP_PBE_scrypt wrapped (this binary's
 * definition comes before libcrypto's, for the engine's own calls too):
 * the patient secret's hashes are counted (scrypt_calls), can be made to
 * fail (scrypt_fail), and the next one held until the test lets it go
 * (call-hold.h).  For one test file per binary. */
#pragma once

#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "call-hold.h"

static atomic_uint scrypt_calls;
static atomic_bool scrypt_fail;

int EVP_PBE_scrypt(const char *pass, size_t passlen, const unsigned char *salt, size_t saltlen, uint64_t N,
                   uint64_t r, uint64_t p, uint64_t maxmem, unsigned char *key, size_t keylen) {
        typedef int scrypt_fn(const char *, size_t, const unsigned char *, size_t, uint64_t, uint64_t, uint64_t,
                              uint64_t, unsigned char *, size_t);
        static scrypt_fn *real;
        if (!real)
                real = (scrypt_fn *) dlsym(RTLD_NEXT, "EVP_PBE_scrypt");
        scrypt_calls++;
        hold_point();
        if (scrypt_fail)
                return 0;
        return real(pass, passlen, salt, saltlen, N, r, p, maxmem, key, keylen);
}
