/* lib/jsonw.h: JSON text written straight into a buffer.
 *
 * For the replies built many times a second (a document list, a
 * document's metadata): one pass that writes the text, instead of a
 * jansson tree built, then dumped, then freed node by node.  The text is
 * the one json_dumps(JSON_COMPACT) gives for the same values written in
 * the same order: members in their order, strings as UTF-8 with '"', '\'
 * and the control characters escaped (\b \f \n \r \t, others \u00XX),
 * integers in decimal.
 *
 * The buffer grows geometrically up to max bytes; each buffer it leaves
 * is wiped first (secure_grow): the text may hold medical metadata.
 * Errors are sticky: the first one (-ENOMEM, -EINVAL for a string that
 * is not valid UTF-8, -E2BIG past max) is kept, later calls write
 * nothing, and jw_finish() returns it.  Separators are the writer's
 * business: a member is jw_key() then one value (or a container). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jw {
        char *buf;
        size_t len, cap, max;
        int error;
        bool first;     /* nothing written yet in the current container */
        bool after_key; /* a key was written: its value needs no separator */
        size_t front;   /* bytes reserved at the front, not yet filled */
};

void jw_init(struct jw *w, size_t max);
void jw_object_begin(struct jw *w);
void jw_object_end(struct jw *w);
void jw_array_begin(struct jw *w);
void jw_array_end(struct jw *w);
/* The member's name: a literal of the caller's, printable ASCII without
 * '"' or '\', written as it is (never data: it is not escaped). */
void jw_key(struct jw *w, const char *name);
/* A string value; NULL writes null. */
void jw_string(struct jw *w, const char *s);
void jw_int(struct jw *w, int64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);

/* What goes first known only at the end (a count before the list it
 * counts), without a second buffer for the whole text:
 * jw_reserve_front() keeps n bytes at the front of an empty writer, what
 * is written next goes after them, and jw_front() then puts there the
 * text of head, a writer of its own (at most n bytes; more is -E2BIG),
 * the rest of the text moved down to meet it; head is freed, and its
 * sticky error becomes w's.  The text is then as if written in that
 * order; the separators after the reserve are those of a writer with
 * nothing written yet, so head ends where a value may follow (after a
 * key).  A reserve never filled is -EINVAL at jw_finish(). */
void jw_reserve_front(struct jw *w, size_t n);
void jw_front(struct jw *w, struct jw *head);

/* key + value in one call; jw_kstr_or_null() writes null for NULL or "". */
void jw_kstr(struct jw *w, const char *key, const char *s);
void jw_kstr_or_null(struct jw *w, const char *key, const char *s);
void jw_kint(struct jw *w, const char *key, int64_t v);
void jw_kbool(struct jw *w, const char *key, bool v);

/* Appends a newline and a NUL (not counted) and hands the text over:
 * *ret (malloc'ed, the caller wipes and frees it) and its length.  On a
 * sticky error the buffer is wiped and freed and the error returned. */
int jw_finish(struct jw *w, char **ret, size_t *ret_len);
/* Wipes and frees the buffer (after an error of the caller's). */
void jw_done(struct jw *w);
