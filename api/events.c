/* api/events.c: the events resource, streamed or as a document. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "context.h"
#include "events.h"
#include "lib/media-type.h"

#define STREAM_BATCH 4 /* events formatted per refill; each fits in ~1 KiB */

struct events_stream {
        struct event_queue *q;
        uint64_t after;        /* the last id sent */
        long long missed;      /* to report before the next event; -1 unknown */
        bool started, ended;
        unsigned keepalive_ms;
        struct timespec last_write;
        size_t out_len, out_pos;
        char out[8192];
};

/* A reader name that is not UTF-8 (it comes from PC/SC) becomes null
 * rather than losing the event. */
static json_t *str_or_null(const char *s) {
        json_t *j = *s ? json_string(s) : NULL;
        return j ? j : json_null();
}

json_t *event_json(const struct event *e) {
        char t[32];
        struct tm tm;
        gmtime_r(&e->time.tv_sec, &tm);
        size_t n = strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(t + n, sizeof(t) - n, ".%03ldZ", e->time.tv_nsec / 1000000L);
        return json_pack("{s:I,s:s,s:o,s:o,s:s}", "id", (json_int_t)e->seq, "type",
                         event_type_name(e->type), "reader", str_or_null(e->reader), "detail",
                         str_or_null(e->detail), "time", t);
}

int event_sse(const struct event *e, char *buf, size_t size) {
        _cleanup_(json_decrefp) json_t *j = event_json(e);
        if (!j)
                return -ENOMEM;
        _cleanup_free_ char *data = json_dumps(j, JSON_COMPACT); /* one line: no raw newline */
        if (!data)
                return -ENOMEM;
        int n = snprintf(buf, size, "id: %llu\nevent: %s\ndata: %s\n\n", (unsigned long long)e->seq,
                         event_type_name(e->type), data);
        return n < 0 || (size_t)n >= size ? -ENOBUFS : n;
}

int event_sse_missed(long long count, char *buf, size_t size) {
        int n = count < 0 ? snprintf(buf, size, "event: missed\ndata: {\"type\":\"missed\",\"count\":null}\n\n")
                          : snprintf(buf, size, "event: missed\ndata: {\"type\":\"missed\",\"count\":%lld}\n\n",
                                     count);
        return n < 0 || (size_t)n >= size ? -ENOBUFS : n;
}

static long elapsed_ms(const struct timespec *since) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (now.tv_sec - since->tv_sec) * 1000L + (now.tv_nsec - since->tv_nsec) / 1000000L;
}

static int out_add(struct events_stream *es, const char *text) {
        size_t len = strlen(text);
        if (es->out_len + len > sizeof(es->out))
                return -ENOBUFS;
        memcpy(es->out + es->out_len, text, len);
        es->out_len += len;
        return 0;
}

/* Formats what the client has not seen yet into es->out: the missed
 * notice, then up to STREAM_BATCH events.  Returns 0 (maybe nothing). */
static int refill(struct events_stream *es) {
        struct event ev[STREAM_BATCH];
        uint64_t missed = 0;
        int r;

        es->out_len = es->out_pos = 0;
        if (!es->started) {
                char retry[32];
                snprintf(retry, sizeof(retry), "retry: %d\n\n", RES_EVENTS_RETRY_MS);
                (void)out_add(es, retry);
                es->started = true;
        }
        size_t n = events_since(es->q, es->after, ev, STREAM_BATCH, &missed);
        if (missed > 0 && es->missed >= 0)
                es->missed += (long long)missed;
        if (es->missed != 0) {
                r = event_sse_missed(es->missed, es->out + es->out_len, sizeof(es->out) - es->out_len);
                if (r < 0)
                        return r;
                es->out_len += (size_t)r;
                es->missed = 0;
        }
        for (size_t i = 0; i < n; i++) {
                r = event_sse(&ev[i], es->out + es->out_len, sizeof(es->out) - es->out_len);
                if (r < 0)
                        return r;
                es->out_len += (size_t)r;
                es->after = ev[i].seq;
        }
        return 0;
}

/* The stream's read callback (api_stream): what is pending, else new
 * events, else a keep-alive comment when one is due, else waits a moment
 * for an event and returns 0.  At shutdown: a last comment, then the end. */
static ssize_t stream_read(void *userdata, char *buf, size_t max, bool stopping) {
        struct events_stream *es = userdata;

        if (es->out_pos == es->out_len) {
                if (es->ended)
                        return API_STREAM_END;
                es->out_len = es->out_pos = 0;
                if (stopping) {
                        (void)out_add(es, ": carnetd is stopping\n\n");
                        es->ended = true;
                } else if (refill(es) < 0)
                        return -EIO; /* ends the stream as an error */
                else if (es->out_len == 0 && elapsed_ms(&es->last_write) >= (long)es->keepalive_ms)
                        (void)out_add(es, ": keep-alive\n\n");
                if (es->out_len == 0) {
                        (void)events_wait(es->q, es->after, API_STREAM_WAIT_MS);
                        return 0;
                }
        }
        size_t n = es->out_len - es->out_pos;
        if (n > max)
                n = max;
        memcpy(buf, es->out + es->out_pos, n);
        es->out_pos += n;
        clock_gettime(CLOCK_MONOTONIC, &es->last_write);
        return (ssize_t)n;
}

