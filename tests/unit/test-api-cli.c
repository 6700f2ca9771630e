/* tests/unit/test-api-cli.c: carnetctl's side of the API: the Server-Sent
 * Events parser (pieces of any size, CR/LF/CRLF, comments, multi-line
 * data, the bounds) and path segments for templated routes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/sse.h"

struct seen {
        int n;
        char log[4096];
};

static int record(void *userdata, const struct sse_event *ev) {
        struct seen *s = userdata;
        size_t len = strlen(s->log);
        snprintf(s->log + len, sizeof(s->log) - len, "[%s|%s|%s]", ev->id, ev->event, ev->data);
        s->n++;
        return 0;
}

static const char stream[] = "retry: 2000\n\n"
                             ": keep-alive\n\n"
                             "id: 4\nevent: card_inserted\ndata: {\"id\":4}\n\n"
                             "event: missed\ndata: {\"type\":\"missed\",\"count\":2}\n\n"
                             "id: 5\r\nevent: card_removed\r\ndata: a\r\ndata:b\r\n\r\n"
                             "data: plain\r\r"
                             ": carnetd is stopping\n\n";
static const char expected[] = "[4|card_inserted|{\"id\":4}]"
                               "[4|missed|{\"type\":\"missed\",\"count\":2}]"
                               "[5|card_removed|a\nb]"
                               "[5|message|plain]";

UNIT(parses_in_any_pieces) {
        /* the same stream cut every 1, 2, 3... bytes gives the same events */
        for (size_t step = 1; step <= sizeof(stream); step++) {
                struct sse_parser *p = malloc(sizeof(*p));
                struct seen s = {0};
                assert_non_null(p);
                sse_init(p, record, &s);
                for (size_t off = 0; off < sizeof(stream) - 1; off += step) {
                        size_t n = sizeof(stream) - 1 - off < step ? sizeof(stream) - 1 - off : step;
                        assert_int_equal(sse_feed(p, stream + off, n), 0);
                }
                if (strcmp(s.log, expected) != 0)
                        fail_msg("step %zu: %s", step, s.log);
                assert_string_equal(p->last_comment, "carnetd is stopping");
                free(p);
        }
}

UNIT(an_event_without_its_blank_line_is_not_dispatched) {
        struct sse_parser *p = malloc(sizeof(*p));
        struct seen s = {0};
        sse_init(p, record, &s);
        assert_int_equal(sse_feed(p, "id: 1\ndata: x\n", 14), 0);
        assert_int_equal(s.n, 0);
        assert_int_equal(sse_feed(p, "\n", 1), 0);
        assert_int_equal(s.n, 1);
        free(p);
}

UNIT(lines_are_bounded) {
        struct sse_parser *p = malloc(sizeof(*p));
        struct seen s = {0};
        sse_init(p, record, &s);
        char *big = malloc(SSE_LINE_MAX + 16);
        memcpy(big, "data: ", 6);
        memset(big + 6, 'x', SSE_LINE_MAX + 9);
        assert_int_equal(sse_feed(p, big, SSE_LINE_MAX + 15), -EMSGSIZE);
        /* many data lines that each fit, but not together */
        sse_init(p, record, &s);
        size_t half = SSE_LINE_MAX / 2;
        memset(big + 6, 'y', half);
        big[6 + half] = '\n';
        assert_int_equal(sse_feed(p, big, 7 + half), 0);
        assert_int_equal(sse_feed(p, big, 7 + half), -EMSGSIZE);
        assert_int_equal(s.n, 0);
        free(big);
        free(p);
}

static int stop_at_first(void *userdata, const struct sse_event *ev) {
        return -ECANCELED;
}

UNIT(handler_stops_the_parse) {
        struct sse_parser *p = malloc(sizeof(*p));
        sse_init(p, stop_at_first, NULL);
        assert_int_equal(sse_feed(p, "data: 1\n\ndata: 2\n\n", 18), -ECANCELED);
        free(p);
}

UNIT(path_segments_are_encoded) {
        char buf[64];
        assert_int_equal(client_path_join(buf, sizeof(buf), "/v1/readers", "Virtual PCD 00 00"), 0);
        assert_string_equal(buf, "/v1/readers/Virtual%20PCD%2000%2000");
        assert_int_equal(client_path_join(buf, sizeof(buf), "/v1/readers", "../status?x=1#y"), 0);
        assert_string_equal(buf, "/v1/readers/..%2Fstatus%3Fx%3D1%23y");
        assert_int_equal(client_path_join(buf, 16, "/v1/readers", "long name"), -ENAMETOOLONG);
}

UNIT_GROUP("api-cli", NULL, NULL)
