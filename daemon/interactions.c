/* daemon/interactions.c: loader and lookup for the interaction table; see
 * interactions.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interactions.h"
#include "macro.h"

#define INTERACTIONS_FILE_MAX (4 * 1024 * 1024)

struct interactions {
        size_t n;
        struct interaction rules[];
};

struct interactions *interactions_free(struct interactions *t) {
        free(t);
        return NULL;
}

_printf_(4, 5)
static int fail(char *err, size_t err_size, int r, const char *fmt, ...) {
        va_list ap;

        if (err && err_size > 0) {
                va_start(ap, fmt);
                vsnprintf(err, err_size, fmt, ap);
                va_end(ap);
        }
        return r;
}

int interactions_code_valid(const char *code, size_t n) {
        if (!code || n == 0 || n >= INTERACTIONS_CODE_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((code[i] >= 'A' && code[i] <= 'Z') || (code[i] >= '0' && code[i] <= '9')))
                        return false;
        return true;
}

/* Four TAB-separated fields; the note may hold any printable UTF-8 but no
 * TAB or control character. */
static int parse_line(struct interactions *t, const char *name, unsigned lineno, const char *s, size_t n,
                      char *err, size_t err_size) {
        const char *f[4], *p = s, *end = s + n;
        size_t flen[4];
        struct interaction *rule;

        if (n > 0 && s[n - 1] == '\r')
                end--;
        for (int i = 0; i < 4; i++) {
                const char *tab = memchr(p, '\t', (size_t) (end - p));

                if (i < 3 && !tab)
                        return fail(err, err_size, -EINVAL, "%s:%u: expected 4 TAB-separated fields", name, lineno);
                if (i == 3 && tab)
                        return fail(err, err_size, -EINVAL, "%s:%u: more than 4 fields", name, lineno);
                f[i] = p;
                flen[i] = (size_t) ((tab ? tab : end) - p);
                p = tab ? tab + 1 : end;
        }
        if (!interactions_code_valid(f[0], flen[0]) || !interactions_code_valid(f[1], flen[1]))
                return fail(err, err_size, -EINVAL, "%s:%u: invalid substance code", name, lineno);
        if (flen[0] == flen[1] && memcmp(f[0], f[1], flen[0]) == 0)
                return fail(err, err_size, -EINVAL, "%s:%u: substance paired with itself", name, lineno);
        if (!((flen[2] == 15 && memcmp(f[2], "contraindicated", 15) == 0) ||
              (flen[2] == 5 && memcmp(f[2], "avoid", 5) == 0) || (flen[2] == 7 && memcmp(f[2], "caution", 7) == 0)))
                return fail(err, err_size, -EINVAL, "%s:%u: severity must be contraindicated, avoid or caution",
                            name, lineno);
        if (flen[3] == 0 || flen[3] >= INTERACTIONS_NOTE_MAX)
                return fail(err, err_size, -EINVAL, "%s:%u: note must be 1 to %d bytes", name, lineno,
                            INTERACTIONS_NOTE_MAX - 1);
        for (size_t i = 0; i < flen[3]; i++)
                if ((unsigned char) f[3][i] < ' ' || f[3][i] == 0x7f)
                        return fail(err, err_size, -EINVAL, "%s:%u: control character in note", name, lineno);
        if (t->n >= INTERACTIONS_MAX)
                return fail(err, err_size, -E2BIG, "%s:%u: more than %d pairs", name, lineno, INTERACTIONS_MAX);

        rule = &t->rules[t->n];
        memcpy(rule->a, f[0], flen[0]);
        memcpy(rule->b, f[1], flen[1]);
        memcpy(rule->severity, f[2], flen[2]);
        memcpy(rule->note, f[3], flen[3]);
        if (interactions_find(t, rule->a, rule->b))
                return fail(err, err_size, -EINVAL, "%s:%u: duplicate pair %s/%s", name, lineno, rule->a, rule->b);
        t->n++;
        return 0;
}

int interactions_parse(const char *name, const char *text, struct interactions **ret, char *err, size_t err_size) {
        _cleanup_(interactions_freep) struct interactions *t = NULL;
        unsigned lineno = 0;
        int r;

        if (!name || !text || !ret)
                return -EINVAL;
        t = calloc(1, sizeof(*t) + INTERACTIONS_MAX * sizeof(struct interaction));
        if (!t)
                return -ENOMEM;
        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t) (nl - p) : strlen(p);
                bool blank = true;

                lineno++;
                for (size_t i = 0; i < n; i++)
                        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
                                blank = false;
                if (!blank && p[0] != '#') {
                        r = parse_line(t, name, lineno, p, n, err, err_size);
                        if (r < 0)
                                return r;
                }
                p += n + (nl ? 1 : 0);
        }
        *ret = TAKE_PTR(t);
        return 0;
}

int interactions_load(const char *path, struct interactions **ret, char *err, size_t err_size) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t n;

        if (!path || !ret)
                return -EINVAL;
        f = fopen(path, "re");
        if (!f)
                return fail(err, err_size, negerrno(), "%s: %m", path);
        buf = malloc(INTERACTIONS_FILE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        n = fread(buf, 1, INTERACTIONS_FILE_MAX + 1, f);
        if (ferror(f))
                return fail(err, err_size, -EIO, "%s: read error", path);
        if (n > INTERACTIONS_FILE_MAX)
                return fail(err, err_size, -EFBIG, "%s: too large", path);
        if (memchr(buf, '\0', n))
                return fail(err, err_size, -EINVAL, "%s: NUL byte", path);
        buf[n] = '\0';
        return interactions_parse(path, buf, ret, err, err_size);
}

const struct interaction *interactions_find(const struct interactions *t, const char *a, const char *b) {
        if (!t || !a || !b)
                return NULL;
        for (size_t i = 0; i < t->n; i++) {
                const struct interaction *x = &t->rules[i];
                if ((strcmp(x->a, a) == 0 && strcmp(x->b, b) == 0) || (strcmp(x->a, b) == 0 && strcmp(x->b, a) == 0))
                        return x;
        }
        return NULL;
}

size_t interactions_count(const struct interactions *t) {
        return t ? t->n : 0;
}
