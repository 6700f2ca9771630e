/* session/attempts.h: a brake on guessing patient secrets.
 *
 * Each wrong secret for a dossier is counted (in memory, keyed by the INS);
 * after ATTEMPTS_MAX wrong secrets in a row the dossier's secret is not even
 * checked for ATTEMPTS_LOCK_S seconds.  A right secret clears the count.
 * The scrypt cost and the Carte Vitale that must be in the reader already
 * slow a guesser down; this makes a long run of guesses impossible.  The
 * table is bounded: when it is full the oldest entry makes room. */
#pragma once

#include <time.h>

#define ATTEMPTS_MAX 5
#define ATTEMPTS_LOCK_S 900
#define ATTEMPTS_SLOTS 256

/* 0 when key may try now; -EBUSY when locked, with the seconds left in
 * *ret_retry_after. */
int attempts_check(const char *key, time_t now, unsigned *ret_retry_after);
/* A wrong secret; returns 1 when this one locked the key. */
int attempts_failed(const char *key, time_t now);
void attempts_succeeded(const char *key);
/* Forgets everything (tests). */
void attempts_reset(void);
