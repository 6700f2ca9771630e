/* tests/unit/call-hold.h: holds one wrapped call until the test lets it
 * go.  A test binary wraps a library function (its definition comes
 * before the library's, for the engine's own calls too) and calls
 * hold_point() inside it: after hold_next(), the next call to get there
 * waits until hold_release(), and hold_wait() returns once one is held.
 * Used to hold a read inside its content's SHA-256 check
 * (test-dossier-readers.c, EVP_Digest), a sync (test-group-commit.c,
 * fdatasync) and a patient secret's hash (scrypt-wrap.h).  For one test
 * file per binary. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

static atomic_bool hold_armed;
static bool hold_held;
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cond = PTHREAD_COND_INITIALIZER;

static inline void hold_next(void) {
        hold_armed = true;
}

/* Inside the wrapper: waits there when armed (once). */
static inline void hold_point(void) {
        if (!atomic_exchange(&hold_armed, false))
                return;
        pthread_mutex_lock(&hold_lock);
        hold_held = true;
        pthread_cond_broadcast(&hold_cond);
        while (hold_held)
                pthread_cond_wait(&hold_cond, &hold_lock);
        pthread_mutex_unlock(&hold_lock);
}

/* Returns once a call is held. */
static inline void hold_wait(void) {
        pthread_mutex_lock(&hold_lock);
        while (!hold_held)
                pthread_cond_wait(&hold_cond, &hold_lock);
        pthread_mutex_unlock(&hold_lock);
}

static inline void hold_release(void) {
        pthread_mutex_lock(&hold_lock);
        hold_held = false;
        pthread_cond_broadcast(&hold_cond);
        pthread_mutex_unlock(&hold_lock);
}
