/* cli/client.h: carnetctl's HTTP client for carnetd's Unix socket. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#define CLIENT_DEFAULT_SOCKET "/run/carnet/carnetd.sock"
#define CLIENT_REPLY_MAX (64u * 1024 * 1024)

struct client_reply {
        long status;  /* HTTP status */
        json_t *json; /* parsed body, NULL if it was not JSON */
        char *body;   /* raw body, NUL-terminated */
        size_t len;
};

void client_reply_clear(struct client_reply *r);

/* Sends METHOD path (with an optional JSON body) to carnetd at socket.
 * Returns 0 with *ret filled whatever the HTTP status; -ECONNREFUSED or
 * -ENOENT when no carnetd listens there, -EPROTO on a garbled reply,
 * -EFBIG past CLIENT_REPLY_MAX.  err receives a message for people. */
int client_request(const char *socket, const char *method, const char *path, const char *body,
                   struct client_reply *ret, char *err, size_t errlen);
