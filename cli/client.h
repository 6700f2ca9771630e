/* cli/client.h: carnetctl's HTTP client for carnetd's Unix socket. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <string.h>

#define CLIENT_DEFAULT_SOCKET "/run/carnet/carnetd.sock"
#define CLIENT_REPLY_MAX (64u * 1024 * 1024)

struct client_reply {
        long status;  /* HTTP status */
        json_t *json; /* parsed body, NULL if it was not JSON */
        char *body;   /* raw body, NUL-terminated */
        size_t len;
        char content_type[128]; /* the reply's Content-Type, "" when none */
        char disposition[256];  /* its Content-Disposition, "" when none */
};

/* Checks that socket is one carnetd listens on and that the caller may
 * open it: 0, or -ENOENT (no socket: carnetd not running), -EACCES (not
 * allowed: err names the group to join), -ECONNREFUSED (a stale socket
 * nobody listens on), other -errno; err says which and what to do. */
int client_probe(const char *socket, char *err, size_t errlen);

/* One request, for client_call(). */
struct client_call {
        const char *method;
        const char *path;               /* "/v1/...", query string included */
        const char *const *headers;     /* extra "Name: value" lines, NULL-terminated, or NULL */
        const void *body;               /* NULL: no body */
        size_t body_len;
        const char *content_type;       /* of the body; NULL: application/json */
        /* Called during the transfer (at most a few times a second) with the
         * bytes sent so far and the total; NULL: none. */
        void (*progress)(void *userdata, size_t sent, size_t total);
        void *progress_userdata;
};

/* A request with a text body (NULL: none) and extra headers (NULL: none). */
static inline struct client_call client_text_call(const char *method, const char *path, const char *body,
                                                  const char *const *headers) {
        return (struct client_call){
                .method = method,
                .path = path,
                .headers = headers,
                .body = body,
                .body_len = body ? strlen(body) : 0,
        };
}

void client_reply_clear(struct client_reply *r);

/* Sends METHOD path (with an optional JSON body and extra "Name: value"
 * headers, a NULL-terminated list or NULL) to carnetd at socket.
 * Returns 0 with *ret filled whatever the HTTP status; -ECONNREFUSED or
 * -ENOENT when no carnetd listens there, -ECONNRESET when it closed the
 * connection before the reply's end, -EPROTO on a garbled reply, -EFBIG
 * past CLIENT_REPLY_MAX.  err receives a message for people. */
int client_request(const char *socket, const char *method, const char *path, const char *body,
                   const char *const *headers, struct client_reply *ret, char *err, size_t errlen);

/* The general form of client_request(): any body (binary, with its own
 * Content-Type), upload progress.  Same returns. */
int client_call(const char *socket, const struct client_call *call, struct client_reply *ret, char *err,
                size_t errlen);

/* GETs path and hands the body to on_data as it arrives (an event
 * stream), as long as the status is 2xx; any other reply is collected
 * into *ret (status, JSON error) instead.  Returns 0 when the server
 * ended the body, what on_data returned when it stopped the transfer
 * (negative), or the errors of client_request(). */
int client_stream(const char *socket, const char *path, const char *const *headers,
                  int (*on_data)(void *userdata, const char *buf, size_t len), void *userdata,
                  struct client_reply *ret, char *err, size_t errlen);

/* path + "/" + the segment percent-encoded; -ENAMETOOLONG when it does
 * not fit. */
int client_path_join(char *buf, size_t size, const char *path, const char *segment);
