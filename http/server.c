/* http/server.c: libmicrohttpd on a Unix socket, or with TLS on TCP. */
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/cond.h"
#include "mhd-errors.h"
#include "router.h"
#include "peer.h"
#include "query.h"
#include "server.h"
#include "server-internal.h"
#include "spool.h"
#include "tcp.h"
#include "tls.h"

/* An over-limit or refused connection that sends nothing is closed after
 * this many idle seconds instead of connection_timeout. */
#define SHORT_TIMEOUT_S 2
/* How long server_stop() waits for event streams to say goodbye. */
#define STREAM_DRAIN_MS 2000
/* How often the reaper looks for requests past request_timeout_s. */
#define REAPER_TICK_MS 200

/* The buffer libmicrohttpd fills from a stream of known length (a
 * content) on each call. */
#define STREAM_BLOCK (64 * 1024)

/* One stream handed to libmicrohttpd. */
struct stream_ctx {
        struct server *server;
        struct api_stream stream;
};

/* A path that answers a connect() belongs to a live server; one that
 * refuses is a stale socket from a killed process and may be replaced. */
static int socket_in_use(const struct sockaddr_un *sa) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negerrno();
        return connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
}

static int socket_create(struct server *s, const struct server_config *cfg) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        struct stat st;

        if (strcpy_bounded(sa.sun_path, sizeof(sa.sun_path), cfg->socket_path) < 0)
                return -ENAMETOOLONG;
        if (lstat(sa.sun_path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                        return -EEXIST;
                if (socket_in_use(&sa) > 0)
                        return -EADDRINUSE;
                if (unlink(sa.sun_path) < 0)
                        return negerrno();
        }
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negerrno();
        /* Never let the socket exist, even for a moment, with a wider mode. */
        mode_t old = umask(0177);
        int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
        umask(old);
        if (r < 0)
                return negerrno();
        snprintf(s->path, sizeof(s->path), "%s", sa.sun_path);
        s->created = true;
        if (cfg->socket_group != (gid_t)-1 && chown(sa.sun_path, (uid_t)-1, cfg->socket_group) < 0)
                return negerrno();
        if (chmod(sa.sun_path, cfg->socket_mode) < 0)
                return negerrno();
        if (listen(fd, 64) < 0)
                return negerrno();
        return TAKE_FD(fd);
}

/* free() that wipes first: jansson's allocator from server_start() on,
 * and the free callback of every JSON reply.  A reply may carry a session
 * token or a patient secret, a parsed body a PIN; none of them stays in
 * freed heap. */
static void wipe_free(void *p) {
        if (!p)
                return;
        secure_zero(p, malloc_usable_size(p));
        free(p);
}

/* The headers every kind of reply may carry: the warning (API_WARNING_HEADER),
 * the ETag, the Last-Modified and Vary, each when set; on a 401, whoever
 * answered it (carnetd, the host, the host through the agent), the
 * challenge (API_SESSION_CHALLENGE). */
static void reply_headers(struct MHD_Response *resp, const struct api_reply *rep) {
        if (rep->status == 401)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, API_SESSION_CHALLENGE);
        if (rep->warning[0])
                MHD_add_response_header(resp, API_WARNING_HEADER, rep->warning);
        if (rep->etag[0])
                MHD_add_response_header(resp, "ETag", rep->etag);
        if (rep->last_modified[0])
                MHD_add_response_header(resp, "Last-Modified", rep->last_modified);
        if (rep->vary[0])
                MHD_add_response_header(resp, "Vary", rep->vary);
}

/* Serialises a JSON reply and queues it; `close` asks the client to
 * close the connection afterwards (refused callers, bodies left unread).
 * The text is freed through wipe_free() once sent. */
static enum MHD_Result send_json(struct MHD_Connection *c, const struct api_reply *rep, bool close) {
        char *text = rep->body ? json_dumps(rep->body, JSON_COMPACT) : NULL;
        if (!text)
                return MHD_NO;
        size_t len = strlen(text);
        /* a trailing newline makes curl output readable in a terminal;
         * not realloc(), which could leave a copy behind */
        char *t2 = malloc(len + 2);
        if (!t2) {
                wipe_free(text);
                return MHD_NO;
        }
        memcpy(t2, text, len);
        wipe_free(text);
        t2[len] = '\n';
        t2[len + 1] = '\0';
        struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(len + 1, t2, wipe_free);
        if (!resp) {
                wipe_free(t2);
                return MHD_NO;
        }
        MHD_add_response_header(resp, "Content-Type", rep->content_type ? rep->content_type : "application/json");
        if (rep->allow[0])
                MHD_add_response_header(resp, "Allow", rep->allow);
        reply_headers(resp, rep);
        if (close)
                MHD_add_response_header(resp, "Connection", "close");
        enum MHD_Result r = MHD_queue_response(c, rep->status, resp);
        MHD_destroy_response(resp);
        return r;
}

/* Queues a body already in memory as one buffer with its Content-Length
 * (no chunked stream, no copy): libmicrohttpd owns it from here on and
 * frees it through wipe_free() once sent. */
