/* http/server-body.c: request bodies as they arrive, in memory or in a
 * spool file, within the body budgets; see server-internal.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/macro.h"
#include "lib/media-type.h"
#include "server-internal.h"
#include "server.h"

/* The capacity srv_body_append() grows a buffer to for n bytes. */
size_t srv_body_cap(size_t n, size_t max) {
        size_t cap = 4096;
        while (cap < n)
                cap = cap > max / 2 ? max : cap * 2;
        return cap;
}


/* Body bytes of kind the connection's uid may still take, in all and for
 * itself (lock held). */
static size_t budget_room(const struct server *s, const struct conn *cn, int kind, const char **which) {
        size_t uid_sum = 0;
        for (const struct conn *o = s->conns; o; o = o->next)
                if (o->peer.uid == cn->peer.uid)
                        uid_sum += o->held[kind];
        size_t total = s->budget_total[kind] > s->inflight[kind] ? s->budget_total[kind] - s->inflight[kind] : 0;
        size_t uid = s->budget_uid[kind] > uid_sum ? s->budget_uid[kind] - uid_sum : 0;
        static const char *const names[2][2] = {{"uid", "total"}, {"disk-uid", "disk-total"}};
        *which = names[kind][uid <= total ? 0 : 1];
        return uid < total ? uid : total;
}

/* Takes n more body bytes of kind for the connection's request: -EBUSY
 * past the budget of its uid or of all (*which says which: "uid",
 * "total", "disk-uid" or "disk-total"). */
int srv_budget_take(struct server *s, struct conn *cn, int kind, size_t n, const char **which) {
        pthread_mutex_lock(&s->lock);
        int r = budget_room(s, cn, kind, which) >= n ? 0 : -EBUSY;
        if (r == 0) {
                cn->held[kind] += n;
                s->inflight[kind] += n;
        }
        pthread_mutex_unlock(&s->lock);
        return r;
}

void srv_budget_release(struct server *s, struct conn *cn, int kind) {
        if (!cn)
                return;
        pthread_mutex_lock(&s->lock);
        s->inflight[kind] -= cn->held[kind];
        cn->held[kind] = 0;
        pthread_mutex_unlock(&s->lock);
}

/* Appends a chunk of the body, growing the buffer geometrically up to
 * body_max; -EFBIG past it. */
int srv_body_append(struct req_state *st, struct conn *cn, size_t max, const char *data, size_t len) {
        if (len > max || st->body_len > max - len)
                return -EFBIG;
        if (st->body_len + len > st->body_cap) {
                size_t cap = srv_body_cap(st->body_len + len, max);
                if (cap > st->reserved) {
                        const char *which;
                        if (srv_budget_take(st->server, cn, MEM, cap - st->reserved, &which) < 0) {
                                st->busy_which = which;
                                return -EBUSY;
                        }
                        st->reserved = cap;
                }
                /* the old buffer is wiped: a body may hold a PIN or a patient secret */
                if (secure_grow(&st->body, st->body_len, &st->body_cap, cap) < 0)
                        return -ENOMEM;
        }
        memcpy(st->body + st->body_len, data, len);
        st->body_len += len;
        return 0;
}

/* Forgets the body received so far: memory wiped, spool file closed,
 * budgets given back. */
void srv_body_drop(struct server *s, struct req_state *st, struct conn *cn) {
        if (st->body)
                secure_zero(st->body, st->body_cap);
        free(st->body);
        st->body = NULL;
        st->body_len = st->body_cap = st->reserved = 0;
        spool_end(&st->spool);
        st->spool_reserved = 0;
        srv_budget_release(s, cn, MEM);
        srv_budget_release(s, cn, DISK);
}

/* Appends a chunk to the spool file, taking disk budget as it grows (all
 * of it at once with a Content-Length, on_headers); -EFBIG past max. */
int srv_spool_append(struct server *s, struct req_state *st, struct conn *cn, const char *data, size_t len) {
        if (len > s->body_max || st->spool.len > s->body_max - len)
                return -EFBIG;
        size_t want = st->spool.len + len;
        if (want > st->spool_reserved) {
                /* a chunked body: a megabyte more at a time */
                size_t step = want - st->spool_reserved;
                step = step < SERVER_SPOOL_MIN ? SERVER_SPOOL_MIN : step;
                const char *which;
                if (srv_budget_take(s, cn, DISK, step, &which) < 0) {
                        st->busy_which = which;
                        return -EBUSY;
                }
                st->spool_reserved += step;
        }
        return spool_write(&st->spool, data, len);
}

/* A raw body past SERVER_SPOOL_MIN on a route that takes one: from here
 * on it goes to a spool file, with what memory held so far. */
int srv_spool_start(struct server *s, struct req_state *st, struct conn *cn) {
        int r = spool_begin(s->spool_dir, &st->spool);
        if (r < 0)
                return r;
        if (st->body_len > 0 && (r = srv_spool_append(s, st, cn, st->body, st->body_len)) < 0)
                return r;
        if (st->body)
                secure_zero(st->body, st->body_cap);
        free(st->body);
        st->body = NULL;
        st->body_len = st->body_cap = st->reserved = 0;
        srv_budget_release(s, cn, MEM);
        return 0;
}

/* Whether the request's route takes a spooled body and its body is one:
 * raw, any Content-Type but JSON (application/json, ...+json). */
bool srv_spool_route(const struct server *s, const char *method, const char *url, const struct req_state *st) {
        /* the cheap tests first: most requests are reads, or JSON */
        if (strcmp(method, "POST") != 0 && strcmp(method, "PUT") != 0)
                return false;
        for (size_t i = 0; i < st->n_headers; i++) {
                if (strcasecmp(st->headers[i].name, MHD_HTTP_HEADER_CONTENT_TYPE) != 0)
                        continue;
                /* JSON as api/call.c reads it (lib/media-type.h) */
                struct media_type m;
                const char *v = st->headers[i].value;
                if (media_type_parse(v, strlen(v), &m) == 0 && media_type_json(&m))
                        return false;
        }
        const struct api_route *rt = api_route_find(s->table, method, url);
        return rt && (rt->needs & API_ROUTE_SPOOL);
}

