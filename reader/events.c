/* reader/events.c: the event ring. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "lib/cond.h"
#include "lib/macro.h"

struct event_queue {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct event *ring;
        size_t cap;
        uint64_t next_seq; /* seq of the next event pushed */
};

static const char *const type_names[_EVENT_TYPE_MAX] = {
        [EVENT_PCSCD_UP] = "pcscd_up",
        [EVENT_PCSCD_DOWN] = "pcscd_down",
        [EVENT_READER_ADDED] = "reader_added",
        [EVENT_READER_REMOVED] = "reader_removed",
        [EVENT_CARD_INSERTED] = "card_inserted",
        [EVENT_CARD_REMOVED] = "card_removed",
        [EVENT_SESSION_STARTED] = "session_started",
        [EVENT_SESSION_ENDED] = "session_ended",
        [EVENT_NOTIFICATION] = "notification",
};

const char *event_type_name(enum event_type t) {
        return t < _EVENT_TYPE_MAX ? type_names[t] : "unknown";
}

int events_new(size_t cap, struct event_queue **ret) {
        _cleanup_free_ struct event_queue *q = calloc(1, sizeof(*q));
        if (!q || cap == 0)
                return q ? -EINVAL : -ENOMEM;
        q->ring = calloc(cap, sizeof(*q->ring));
        if (!q->ring)
                return -ENOMEM;
        q->cap = cap;
        q->next_seq = 1;
        int r = cond_init_monotonic(&q->cond);
        if (r < 0) {
                free(q->ring);
                return r;
        }
        pthread_mutex_init(&q->lock, NULL);
        *ret = TAKE_PTR(q);
        return 0;
}

void events_free(struct event_queue *q) {
        if (!q)
                return;
        pthread_mutex_destroy(&q->lock);
        pthread_cond_destroy(&q->cond);
        free(q->ring);
        free(q);
}

void events_push(struct event_queue *q, enum event_type type, const char *reader, const char *detail) {
        struct event e = {.type = type};
        clock_gettime(CLOCK_REALTIME, &e.time);
        if (reader)
                (void)strcpy_bounded(e.reader, sizeof(e.reader), reader);
        if (detail)
                (void)strcpy_bounded(e.detail, sizeof(e.detail), detail);
        pthread_mutex_lock(&q->lock);
        e.seq = q->next_seq++;
        q->ring[e.seq % q->cap] = e;
        pthread_cond_broadcast(&q->cond);
        pthread_mutex_unlock(&q->lock);
}

size_t events_since(struct event_queue *q, uint64_t after, struct event *out, size_t max,
                    uint64_t *ret_missed) {
        size_t n = 0;
        pthread_mutex_lock(&q->lock);
        uint64_t last = q->next_seq - 1;
        uint64_t oldest = last >= q->cap ? last - q->cap + 1 : 1;
        uint64_t from = after + 1;
        uint64_t missed = 0;
        if (from < oldest) {
                missed = oldest - from;
                from = oldest;
        }
        for (uint64_t s = from; s <= last && n < max; s++)
                out[n++] = q->ring[s % q->cap];
        pthread_mutex_unlock(&q->lock);
        if (ret_missed)
                *ret_missed = missed;
        return n;
}

int events_wait(struct event_queue *q, uint64_t after, int timeout_ms) {
        struct timespec deadline = timespec_after_ms(CLOCK_MONOTONIC, timeout_ms > 0 ? (unsigned)timeout_ms : 0);
        int r = 0;
        pthread_mutex_lock(&q->lock);
        while (q->next_seq - 1 <= after && r == 0)
                r = pthread_cond_timedwait(&q->cond, &q->lock, &deadline);
        bool have = q->next_seq - 1 > after;
        pthread_mutex_unlock(&q->lock);
        return have ? 0 : -ETIMEDOUT;
}

uint64_t events_last_seq(struct event_queue *q) {
        pthread_mutex_lock(&q->lock);
        uint64_t s = q->next_seq - 1;
        pthread_mutex_unlock(&q->lock);
        return s;
}
