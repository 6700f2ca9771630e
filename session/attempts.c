/* session/attempts.c: the wrong-secret counters. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "attempts.h"
#include "lib/macro.h"

struct slot {
        char key[32];
        unsigned fails;
        time_t last;         /* last wrong secret */
        time_t locked_until; /* 0: not locked */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[ATTEMPTS_SLOTS];

/* The slot of key, or NULL; with make, a new one: an empty slot, else
 * the one whose last wrong secret is the oldest. */
static struct slot *find(const char *key, bool make) {
        struct slot *victim = NULL;
        for (size_t i = 0; i < ATTEMPTS_SLOTS; i++) {
                struct slot *s = &slots[i];
                if (!s->key[0]) {
                        if (!victim || victim->key[0])
                                victim = s;
                        continue;
                }
                if (strcmp(s->key, key) == 0)
                        return s;
                if (!victim || (victim->key[0] && s->last < victim->last))
                        victim = s;
        }
        if (!make)
                return NULL;
        secure_zero(victim, sizeof(*victim));
        (void)strcpy_bounded(victim->key, sizeof(victim->key), key);
        return victim;
}

int attempts_check(const char *key, time_t now, unsigned *ret_retry_after) {
        int r = 0;
        pthread_mutex_lock(&lock);
        struct slot *s = find(key, false);
        if (s && s->locked_until > now) {
                *ret_retry_after = (unsigned)(s->locked_until - now);
                r = -EBUSY;
        } else if (s && s->locked_until) {
                s->locked_until = 0; /* the lock ran out: a fresh count */
                s->fails = 0;
        }
        pthread_mutex_unlock(&lock);
        return r;
}

int attempts_failed(const char *key, time_t now) {
        int locked = 0;
        pthread_mutex_lock(&lock);
        struct slot *s = find(key, true);
        s->last = now;
        if (++s->fails >= ATTEMPTS_MAX) {
                s->locked_until = now + ATTEMPTS_LOCK_S;
                locked = 1;
        }
        pthread_mutex_unlock(&lock);
        return locked;
}

void attempts_succeeded(const char *key) {
        pthread_mutex_lock(&lock);
        struct slot *s = find(key, false);
        if (s)
                secure_zero(s, sizeof(*s));
        pthread_mutex_unlock(&lock);
}

void attempts_reset(void) {
        pthread_mutex_lock(&lock);
        secure_zero(slots, sizeof(slots));
        pthread_mutex_unlock(&lock);
}
