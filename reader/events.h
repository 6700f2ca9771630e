/* reader/events.h: a bounded in-memory queue of what happened.
 *
 * The reader monitor, the sessions and the daemon's notifier push events;
 * the API's event stream and the session sweeper read them by sequence
 * number, so any number of readers can follow the queue at their own pace.
 * When the queue is full the oldest events are dropped and a reader that
 * was behind is told how many it missed.  docs/events.md has who pushes
 * what. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define EVENTS_DEFAULT_CAP 256
#define EVENT_READER_MAX 128
#define EVENT_DETAIL_MAX 64

enum event_type {
        EVENT_PCSCD_UP,
        EVENT_PCSCD_DOWN,
        EVENT_READER_ADDED,
        EVENT_READER_REMOVED,
        EVENT_CARD_INSERTED,
        EVENT_CARD_REMOVED,
        EVENT_SESSION_STARTED,
        EVENT_SESSION_ENDED,
        EVENT_NOTIFICATION, /* detail: its kind; fetch it with a session */
        _EVENT_TYPE_MAX,
};

struct event {
        uint64_t seq; /* 1, 2, 3 ... */
        struct timespec time;
        enum event_type type;
        char reader[EVENT_READER_MAX];
        char detail[EVENT_DETAIL_MAX]; /* e.g. the card type; never personal data */
};

struct event_queue;

int events_new(size_t cap, struct event_queue **ret);
void events_free(struct event_queue *q);

/* Appends an event (reader and detail may be NULL); wakes waiters. */
void events_push(struct event_queue *q, enum event_type type, const char *reader, const char *detail);

/* Copies up to max events with seq > after into out, oldest first; returns
 * the count.  *ret_missed gets how many events after `after` were dropped
 * before they could be read. */
size_t events_since(struct event_queue *q, uint64_t after, struct event *out, size_t max,
                    uint64_t *ret_missed);

/* Waits until an event with seq > after exists or timeout_ms passes;
 * returns 0 when there is one, -ETIMEDOUT otherwise. */
int events_wait(struct event_queue *q, uint64_t after, int timeout_ms);

/* The last sequence number given out (0 when none). */
uint64_t events_last_seq(struct event_queue *q);

const char *event_type_name(enum event_type t);
