/* tests/unit/test-api-http.c: what the HTTP side decides without HTTP: the
 * caller policy, the per-uid connection count, reading a caller from a
 * socket, the readers document and the events resource (its SSE form,
 * resuming, the missed notice, keep-alive, the end at shutdown). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/routes.h"
#include "api/context.h"
#include "http/router.h"
#include "reader/events.h"
#include "http/peer.h"
#include "api/events.h"
#include "api/readers.h"

/* ---- caller policy ----------------------------------------------------- */

UNIT(policy_allows_root_self_and_groups) {
        struct peer_policy pol = {.self_uid = 990, .n_groups = 2, .groups = {1001, 1002}};
        struct peer p = {.uid = 0, .gid = 0};
        assert_true(peer_allowed(&pol, &p)); /* root */
        p = (struct peer){.uid = 990, .gid = 990};
        assert_true(peer_allowed(&pol, &p)); /* carnetd's own uid */
        p = (struct peer){.uid = 1500, .gid = 1002};
        assert_true(peer_allowed(&pol, &p)); /* primary group */
        p = (struct peer){.uid = 1500, .gid = 100, .n_groups = 3, .groups = {20, 24, 1001}};
        assert_true(peer_allowed(&pol, &p)); /* supplementary group */
        p = (struct peer){.uid = 1500, .gid = 100, .n_groups = 2, .groups = {20, 24}};
        assert_false(peer_allowed(&pol, &p));
        p = (struct peer){.uid = 65534, .gid = 65534};
        assert_false(peer_allowed(&pol, &p)); /* nobody */
}

UNIT(empty_policy_is_root_only) {
        struct peer_policy pol = {.self_uid = 0};
        struct peer p = {.uid = 1000, .gid = 0, .n_groups = 1, .groups = {0}};
        /* gid 0 is not an allowed group unless listed: root is a uid here */
        assert_false(peer_allowed(&pol, &p));
        p.uid = 0;
        assert_true(peer_allowed(&pol, &p));
}

UNIT(peer_read_on_a_socket) {
        int sv[2];
        struct peer p;
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        assert_int_equal(peer_read(sv[0], &p), 0);
        assert_int_equal(p.uid, geteuid());
        assert_int_equal(p.gid, getegid());
        assert_int_equal(p.pid, getpid());
        gid_t mine[PEER_GROUPS_MAX];
        int n = getgroups(PEER_GROUPS_MAX, mine);
        if (n >= 0 && !p.groups_truncated)
                assert_int_equal(p.n_groups, (size_t)n);
        close(sv[0]);
        close(sv[1]);
        /* not a socket: an error, *ret untouched */
        struct peer untouched = {.uid = 4242};
        assert_true(peer_read(0 > 1 ? 0 : -1, &untouched) < 0);
        assert_int_equal(untouched.uid, 4242);
}

/* ---- connections per uid ---------------------------------------------- */

UNIT(uid_slots_limit_each_uid) {
        struct uid_slots t;
        assert_int_equal(uid_slots_init(&t, 2, 8), 0);
        assert_int_equal(uid_slots_take(&t, 1000), 0);
        assert_int_equal(uid_slots_take(&t, 1000), 0);
        assert_int_equal(uid_slots_take(&t, 1000), -EUSERS);
        assert_int_equal(uid_slots_take(&t, 1001), 0); /* others are not affected */
        uid_slots_give(&t, 1000);
        assert_int_equal(uid_slots_take(&t, 1000), 0);
        assert_int_equal(uid_slots_take(&t, 1000), -EUSERS);
        uid_slots_give(&t, 1000);
        uid_slots_give(&t, 1000);
        uid_slots_give(&t, 1001);
        assert_int_equal(t.n, 0); /* idle uids are forgotten */
        uid_slots_give(&t, 77);   /* giving back what was never taken: harmless */
        assert_int_equal(t.n, 0);
        /* as many different uids as the table holds, then no more */
        for (uid_t u = 0; u < 8; u++)
                assert_int_equal(uid_slots_take(&t, 2000 + u), 0);
        assert_int_equal(uid_slots_take(&t, 3000), -EUSERS);
        uid_slots_done(&t);
        uid_slots_done(&t);
        assert_int_equal(uid_slots_init(&t, 0, 8), -EINVAL);
}

/* ---- readers ------------------------------------------------------------ */

