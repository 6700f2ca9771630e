/* http/query.h: a request's query as it came (RFC 3986 3.4), split into
 * names and values and percent-decoded by carnet rather than by
 * libmicrohttpd, whose form-style decoding (0.9.75) turns every '+' into a
 * space before any unescape callback: in a URI's query '+' is a character
 * like any other (application/fhir+json, a date's +01:00). */
#pragma once

#include <stddef.h>

#include "router.h"

/* Splits q (the target after its '?', NUL-terminated) in place into up to
 * max pairs of kv, in the order sent, as libmicrohttpd would but for '+':
 * '&' separates pairs (an empty last one is dropped), the first '=' a name
 * from its value (none: the value is ""); each name and value is
 * percent-decoded ("%2B" is '+', "%20" a space), a '%' without two hex
 * digits after it is kept as it is, and '+' stays '+'.  The result may be
 * any bytes: the router refuses what is not UTF-8 (a %00 is refused before,
 * on the target as it came).  0; -E2BIG past max pairs (*n is then max). */
int http_query_split(char *q, struct api_kv *kv, size_t max, size_t *n);
