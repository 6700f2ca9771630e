/* http/server.h: HTTP/1.1 on a Unix stream socket, or HTTPS with client
 * certificates on TCP (libmicrohttpd).
 *
 * The server owns the listening socket (or takes one from systemd socket
 * activation), reads each caller's credentials when it connects
 * (http_peer.h), enforces the limits below, and hands requests to
 * the route table it is given (router.h).  One thread per connection, so a Server-Sent Events stream
 * may wait for events without holding up other callers. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "lib/report.h"

struct peer_policy;
struct api_table;

struct server_config {
        const char *socket_path;          /* where to bind when listen_fd < 0 */
        int listen_fd;                    /* an already listening socket, or -1 */
        mode_t socket_mode;               /* e.g. 0660 */
        gid_t socket_group;               /* (gid_t)-1: leave the creator's */
        unsigned connection_timeout_s;    /* idle connections are closed */
        size_t body_max;                  /* larger request bodies get 413 */
        size_t header_max;                /* request line + headers; larger get 431 */
        unsigned max_connections;         /* in all; more are closed at once */
        unsigned connections_per_uid;     /* more get 429 and are closed */
        /* A request must arrive whole (line, headers, body) within this
         * of the connection's start or of its previous reply, or it gets
         * 408 and the connection is shut; 0: 2 x connection_timeout_s. */
        unsigned request_timeout_s;
        /* Request body bytes in flight (buffers held), per uid and in all;
         * a request past either gets 503 server_busy.  0: 2 x and 3 x
         * body_max. */
        size_t body_budget_uid;
        size_t body_budget_total;
        /* Spooling (routes with API_ROUTE_SPOOL, router.h): a raw body
         * (any Content-Type but JSON) over SERVER_SPOOL_MIN goes, as it
         * arrives, to an unlinked file (O_TMPFILE, 0600) in this folder
         * instead of memory, with its SHA-256 taken on the way; the file
         * is closed, so gone, when the request ends, whatever its end.
         * NULL: every body in memory.  server_start() fails with the
         * open's error when it cannot create such a file there.  Spooled
         * bytes are not held in memory: the body budgets above do not
         * count them; these do, per uid and in all (0: 16 x body_max
         * each); past either, 503 server_busy. */
        const char *spool_dir;
        size_t spool_budget_uid;
        size_t spool_budget_total;
        /* TCP with TLS instead of the Unix socket (carnet-hostd): listen on
         * "ADDRESS:PORT" ("[::1]:8443" for IPv6) when listen_fd < 0.  Each
         * connection's client certificate is read by tls_peer (tls.h:
         * http_tls_peer) against tls_client_ca_pem; one that does not
         * verify gets 403 workstation_refused on every request, and
         * on_workstation_refused is told once per connection (the CN it
         * offered, or "").  Callers carry uid (uid_t)-2, never 0, and
         * api_request.workstation names the workstation (NULL on the Unix
         * socket).  No caller policy or per-uid connection limit applies. */
        const char *listen_address;
        const char *tls_cert_pem, *tls_key_pem; /* the server's certificate and key, PEM text */
        const char *tls_client_ca_pem;          /* the workstation CA, PEM text */
        int (*tls_peer)(void *tls_session, char *ret_cn, size_t cn_size);
        void (*on_workstation_refused)(void *userdata, const char *cn);
        void *refused_userdata;
        const struct peer_policy *policy; /* who may call; copied (Unix socket: required) */
        const struct api_table *table;    /* the routes and their hook (not copied) */
        const struct api_context *ctx;    /* handed to every handler */
        struct reporter reporter;         /* what happened, for the program to log */
};

#define SERVER_SPOOL_MIN ((size_t)1024 * 1024) /* smaller raw bodies stay in memory */

struct server;

/* Creates the socket if needed and starts serving in background threads.
 * Also sets jansson's allocator, for the whole process, to one whose free
 * wipes the memory first (a body may hold a PIN, a reply a session token
 * or a patient secret); JSON replies are wiped the same way once sent.
 * -EADDRINUSE when another process already answers on socket_path. */
int server_start(const struct server_config *cfg, struct server **ret);
/* Ends the event streams (each gets a last comment and a clean end of
 * stream), stops serving, closes connections, removes the socket it
 * created. */
void server_stop(struct server *s);
