/* tests/sim/profile.c: parser for card profile files (see profile.h). */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/kv.h"
#include "lib/macro.h"
#include "profile.h"

#define PROFILE_MAX_ENTRIES 512
#define PROFILE_LINE_MAX 8192

struct entry {
        char *key;
        char *value;
};

struct profile {
        char dir[PATH_MAX];
        struct entry e[PROFILE_MAX_ENTRIES];
        size_t n;
};

void profile_free(struct profile *p) {
        if (!p)
                return;
        for (size_t i = 0; i < p->n; i++) {
                free(p->e[i].key);
                free(p->e[i].value);
        }
        free(p);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct profile, profile_free);

/* Adds one pair; prints "file:line: reason" to stderr when it cannot. */
static int profile_add(struct profile *p, const char *path, unsigned lineno, const char *k, const char *v) {
        if (!*k) {
                fprintf(stderr, "%s:%u: empty key\n", path, lineno);
                return -EINVAL;
        }
        if (profile_get(p, k)) {
                fprintf(stderr, "%s:%u: duplicate key '%s'\n", path, lineno, k);
                return -EINVAL;
        }
        if (p->n >= PROFILE_MAX_ENTRIES) {
                fprintf(stderr, "%s:%u: too many entries\n", path, lineno);
                return -E2BIG;
        }
        p->e[p->n].key = strdup(k);
        p->e[p->n].value = strdup(v);
        p->n++; /* profile_free frees what was copied */
        return p->e[p->n - 1].key && p->e[p->n - 1].value ? 0 : -ENOMEM;
}

/* Reads a profile; prints "file:line: reason" to stderr on a bad line. */
int profile_load(const char *path, struct profile **ret) {
        _cleanup_(profile_freep) struct profile *p = calloc(1, sizeof(*p));
        _cleanup_fclose_ FILE *f = NULL;
        char line[PROFILE_LINE_MAX], tmp[PATH_MAX], *k, *v;
        struct kv_reader kr;
        int r;

        if (!p)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f)
                return negerrno();
        if (strcpy_bounded(tmp, sizeof(tmp), path) < 0)
                return -ENAMETOOLONG;
        (void)strcpy_bounded(p->dir, sizeof(p->dir), dirname(tmp));

        kv_reader_init(&kr, f, line, sizeof(line));
        while ((r = kv_next(&kr, &k, &v)) > 0)
                if ((r = profile_add(p, path, kr.lineno, k, v)) < 0)
                        return r;
        if (r < 0) {
                fprintf(stderr, "%s:%u: %s\n", path, kr.lineno, kv_strerror(r));
                return r == -EIO ? -EIO : -EINVAL;
        }
        *ret = TAKE_PTR(p);
        return 0;
}

const char *profile_get(const struct profile *p, const char *key) {
        for (size_t i = 0; i < p->n; i++)
                if (strcmp(p->e[i].key, key) == 0)
                        return p->e[i].value;
        return NULL;
}

long profile_get_long(const struct profile *p, const char *key, long def, int *err) {
        const char *v = profile_get(p, key);
        char *end;
        if (!v)
                return def;
        errno = 0;
        long n = strtol(v, &end, 0);
        if (errno || end == v || *end) {
                fprintf(stderr, "profile: key '%s': not a number: '%s'\n", key, v);
                *err = -EINVAL;
                return def;
        }
        return n;
}

int hex_decode(const char *s, uint8_t *buf, size_t size) {
        size_t n = 0;
        int hi = -1;
        for (; *s; s++) {
                int d;
                if (isspace((unsigned char)*s) || *s == ':')
                        continue;
                if (*s >= '0' && *s <= '9')
                        d = *s - '0';
                else if (*s >= 'a' && *s <= 'f')
                        d = *s - 'a' + 10;
                else if (*s >= 'A' && *s <= 'F')
                        d = *s - 'A' + 10;
                else
                        return -EINVAL;
                if (hi < 0) {
                        hi = d;
                        continue;
                }
                if (n >= size)
                        return -ENOBUFS;
                buf[n++] = (uint8_t)(hi << 4 | d);
                hi = -1;
        }
        if (hi >= 0)
                return -EINVAL;
        return (int)n;
}

int profile_get_hex(const struct profile *p, const char *key, uint8_t *buf, size_t size) {
        const char *v = profile_get(p, key);
        if (!v)
                return -ENOENT;
        int n = hex_decode(v, buf, size);
        if (n < 0)
                fprintf(stderr, "profile: key '%s': bad hex value\n", key);
        return n;
}

int profile_path(const struct profile *p, const char *key, char *out, size_t size) {
        const char *v = profile_get(p, key);
        int n;
        if (!v)
                return -ENOENT;
        if (v[0] == '/')
                n = snprintf(out, size, "%s", v);
        else
                n = snprintf(out, size, "%s/%s", p->dir, v);
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
