/* daemon/api.h: carnetd's JSON API, independent of the transport.
 *
 * server.c turns each HTTP request into a struct api_request and sends back
 * the struct api_reply; handlers never see libmicrohttpd, so they can be
 * tested directly.  Every error has one shape:
 *   {"error": {"code": "<stable machine code>", "message": "<for people>"}}  */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "macro.h"

struct monitor;
struct event_queue;

/* What handlers may use of the running daemon; NULL members are absent. */
struct api_context {
        struct monitor *monitor;
        struct event_queue *events;
};

struct api_request {
        const struct api_context *ctx;
        const char *method;
        const char *path;
        uid_t uid; /* the caller, from SO_PEERCRED */
        gid_t gid;
        pid_t pid;
};

struct api_reply {
        unsigned status; /* HTTP status */
        json_t *body;    /* owned; NULL only before a handler ran */
};

typedef int (*api_handler)(const struct api_request *req, struct api_reply *ret);

struct api_route {
        const char *method;
        const char *path;
        api_handler handler;
        const char *summary;
};

/* The route table (routes.c); *n gets its length. */
const struct api_route *api_routes(size_t *n);

/* Finds the route and runs it; unknown paths get 404, a known path with
 * another method 405.  Fills *ret in every case; returns 0 or -ENOMEM. */
int api_handle(const struct api_request *req, struct api_reply *ret);

/* Sets *ret to the error shape; returns 0 or -ENOMEM. */
int api_error(struct api_reply *ret, unsigned status, const char *code, const char *fmt, ...)
        _printf_(4, 5);
/* Sets *ret to status + body (stolen); returns 0 or -ENOMEM if body is NULL. */
int api_ok(struct api_reply *ret, unsigned status, json_t *body);
void api_reply_clear(struct api_reply *r);