UNIT(readers_document) {
        struct reader_snapshot snap = {.pcscd_reachable = true, .n = 2};
        strcpy(snap.r[0].name, "Reader A");
        snap.r[0].card_present = true;
        snap.r[0].kind = CARD_VITALE;
        snap.r[0].insertion = 7;
        strcpy(snap.r[1].name, "Reader B");
        json_t *j = readers_json(&snap);
        assert_non_null(j);
        assert_null(json_object_get(j, "version"));
        json_int_t ins = 0;
        json_t *card1;
        assert_int_equal(json_unpack(j, "{s:{s:b},s:[{s:{s:I}},{s:o}]}", "pcscd", "reachable", &(int){0},
                                     "readers", "card", "insertion", &ins, "card", &card1),
                         0);
        assert_int_equal(ins, 7);
        assert_true(json_is_null(card1));
        json_decref(j);
}

/* ---- events ------------------------------------------------------------- */

UNIT(event_forms) {
        struct event e = {.seq = 12, .type = EVENT_CARD_INSERTED, .time = {.tv_sec = 0, .tv_nsec = 5000000}};
        strcpy(e.reader, "Virtual PCD 00 00");
        strcpy(e.detail, "vitale");
        char buf[1024];
        int n = event_sse(&e, buf, sizeof(buf));
        assert_true(n > 0);
        assert_string_equal(buf, "id: 12\nevent: card_inserted\ndata: {\"id\":12,\"type\":\"card_inserted\","
                                 "\"reader\":\"Virtual PCD 00 00\",\"detail\":\"vitale\","
                                 "\"time\":\"1970-01-01T00:00:00.005Z\"}\n\n");
        assert_int_equal(event_sse(&e, buf, 20), -ENOBUFS);
        /* a reader name with a newline cannot break the framing; one that is
         * not UTF-8 becomes null, the event is kept */
        strcpy(e.reader, "evil\ndata: x");
        e.detail[0] = '\0';
        assert_true(event_sse(&e, buf, sizeof(buf)) > 0);
        assert_non_null(strstr(buf, "\"reader\":\"evil\\ndata: x\",\"detail\":null"));
        strcpy(e.reader, "\xff\xfe");
        assert_true(event_sse(&e, buf, sizeof(buf)) > 0);
        assert_non_null(strstr(buf, "\"reader\":null"));
        assert_true(event_sse_missed(3, buf, sizeof(buf)) > 0);
        assert_string_equal(buf, "event: missed\ndata: {\"type\":\"missed\",\"count\":3}\n\n");
        assert_true(event_sse_missed(-1, buf, sizeof(buf)) > 0);
        assert_string_equal(buf, "event: missed\ndata: {\"type\":\"missed\",\"count\":null}\n\n");
}

struct fixture {
        struct event_queue *q;
        struct api_context ctx;
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        assert_int_equal(events_new(4, &f->q), 0);
        f->ctx.events = f->q;
        f->ctx.events_keepalive_ms = 300;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        events_free(f->q);
        free(f);
        return 0;
}

/* GET /v1/events with the given headers; the reply is left in *rep. */
static void get_events(struct fixture *f, const struct api_kv *h, size_t nh, const struct api_kv *q,
                       size_t nq, struct api_reply *rep) {
        struct api_request req = {.ctx = &f->ctx, .method = "GET", .path = "/v1/events", .headers = h,
                                  .n_headers = nh, .query = q, .n_query = nq};
        assert_int_equal(api_handle(&req, rep), 0);
}

/* Reads the stream until `want` appears or `calls` reads are done; the
 * text read so far goes to out.  Reads in small pieces to test partial
 * writes. */
static bool read_until(struct api_reply *rep, const char *want, int calls, bool stopping, char *out,
                       size_t size) {
        size_t len = strlen(out);
        for (int i = 0; i < calls; i++) {
                char piece[7];
                ssize_t n = rep->stream.read(rep->stream.userdata, piece, sizeof(piece), stopping);
                if (n == API_STREAM_END)
                        return want == NULL;
                assert_true(n >= 0);
                assert_true(len + (size_t)n < size);
                memcpy(out + len, piece, (size_t)n);
                len += (size_t)n;
                out[len] = '\0';
                if (want && strstr(out, want))
                        return true;
        }
        return false;
}

/* The stream resumed after event `last` (the Last-Event-ID header), read
 * into out until want. */
