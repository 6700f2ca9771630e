/* engine/interactions.c: loader and lookup for the interaction table; see
 * interactions.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interactions.h"
#include "lib/macro.h"
#include "tsv.h"

#define INTERACTIONS_FILE_MAX (4 * 1024 * 1024)

struct interactions {
        size_t n;
        struct interaction rules[];
};

struct interactions *interactions_free(struct interactions *t) {
        free(t);
        return NULL;
}

int interactions_code_valid(const char *code, size_t n) {
        return tsv_code_valid(code, n, INTERACTIONS_CODE_MAX, TSV_CODE_UPPER_DIGITS);
}

/* Validates one line's four fields and appends the pair; the note may hold
 * any printable UTF-8 but no TAB or control character. */
static int parse_line(void *userdata, const char *name, unsigned lineno, const struct tsv_field f[], char *err,
                      size_t err_size) {
        struct interactions *t = userdata;
        struct interaction *rule;

        if (!interactions_code_valid(f[0].p, f[0].n) || !interactions_code_valid(f[1].p, f[1].n))
                return tsv_fail(err, err_size, -EINVAL, "%s:%u: invalid substance code", name, lineno);
        if (f[0].n == f[1].n && memcmp(f[0].p, f[1].p, f[0].n) == 0)
                return tsv_fail(err, err_size, -EINVAL, "%s:%u: substance paired with itself", name, lineno);
        if (!tsv_field_is(&f[2], "contraindicated") && !tsv_field_is(&f[2], "avoid") &&
            !tsv_field_is(&f[2], "caution"))
                return tsv_fail(err, err_size, -EINVAL, "%s:%u: severity must be contraindicated, avoid or caution",
                                name, lineno);
        if (f[3].n == 0 || f[3].n >= INTERACTIONS_NOTE_MAX)
                return tsv_fail(err, err_size, -EINVAL, "%s:%u: note must be 1 to %d bytes", name, lineno,
                                INTERACTIONS_NOTE_MAX - 1);
        for (size_t i = 0; i < f[3].n; i++)
                if ((unsigned char) f[3].p[i] < ' ' || f[3].p[i] == 0x7f)
                        return tsv_fail(err, err_size, -EINVAL, "%s:%u: control character in note", name, lineno);
        if (t->n >= INTERACTIONS_MAX)
                return tsv_fail(err, err_size, -E2BIG, "%s:%u: more than %d pairs", name, lineno, INTERACTIONS_MAX);

        rule = &t->rules[t->n];
        memcpy(rule->a, f[0].p, f[0].n);
        memcpy(rule->b, f[1].p, f[1].n);
        memcpy(rule->severity, f[2].p, f[2].n);
        memcpy(rule->note, f[3].p, f[3].n);
        if (interactions_find(t, rule->a, rule->b))
                return tsv_fail(err, err_size, -EINVAL, "%s:%u: duplicate pair %s/%s", name, lineno, rule->a,
                                rule->b);
        t->n++;
        return 0;
}

int interactions_parse(const char *name, const char *text, struct interactions **ret, char *err, size_t err_size) {
        void *t = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        r = tsv_parse_new(name, text, sizeof(struct interactions), sizeof(struct interaction), INTERACTIONS_MAX, 4,
                          parse_line, &t, err, err_size);
        if (r >= 0)
                *ret = t;
        return r;
}

int interactions_load(const char *path, struct interactions **ret, char *err, size_t err_size) {
        _cleanup_free_ char *buf = NULL;
        int r = ret ? tsv_read_file(path, INTERACTIONS_FILE_MAX, &buf, err, err_size) : -EINVAL;

        return r < 0 ? r : interactions_parse(path, buf, ret, err, err_size);
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