static enum MHD_Result send_data(struct MHD_Connection *c, struct api_reply *rep) {
        struct MHD_Response *resp =
                MHD_create_response_from_buffer_with_free_callback(rep->data_len, rep->data, wipe_free);
        if (!resp)
                return MHD_NO; /* rep->data is still the reply's: api_reply_clear() frees it */
        rep->data = NULL;
        rep->data_len = 0;
        MHD_add_response_header(resp, "Content-Type", rep->data_type);
        reply_headers(resp, rep);
        enum MHD_Result r = MHD_queue_response(c, rep->status, resp);
        MHD_destroy_response(resp);
        return r;
}

/* The reader of send_empty()'s response, which libmicrohttpd never calls:
 * a 304 sends no body. */
static ssize_t no_body(void *cls, uint64_t pos, char *buf, size_t max) {
        return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* Queues a reply without a body, 304 Not Modified (http/conditional.h),
 * or a HEAD of an event stream (content_type, with its Cache-Control):
 * its headers only, with neither Content-Length nor Transfer-Encoding.
 * RFC 9110 8.6 allows a 304 no Content-Length but the 200's, which is not
 * known here (nor through the agent), and libmicrohttpd 0.9.75 writes one
 * on every 304, the length of the response given (Content-Length: 0 for
 * an empty one), or Transfer-Encoding: chunked for one of unknown length.
 * A response of unknown length that may not be chunked
 * (MHD_RF_HTTP_VERSION_1_0_ONLY) has neither: its end is the connection's
 * end, so that the connection closes after the 304 (Connection: close).
 * (Version 1.0's MHD_RF_HEAD_ONLY_RESPONSE would keep it open.)  A HEAD
 * comes here too when it is answered 304.  A HEAD of a stream of unknown
 * length cannot go out as a chunked response: 0.9.75 writes the chunked
 * body's terminator ("0\r\n\r\n") even for a HEAD, 5 bytes the client
 * reads as the start of the next response on the connection. */
static enum MHD_Result send_empty(struct MHD_Connection *c, const struct api_reply *rep, const char *content_type) {
        struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64, no_body, NULL, NULL);
        if (!resp)
                return MHD_NO;
        if (MHD_set_response_options(resp, MHD_RF_HTTP_VERSION_1_0_ONLY, MHD_RO_END) != MHD_YES) {
                MHD_destroy_response(resp);
                return MHD_NO;
        }
        if (content_type) {
                MHD_add_response_header(resp, "Content-Type", content_type);
                MHD_add_response_header(resp, "Cache-Control", "no-cache");
        }
        reply_headers(resp, rep);
        enum MHD_Result r = MHD_queue_response(c, rep->status, resp);
        MHD_destroy_response(resp);
        return r;
}

/* Called by libmicrohttpd in the connection's thread whenever it can send
 * more of an event stream.  The stream waits at most API_STREAM_WAIT_MS
 * per call, so this loop notices carnetd stopping within that time. */
static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max) {
        struct stream_ctx *sc = cls;
        for (;;) {
                bool stopping = atomic_load(&sc->server->stopping);
                ssize_t n = sc->stream.read(sc->stream.userdata, buf, max, stopping);
                if (n == API_STREAM_END)
                        return MHD_CONTENT_READER_END_OF_STREAM;
                if (n < 0)
                        return MHD_CONTENT_READER_END_WITH_ERROR;
                if (n > 0)
                        return n;
                if (stopping) /* a stream that has nothing left to say at the end */
                        return MHD_CONTENT_READER_END_OF_STREAM;
        }
}

static void stream_free(void *cls) {
        struct stream_ctx *sc = cls;
        struct server *s = sc->server;
        if (sc->stream.free)
                sc->stream.free(sc->stream.userdata);
        free(sc);
        pthread_mutex_lock(&s->lock);
        s->streams--;
        pthread_cond_broadcast(&s->drained);
        pthread_mutex_unlock(&s->lock);
}

/* A HEAD of an event stream (of unknown length): the stream, never read,
 * is let go, and the headers go out alone (send_empty()).  A stream of
 * known length (a content read in pieces) is sent as for a GET: with its
 * Content-Length, libmicrohttpd writes the headers only. */
static enum MHD_Result send_stream_head(struct MHD_Connection *c, struct api_reply *rep) {
        char type[128]; /* the stream's media type may be its own: copied before it goes */
        (void)strcpy_bounded(type, sizeof(type), rep->stream.content_type ? rep->stream.content_type : "");
        if (rep->stream.free)
                rep->stream.free(rep->stream.userdata);
        memset(&rep->stream, 0, sizeof(rep->stream));
        return send_empty(c, rep, type);
}

/* Queues a streamed reply; the stream is owned by the response from here
 * on (freed by stream_free when libmicrohttpd is done with it). */