static void resume(struct fixture *f, const char *last, const char *want, int calls, char *out, size_t size,
                   struct api_reply *rep) {
        const struct api_kv h[] = {{"Last-Event-ID", last}};
        out[0] = '\0';
        get_events(f, h, 1, NULL, 0, rep);
        assert_true(read_until(rep, want, calls, false, out, size));
}

UNIT_FIXTURE(stream_starts_now_without_an_id, setup, teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        char out[8192] = "";
        events_push(f->q, EVENT_READER_ADDED, "R0", NULL);
        get_events(f, NULL, 0, NULL, 0, &rep);
        assert_int_equal(rep.status, 200);
        assert_non_null(rep.stream.read);
        assert_string_equal(rep.stream.content_type, "text/event-stream");
        assert_true(read_until(&rep, "retry: 2000\n\n", 50, false, out, sizeof(out)));
        events_push(f->q, EVENT_CARD_INSERTED, "R0", "vitale");
        assert_true(read_until(&rep, "\n\n", 200, false, out + strlen(out), sizeof(out) - strlen(out)));
        assert_non_null(strstr(out, "id: 2\nevent: card_inserted\n"));
        assert_null(strstr(out, "reader_added")); /* from before: not sent */
        api_reply_clear(&rep);
}

UNIT_FIXTURE(stream_resumes_after_last_event_id, setup, teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        char out[8192] = "";
        events_push(f->q, EVENT_CARD_INSERTED, "R0", "vitale");
        events_push(f->q, EVENT_CARD_REMOVED, "R0", "vitale");
        events_push(f->q, EVENT_CARD_INSERTED, "R1", "cps");
        resume(f, "1", "id: 3\n", 200, out, sizeof(out), &rep);
        assert_non_null(strstr(out, "id: 2\nevent: card_removed\n"));
        assert_null(strstr(out, "id: 1\n"));
        assert_null(strstr(out, "event: missed"));
        api_reply_clear(&rep);

        /* the query form, for clients that cannot set headers */
        static const struct api_kv q[] = {{"last_event_id", "2"}};
        out[0] = '\0';
        get_events(f, NULL, 0, q, 1, &rep);
        assert_true(read_until(&rep, "id: 3\n", 200, false, out, sizeof(out)));
        assert_null(strstr(out, "id: 2\n"));
        api_reply_clear(&rep);
}

UNIT_FIXTURE(stream_reports_missed_events, setup, teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        char out[8192] = "";
        for (int i = 0; i < 10; i++) /* the queue holds 4 */
                events_push(f->q, EVENT_READER_ADDED, "R", NULL);
        resume(f, "2", "id: 10\n", 400, out, sizeof(out), &rep);
        char *missed = strstr(out, "event: missed\ndata: {\"type\":\"missed\",\"count\":4}\n\n");
        assert_non_null(missed);
        assert_true(missed < strstr(out, "id: 7\n")); /* told before the next event */
        api_reply_clear(&rep);

        /* an id from before a restart: everything queued, missed unknown */
        resume(f, "5000", "id: 10\n", 400, out, sizeof(out), &rep);
        assert_non_null(strstr(out, "\"count\":null"));
        api_reply_clear(&rep);
}

UNIT_FIXTURE(stream_keeps_alive_and_ends_at_shutdown, setup, teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        char out[8192] = "";
        get_events(f, NULL, 0, NULL, 0, &rep);
        /* keep-alive every 300 ms here; reads wait at most 250 ms each */
        assert_true(read_until(&rep, ": keep-alive\n\n", 20, false, out, sizeof(out)));
        out[0] = '\0';
        assert_true(read_until(&rep, ": carnetd is stopping\n\n", 20, true, out, sizeof(out)));
        assert_true(read_until(&rep, NULL, 5, true, out, sizeof(out))); /* then the end */
        api_reply_clear(&rep);
}

UNIT_FIXTURE(bad_event_ids_are_400, setup, teardown) {
        struct fixture *f = *state;
        static const char *const bad[] = {"", "-1", "+3", "abc", "1x", "99999999999999999999999"};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct api_kv h[] = {{"Last-Event-ID", bad[i]}};
                struct api_reply rep;
                get_events(f, h, 1, NULL, 0, &rep);
                assert_int_equal(rep.status, 400);
                assert_null(rep.stream.read);
                api_reply_clear(&rep);
        }
        static const struct api_kv q[] = {{"follow", "1"}};
        struct api_reply rep;
        get_events(f, NULL, 0, q, 1, &rep);
        assert_int_equal(rep.status, 400);
        assert_string_equal(json_string_value(json_object_get(json_object_get(rep.body, "error"), "code")),
                            "unknown_parameter");
        api_reply_clear(&rep);
}

