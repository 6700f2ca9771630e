/* lib/nir.h: checks a French NIR (numéro d'inscription au répertoire), the
 * number the INS (identifiant national de santé) is built on.
 *
 * A NIR is 13 characters plus a 2-digit key; the key is
 * 97 - (the 13 first characters read as a number, mod 97). Corsican
 * department codes "2A" and "2B" (characters 6-7) count as 19 and 18 when
 * computing the key. Source: docs/rules.md §5. */
#pragma once

#include <stdbool.h>

#define NIR_LEN 15 /* 13 + key, no separators */

/* Computes the key of the first 13 characters of nir13 (which needs not be
 * NUL-terminated after them). Returns 0 and the key in *ret_key, or -EINVAL
 * when the 13 characters are not a well-formed NIR body. */
int nir_key(const char *nir13, unsigned *ret_key);

/* Returns 0 when nir is exactly 15 characters with a correct key, -EINVAL when
 * it is malformed (length, characters), -EBADMSG when only the key is wrong. */
int nir_check(const char *nir);

/* A NIR has one spelling, the one the dossiers are keyed by: a Corsican
 * department's letter in upper case ("2A", "2B"), though nir_check() and
 * the key take "2a" and "2b" too (docs/rules.md §5).  nir_canonical()
 * checks nir as nir_check() does and, when it is valid (0), writes that
 * spelling to ret, NIR_LEN + 1 bytes; ret is left as it was otherwise.
 * nir_check_canonical() is nir_check() that also refuses (-EINVAL) a NIR
 * not spelt so. */
int nir_canonical(const char *nir, char ret[NIR_LEN + 1]);
int nir_check_canonical(const char *nir);

/* True when the NIR is provisional (first digit 7 or 8). */
bool nir_is_provisional(const char *nir);
