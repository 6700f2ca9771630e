/* daemon/server.h: HTTP/1.1 on a Unix stream socket (libmicrohttpd).
 *
 * The server owns the listening socket (or takes one from systemd socket
 * activation), reads each caller's credentials with SO_PEERCRED and hands
 * requests to api_handle(). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

struct server_config {
        const char *socket_path;        /* where to bind when listen_fd < 0 */
        int listen_fd;                  /* an already listening socket, or -1 */
        mode_t socket_mode;             /* e.g. 0660 */
        gid_t socket_group;             /* (gid_t)-1: leave the creator's */
        unsigned connection_timeout_s;  /* idle connections are closed */
        size_t body_max;                /* larger request bodies get 413 */
        const struct api_context *ctx;  /* handed to every handler */
};

struct server;

/* Creates the socket if needed and starts serving in a background thread.
 * -EADDRINUSE when another process already answers on socket_path. */
int server_start(const struct server_config *cfg, struct server **ret);
/* Stops serving, closes connections, removes the socket it created. */
void server_stop(struct server *s);
