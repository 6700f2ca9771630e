/* tests/unit/test-events.c: the bounded event queue. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "reader/events.h"

UNIT(in_order_with_sequence) {
        struct event_queue *q;
        struct event ev[8];
        uint64_t missed = 99;
        assert_int_equal(events_new(4, &q), 0);
        assert_int_equal(events_since(q, 0, ev, 8, &missed), 0);
        events_push(q, EVENT_CARD_INSERTED, "Reader A", "vitale");
        events_push(q, EVENT_CARD_REMOVED, "Reader A", "vitale");
        assert_int_equal(events_since(q, 0, ev, 8, &missed), 2);
        assert_int_equal(missed, 0);
        assert_int_equal(ev[0].seq, 1);
        assert_int_equal(ev[0].type, EVENT_CARD_INSERTED);
        assert_string_equal(ev[0].reader, "Reader A");
        assert_string_equal(ev[1].detail, "vitale");
        assert_int_equal(events_since(q, 1, ev, 8, NULL), 1);
        assert_int_equal(ev[0].seq, 2);
        assert_string_equal(event_type_name(ev[0].type), "card_removed");
        events_free(q);
}

UNIT(overflow_reports_missed) {
        struct event_queue *q;
        struct event ev[8];
        uint64_t missed;
        assert_int_equal(events_new(4, &q), 0);
        for (int i = 0; i < 10; i++)
                events_push(q, EVENT_READER_ADDED, "R", NULL);
        assert_int_equal(events_last_seq(q), 10);
        assert_int_equal(events_since(q, 0, ev, 8, &missed), 4);
        assert_int_equal(missed, 6);
        assert_int_equal(ev[0].seq, 7);
        assert_int_equal(ev[3].seq, 10);
        /* a reader that kept up misses nothing */
        assert_int_equal(events_since(q, 8, ev, 8, &missed), 2);
        assert_int_equal(missed, 0);
        /* max bounds the copy */
        assert_int_equal(events_since(q, 0, ev, 1, &missed), 1);
        events_free(q);
}

UNIT(long_strings_are_bounded) {
        struct event_queue *q;
        struct event ev;
        char big[1000];
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        assert_int_equal(events_new(2, &q), 0);
        events_push(q, EVENT_CARD_INSERTED, big, big);
        assert_int_equal(events_since(q, 0, &ev, 1, NULL), 1);
        assert_int_equal(strlen(ev.reader), EVENT_READER_MAX - 1);
        assert_int_equal(strlen(ev.detail), EVENT_DETAIL_MAX - 1);
        events_free(q);
}

static void *pusher(void *arg) {
        events_push(arg, EVENT_PCSCD_UP, NULL, NULL);
        return NULL;
}

UNIT(wait_wakes_on_push) {
        struct event_queue *q;
        pthread_t t;
        assert_int_equal(events_new(4, &q), 0);
        assert_int_equal(events_wait(q, 0, 10), -ETIMEDOUT);
        assert_int_equal(pthread_create(&t, NULL, pusher, q), 0);
        /* generous timeout: the assertion is on the outcome, not the delay */
        assert_int_equal(events_wait(q, 0, 10000), 0);
        pthread_join(t, NULL);
        assert_int_equal(events_wait(q, 0, 0), 0);
        events_free(q);
}

UNIT_GROUP("events", NULL, NULL)