static enum MHD_Result send_stream(struct server *s, struct MHD_Connection *c, struct api_reply *rep) {
        struct stream_ctx *sc = calloc(1, sizeof(*sc));
        if (!sc)
                return MHD_NO;
        sc->server = s;
        sc->stream = rep->stream;
        memset(&rep->stream, 0, sizeof(rep->stream));
        pthread_mutex_lock(&s->lock);
        s->streams++;
        pthread_mutex_unlock(&s->lock);
        uint64_t length = sc->stream.length;
        struct MHD_Response *resp = MHD_create_response_from_callback(
                length ? length : MHD_SIZE_UNKNOWN, length ? STREAM_BLOCK : 4096, stream_reader, sc, stream_free);
        if (!resp) {
                stream_free(sc);
                return MHD_NO;
        }
        MHD_add_response_header(resp, "Content-Type", sc->stream.content_type);
        if (!length) /* events */
                MHD_add_response_header(resp, "Cache-Control", "no-cache");
        reply_headers(resp, rep);
        enum MHD_Result r = MHD_queue_response(c, rep->status, resp);
        MHD_destroy_response(resp);
        return r;
}

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct conn *conn_of(struct MHD_Connection *c) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return ci ? ci->socket_context : NULL;
}

/* Starts (on) or stops the clock of the connection's current request. */
static void conn_arm(struct server *s, struct conn *cn, bool on) {
        if (!cn)
                return;
        pthread_mutex_lock(&s->lock);
        cn->deadline_ms = on ? now_ms() + (uint64_t)s->request_timeout_s * 1000 : 0;
        pthread_mutex_unlock(&s->lock);
}

/* Queues an error decided before the request was handled (on the first
 * call, or the last for a body too large), asking the caller to close the
 * connection; marks the request as answered. */
static enum MHD_Result early_error(struct MHD_Connection *c, struct req_state *st, unsigned status,
                                   const char *code, const char *msg) {
        struct api_reply rep = {0};
        st->replied = true;
        conn_arm(st->server, conn_of(c), false);
        if (api_error(&rep, status, code, "%s", msg) < 0)
                return MHD_NO;
        enum MHD_Result r = send_json(c, &rep, true);
        api_reply_clear(&rep);
        return r;
}

/* Appends one name/value pair to kv (of max), or notes the overflow. */
static enum MHD_Result collect(struct api_kv *kv, size_t *n, size_t max, bool *overflow, const char *key,
                               const char *value) {
        if (*n == max) {
                *overflow = true;
                return MHD_NO;
        }
        kv[(*n)++] = (struct api_kv){key, value ? value : ""};
        return MHD_YES;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value) {
        struct req_state *st = cls;
        return collect(st->headers, &st->n_headers, API_HEADERS_MAX, &st->headers_overflow, key, value);
}

/* The size of the request line and headers as sent, near enough. */
static size_t header_bytes(const struct req_state *st, const char *method, const char *url) {
        size_t n = strlen(method) + strlen(url) + 12;
        for (size_t i = 0; i < st->n_headers; i++)
                n += strlen(st->headers[i].name) + strlen(st->headers[i].value) + 4;
        return n;
}

/* 503 server_busy: the request bodies in flight, in memory or spooled to
 * disk, of the caller's uid or of all callers, are at their budget. */
static enum MHD_Result busy_error(struct server *s, struct MHD_Connection *c, struct req_state *st,
                                  const struct conn *cn, const char *which) {
        char msg[192];
        bool disk = which && strncmp(which, "disk-", 5) == 0;
        const char *what = disk ? "request bodies spooled to disk" : "request bodies in flight";
        if (!which)
                snprintf(msg, sizeof(msg), "the request bodies in flight reached their budget (%zu bytes per uid, "
                         "%zu in all); retry later", s->budget_uid[MEM], s->budget_total[MEM]);
        else if (strcmp(which + (disk ? 5 : 0), "uid") == 0)
                snprintf(msg, sizeof(msg), "uid %u already has %zu bytes of %s; retry later",
                         (unsigned)cn->peer.uid, s->budget_uid[disk], what);
        else
                snprintf(msg, sizeof(msg), "carnetd already has %zu bytes of %s; retry later",
                         s->budget_total[disk], what);
        return early_error(c, st, 503, "server_busy", msg);
}

/* A request whose length two headers could read differently (two
 * Content-Length, or Content-Length with Transfer-Encoding: RFC 9112
 * 6.3) is refused rather than guessed at; NULL when there is none. */
