/* http/router.h: carnetd's JSON API, independent of the transport.
 *
 * server.c turns each HTTP request into a struct api_request and sends back
 * the struct api_reply; handlers never see libmicrohttpd, so they can be
 * tested directly.  Every error has one shape:
 *   {"error": {"code": "<stable machine code>", "message": "<for people>",
 *              "details": {...}}}       (details only when there are some)
 *
 * Routes are "/v1/..." paths whose segments may be templates ("{id}"), the
 * same syntax as docs/openapi.yaml; the router hands the captured segments
 * to the handler (api_path_param).  Query parameters, request headers and
 * the body are read through the helpers below. */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/macro.h"

/* The header that carries a session token on later calls. */
#define API_SESSION_HEADER "X-Carnet-Session"
/* The challenge every 401 carries in WWW-Authenticate (RFC 9110 11.6.1 and
 * 15.5.2: a 401 MUST send one): the scheme CarnetSession, answered with a
 * session's token in API_SESSION_HEADER (docs/api.md). */
#define API_SESSION_CHALLENGE "CarnetSession realm=\"carnet\""

#define API_PARAMS_MAX 8   /* template segments in one route */
#define API_QUERY_MAX 32   /* query parameters in one request */
#define API_HEADERS_MAX 64 /* request headers in one request */

/* What the handlers may use of the running program: defined by the layer
 * that owns the route table (api/context.h); opaque here. */
struct api_context;
/* What the table's invoke hook resolved for the handler before it runs
 * (the caller, the parsed body...): defined by the layer that owns the
 * table (api/call.h); opaque here. */
struct api_call;
struct api_table;

/* One name/value pair: a query parameter, a header, a path parameter. */
struct api_kv {
        const char *name;
        const char *value; /* "" for a query parameter given without '=' */
};

struct api_request {
        const struct api_context *ctx;
        const char *method;
        const char *path;    /* decoded, without the query string */
        uid_t uid;           /* the caller, from SO_PEERCRED */
        gid_t gid;
        pid_t pid;
        /* the workstation (client certificate CN) on carnet-hostd's TLS
         * connections, whose uid is (uid_t)-2; NULL on the Unix socket */
        const char *workstation;
        const char *body;    /* the request body (not NUL-terminated), or NULL */
        size_t body_len;
        /* a raw body the server spooled to a file instead (routes with
         * API_ROUTE_SPOOL; body is NULL and body_len 0 then), or NULL */
        const struct api_spool *spool;
        const struct api_kv *query; /* decoded, in the order sent */
        size_t n_query;
        const struct api_kv *headers;
        size_t n_headers;
        /* set by api_dispatch() from the route's template */
        const struct api_kv *params;
        size_t n_params;
        /* set by the table's invoke hook, NULL without one */
        const struct api_call *call;
};

/* A raw request body received into an unlinked file of the server's
 * spool folder (O_TMPFILE, 0600) as it arrived, with its SHA-256 taken on
 * the way, so that a large upload does not sit in memory.  The file is
 * the server's: read it with pread() (never move its offset), never close
 * it; it is closed, and so gone, once the request is done. */
struct api_spool {
        int fd;
        size_t len;
        unsigned char sha256[32];
};

/* The whole spooled body in a new buffer (len + 1 bytes, NUL-terminated),
 * for a handler that needs it in memory after all (a JSON body sent
 * without a JSON Content-Type, a CDA header to read): 0, -ENOMEM, -EIO
 * (a short read).  The caller wipes and frees it. */
int api_spool_read(const struct api_spool *sp, char **ret);

/* A body produced piece by piece instead of JSON: Server-Sent Events
 * (length 0: chunked, no end known), or a large content (length: its
 * exact size, sent as Content-Length; a read that fails before the end
 * cuts the connection, so that the client sees a body shorter than
 * announced rather than one taken for whole). */
struct api_stream {
        const char *content_type;
        uint64_t length;
        /* Writes up to max bytes into buf and returns how many; 0 when there
         * is nothing to send yet (after waiting at most ~API_STREAM_WAIT_MS,
         * never busy); API_STREAM_END at the end.  `stopping` is true once
         * carnetd shuts down: the stream should say goodbye and end. */
        ssize_t (*read)(void *userdata, char *buf, size_t max, bool stopping);
        void (*free)(void *userdata);
        void *userdata;
};
#define API_STREAM_END ((ssize_t)-1)
#define API_STREAM_WAIT_MS 250

