/* tests/unit/digest-hold.h: EVP_Digest wrapped (this binary's definition
 * comes first for the engine's own calls): after digest_hold_next(), the
 * next call waits inside until digest_release(), so that a test can hold
 * a read inside its content's SHA-256 check, on its snapshot; the calls
 * are counted (a content checked twice: read twice).  For one test file
 * per binary. */
#pragma once

#include <dlfcn.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

static atomic_bool digest_hold;
static atomic_uint digest_calls; /* every call, held or not */
static bool digest_held;
static pthread_mutex_t digest_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t digest_cond = PTHREAD_COND_INITIALIZER;

int EVP_Digest(const void *data, size_t count, unsigned char *md, unsigned int *size, const EVP_MD *type,
               ENGINE *impl) {
        static int (*real)(const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *, ENGINE *);
        if (!real)
                real = (int (*)(const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *, ENGINE *))
                        dlsym(RTLD_NEXT, "EVP_Digest");
        digest_calls++;
        if (atomic_exchange(&digest_hold, false)) {
                pthread_mutex_lock(&digest_lock);
                digest_held = true;
                pthread_cond_broadcast(&digest_cond);
                while (digest_held)
                        pthread_cond_wait(&digest_cond, &digest_lock);
                pthread_mutex_unlock(&digest_lock);
        }
        return real(data, count, md, size, type, impl);
}

static inline void digest_hold_next(void) {
        digest_hold = true;
}

/* Returns once a call is held. */
static inline void digest_wait_held(void) {
        pthread_mutex_lock(&digest_lock);
        while (!digest_held)
                pthread_cond_wait(&digest_cond, &digest_lock);
        pthread_mutex_unlock(&digest_lock);
}

static inline void digest_release(void) {
        pthread_mutex_lock(&digest_lock);
        digest_held = false;
        pthread_cond_broadcast(&digest_cond);
        pthread_mutex_unlock(&digest_lock);
}
