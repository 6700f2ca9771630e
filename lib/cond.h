/* lib/cond.h: condition variables that time out on the monotonic clock.
 *
 * pthread_cond_timedwait() measures its deadline on the clock the condition
 * was made with; the monotonic one does not jump when the wall clock is
 * set, so a wait of one second stays one second.  Deadlines come from
 * timespec_after_ms(CLOCK_MONOTONIC, ms) (macro.h). */
#pragma once

#include <pthread.h>
#include <time.h>

/* pthread_cond_init() on CLOCK_MONOTONIC; returns 0 or a negative errno. */
static inline int cond_init_monotonic(pthread_cond_t *c) {
        pthread_condattr_t ca;
        int r = pthread_condattr_init(&ca);
        if (r)
                return -r;
        r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        if (!r)
                r = pthread_cond_init(c, &ca);
        pthread_condattr_destroy(&ca);
        return -r;
}
