/* agent/agent.h: carnetd's client of the dossier host (carnet-hostd).
 *
 * With dossier_host set, carnetd keeps the cards and the card-signed
 * sessions and sends every dossier operation to the host over HTTPS with
 * mutual TLS (docs/agent.md): the workstation's certificate and key, the
 * CA that signed the host's certificate, a timeout for the whole call.
 * One struct agent serves every thread: each call takes an easy handle of
 * its own; TLS sessions and DNS answers are shared between them.
 *
 * Every call returns 0 once the host answered HTTP, whatever the status,
 * or one of three errors (agent_error_code() gives their stable names):
 *   -EHOSTUNREACH  host_unreachable: DNS, connect or TLS handshake failed
 *   -ETIMEDOUT     host_timeout: no complete reply in time.  A request is
 *                  never sent twice: a write whose reply was lost is
 *                  reported so, not resent
 *   -EBADMSG       host_bad_reply: not HTTP, a reply past reply_max, a JSON
 *                  reply that is not JSON, an unexpected status or shape
 *                  for the /v1/host calls
 * (-ENOMEM, -EINVAL for the caller's own faults.)  Tokens and bodies are
 * wiped once used. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define AGENT_TOKEN_LEN 64 /* hex characters of a host token or challenge */
#define AGENT_TIMEOUT_DEFAULT_MS 10000
#define AGENT_REPLY_MAX_DEFAULT (64u * 1024 * 1024)

#define AGENT_HOSTS_MAX 8

struct agent_config {
        /* https://HOST:PORT (no path), or several separated by spaces or
         * commas: host processes on one database, used in turn (a
         * request goes to the next; one that refuses the connection, so
         * that nothing was sent, gives way to the one after) */
        const char *url;
        const char *cert; /* the workstation's certificate, PEM */
        const char *key;  /* its key, PEM */
        const char *ca;   /* the CA of the host's server certificate, PEM */
        unsigned timeout_ms;  /* the whole call; 0: AGENT_TIMEOUT_DEFAULT_MS */
        size_t reply_max;     /* bytes of one reply; 0: AGENT_REPLY_MAX_DEFAULT */
};

/* One query parameter, decoded (value "" when given without '='), or
 * one request header. */
struct agent_param {
        const char *name;
        const char *value;
};

/* What the host answered: its status, body, and the headers the agent
 * relays (api_relay()). */
struct agent_reply {
        unsigned status;
        char content_type[128]; /* "" when the host sent none */
        char warning[80];       /* its X-Carnet-Warning header, "" when none */
        char etag[72];          /* its ETag header (a quoted SHA-256 at most), "" when none */
        char last_modified[32]; /* its Last-Modified header, "" when none */
        /* its Vary, the fields joined by ", "; "*" (varies beyond the
         * request's headers: RFC 9110 12.5.5) when they do not fit, "" when none */
        char vary[64];
        uint8_t *body;          /* NUL-terminated copy of len bytes */
        size_t len;
        json_t *json;           /* the body parsed, for a JSON content type; NULL otherwise */
};

struct agent;

int agent_new(const struct agent_config *cfg, struct agent **ret);
void agent_free(struct agent *a);

/* The stable code of an agent error: "host_unreachable", "host_timeout",
 * "host_bad_reply" (others: "internal"). */
const char *agent_error_code(int err);
/* Words for people about the same. */
const char *agent_error_message(int err);

/* Wipes and frees what a reply holds (it may be reused). */
void agent_reply_done(struct agent_reply *r);

/* Sends one request: method, path (decoded: each segment is escaped here)
 * with its query, the host token (NULL: none) in X-Carnet-Session, the
 * headers (Content-Type and others; at most AGENT_HEADERS_MAX, a value with
 * a line break is dropped, an empty one sends nothing: libcurl's rule), the
 * body (len bytes, NULL/0: none).  No header goes that the caller did not
 * give but Host, Content-Length and the session: no default Accept nor
 * Content-Type, no Expect. */
#define AGENT_HEADERS_MAX 72
int agent_forward(struct agent *a, const char *method, const char *path, const struct agent_param *query,
                  size_t n_query, const char *token, const struct agent_param *headers, size_t n_headers,
                  const void *body, size_t len, struct agent_reply *ret);
/* The same with the body read from a file as it is sent (len bytes of fd
 * from offset 0, with pread(): a body carnetd spooled), so that it never
 * sits whole in memory. */
int agent_forward_file(struct agent *a, const char *method, const char *path, const struct agent_param *query,
                       size_t n_query, const char *token, const struct agent_param *headers, size_t n_headers, int fd,
                       size_t len, struct agent_reply *ret);

/* POST /v1/host/challenges: a fresh challenge (64 lower-case hex);
 * -EACCES when the host refuses this workstation (403 with an error). */
int agent_challenge(struct agent *a, char ret[AGENT_TOKEN_LEN + 1]);

/* POST /v1/host/sessions with the record exactly as the card signed it,
 * its signature and the authentication certificate.  0: ret_token holds
 * the host token; -EPERM: the host refused with an error reply, in
 * *ret_refusal (to relay); or an agent error. */
int agent_open_session(struct agent *a, const char *record, const uint8_t *sig, size_t sig_len,
                       const uint8_t *cert_der, size_t cert_len, char ret_token[AGENT_TOKEN_LEN + 1],
                       struct agent_reply *ret_refusal);

/* DELETE /v1/host/sessions/current: 0 whatever the host said of it. */
int agent_close_session(struct agent *a, const char *token);

/* PUT /v1/host/sessions/current/mode with body (the local request's JSON). */
int agent_set_mode(struct agent *a, const char *token, const char *body, size_t len, struct agent_reply *ret);

/* GET /v1/host/sessions/current: the host's side of the session, which the
 * host marks used as any call with its token. */
int agent_get_session(struct agent *a, const char *token, struct agent_reply *ret);