UNIT_FIXTURE(events_as_a_document, setup, teardown) {
        struct fixture *f = *state;
        static const struct api_kv h[] = {{"Accept", "application/json"}};
        struct api_reply rep;
        for (int i = 0; i < 6; i++)
                events_push(f->q, i % 2 ? EVENT_CARD_REMOVED : EVENT_CARD_INSERTED, "R0", "vitale");
        get_events(f, h, 1, NULL, 0, &rep);
        assert_int_equal(rep.status, 200);
        assert_null(rep.stream.read);
        json_t *events;
        json_int_t missed, last;
        assert_int_equal(json_unpack(rep.body, "{s:o,s:I,s:I}", "events", &events, "missed", &missed,
                                     "last_id", &last),
                         0);
        assert_int_equal(json_array_size(events), 4);
        assert_int_equal(missed, 2);
        assert_int_equal(last, 6);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(events, 0), "id")), 3);
        api_reply_clear(&rep);

        static const struct api_kv q[] = {{"last_event_id", "5"}};
        get_events(f, h, 1, q, 1, &rep);
        assert_int_equal(json_array_size(json_object_get(rep.body, "events")), 1);
        assert_int_equal(json_integer_value(json_object_get(rep.body, "missed")), 0);
        api_reply_clear(&rep);

        /* media types compare without case (RFC 9110 8.3.1) */
        static const struct api_kv upper[] = {{"Accept", "Application/JSON"}};
        get_events(f, upper, 1, NULL, 0, &rep);
        assert_null(rep.stream.read);
        assert_non_null(json_object_get(rep.body, "events"));
        api_reply_clear(&rep);
        static const struct api_kv upper_both[] = {{"Accept", "Text/Event-Stream, application/json"}};
        get_events(f, upper_both, 1, NULL, 0, &rep);
        assert_non_null(rep.stream.read);
        api_reply_clear(&rep);

        /* asking for both is a stream */
        static const struct api_kv both[] = {{"Accept", "text/event-stream, application/json"}};
        get_events(f, both, 1, NULL, 0, &rep);
        assert_non_null(rep.stream.read);
        api_reply_clear(&rep);
}

/* Accept's weights (RFC 9110 12.4.2, 12.5.1): the representation the
 * client weighs more, the stream on a tie; q=0 is "not this one"; 406
 * when it accepts neither.  No Accept, or an empty one, is the stream. */
UNIT_FIXTURE(events_honour_accept_weights, setup, teardown) {
        static const struct {
                const char *accept;
                int want; /* 0 the stream, 1 the document, 406 */
        } cases[] = {
                {"", 0},
                {"*/*", 0},
                {"text/*", 0},
                {"application/json, text/event-stream;q=0", 1},
                {"text/event-stream;q=0.1, application/json;q=0.9", 1},
                {"application/json;q=0.5, */*;q=0.4", 1},
                {"application/json;q=0.5, */*", 0},
                {"application/json;q=0, */*", 0},
                {"text/event-stream, application/json;q=0.9", 0},
                {"application/json;q=0", 406},
                {"application/json;q=0, text/event-stream;q=0", 406},
                {"*/*;q=0", 406},
                {"text/html", 406},
                {"application/jsonx", 406},
        };
        struct fixture *f = *state;
        struct api_reply rep;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const struct api_kv h[] = {{"Accept", cases[i].accept}};
                get_events(f, h, 1, NULL, 0, &rep);
                int got = rep.status == 406 ? 406 : rep.stream.read ? 0 : 1;
                if (got != cases[i].want)
                        fail_msg("Accept: %s: %d, not %d", cases[i].accept, got, cases[i].want);
                if (got == 406)
                        assert_string_equal(json_string_value(json_object_get(json_object_get(rep.body, "error"),
                                                                               "code")),
                                            "not_acceptable");
                api_reply_clear(&rep);
        }
}

/* a test with the fixture's event queue and context */

UNIT_GROUP("api-http", NULL, NULL)