#define API_MEDIA_TYPE_MAX 256
#define API_HTTP_DATE_SIZE 32 /* "Sun, 06 Nov 1994 08:49:37 GMT" and its NUL */
/* an ETag and its NUL: at most a quoted SHA-256 in hexadecimal, or W/ and
 * a quoted tag of as many characters */
#define API_ETAG_SIZE 72
/* a Vary and its NUL: a few field names */
#define API_VARY_SIZE 64

struct api_reply {
        unsigned status;          /* HTTP status */
        json_t *body;             /* owned; NULL only before a handler ran, with a stream or with data */
        struct api_stream stream; /* .read set: a streamed body, owned */
        /* .data set: a body already in memory (a content, or JSON text
         * written directly), owned: sent as one buffer with its
         * Content-Length, then wiped and freed; data_type its media type */
        char *data;
        size_t data_len;
        char data_type[API_MEDIA_TYPE_MAX];
        char allow[48];           /* with 405: the methods the path allows ("GET, POST") */
        const char *route;        /* the template of the route that answered; NULL: none did */
        char warning[80];         /* non-empty: sent as the X-Carnet-Warning header (API_WARNING_HEADER) */
        /* non-empty: sent as the ETag header (a FHIR read's W/"versionId",
         * a content's "SHA-256"; http/conditional.h) */
        char etag[API_ETAG_SIZE];
        /* non-empty: sent as the Last-Modified header, an IMF-fixdate
         * (api_set_last_modified()) */
        char last_modified[API_HTTP_DATE_SIZE];
        const char *content_type; /* a JSON body's media type (static); NULL: application/json */
        /* non-empty: sent as the Vary header, the request headers the
         * representation was chosen by ("Accept"; a host's as it sent it) */
        char vary[API_VARY_SIZE];
};
#define API_WARNING_HEADER "X-Carnet-Warning"

typedef int (*api_handler)(const struct api_request *req, struct api_reply *ret);
/* Declares a handler: API_HANDLER(status_get); */
#define API_HANDLER(name) int name(const struct api_request *req, struct api_reply *ret)

struct api_route {
        const char *method;
        const char *path; /* "/v1/readers/{name}": a "{x}" segment matches any one segment */
        api_handler handler;
        const char *summary;
        /* what the handler needs: meaning given by the table's invoke
         * hook, but for the router's own bits (API_ROUTE_*) */
        unsigned needs;
};
/* In needs: the handler takes a raw body (any Content-Type but JSON) in
 * req->spool, so that the server may spool it to disk rather than hold
 * it in memory (server.h: spool_dir). */
#define API_ROUTE_SPOOL (1u << 31)

/* The route that would answer method on path (the most specific), or
 * NULL: for the server, which must know before the body whether it may
 * spool it. */
const struct api_route *api_route_find(const struct api_table *table, const char *method, const char *path);

/* Runs route->handler for req once the router has matched it (req->params
 * set): checks what route->needs, fills req->call, then calls the handler.
 * On a refusal it fills *ret and does not call the handler.  Same return
 * as a handler. */
typedef int (*api_invoker)(const struct api_route *route, const struct api_request *req, struct api_reply *ret);

/* A route table and the hook that gives its `needs` their meaning. */
struct api_table {
        const struct api_route *routes;
        size_t n;
        api_invoker invoke; /* NULL: handlers are called as they are */
        /* Run on every reply the table gives, the router's own errors
         * included (the FHIR face turns them into OperationOutcome); NULL:
         * none.  Returns 0 or -ENOMEM. */
        int (*finish)(const struct api_request *req, struct api_reply *ret);
};

/* Finds the route and runs it.  Among the routes for the request's method
 * whose template matches, the most specific wins (a literal segment beats
 * a template at the first place they differ).  A method no route of the
 * table has (HEAD counting as GET) gets 501 not_implemented, whatever the
 * path (RFC 9110 15.6.2); then unknown paths get 404; a
 * path known only with other methods 405 (ret->allow lists them); a query
 * parameter given twice 400 bad_parameter; a path or query parameter that
 * is not valid UTF-8, before anything else, 400 bad_encoding.  Then table->invoke (or the
 * handler itself), then table->finish on the reply.  Fills *ret in every case; returns 0 or -ENOMEM. */
