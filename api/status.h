/* api/status.h: GET /v1/status, carnetd's version and the readers. */
#pragma once

#include "http/router.h"
#include "reader/readers.h"

/* The status document of a reader snapshot as JSON text, written
 * directly (lib/jsonw.h): *ret (malloc'ed, the caller frees it), its
 * length with the final newline.  readers_form: the readers resource's
 * form instead (no "version"; each card with its "insertion" number).
 * 0, -ENOMEM, or -EINVAL for a name that is not UTF-8. */
int status_text(const struct reader_snapshot *snap, bool readers_form, char **ret, size_t *ret_len);
/* The same document parsed (for what reads it); NULL on failure.
 * status_json() is status_doc(snap, false). */
json_t *status_doc(const struct reader_snapshot *snap, bool readers_form);
json_t *status_json(const struct reader_snapshot *snap);

API_HANDLER(status_get);
