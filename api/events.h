/* api/events.h: GET /v1/events, what happens to readers and cards
 * as it happens: a Server-Sent Events stream (text/event-stream) read from
 * the event queue (events.h), or the events still queued as one JSON
 * document when the client accepts only application/json. */
#pragma once

#include "http/router.h"
#include "reader/events.h"

/* Interval of the ": keep-alive" comment when events_keepalive_ms is 0. */
#define RES_EVENTS_KEEPALIVE_MS 15000
/* What an SSE client is told to wait before reconnecting. */
#define RES_EVENTS_RETRY_MS 2000

/* {"id", "type", "reader", "detail", "time"}; NULL on ENOMEM. */
json_t *event_json(const struct event *e);

/* Writes one event in SSE form ("id:", "event:", "data:", blank line) into
 * buf; returns its length, or -ENOBUFS / -ENOMEM. */
int event_sse(const struct event *e, char *buf, size_t size);

/* The "missed" notice: count events were dropped before this client read
 * them (count < 0: an unknown number, the id is from before a restart). */
int event_sse_missed(long long count, char *buf, size_t size);

API_HANDLER(events_get);
