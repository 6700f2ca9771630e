/* api/replies.h: what every resource answers and reads the same way.
 *
 * The engine's failures as error replies (a refusal of the rules is 403
 * with the rule's reason code; 404 / 409 for the reasons that are a
 * missing thing or a state), the "bad_field" error naming its field, and
 * the API's spellings of times and of absent values. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "http/router.h"
#include "engine/dossier.h"

/* Turns an engine failure into the error reply: -EACCES / -ENOENT with
 * the reason of dossier_last_decision(), -EINVAL 400, -E2BIG 413,
 * -EBADMSG 500 integrity_error, -EBUSY 503. Returns 0 (the reply is
 * filled) or -ENOMEM. */
int res_engine_fail(struct api_reply *ret, const struct dossier_engine *e, int r);
/* The HTTP status and stable code for a denial reason (exposed for tests). */
unsigned res_denial_status(enum access_reason reason, const char **ret_code);

/* status + code with {"field": field} as details and the message from
 * fmt; returns 0 (the reply is filled) or -ENOMEM. */
int res_bad_field(struct api_reply *ret, unsigned status, const char *code, const char *field, const char *fmt, ...)
        _printf_(5, 6);

/* A body of len bytes already in memory (buf, malloc'ed, taken over: wiped
 * and freed once sent, or here on failure) as the reply, with its own
 * Content-Type (NULL or "": application/octet-stream), sent as one
 * buffer with its Content-Length (api_ok_data).  0 or -ENOMEM. */
int res_ok_bytes(struct api_reply *ret, unsigned status, const char *content_type, uint8_t *buf, size_t len);

/* Time as the API writes it: seconds since the epoch, or "YYYY-MM-DD"
 * (midnight UTC), or "YYYY-MM-DDTHH:MM:SSZ".  -EINVAL otherwise. */
int res_parse_time(const char *s, int64_t *ret);

/* The most items of one page of a native list, and what a request
 * without limit gets: a reply stays bounded however large the dossier. */
#define RES_PAGE_MAX 1000
/* A list's limit query parameter: *ret the number it gives (1 to
 * RES_PAGE_MAX), RES_PAGE_MAX when absent; -EINVAL with the 400
 * bad_parameter reply filled (details.parameter "limit") otherwise. */
int res_page_limit(const struct api_request *req, size_t *ret, struct api_reply *err);

/* s as a JSON string, null when NULL or empty. */
json_t *res_str_or_null(const char *s);
/* t as a JSON integer, null when 0 (never happened). */
json_t *res_time_or_null(int64_t t);

/* Fills list with what the engine walks for the call (entries appended
 * by the walk's callback); the engine's result. */
struct api_call;
typedef int (*res_walk)(const struct api_call *c, json_t *list);

/* A list as the reply: walk fills a new array;
 * 200 with {key: value, member: list} ("count" after key when count), or
 * the engine's failure. */
int res_list(const struct api_request *req, struct api_reply *ret, res_walk walk, const char *key,
             const char *value, const char *member, bool count);
