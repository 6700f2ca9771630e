/* daemon/rights.c: loader and lookup for the profession x type table; see
 * rights.h for the file format. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "rights.h"

#define RIGHTS_FILE_MAX (1024 * 1024)

struct rights_rule {
        char profession[RIGHTS_CODE_MAX];
        char type[RIGHTS_CODE_MAX];
        bool allow;
};

struct rights_table {
        size_t n;
        struct rights_rule rules[];
};

struct rights_table *rights_free(struct rights_table *t) {
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

/* A code is 1..RIGHTS_CODE_MAX-1 printable ASCII characters without spaces,
 * or the wildcard "*". */
static bool code_valid(const char *s, size_t n) {
        if (n == 0 || n >= RIGHTS_CODE_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] <= ' ' || s[i] > '~')
                        return false;
        return true;
}

static bool blank_line(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
                        return false;
        return true;
}

/* Splits one line into exactly three TAB-separated fields, validates them
 * and appends the rule; duplicate keys are refused so that an administrator
 * never wonders which of two contradicting lines applies. */
static int parse_line(struct rights_table *t, const char *name, unsigned lineno,
                      const char *s, size_t n, char *err, size_t err_size) {
        const char *f[3];
        size_t flen[3];
        const char *p = s, *end = s + n;
        struct rights_rule *rule;

        if (n > 0 && s[n - 1] == '\r')
                end--;
        for (int i = 0; i < 3; i++) {
                const char *tab = memchr(p, '\t', (size_t) (end - p));

                if (i < 2 && !tab)
                        return fail(err, err_size, -EINVAL, "%s:%u: expected 3 TAB-separated fields", name, lineno);
                if (i == 2 && tab)
                        return fail(err, err_size, -EINVAL, "%s:%u: more than 3 fields", name, lineno);
                f[i] = p;
                flen[i] = (size_t) ((tab ? tab : end) - p);
                p = tab ? tab + 1 : end;
        }
        if (!code_valid(f[0], flen[0]))
                return fail(err, err_size, -EINVAL, "%s:%u: invalid profession code", name, lineno);
        if (!code_valid(f[1], flen[1]))
                return fail(err, err_size, -EINVAL, "%s:%u: invalid document type code", name, lineno);
        if (t->n >= RIGHTS_RULES_MAX)
                return fail(err, err_size, -E2BIG, "%s:%u: more than %d rules", name, lineno, RIGHTS_RULES_MAX);

        rule = &t->rules[t->n];
        memcpy(rule->profession, f[0], flen[0]);
        rule->profession[flen[0]] = '\0';
        memcpy(rule->type, f[1], flen[1]);
        rule->type[flen[1]] = '\0';
        if (flen[2] == 5 && memcmp(f[2], "allow", 5) == 0)
                rule->allow = true;
        else if (flen[2] == 4 && memcmp(f[2], "deny", 4) == 0)
                rule->allow = false;
        else
                return fail(err, err_size, -EINVAL, "%s:%u: third field must be 'allow' or 'deny'", name, lineno);

        for (size_t i = 0; i < t->n; i++)
                if (strcmp(t->rules[i].profession, rule->profession) == 0 &&
                    strcmp(t->rules[i].type, rule->type) == 0)
                        return fail(err, err_size, -EINVAL, "%s:%u: duplicate rule for %s/%s",
                                    name, lineno, rule->profession, rule->type);
        t->n++;
        return 0;
}

int rights_parse(const char *name, const char *text, struct rights_table **ret, char *err, size_t err_size) {
        _cleanup_(rights_freep) struct rights_table *t = NULL;
        unsigned lineno = 0;
        const char *p;
        int r;

        if (!name || !text || !ret)
                return -EINVAL;
        if (err && err_size > 0)
                err[0] = '\0';

        t = calloc(1, sizeof(*t) + RIGHTS_RULES_MAX * sizeof(struct rights_rule));
        if (!t)
                return -ENOMEM;

        for (p = text; *p; ) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t) (nl - p) : strlen(p);

                lineno++;
                if (n > 0 && p[0] == '#')
                        ;
                else if (!blank_line(p, n)) {
                        r = parse_line(t, name, lineno, p, n, err, err_size);
                        if (r < 0)
                                return r;
                }
                p += n + (nl ? 1 : 0);
        }
        if (t->n == 0)
                return fail(err, err_size, -EINVAL, "%s: no rules", name);

        *ret = TAKE_PTR(t);
        return 0;
}

int rights_load(const char *path, struct rights_table **ret, char *err, size_t err_size) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t n;

        if (!path || !ret)
                return -EINVAL;
        f = fopen(path, "re");
        if (!f)
                return fail(err, err_size, negerrno(), "%s: %m", path);
        buf = malloc(RIGHTS_FILE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        n = fread(buf, 1, RIGHTS_FILE_MAX + 1, f);
        if (ferror(f))
                return fail(err, err_size, -EIO, "%s: read error", path);
        if (n > RIGHTS_FILE_MAX)
                return fail(err, err_size, -EFBIG, "%s: larger than %d bytes", path, RIGHTS_FILE_MAX);
        if (memchr(buf, '\0', n)) {
                /* name the line holding the NUL */
                unsigned line = 1;
                for (size_t i = 0; buf[i]; i++)
                        line += buf[i] == '\n';
                return fail(err, err_size, -EINVAL, "%s:%u: NUL byte", path, line);
        }
        buf[n] = '\0';
        return rights_parse(path, buf, ret, err, err_size);
}

/* Walks the rules once, remembering the best match by specificity. */
bool rights_allows(const struct rights_table *t, const char *profession, const char *type_code) {
        int best = -1;
        bool allow = false;

        if (!t || !profession || !type_code)
                return false;
        for (size_t i = 0; i < t->n; i++) {
                const struct rights_rule *rule = &t->rules[i];
                bool pw = strcmp(rule->profession, "*") == 0, tw = strcmp(rule->type, "*") == 0;
                int score;

                if (!pw && strcmp(rule->profession, profession) != 0)
                        continue;
                if (!tw && strcmp(rule->type, type_code) != 0)
                        continue;
                score = (pw ? 0 : 2) + (tw ? 0 : 1);
                if (score > best) {
                        best = score;
                        allow = rule->allow;
                }
        }
        return allow;
}

size_t rights_count(const struct rights_table *t) {
        return t ? t->n : 0;
}
