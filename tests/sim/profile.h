/* tests/sim/profile.h: the small "key = value" files that describe a card.
 *
 * Lines are "key = value"; '#' starts a comment; blank lines are skipped.
 * Keys may repeat only when listed with profile_get_nth().  Paths in values
 * are taken relative to the profile's own folder by profile_path(). */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct profile;

int profile_load(const char *path, struct profile **ret);
void profile_free(struct profile *p);

/* The value of key, or NULL. */
const char *profile_get(const struct profile *p, const char *key);
/* Integer value of key, or def when absent; -EINVAL via *err when malformed. */
long profile_get_long(const struct profile *p, const char *key, long def, int *err);
/* Decodes a hex value ("3B 75 13" or "3b7513") into buf; returns the byte
 * count, -ENOENT when absent, -EINVAL when malformed, -ENOBUFS when too long. */
int profile_get_hex(const struct profile *p, const char *key, uint8_t *buf, size_t size);
/* Resolves a path value against the profile's folder into out. */
int profile_path(const struct profile *p, const char *key, char *out, size_t size);

/* Hex decoding helper shared with the cards. */
int hex_decode(const char *s, uint8_t *buf, size_t size);