static const char *framing_conflict(const struct req_state *st) {
        size_t cl = 0, te = 0;
        for (size_t i = 0; i < st->n_headers; i++) {
                cl += strcasecmp(st->headers[i].name, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0;
                te += strcasecmp(st->headers[i].name, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0;
        }
        if (cl > 1)
                return "malformed request: more than one Content-Length header";
        if (cl && te)
                return "malformed request: both Content-Length and Transfer-Encoding";
        return NULL;
}

/* RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without
 * Host, and to any with more than one Host or an invalid one (a host
 * [":" port] of RFC 3986's characters; empty is allowed); NULL when the
 * Host is right. */
static const char *host_problem(const struct req_state *st, const char *version) {
        static const char host_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                         "-._~%!$&'()*+,;=:[]";
        const char *host = NULL;
        size_t n = 0;
        for (size_t i = 0; i < st->n_headers; i++)
                if (strcasecmp(st->headers[i].name, MHD_HTTP_HEADER_HOST) == 0) {
                        host = st->headers[i].value;
                        n++;
                }
        if (n > 1)
                return "malformed request: more than one Host header";
        if (!host && strcmp(version, MHD_HTTP_VERSION_1_1) == 0)
                return "malformed request: an HTTP/1.1 request without a Host header";
        if (host && strspn(host, host_chars) != strlen(host))
                return "malformed request: the Host header is not a host[:port]";
        return NULL;
}

/* TLS: whether the connection's client certificate verifies, read at its
 * first request (the handshake is over by then); a refusal is told once. */
static bool tls_allowed(struct server *s, struct MHD_Connection *c, struct conn *cn) {
        if (cn->tls_checked)
                return cn->tls_ok;
        cn->tls_checked = true;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        int r = s->tls_peer && ci ? s->tls_peer(ci->tls_session, cn->workstation, sizeof(cn->workstation)) : -ENOKEY;
        cn->tls_ok = r == 0;
        if (!cn->tls_ok) {
                char what[HTTP_WORKSTATION_MAX + 64];
                snprintf(what, sizeof(what), "%s (%s)", cn->workstation[0] ? cn->workstation : "no name",
                         r == -ENOKEY ? "no client certificate" : "certificate does not verify");
                report(&s->reporter, &(struct report){.event = "workstation-refused", .detail = what});
                if (s->on_refused)
                        s->on_refused(s->refused_userdata, cn->workstation);
                cn->workstation[0] = '\0';
        }
        return cn->tls_ok;
}

/* Whether the client waits for "100 Continue" before sending its body. */
static bool expects_continue(struct MHD_Connection *c) {
        const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
        return v && strcasestr(v, "100-continue");
}

/* The first call for a request (headers read, body not yet): everything
 * that can be refused before reading a body is refused here, with the
 * connection closed afterwards. */
static enum MHD_Result on_headers(struct server *s, struct MHD_Connection *c, struct req_state *st,
                                  const char *method, const char *url, const char *version) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        struct conn *cn = ci ? ci->socket_context : NULL;
        char msg[256];

        if (!cn || cn->peer_error)
                return early_error(c, st, 403, "no_credentials", "caller credentials unavailable");
        if (s->tls && !tls_allowed(s, c, cn))
                return early_error(c, st, 403, "workstation_refused",
                                   "this connection presented no client certificate that the host's workstation "
                                   "CA issued: the host serves its workstations only");
        if (!cn->allowed) {
                snprintf(msg, sizeof(msg),
                         "uid %u is not allowed to use carnetd: it is in none of the allowed groups",
                         (unsigned)cn->peer.uid);
                return early_error(c, st, 403, "forbidden_caller", msg);
        }
        if (cn->over_limit) {
                snprintf(msg, sizeof(msg), "uid %u already has the most connections allowed; close one",
                         (unsigned)cn->peer.uid);
                return early_error(c, st, 429, "too_many_connections", msg);
        }
        if (cn->target_bad)
                return early_error(c, st, 400, "bad_encoding", cn->target_bad);
        if (cn->query.error)
                return MHD_NO;
        if (cn->query.too_long) {
                snprintf(msg, sizeof(msg), "request line and headers over %zu bytes or %d headers",
                         s->header_max, API_HEADERS_MAX);
                return early_error(c, st, 431, "headers_too_large", msg);
        }
        st->query_size = cn->query.size;
        st->query_buf = TAKE_PTR(cn->query.text); /* the request's from here on */
        MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, st);
        if (st->headers_overflow || header_bytes(st, method, url) > s->header_max) {
                snprintf(msg, sizeof(msg), "request line and headers over %zu bytes or %d headers",
                         s->header_max, API_HEADERS_MAX);
                return early_error(c, st, 431, "headers_too_large", msg);
        }
        const char *bad = framing_conflict(st);
        if (!bad)
                bad = host_problem(st, version);
        if (bad)
                return early_error(c, st, 400, "bad_request", bad);
        /* a body that may be spooled: one of unknown length (chunked) or
         * over SERVER_SPOOL_MIN, to a route that takes one */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        st->may_spool = s->spool_dir >= 0 && (!cl || strtoull(cl, NULL, 10) > SERVER_SPOOL_MIN) &&
                        srv_spool_route(s, method, url, st);
        if (cl) {
                char *end;
                errno = 0;
                unsigned long long n = strtoull(cl, &end, 10);
                if (errno || *end || n > s->body_max) {
                        snprintf(msg, sizeof(msg), "request body over %zu bytes", s->body_max);
                        /* a client that sends its body at once (no
                         * "Expect: 100-continue") would see the connection
                         * reset under its upload, not this answer: up to
                         * twice body_max, the body is read and dropped
                         * first, then answered 413 (on_body_chunk) */
                        if (!errno && !*end && n <= 2 * (unsigned long long)s->body_max && !expects_continue(c)) {
                                st->too_large = true;
                                st->drop_max = (size_t)n;
                                return MHD_YES;
                        }
                        return early_error(c, st, 413, "too_large", msg);
                }
                /* the whole body's buffer (or spool) is taken now, so
                 * that bodies that would not all fit are refused before
                 * they are read */
                const char *which;
                bool spool = st->may_spool && n > SERVER_SPOOL_MIN;
                size_t cap = spool ? (size_t)n : srv_body_cap((size_t)n, s->body_max);
                if (n > 0 && srv_budget_take(s, cn, spool ? DISK : MEM, cap, &which) < 0)
                        return busy_error(s, c, st, cn, which);
                if (spool)
                        st->spool_reserved = cap;
                else if (n > 0)
                        st->reserved = cap;
        }
        return MHD_YES;
}