int api_dispatch(const struct api_table *table, const struct api_request *req, struct api_reply *ret);

/* Whether path matches the route template; captured segments go to
 * params (up to max): values point into buf, which gets a copy of the
 * path, names into the template and end at its '}'.  Returns the number
 * captured, or -ENOENT when the path does not match. */
int api_route_match(const char *template, const char *path, char *buf, size_t buf_size,
                    struct api_kv *params, size_t max);

/* Quoting the caller's input in a message.  api_quote() copies s into buf
 * (of size bytes) keeping at most max bytes, cut on a character boundary,
 * with any invalid UTF-8 dropped, and returns buf.  api_text_clean() does
 * the same in place to a NUL-terminated s; it returns the new length.
 * api_error() cleans its whole message this way, so that a message is
 * always valid UTF-8 (a jansson string) whatever it quotes. */
#define API_QUOTE_MAX 64
const char *api_quote(char *buf, size_t size, const char *s, size_t max);
size_t api_text_clean(char *s, size_t max);

/* Sets *ret to the error shape; returns 0 or -ENOMEM. */
int api_error(struct api_reply *ret, unsigned status, const char *code, const char *fmt, ...)
        _printf_(4, 5);
/* The same with a "details" object (stolen; NULL for none). */
int api_error_details(struct api_reply *ret, unsigned status, const char *code, json_t *details,
                      const char *fmt, ...) _printf_(5, 6);
/* Sets *ret to status + body (stolen); returns 0 or -ENOMEM if body is NULL. */
int api_ok(struct api_reply *ret, unsigned status, json_t *body);
/* Sets *ret to status + the len bytes at data (malloc'ed, taken over:
 * wiped and freed once sent, or here on failure) of media_type (NULL or
 * "": application/octet-stream; cut to API_MEDIA_TYPE_MAX - 1 bytes).
 * Returns 0, or -ENOMEM when data is NULL. */
int api_ok_data(struct api_reply *ret, unsigned status, const char *media_type, char *data, size_t len);
/* Sets *ret to a 200 streamed reply (the stream is handed over: freed on
 * failure too); returns 0 or -EINVAL. */
int api_ok_stream(struct api_reply *ret, const struct api_stream *stream);
void api_reply_clear(struct api_reply *r);

/* t (seconds since the epoch, UTC) as an HTTP-date, the IMF-fixdate of
 * RFC 9110 5.6.7 ("Sun, 06 Nov 1994 08:49:37 GMT": English names
 * whatever the locale) into buf; returns buf.  A time outside the years
 * 0 to 9999 is written as the epoch. */
const char *api_http_date(int64_t t, char buf[API_HTTP_DATE_SIZE]);
/* The months' names an HTTP-date writes, "Jan" to "Dec" (not the locale's). */
extern const char api_http_months[12][4];
/* Sets ret->last_modified to t, or to now when t is later (RFC 9110
 * 8.8.2.1: never a date after the reply's own). */
void api_set_last_modified(struct api_reply *ret, int64_t t);

/* The value of a path parameter captured by the route's template, or NULL. */
const char *api_path_param(const struct api_request *req, const char *name);
/* The value of a query parameter ("" when given without '='), or NULL. */
const char *api_query(const struct api_request *req, const char *name);
/* The value of a request header (name compared without case), or NULL. */
const char *api_header(const struct api_request *req, const char *name);

/* Refuses query parameters not in allowed (NULL-terminated): 400
 * unknown_parameter naming the first one.  Returns 0, or -EINVAL with
 * *err filled (-ENOMEM when even that failed). */
int api_check_query(const struct api_request *req, const char *const allowed[], struct api_reply *err);

/* Parses the body as one JSON object: duplicate keys, invalid UTF-8, a
 * NUL, an empty body or anything but an object get 400 bad_json with the
 * place of the fault.  Returns 0 with *ret a new reference, or -EINVAL
 * with *err filled (-ENOMEM). */
int api_body_json(const struct api_request *req, json_t **ret, struct api_reply *err);

/* Refuses members of obj not in allowed (NULL-terminated): 400
 * unknown_field naming the first one, so that a misspelt field is an error
 * rather than a silently ignored option.  Returns 0 or -EINVAL with *err
 * filled (-ENOMEM). */
int api_check_fields(const json_t *obj, const char *const allowed[], struct api_reply *err);
