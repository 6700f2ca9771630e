/* http/query.c: a request's query split and percent-decoded, '+' kept. */
#include <errno.h>
#include <string.h>

#include "lib/macro.h"
#include "query.h"

/* Percent-decodes s in place (the result is never longer). */
static void unescape(char *s) {
        char *w = s;
        for (const char *r = s; *r;) {
                int hi = r[0] == '%' ? hex_digit(r[1]) : -1;
                int lo = hi >= 0 ? hex_digit(r[2]) : -1;
                if (lo >= 0) {
                        *w++ = (char)(hi << 4 | lo);
                        r += 3;
                } else
                        *w++ = *r++;
        }
        *w = '\0';
}

int http_query_split(char *q, struct api_kv *kv, size_t max, size_t *n) {
        *n = 0;
        while (q && *q) {
                char *amp = strchr(q, '&');
                if (amp)
                        *amp = '\0';
                if (*n == max)
                        return -E2BIG;
                char *eq = strchr(q, '=');
                if (eq)
                        *eq = '\0';
                unescape(q);
                if (eq)
                        unescape(eq + 1);
                kv[(*n)++] = (struct api_kv){q, eq ? eq + 1 : ""};
                q = amp ? amp + 1 : NULL;
        }
        return 0;
}