/* One chunk of the body: appended, or dropped once past body_max (the
 * reply, 413, waits for the end of the body). */
static enum MHD_Result on_body_chunk(struct server *s, struct MHD_Connection *c, struct req_state *st,
                                     const char *upload, size_t n) {
        /* libmicrohttpd cannot queue a reply in the middle of a body: a
         * chunked body past body_max is dropped until its end (up to
         * body_max more bytes; past that the connection is cut), then
         * answered 413 */
        if (st->too_large || st->busy || st->spool_error) {
                st->dropped += n;
                return st->dropped <= (st->drop_max ? st->drop_max : s->body_max) ? MHD_YES : MHD_NO;
        }
        struct conn *cn = conn_of(c);
        int r = 0;
        if (st->may_spool && st->spool.fd < 0 && (st->spool_reserved > 0 || st->body_len + n > SERVER_SPOOL_MIN))
                r = srv_spool_start(s, st, cn);
        if (r == 0)
                r = st->spool.fd >= 0 ? srv_spool_append(s, st, cn, upload, n)
                                      : srv_body_append(st, cn, s->body_max, upload, n);
        if (r < 0 && r != -ENOMEM) { /* -ENOSPC... from the spool file */
                st->too_large = r == -EFBIG;
                st->busy = r == -EBUSY;
                st->spool_error = st->too_large || st->busy ? 0 : r;
                srv_body_drop(s, st, cn);
                return MHD_YES;
        }
        if (r < 0)
                return MHD_NO; /* out of memory: nothing sensible to say */
        return MHD_YES;
}

/* The whole request is in: runs it through the route table and queues
 * the reply. */
static enum MHD_Result answer(struct server *s, struct MHD_Connection *c, struct req_state *st, const char *method,
                              const char *url) {
        struct api_reply rep = {0};
        char msg[128];
        enum MHD_Result ret;

        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        const struct conn *cn = ci->socket_context;
        /* the query as it came, not libmicrohttpd's arguments, which its
         * form-style decoding gave with every '+' a space */
        if (http_query_split(st->query_buf, st->query, API_QUERY_MAX, &st->n_query) < 0) {
                snprintf(msg, sizeof(msg), "more than %d query parameters", API_QUERY_MAX);
                return early_error(c, st, 400, "bad_parameter", msg);
        }
        if (st->spool.fd >= 0 && spool_finish(&st->spool, &st->spooled) < 0)
                return early_error(c, st, 500, "internal", "the request body could not be received");
        struct api_request req = {
                .ctx = s->ctx,
                .method = method,
                .path = url,
                .uid = cn->peer.uid,
                .gid = cn->peer.gid,
                .pid = cn->peer.pid,
                .workstation = s->tls ? cn->workstation : NULL,
                .body = st->body,
                .body_len = st->body_len,
                .spool = st->spool.fd >= 0 ? &st->spooled : NULL,
                .headers = st->headers,
                .n_headers = st->n_headers,
                .query = st->query,
                .n_query = st->n_query,
        };
        int hr = api_dispatch(s->table, &req, &rep);
        /* Request bodies may hold a PIN or a patient secret: wiped as soon
         * as the handler is done with them. */
        if (st->body)
                secure_zero(st->body, st->body_cap);
        if (hr < 0)
                return MHD_NO;
        /* the route's template, never the path: a path may hold an INS */
        char what[160];
        snprintf(what, sizeof(what), "%s %s", method, rep.route ? rep.route : "(no route)");
        report(&s->reporter, &(struct report){.event = "http-request", .detail = what, .n = rep.status,
                                              .caller = true, .uid = req.uid, .pid = req.pid});
        bool head = strcmp(method, "HEAD") == 0;
        ret = rep.stream.read && head && !rep.stream.length ? send_stream_head(c, &rep)
              : rep.stream.read ? send_stream(s, c, &rep)
              : rep.data      ? send_data(c, &rep)
              : rep.status == 304 && !rep.body ? send_empty(c, &rep, NULL)
                                               : send_json(c, &rep, false);
        api_reply_clear(&rep);
        return ret;
}

/* The spool file could not take the body: 503 when the disk is full
 * (the caller may retry), 500 otherwise. */
static enum MHD_Result spool_error(struct MHD_Connection *c, struct req_state *st) {
        int e = st->spool_error;
        char msg[160];
        if (e == -ENOSPC || e == -EDQUOT) {
                snprintf(msg, sizeof(msg), "carnetd has no room left on disk to receive the request body; retry later");
                return early_error(c, st, 503, "server_busy", msg);
        }
        snprintf(msg, sizeof(msg), "the request body could not be received: %s", strerror(-e));
        return early_error(c, st, 500, "internal", msg);
}

/* The path of a request target: the origin form as it is, the absolute
 * form ("http://host[:port]/path", which RFC 9112 3.2.2 says a server
 * MUST accept) from the first '/' after the authority ("" without one:
 * no route matches). */
