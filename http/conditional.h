/* http/conditional.h: conditional GETs (RFC 9110 13), for the reads whose
 * reply carries a validator: a FHIR DocumentReference or Binary (its
 * ETag W/"versionId"), a document's content (its SHA-256, a strong ETag).
 *
 * A handler decides the access first and reads what it reads, traced as
 * any read; only then, knowing the representation's ETag (and its
 * Last-Modified, where that follows every change of it), it asks
 * api_not_modified() and answers api_reply_not_modified() instead of the
 * body.  A refusal is a refusal whatever the request's preconditions:
 * they are never looked at before the decision. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "http/router.h"

/* Whether etag (an entity-tag as sent: "x" or W/"x") is named by list,
 * the value of an If-None-Match field (13.1.2): "*", or a comma-separated
 * list of entity-tags, compared weakly (8.8.3.2: the opaque tags equal,
 * W/ aside).  A value that is not one of the two (a tag without its
 * quotes, "*" among tags) names nothing. */
bool api_etag_listed(const char *list, const char *etag);

/* An HTTP-date (5.6.7) as seconds since the epoch: the IMF-fixdate
 * "Sun, 06 Nov 1994 08:49:37 GMT", and the two obsolete forms a recipient
 * must accept, RFC 850's "Sunday, 06-Nov-94 08:49:37 GMT" (a two-digit
 * year more than 50 years ahead is of the century before) and asctime's
 * "Sun Nov  6 08:49:37 1994".  Names compare with case, as the grammar
 * says; the weekday is not checked against the date.  0, or -EINVAL. */
int api_http_date_parse(const char *s, int64_t *ret);

/* Whether a GET of the representation of etag, last modified at modified
 * (seconds; -1 when its Last-Modified does not follow all of its changes,
 * so that If-Modified-Since is not to be used), is answered 304 Not
 * Modified (13.2.2): when the request has If-None-Match (every such field,
 * one list), when one of them names etag; without it, when
 * If-Modified-Since is one valid HTTP-date at or after modified (taken,
 * as api_set_last_modified() sends it, no later than now).  Never for a
 * method other than GET (HEAD comes as GET) nor an empty etag. */
bool api_not_modified(const struct api_request *req, const char *etag, int64_t modified);

/* Sets *ret to 304 Not Modified: no body, the ETag etag (15.4.5: the
 * fields a 200 would have sent to update the client's copy; not
 * Last-Modified, as there is an ETag).  Returns 0. */
int api_reply_not_modified(struct api_reply *ret, const char *etag);
