/* lib/kv.h: a bounded reader of "key = value" files.
 *
 * carnetd.conf and the card simulator's profiles share one syntax: one
 * "key = value" per line, '#' at the start of a line or after a blank
 * starts a comment (to the end of the line; a '#' inside a value, as in
 * "subject:O#2", is kept), blank lines are skipped, whitespace around keys and
 * values is trimmed.  Lines are bounded by the caller's buffer (size - 2
 * bytes and the newline); a longer one is an error, never split.  The reader only splits lines: what keys
 * mean, and whether one may be empty or repeat, is the caller's business. */
#pragma once

#include <stdio.h>

struct kv_reader {
        FILE *f;
        char *line; /* the caller's buffer: bounds a line, holds the pair */
        size_t size;
        unsigned lineno; /* the line of the last pair or error, from 1 */
};

void kv_reader_init(struct kv_reader *r, FILE *f, char *line, size_t size);

/* Reads the next pair: returns 1 with *ret_key and *ret_value pointing into
 * the line buffer (valid until the next call), 0 at the end of the file,
 * -E2BIG for a line that does not fit the buffer, -EBADMSG for a line
 * without '=', -EIO when reading failed. */
int kv_next(struct kv_reader *r, char **ret_key, char **ret_value);

/* The reason for an error of kv_next, for "file:line: reason" messages:
 * "line too long", "expected 'key = value'", "read error". */
const char *kv_strerror(int err);

/* s without leading and trailing whitespace (the end is cut in place). */
char *kv_strip(char *s);
