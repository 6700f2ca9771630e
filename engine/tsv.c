/* engine/tsv.c: the shared reader of carnet's TAB-separated tables; see
 * tsv.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/macro.h"
#include "tsv.h"

int tsv_fail(char *err, size_t err_size, int r, const char *fmt, ...) {
        va_list ap;

        if (err && err_size > 0) {
                va_start(ap, fmt);
                vsnprintf(err, err_size, fmt, ap);
                va_end(ap);
        }
        return r;
}

int tsv_read_file(const char *path, size_t max, char **ret, char *err, size_t err_size) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t n;

        if (!path || !ret)
                return -EINVAL;
        f = fopen(path, "re");
        if (!f)
                return tsv_fail(err, err_size, negerrno(), "%s: %m", path);
        buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        n = fread(buf, 1, max + 1, f);
        if (ferror(f))
                return tsv_fail(err, err_size, -EIO, "%s: read error", path);
        if (n > max)
                return tsv_fail(err, err_size, -EFBIG, "%s: larger than %zu bytes", path, max);
        if (memchr(buf, '\0', n)) {
                /* name the line holding the NUL */
                unsigned line = 1;
                for (size_t i = 0; buf[i]; i++)
                        line += buf[i] == '\n';
                return tsv_fail(err, err_size, -EINVAL, "%s:%u: NUL byte", path, line);
        }
        buf[n] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

static bool blank_line(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
                        return false;
        return true;
}

/* Splits s[0..n) into exactly nf TAB-separated fields. */
static int split(const struct tsv_reader *rd, const char *s, size_t n, size_t nf, struct tsv_field f[],
                 char *err, size_t err_size) {
        const char *p = s, *end = s + n;

        if (n > 0 && s[n - 1] == '\r')
                end--;
        for (size_t i = 0; i < nf; i++) {
                const char *tab = memchr(p, '\t', (size_t) (end - p));

                if (i + 1 < nf && !tab)
                        return tsv_fail(err, err_size, -EINVAL, "%s:%u: expected %zu TAB-separated fields", rd->name,
                                        rd->lineno, nf);
                if (i + 1 == nf && tab)
                        return tsv_fail(err, err_size, -EINVAL, "%s:%u: more than %zu fields", rd->name, rd->lineno,
                                        nf);
                f[i] = (struct tsv_field) { .p = p, .n = (size_t) ((tab ? tab : end) - p) };
                p = tab ? tab + 1 : end;
        }
        return 0;
}

int tsv_next(struct tsv_reader *rd, size_t nf, struct tsv_field f[], char *err, size_t err_size) {
        if (!rd || !rd->p || nf == 0 || nf > TSV_FIELDS_MAX || !f)
                return -EINVAL;
        while (*rd->p) {
                const char *line = rd->p, *nl = strchr(line, '\n');
                size_t n = nl ? (size_t) (nl - line) : strlen(line);

                rd->lineno++;
                rd->p += n + (nl ? 1 : 0);
                if (line[0] == '#' || blank_line(line, n))
                        continue;
                return split(rd, line, n, nf, f, err, err_size) < 0 ? -EINVAL : 1;
        }
        return 0;
}

int tsv_parse(const char *name, const char *text, size_t nf, tsv_line_fn fn, void *userdata, char *err,
              size_t err_size) {
        struct tsv_reader rd = TSV_READER_INIT(name, text);
        struct tsv_field f[TSV_FIELDS_MAX];
        int r;

        if (!name || !text || !fn)
                return -EINVAL;
        while ((r = tsv_next(&rd, nf, f, err, err_size)) > 0) {
                r = fn(userdata, name, rd.lineno, f, err, err_size);
                if (r < 0)
                        return r;
        }
        return r;
}

/* How many lines text has: no table of it can have more entries. */
static size_t lines_of(const char *text) {
        size_t n = 1;
        for (const char *p = strchr(text, '\n'); p; p = strchr(p + 1, '\n'))
                n++;
        return n;
}

int tsv_parse_new(const char *name, const char *text, size_t head, size_t elem, size_t max, size_t nf,
                  tsv_line_fn fn, void **ret, char *err, size_t err_size) {
        _cleanup_free_ void *t = NULL;
        int r;

        if (!name || !text || !ret)
                return -EINVAL;
        /* room for one entry a line, up to max (past it, fn refuses the
         * table): a small table costs little to read */
        size_t n = lines_of(text);
        t = calloc(1, head + (n < max ? n : max) * elem);
        if (!t)
                return -ENOMEM;
        r = tsv_parse(name, text, nf, fn, t, err, err_size);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}

bool tsv_code_valid(const char *s, size_t n, size_t max, enum tsv_code_chars chars) {
        if (!s || n == 0 || n >= max)
                return false;
        for (size_t i = 0; i < n; i++) {
                bool ok = chars == TSV_CODE_UPPER_DIGITS ? (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')
                                                         : s[i] > ' ' && s[i] <= '~';
                if (!ok)
                        return false;
        }
        return true;
}