static const char *target_path(const char *url) {
        size_t scheme = strncasecmp(url, "http://", 7) == 0 ? 7 : strncasecmp(url, "https://", 8) == 0 ? 8 : 0;
        if (!scheme)
                return url;
        const char *slash = strchr(url + scheme, '/');
        return slash ? slash : url + strlen(url);
}

/* Why a request target, as it came (before libmicrohttpd decodes its path
 * and query in place, into C strings), is refused, or NULL: a %00 would cut
 * a segment, a name or a value short, unseen by the router, and a %2F in
 * the path would split one segment in two. */
static const char *http_target_bad(const char *target) {
        bool query = false;

        for (const char *p = target; *p; p++) {
                if (*p == '?')
                        query = true;
                if (*p != '%')
                        continue;
                if (p[1] == '0' && p[2] == '0')
                        return "the request target has an encoded NUL (%00)";
                if (!query && p[1] == '2' && (p[2] == 'F' || p[2] == 'f'))
                        return "a path segment has an encoded '/' (%2F): no route takes one";
        }
        return NULL;
}

/* Forgets the query kept of the connection's last request target. */
static void conn_query_drop(struct conn *cn) {
        if (cn->query.text)
                secure_zero(cn->query.text, cn->query.size);
        free(cn->query.text);
        cn->query = (struct conn_query){0};
}

/* Called with each request's target as it came, before anything else of
 * the request: notes on the connection what on_headers() refuses, and
 * keeps a copy of the query (up to header_max bytes), which libmicrohttpd
 * then decodes in place as a form's, '+' as a space. */
static void *on_target(void *cls, const char *target, struct MHD_Connection *c) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        struct conn *cn = ci ? ci->socket_context : NULL;
        const struct server *s = cls;

        if (!cn)
                return NULL;
        cn->target_bad = http_target_bad(target);
        conn_query_drop(cn);
        const char *q = strchr(target, '?');
        if (!q)
                return NULL;
        size_t len = strnlen(q + 1, s->header_max + 1);
        if (len > s->header_max) {
                cn->query.too_long = true;
                return NULL;
        }
        cn->query.text = strndup(q + 1, len);
        cn->query.size = len + 1;
        cn->query.error = cn->query.text ? 0 : -ENOMEM;
        return NULL;
}

/* libmicrohttpd calls this first with *con_cls NULL (headers only), then
 * once per body chunk, then with *upload_size 0: the reply is queued on
 * that last call, the library's idiom that keeps keep-alive working.
 * Only refusals are queued on the first call, and they close the
 * connection. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
        struct server *s = cls;
        struct req_state *st = *con_cls;
        char msg[128];

        url = target_path(url);
        if (!st) {
                st = calloc(1, sizeof(*st));
                if (!st)
                        return MHD_NO;
                st->server = s;
                st->spool = SPOOL_FILE_NONE;
                *con_cls = st;
                return on_headers(s, c, st, method, url, version);
        }
        if (st->replied) {
                *upload_size = 0; /* already answered: the rest is dropped */
                return MHD_YES;
        }
        if (*upload_size) {
                size_t n = *upload_size;
                *upload_size = 0;
                return on_body_chunk(s, c, st, upload, n);
        }
        if (st->too_large) {
                snprintf(msg, sizeof(msg), "request body over %zu bytes", s->body_max);
                return early_error(c, st, 413, "too_large", msg);
        }
        if (st->busy)
                return busy_error(s, c, st, conn_of(c), st->busy_which);
        if (st->spool_error)
                return spool_error(c, st);
        conn_arm(s, conn_of(c), false);
        return answer(s, c, st, method, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
        struct server *s = cls;
        struct req_state *st = *con_cls;
        struct conn *cn = conn_of(c);
        srv_budget_release(s, cn, MEM);
        srv_budget_release(s, cn, DISK);
        conn_arm(s, cn, true); /* the next request's clock */
        if (st && st->body)
                secure_zero(st->body, st->body_cap);
        if (st && st->query_buf)
                secure_zero(st->query_buf, st->query_size);
        if (st) {
                free(st->query_buf);
                free(st->body);
                spool_end(&st->spool); /* unlinked from birth: closed, it is gone */
        }
        free(st);
        *con_cls = NULL;
}

static void conn_link(struct server *s, struct conn *cn) {
        pthread_mutex_lock(&s->lock);
        cn->next = s->conns;
        if (s->conns)
                s->conns->prev = cn;
        s->conns = cn;
        cn->deadline_ms = now_ms() + (uint64_t)s->request_timeout_s * 1000;
        pthread_mutex_unlock(&s->lock);
}

static void conn_unlink(struct server *s, struct conn *cn) {
        pthread_mutex_lock(&s->lock);
        s->inflight[MEM] -= cn->held[MEM];
        s->inflight[DISK] -= cn->held[DISK];
        if (cn->prev)
                cn->prev->next = cn->next;
        else if (s->conns == cn)
                s->conns = cn->next;
        if (cn->next)
                cn->next->prev = cn->prev;
        pthread_mutex_unlock(&s->lock);
}

