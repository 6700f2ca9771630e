/* http/forwarded.c: the Forwarded request header (forwarded.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "forwarded.h"

/* RFC 9110 5.6.2 */
static const char tchar[] = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* One value at *p (a token, or a quoted string with its backslash
 * escapes), copied into buf when buf is not NULL; *p moves past it.  Its
 * length, or -EINVAL. */
static int pair_value(const char **p, char *buf, size_t size) {
        const char *s = *p;
        size_t k = 0;
        if (*s != '"') {
                size_t n = strspn(s, tchar);
                if (n == 0 || (buf && n >= size))
                        return -EINVAL;
                if (buf) {
                        memcpy(buf, s, n);
                        buf[n] = '\0';
                }
                *p = s + n;
                return (int)n;
        }
        for (s++; *s != '"'; s++) {
                if (*s == '\\')
                        s++;
                /* qdtext and quoted-pair: no control character but the tab */
                if (*s == '\0' || ((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
                        return -EINVAL;
                if (buf && k + 1 >= size)
                        return -EINVAL;
                if (buf)
                        buf[k] = *s;
                k++;
        }
        if (buf)
                buf[k] = '\0';
        *p = s + 1;
        return (int)k;
}

int http_forwarded_param(const char *value, const char *name, char *buf, size_t size) {
        static const char ows[] = " \t";
        const char *p = value;
        size_t nl = strlen(name);

        if (!p || size == 0)
                return -ENOENT;
        for (;;) {
                p += strspn(p, ows);
                if (*p == '\0' || *p == ',')
                        return -ENOENT; /* the end of the first element */
                if (*p == ';') {        /* an empty pair */
                        p++;
                        continue;
                }
                size_t n = strspn(p, tchar);
                if (n == 0 || p[n] != '=')
                        return -EINVAL;
                bool match = n == nl && strncasecmp(p, name, n) == 0;
                p += n + 1;
                int r = pair_value(&p, match ? buf : NULL, size);
                p += strspn(p, ows);
                if (r < 0 || (*p != ';' && *p != ',' && *p != '\0'))
                        return -EINVAL; /* a value is a token or a quoted string, whole */
                if (match)
                        return 0;
                if (*p == ';')
                        p++;
        }
}
