/* lib/media-type.h: media types and Accept lists as RFC 9110 writes them
 * (8.3.1 Content-Type, 12.5.1 Accept), for every reader of them in carnet
 * (the JSON bodies, the FHIR formats, the events' two representations).
 *
 *   media-type = type "/" subtype *( OWS ";" OWS parameter )
 *   parameter  = token "=" ( token / quoted-string )
 *   Accept     = #( media-range [ weight ] ), weight = OWS ";" OWS "q=" qvalue
 *
 * Type, subtype and parameter names compare without case; a quoted string
 * may hold ';' and ','; q is a qvalue, 0 to 1 with at most three
 * decimals, and q=0 means "not acceptable" (12.4.2).  An element that
 * does not parse is skipped, as if it were not there.  A bare token
 * without "/subtype" is taken (subtype empty): FHIR's _format=json. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define MEDIA_Q_MAX 1000 /* q=1, in thousandths */

struct media_type {
        const char *type; /* into the text parsed, not NUL-terminated */
        size_t type_len;
        const char *subtype; /* "" (length 0) for a bare token */
        size_t subtype_len;
        unsigned q; /* its weight in thousandths; MEDIA_Q_MAX when not given */
};

/* Parses the len bytes at s as one media type (a Content-Type, or one
 * element of a list): 0, or -EINVAL when they are not one. */
int media_type_parse(const char *s, size_t len, struct media_type *ret);

/* The next element of the comma-separated list at *p (NUL-terminated),
 * *p moved past it: 1 with *ret filled, 0 at the end of the list.
 * Elements that do not parse, and empty ones, are skipped. */
int media_list_next(const char **p, struct media_type *ret);

/* Whether m is name ("type/subtype", or a bare token), without case. */
bool media_type_is(const struct media_type *m, const char *name);
/* Whether m is JSON: application/json, or a type/subtype whose subtype
 * ends in "+json" after at least one character (application/fhir+json). */
bool media_type_json(const struct media_type *m);

/* The weight (0 to MEDIA_Q_MAX) the Accept value accept gives the media
 * type name ("type/subtype"): that of its most specific range, the type
 * itself before its type's range before the range of every type (RFC
 * 9110 12.5.1), the highest when a range is given twice; -1 when no range covers it.  With exact, only
 * the type itself counts (a client that names it). */
int media_accept_q(const char *accept, const char *name, bool exact);