/* The total-request limit: a request (request line, headers and body)
 * that has not arrived whole request_timeout_s after the connection
 * opened or its previous reply went out is answered 408 and the
 * connection shut down, however steadily it trickles (libmicrohttpd's
 * own timeout only counts idle time).  libmicrohttpd reads nothing more
 * and closes it.  Checked every REAPER_TICK_MS. */
static void reap_one(struct server *s, struct conn *cn) {
        char body[160], msg[320];
        int n = snprintf(body, sizeof(body),
                         "{\"error\":{\"code\":\"request_timeout\",\"message\":"
                         "\"the request did not arrive whole within %u s\"}}\n",
                         s->request_timeout_s);
        int m = snprintf(msg, sizeof(msg),
                         "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n"
                         "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
                         n, body);
        cn->cut = true;
        if (!s->tls) /* in plain text: on TLS the connection is only shut */
                (void)!send(cn->fd, msg, (size_t)m, MSG_NOSIGNAL | MSG_DONTWAIT);
        shutdown(cn->fd, SHUT_RDWR);
}

static void *reaper_run(void *arg) {
        struct server *s = arg;
        while (!atomic_load(&s->stopping)) {
                struct timespec tick = {0, REAPER_TICK_MS * 1000000L};
                nanosleep(&tick, NULL);
                uint64_t now = now_ms();
                uid_t cut_uid = 0;
                bool cut = false;
                pthread_mutex_lock(&s->lock);
                for (struct conn *cn = s->conns; cn; cn = cn->next)
                        if (cn->deadline_ms && now >= cn->deadline_ms && !cn->cut && cn->fd >= 0) {
                                reap_one(s, cn);
                                cut_uid = cn->peer.uid;
                                cut = true;
                        }
                pthread_mutex_unlock(&s->lock);
                if (cut) {
                        char what[128];
                        snprintf(what, sizeof(what), "uid %u: request not whole within %u s (request-timeout); "
                                 "answered 408, connection shut", (unsigned)cut_uid, s->request_timeout_s);
                        report(&s->reporter, &(struct report){.event = "http-error", .detail = what});
                }
        }
        return NULL;
}

/* A connection opens or closes.  The caller is read once, at the start:
 * SO_PEERCRED and SO_PEERGROUPS are fixed at connect() anyway.  Refused
 * and over-limit connections get a short idle timeout, so that they
 * cannot hold threads for long. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
        struct server *s = cls;
        struct conn *cn = *socket_context;

        if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
                if (cn && cn->slot)
                        uid_slots_give(&s->slots, cn->peer.uid);
                if (cn) {
                        conn_unlink(s, cn);
                        conn_query_drop(cn);
                }
                free(cn);
                *socket_context = NULL;
                return;
        }
        cn = calloc(1, sizeof(*cn));
        *socket_context = cn;
        if (!cn)
                return; /* on_headers answers no_credentials */
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        cn->fd = ci ? ci->connect_fd : -1;
        if (s->tls) {
                /* no local caller on TCP: "nobody", never root; the client
                 * certificate decides (tls_allowed) */
                cn->peer = (struct peer){.uid = (uid_t)-2, .gid = (gid_t)-2};
                cn->allowed = true;
                conn_link(s, cn);
                return;
        }
        cn->peer_error = ci ? peer_read(ci->connect_fd, &cn->peer) : -EBADF;
        conn_link(s, cn);
        if (cn->peer_error == 0) {
                cn->allowed = peer_allowed(&s->policy, &cn->peer);
                cn->slot = uid_slots_take(&s->slots, cn->peer.uid) == 0;
                cn->over_limit = !cn->slot;
                if (!cn->allowed || cn->over_limit)
                        report(&s->reporter, &(struct report){
                                .event = !cn->allowed ? "caller-refused" : "caller-over-limit",
                                .caller = true, .uid = cn->peer.uid, .pid = cn->peer.pid});
        }
        if (cn->peer_error || !cn->allowed || cn->over_limit)
                MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)SHORT_TIMEOUT_S);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
        char msg[512];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        msg[strcspn(msg, "\n")] = '\0';
        mhd_errors_note(msg);
        struct server *s = cls;
        report(&s->reporter, &(struct report){.event = "http-error", .detail = msg});
}

/* Lets the event streams end by themselves (a goodbye and the end of the
 * chunked body) before libmicrohttpd closes every connection. */
static void drain_streams(struct server *s) {
        struct timespec deadline = timespec_after_ms(CLOCK_MONOTONIC, STREAM_DRAIN_MS);
        pthread_mutex_lock(&s->lock);
        while (s->streams > 0)
                if (pthread_cond_timedwait(&s->drained, &s->lock, &deadline) != 0)
                        break;
        pthread_mutex_unlock(&s->lock);
}

void server_stop(struct server *s) {
        if (!s)
                return;
        atomic_store(&s->stopping, true);
        if (s->reaper_started)
                pthread_join(s->reaper, NULL);
        if (s->mhd) {
                drain_streams(s);
                MHD_stop_daemon(s->mhd);
        }
        if (s->created)
                (void)unlink(s->path);
        uid_slots_done(&s->slots);
        free(s->tls_cert);
        if (s->tls_key)
                secure_zero(s->tls_key, strlen(s->tls_key));
        free(s->tls_key);
        free(s->tls_ca);
        if (s->spool_dir >= 0)
                close(s->spool_dir);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->drained);
        free(s);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct server, server_stop);

