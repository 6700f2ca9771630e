/* engine/tsv.h: reading the small TAB-separated tables carnet ships
 * (data/rights.tsv, data/interactions.tsv).
 *
 * Shared rules of those files: UTF-8 text, one record a line, fields
 * separated by a single TAB, a trailing CR dropped (files edited on
 * Windows), '#' at the start of a line makes a comment, blank lines (only
 * spaces, TABs, CRs) are ignored. Every error message names the file and,
 * where there is one, the line: "path:line: what". What a field may hold
 * is the caller's business. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/macro.h"

#define TSV_FIELDS_MAX 8

/* Writes the message into err (when given) and returns r, so that an error
 * path is one line: return tsv_fail(err, err_size, -EINVAL, "...", ...). */
int tsv_fail(char *err, size_t err_size, int r, const char *fmt, ...) _printf_(4, 5);

/* Reads the whole file at path, at most max bytes, into a NUL-terminated
 * malloc'ed buffer. -EFBIG when larger, -EINVAL when it holds a NUL byte
 * (the message names the line), a negative errno when it cannot be opened
 * or read. */
int tsv_read_file(const char *path, size_t max, char **ret, char *err, size_t err_size);

struct tsv_field {
        const char *p;   /* not NUL-terminated */
        size_t n;
};

/* Walks a NUL-terminated text line by line; name is used in messages. */
struct tsv_reader {
        const char *name;
        const char *p;
        unsigned lineno;  /* number of the line last returned, from 1 */
};
#define TSV_READER_INIT(name_, text_) ((struct tsv_reader) { .name = (name_), .p = (text_) })

/* Moves to the next line that is neither blank nor a comment and splits it
 * into exactly nf fields (nf <= TSV_FIELDS_MAX). Returns 1 with the fields
 * in f, 0 at the end of the text, -EINVAL ("name:line: expected N
 * TAB-separated fields" or "more than N fields") otherwise. */
int tsv_next(struct tsv_reader *rd, size_t nf, struct tsv_field f[], char *err, size_t err_size);

/* Calls fn for each line of text (see tsv_next) with its fields; stops at
 * the first error, fn's or the split's, and returns it. */
typedef int (*tsv_line_fn)(void *userdata, const char *name, unsigned lineno, const struct tsv_field f[],
                           char *err, size_t err_size);
int tsv_parse(const char *name, const char *text, size_t nf, tsv_line_fn fn, void *userdata, char *err,
              size_t err_size);

/* True when the field is exactly the string s. */
/* A table, zeroed, of head bytes then room for elem-byte entries: one
 * for each line of text, max at most (fn must refuse an entry past max);
 * filled by tsv_parse() with fn (the table is fn's userdata) and handed
 * over in *ret; nothing on error. */
int tsv_parse_new(const char *name, const char *text, size_t head, size_t elem, size_t max, size_t nf,
                  tsv_line_fn fn, void **ret, char *err, size_t err_size);

/* Which characters a code may hold. */
enum tsv_code_chars {
        TSV_CODE_PRINTABLE,     /* printable ASCII, no space */
        TSV_CODE_UPPER_DIGITS,  /* A-Z and 0-9 */
};

/* True when the n bytes at s are a code of 1 to max - 1 characters of the
 * class chars. */
bool tsv_code_valid(const char *s, size_t n, size_t max, enum tsv_code_chars chars);

static inline int tsv_field_is(const struct tsv_field *f, const char *s) {
        size_t n = strlen(s);
        return f->n == n && memcmp(f->p, s, n) == 0;
}
