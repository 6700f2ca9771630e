/* lib/utf8.c: strict UTF-8 decoding; see utf8.h. */
#include <stdint.h>

#include "utf8.h"

/* Decodes the lead byte, then each continuation byte, then refuses the
 * overlong forms, the surrogates and what lies above U+10FFFF. */
size_t utf8_seq(const unsigned char *p, size_t n) {
        uint32_t c;
        size_t len;

        if (!p || n == 0)
                return 0;
        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xc2 && p[0] <= 0xdf)
                len = 2, c = p[0] & 0x1f;
        else if (p[0] >= 0xe0 && p[0] <= 0xef)
                len = 3, c = p[0] & 0x0f;
        else if (p[0] >= 0xf0 && p[0] <= 0xf4)
                len = 4, c = p[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (p[i] & 0x3f);
        }
        if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        return len;
}

bool utf8_valid(const char *s, size_t len) {
        const unsigned char *p = (const unsigned char *) s;

        if (!s)
                return len == 0;
        for (size_t i = 0; i < len;) {
                size_t l = utf8_seq(p + i, len - i);

                if (l == 0)
                        return false;
                i += l;
        }
        return true;
}
