/* http/server-internal.h: private to http/server*.c: the server's
 * state, its connections and requests, and the reception of request
 * bodies (server-body.c: into memory or a spool file, within budgets). */
#pragma once

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include "lib/report.h"
#include "peer.h"
#include "router.h"
#include "spool.h"
#include "tcp.h"
#include "tls.h"

struct server {
        struct MHD_Daemon *mhd;
        char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
        bool created; /* we bound the socket: remove it on stop */
        size_t body_max;
        size_t header_max;
        struct peer_policy policy;
        struct uid_slots slots;
        const struct api_table *table;
        const struct api_context *ctx;
        struct reporter reporter;
        /* TLS on TCP (server_config.listen_address) */
        bool tls;
        char *tls_cert, *tls_key, *tls_ca;
        int (*tls_peer)(void *tls_session, char *ret_cn, size_t cn_size);
        void (*on_refused)(void *userdata, const char *cn);
        void *refused_userdata;

        atomic_bool stopping;
        pthread_mutex_t lock; /* guards streams, conns, inflight */
        pthread_cond_t drained;
        unsigned streams;     /* event streams still open */

        unsigned request_timeout_s;
        /* request body bytes in flight, [MEM] in memory, [DISK] spooled */
        size_t budget_total[2], budget_uid[2];
        size_t inflight[2];
        int spool_dir; /* the spool folder (server_config.spool_dir), or -1 */
        struct conn *conns;   /* every open connection, for the reaper */
        pthread_t reaper;
        bool reaper_started;
};

/* The query of a connection's current request target, as it came. */
struct conn_query {
        char *text;  /* NULL without one */
        size_t size; /* text's allocation */
        bool too_long; /* over header_max: not copied */
        int error;     /* -ENOMEM: could not be copied */
};

/* What we know of one connection, from its first moment. */
struct conn {
        int peer_error; /* 0, or why the credentials could not be read */
        struct peer peer;
        bool allowed;
        bool slot;       /* holds one of its uid's slots */
        bool over_limit; /* its uid had connections_per_uid already */
        /* why its current request's target, as it came, is refused
         * (on_target()), or NULL */
        const char *target_bad;
        /* its query as it came (on_target(); carnet decodes it: '+' is no
         * space) */
        struct conn_query query;
        /* TLS: the client certificate, read at the first request */
        bool tls_checked, tls_ok;
        char workstation[HTTP_WORKSTATION_MAX];
        /* under server.lock: */
        struct conn *prev, *next;
        int fd;
        uint64_t deadline_ms; /* the request must be in by then; 0 while answering */
        bool cut;             /* the reaper answered 408 and shut it down */
        size_t held[2];       /* body bytes its current request holds ([MEM], [DISK]) */
};

/* One request: its body as it arrives, what the transport collected. */
struct req_state {
        bool replied;   /* an early error went out: ignore the rest */
        bool too_large; /* past body_max: the rest is read and dropped, then 413 */
        bool busy;      /* past a body budget: dropped likewise, then 503 */
        const char *busy_which; /* which budget, for the message (busy_error) */
        size_t reserved; /* body budget taken for it so far */
        bool may_spool;  /* the route takes a spooled raw body, and this is one */
        int spool_error; /* the spool file failed (-ENOSPC...): dropped likewise, then 503 or 500 */
        size_t spool_reserved; /* disk budget taken for it so far */
        struct spool_file spool;
        struct api_spool spooled; /* as the handler reads it */
        size_t dropped;
        size_t drop_max; /* non-zero: drop this much (a declared length past body_max), else body_max */
        char *body;
        size_t body_len, body_cap;
        size_t n_headers, n_query;
        bool headers_overflow;
        char *query_buf; /* the query as it came, split in place into query[] */
        size_t query_size;
        struct api_kv headers[API_HEADERS_MAX];
        struct api_kv query[API_QUERY_MAX];
        struct server *server;
};

/* The two body budgets: bytes held in memory, bytes spooled to disk. */
enum { MEM, DISK };

/* The capacity srv_body_append() grows a buffer to for n bytes. */
size_t srv_body_cap(size_t n, size_t max);
/* Takes n more body bytes of kind for the connection's request: -EBUSY
 * past the budget of its uid or of all (*which: "uid", "total",
 * "disk-uid" or "disk-total").  srv_budget_release() gives back all of
 * kind the connection holds. */
int srv_budget_take(struct server *s, struct conn *cn, int kind, size_t n, const char **which);
void srv_budget_release(struct server *s, struct conn *cn, int kind);
/* Appends a chunk to the body in memory, growing it geometrically up to
 * max: -EFBIG past it, -EBUSY past a budget (st->busy_which), -ENOMEM. */
int srv_body_append(struct req_state *st, struct conn *cn, size_t max, const char *data, size_t len);
/* Forgets the body received so far (wiped, spool closed, budgets back). */
void srv_body_drop(struct server *s, struct req_state *st, struct conn *cn);
/* The spool: the file taken over from memory past SERVER_SPOOL_MIN
 * (srv_spool_start), a chunk appended (-EFBIG, -EBUSY, -ENOSPC...), and
 * whether the request's route and Content-Type allow it at all. */
int srv_spool_start(struct server *s, struct req_state *st, struct conn *cn);
int srv_spool_append(struct server *s, struct req_state *st, struct conn *cn, const char *data, size_t len);
bool srv_spool_route(const struct server *s, const char *method, const char *url, const struct req_state *st);