/* Reads the id to resume after: the Last-Event-ID header (what an
 * EventSource sends when it reconnects), else ?last_event_id=.  Missing:
 * *ret stays as is.  Returns 0, or -EINVAL with *err filled. */
static int resume_id(const struct api_request *req, uint64_t *ret, struct api_reply *err) {
        const char *v = api_header(req, "Last-Event-ID");
        const char *what = "the Last-Event-ID header";
        if (!v) {
                v = api_query(req, "last_event_id");
                what = "last_event_id";
        }
        if (!v)
                return 0;
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (!*v || *v == '-' || *v == '+' || *end || errno) {
                int r = api_error_details(err, 400, "bad_parameter",
                                          json_pack("{s:s}", "parameter", "last_event_id"),
                                          "%s must be an event id (a whole number)", what);
                return r < 0 ? r : -EINVAL;
        }
        *ret = n;
        return 0;
}

/* Which representation Accept asks for (lib/media-type.h: media types
 * without case, RFC 9110 12.5.1's ranges, q=0 "not this one"): the
 * document when application/json weighs more than text/event-stream,
 * the stream on a tie, without Accept or with an empty one.  0 with
 * *ret_json set, or -EINVAL with 406 not_acceptable in err when Accept
 * gives neither a weight above 0. */
static int wants_json(const struct api_request *req, bool *ret_json, struct api_reply *err) {
        const char *a = api_header(req, "Accept");
        *ret_json = false;
        if (!a || !a[strspn(a, " \t")])
                return 0;
        int json = media_accept_q(a, "application/json", false), sse = media_accept_q(a, "text/event-stream", false);
        if (json <= 0 && sse <= 0) {
                char q[API_QUOTE_MAX + 1];
                int r = api_error_details(err, 406, "not_acceptable",
                                          json_pack("{s:s}", "accept", api_quote(q, sizeof(q), a, API_QUOTE_MAX)),
                                          "the events are text/event-stream or application/json; Accept takes "
                                          "neither: %s", q);
                return r < 0 ? r : -EINVAL;
        }
        *ret_json = json > sse;
        return 0;
}

/* The events still queued after `after`, as one document. */
static int events_document(struct event_queue *q, uint64_t after, bool unknown_gap, struct api_reply *ret) {
        _cleanup_(json_decrefp) json_t *list = json_array();
        struct event ev[32];
        uint64_t missed = 0, m;
        size_t n;

        if (!list)
                return -ENOMEM;
        while ((n = events_since(q, after, ev, ELEMENTSOF(ev), &m)) > 0) {
                missed += m;
                for (size_t i = 0; i < n; i++)
                        if (json_array_append_new(list, event_json(&ev[i])) < 0)
                                return -ENOMEM;
                after = ev[n - 1].seq;
        }
        return api_ok(ret, 200,
                      json_pack("{s:O,s:o,s:I}", "events", list, "missed",
                                unknown_gap ? json_null() : json_integer((json_int_t)missed), "last_id",
                                (json_int_t)events_last_seq(q)));
}

int events_get(const struct api_request *req, struct api_reply *ret) {
        static const char *const params[] = {"last_event_id", NULL};
        struct event_queue *q = req->ctx ? req->ctx->events : NULL;
        int r;

        if ((r = api_check_query(req, params, ret)) < 0)
                return r;
        if (!q)
                return api_error(ret, 503, "pcscd_unreachable", "carnetd runs without its event queue");

        /* without an id: a stream starts with what happens from now on, a
         * document lists everything still queued */
        bool json;
        if ((r = wants_json(req, &json, ret)) < 0)
                return r == -EINVAL ? 0 : r;
        uint64_t last = events_last_seq(q), after = json ? 0 : last;
        if ((r = resume_id(req, &after, ret)) < 0)
                return r;
        bool unknown_gap = after > last; /* an id from before carnetd restarted */
        if (unknown_gap)
                after = 0;
        if (json)
                return events_document(q, after, unknown_gap, ret);

        struct events_stream *es = calloc(1, sizeof(*es));
        if (!es)
                return -ENOMEM;
        es->q = q;
        es->after = after;
        es->missed = unknown_gap ? -1 : 0;
        es->keepalive_ms = req->ctx->events_keepalive_ms ? req->ctx->events_keepalive_ms
                                                         : RES_EVENTS_KEEPALIVE_MS;
        clock_gettime(CLOCK_MONOTONIC, &es->last_write);
        struct api_stream s = {
                .content_type = "text/event-stream",
                .read = stream_read,
                .free = free,
                .userdata = es,
        };
        return api_ok_stream(ret, &s);
}