/* Copies what TLS needs (every part required with listen_address). */
static int tls_setup(struct server *s, const struct server_config *cfg) {
        if (!s->tls)
                return 0;
        if (!cfg->tls_cert_pem || !cfg->tls_key_pem || !cfg->tls_client_ca_pem || !cfg->tls_peer)
                return -EINVAL;
        s->tls_cert = strdup(cfg->tls_cert_pem);
        s->tls_key = strdup(cfg->tls_key_pem);
        s->tls_ca = strdup(cfg->tls_client_ca_pem);
        if (!s->tls_cert || !s->tls_key || !s->tls_ca)
                return -ENOMEM;
        s->tls_peer = cfg->tls_peer;
        s->on_refused = cfg->on_workstation_refused;
        s->refused_userdata = cfg->refused_userdata;
        return 0;
}

int server_start(const struct server_config *cfg, struct server **ret) {
        _cleanup_(server_stopp) struct server *s = calloc(1, sizeof(*s));
        int fd = cfg->listen_fd, r;

        if (!s)
                return -ENOMEM;
        s->spool_dir = -1;
        /* process-wide, before the first request: every string jansson
         * frees (parsed bodies, replies, their text) is wiped first */
        json_set_alloc_funcs(malloc, wipe_free);
        pthread_mutex_init(&s->lock, NULL);
        r = cond_init_monotonic(&s->drained);
        if (r < 0)
                return r;
        s->tls = cfg->listen_address != NULL;
        if ((!s->tls && !cfg->policy) || cfg->max_connections == 0 || cfg->connections_per_uid == 0 ||
            cfg->body_max == 0 || cfg->header_max == 0)
                return -EINVAL;
        r = tls_setup(s, cfg);
        if (r < 0)
                return r;
        s->body_max = cfg->body_max;
        s->header_max = cfg->header_max;
        s->request_timeout_s = cfg->request_timeout_s ? cfg->request_timeout_s : 2 * cfg->connection_timeout_s;
        s->budget_uid[MEM] = cfg->body_budget_uid ? cfg->body_budget_uid : 2 * cfg->body_max;
        s->budget_total[MEM] = cfg->body_budget_total ? cfg->body_budget_total : 3 * cfg->body_max;
        s->budget_uid[DISK] = cfg->spool_budget_uid ? cfg->spool_budget_uid : 16 * cfg->body_max;
        s->budget_total[DISK] = cfg->spool_budget_total ? cfg->spool_budget_total : 16 * cfg->body_max;
        /* TLS callers share one uid: only the total budget applies */
        if (s->tls)
                s->budget_uid[MEM] = s->budget_uid[DISK] = SIZE_MAX;
        if (cfg->spool_dir && (r = spool_dir_open(cfg->spool_dir, &s->spool_dir)) < 0)
                return r;
        if (cfg->policy)
                s->policy = *cfg->policy;
        s->ctx = cfg->ctx;
        s->table = cfg->table;
        s->reporter = cfg->reporter;
        r = uid_slots_init(&s->slots, cfg->connections_per_uid, cfg->max_connections + 1);
        if (r < 0)
                return r;
        if (fd < 0 && s->tls)
                fd = tcp_listen(cfg->listen_address);
        else if (fd < 0) {
                if (!cfg->socket_path)
                        return -EINVAL;
                fd = socket_create(s, cfg);
                if (fd < 0)
                        return fd;
        }
        /* libmicrohttpd keeps request headers in each connection's memory
         * pool: leave room above header_max for its buffers, so that our
         * own 431 (in JSON) answers first. */
        size_t pool = cfg->header_max * 2 + 16384;
        if (pool < 32768)
                pool = 32768;
        /* with TLS: the server's certificate and key, and the workstation
         * CA, which makes libmicrohttpd request a client certificate */
        struct MHD_OptionItem tls_opts[] = {
                {MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert},
                {MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key},
                {MHD_OPTION_HTTPS_MEM_TRUST, 0, s->tls_ca},
                {MHD_OPTION_END, 0, NULL},
        };
        s->mhd = MHD_start_daemon(
                MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_AUTO |
                        MHD_USE_ERROR_LOG | (s->tls ? MHD_USE_TLS : 0),
                0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
                MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT,
                (unsigned)cfg->connection_timeout_s, MHD_OPTION_CONNECTION_LIMIT,
                (unsigned)cfg->max_connections, MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
                MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_NOTIFY_COMPLETED,
                on_completed, s, MHD_OPTION_URI_LOG_CALLBACK, on_target, s, MHD_OPTION_ARRAY, s->tls ? tls_opts : &tls_opts[3], MHD_OPTION_END);
        if (!s->mhd) {
                close(fd);
                return -EIO;
        }
        r = -pthread_create(&s->reaper, NULL, reaper_run, s);
        if (r < 0)
                return r;
        s->reaper_started = true;
        *ret = TAKE_PTR(s);
        return 0;
}
