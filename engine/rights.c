/* engine/rights.c: loader and lookup for the profession x type table; see
 * rights.h for the file format. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/macro.h"
#include "rights.h"
#include "tsv.h"

#define RIGHTS_FILE_MAX (1024 * 1024)

struct rights_rule {
        char profession[RIGHTS_CODE_MAX];
        char type[RIGHTS_CODE_MAX];
        bool allow;
        int score; /* its specificity: 2 for a profession, 1 for a type, 0 for "*" */
};

struct rights_table {
        size_t n;
        struct rights_rule rules[];
};

struct rights_table *rights_free(struct rights_table *t) {
        free(t);
        return NULL;
}

/* A code is 1..RIGHTS_CODE_MAX-1 printable ASCII characters without spaces,
 * or the wildcard "*". */
static bool code_valid(const char *s, size_t n) {
        return tsv_code_valid(s, n, RIGHTS_CODE_MAX, TSV_CODE_PRINTABLE);
}

/* Validates one line's three fields and appends the rule; duplicate keys
 * are refused so that an administrator never wonders which of two
 * contradicting lines applies. */
static int parse_line(void *userdata, const char *name, unsigned lineno, const struct tsv_field f[], char *err,
                      size_t err_size) {
        struct rights_table *t = userdata;
        struct rights_rule *rule;

        if (!code_valid(f[0].p, f[0].n))
                return tsv_fail(err, err_size, -EINVAL, "%s:%u: invalid profession code", name, lineno);
        if (!code_valid(f[1].p, f[1].n))
                return tsv_fail(err, err_size, -EINVAL, "%s:%u: invalid document type code", name, lineno);
        if (t->n >= RIGHTS_RULES_MAX)
                return tsv_fail(err, err_size, -E2BIG, "%s:%u: more than %d rules", name, lineno, RIGHTS_RULES_MAX);

        rule = &t->rules[t->n];
        memcpy(rule->profession, f[0].p, f[0].n);
        rule->profession[f[0].n] = '\0';
        memcpy(rule->type, f[1].p, f[1].n);
        rule->type[f[1].n] = '\0';
        if (tsv_field_is(&f[2], "allow"))
                rule->allow = true;
        else if (tsv_field_is(&f[2], "deny"))
                rule->allow = false;
        else
                return tsv_fail(err, err_size, -EINVAL, "%s:%u: third field must be 'allow' or 'deny'", name, lineno);

        rule->score = (strcmp(rule->profession, "*") != 0) * 2 + (strcmp(rule->type, "*") != 0);
        for (size_t i = 0; i < t->n; i++)
                if (strcmp(t->rules[i].profession, rule->profession) == 0 &&
                    strcmp(t->rules[i].type, rule->type) == 0)
                        return tsv_fail(err, err_size, -EINVAL, "%s:%u: duplicate rule for %s/%s",
                                        name, lineno, rule->profession, rule->type);
        t->n++;
        return 0;
}

int rights_parse(const char *name, const char *text, struct rights_table **ret, char *err, size_t err_size) {
        _cleanup_(rights_freep) struct rights_table *t = NULL;
        void *p = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        if (err && err_size > 0)
                err[0] = '\0';
        r = tsv_parse_new(name, text, sizeof(*t), sizeof(struct rights_rule), RIGHTS_RULES_MAX, 3, parse_line, &p,
                          err, err_size);
        if (r < 0)
                return r;
        t = p;
        if (t->n == 0)
                return tsv_fail(err, err_size, -EINVAL, "%s: no rules", name);

        *ret = TAKE_PTR(t);
        return 0;
}

int rights_load(const char *path, struct rights_table **ret, char *err, size_t err_size) {
        _cleanup_free_ char *buf = NULL;
        int r = ret ? tsv_read_file(path, RIGHTS_FILE_MAX, &buf, err, err_size) : -EINVAL;

        return r < 0 ? r : rights_parse(path, buf, ret, err, err_size);
}

/* Walks the rules, remembering the best match by specificity (scored
 * at load); keys are unique, so the exact rule, once found, is the
 * answer.  Called for every document of a list. */
bool rights_allows(const struct rights_table *t, const char *profession, const char *type_code) {
        int best = -1;
        bool allow = false;

        if (!t || !profession || !type_code)
                return false;
        for (size_t i = 0; i < t->n; i++) {
                const struct rights_rule *rule = &t->rules[i];

                if (rule->score <= best || ((rule->score & 2) && strcmp(rule->profession, profession) != 0) ||
                    ((rule->score & 1) && strcmp(rule->type, type_code) != 0))
                        continue;
                best = rule->score;
                allow = rule->allow;
                if (best == 3)
                        break;
        }
        return allow;
}

size_t rights_count(const struct rights_table *t) {
        return t ? t->n : 0;
}
