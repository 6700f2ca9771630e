/* lib/url.c: percent-encoding; see url.h. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "url.h"

int url_append(char *out, size_t size, const char *s, const char *keep) {
        size_t n = strlen(out);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                bool plain = isalnum(*p) || strchr("-._~", *p) || (keep && strchr(keep, *p));
                if (n + 4 > size) {
                        out[n] = '\0';
                        return -E2BIG;
                }
                if (plain)
                        out[n++] = (char)*p;
                else
                        n += (size_t)snprintf(out + n, 4, "%%%02X", *p);
        }
        out[n] = '\0';
        return 0;
}
