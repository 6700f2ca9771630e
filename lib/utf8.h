/* lib/utf8.h: the project's one strict UTF-8 check.
 *
 * Strict means what RFC 3629 allows and nothing more: no overlong forms,
 * no UTF-16 surrogates (U+D800..U+DFFF), nothing above U+10FFFF, and no
 * sequence cut short by the end of the buffer. NUL and control characters
 * are valid UTF-8; callers that refuse them check that themselves. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The length (1 to 4) of the UTF-8 sequence at p, of which at most n bytes
 * may be read (n >= 1), or 0 when it is not a valid sequence. */
size_t utf8_seq(const unsigned char *p, size_t n);

/* True when the len bytes at s are valid UTF-8 (an empty string is). */
bool utf8_valid(const char *s, size_t len);
