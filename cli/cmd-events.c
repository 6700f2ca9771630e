/* cli/cmd-events.c: carnetctl events [--follow], what happened to readers
 * and cards: the events carnetd still holds, or the live stream. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "lib/macro.h"
#include "sse.h"

struct follow {
        const struct ctl *ctl;
        struct sse_parser parser;
};

static const char *str_or(const json_t *o, const char *key, const char *dflt) {
        const char *s = json_string_value(json_object_get(o, key));
        return s && *s ? s : dflt;
}

/* One event (or missed notice) for people, or its JSON on one line. */
static void print_event(const struct ctl *ctl, const json_t *e) {
        if (ctl->json) {
                json_dumpf(e, stdout, JSON_COMPACT);
                fputc('\n', stdout);
                return;
        }
        const char *type = str_or(e, "type", "?");
        if (strcmp(type, "missed") == 0) {
                json_t *n = json_object_get(e, "count");
                if (json_is_integer(n))
                        printf("-- %" JSON_INTEGER_FORMAT " event(s) missed: carnetd's queue dropped them --\n",
                               json_integer_value(n));
                else
                        printf("-- events missed: carnetd restarted since the id asked for --\n");
                return;
        }
        printf("%-24s #%-5" JSON_INTEGER_FORMAT " %-15s %-20s %s\n", str_or(e, "time", "?"),
               json_integer_value(json_object_get(e, "id")), type, str_or(e, "reader", "-"),
               str_or(e, "detail", ""));
}

static int on_event(void *userdata, const struct sse_event *ev) {
        struct follow *f = userdata;
        json_t *data = json_loads(ev->data, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(data)) {
                json_decref(data);
                return -EPROTO;
        }
        print_event(f->ctl, data);
        fflush(stdout); /* a pipe would otherwise hold the lines back */
        json_decref(data);
        return 0;
}

static int on_data(void *userdata, const char *buf, size_t len) {
        struct follow *f = userdata;
        return sse_feed(&f->parser, buf, len);
}

static int follow(const struct ctl *ctl, bool from_now, unsigned long long after) {
        char last_id[64];
        const char *headers[3] = {"Accept: text/event-stream", NULL, NULL};
        struct client_reply rep;
        char err[512] = "";

        if (!from_now) {
                snprintf(last_id, sizeof(last_id), "Last-Event-ID: %llu", after);
                headers[1] = last_id;
        }
        _cleanup_free_ struct follow *f = calloc(1, sizeof(*f)); /* the parser holds 128 KiB */
        if (!f)
                return CTL_EXIT_UNREACHABLE;
        f->ctl = ctl;
        sse_init(&f->parser, on_event, f);
        int r = client_stream(ctl->socket, "/v1/events", headers, on_data, f, &rep, err, sizeof(err));
        if (r == -EPROTO && !err[0]) {
                fprintf(stderr, "carnetctl: carnetd sent an event carnetctl cannot read\n");
                return CTL_EXIT_PROTOCOL;
        }
        if (r == -EMSGSIZE) {
                fprintf(stderr, "carnetctl: carnetd sent an event line over %u bytes\n", SSE_LINE_MAX);
                return CTL_EXIT_PROTOCOL;
        }
        if (r == -ECONNRESET && f->parser.last_comment[0]) {
                /* the stream was running (carnetd's comments came): carnetd
                 * went away without ending it cleanly */
                client_reply_clear(&rep);
                fprintf(stderr, "carnetctl: carnetd %s; the event stream ended\n",
                        strstr(f->parser.last_comment, "stopping") ? "is stopping" : "closed the connection");
                return CTL_EXIT_UNREACHABLE;
        }
        if (r < 0)
                return ctl_unreachable(r, err);
        if (rep.status < 200 || rep.status >= 300)
                return ctl_refused(ctl, &rep);
        client_reply_clear(&rep);
        if (strstr(f->parser.last_comment, "stopping"))
                fprintf(stderr, "carnetctl: carnetd is stopping; the event stream ended\n");
        else
                fprintf(stderr, "carnetctl: carnetd ended the event stream\n");
        return CTL_EXIT_UNREACHABLE;
}

/* The queued events, with a notice first when some were missed. */
static void print_queued(const json_t *j, void *userdata) {
        const struct ctl *ctl = userdata;
        json_t *events = json_object_get(j, "events");
        json_t *missed = json_object_get(j, "missed");
        if (!json_is_integer(missed) || json_integer_value(missed) > 0) {
                json_t *notice = json_pack("{s:s,s:O?}", "type", "missed", "count", missed);
                if (notice)
                        print_event(ctl, notice);
                json_decref(notice);
        }
        size_t i;
        json_t *e;
        json_array_foreach(events, i, e)
                print_event(ctl, e);
        if (json_array_size(events) == 0)
                printf("no events queued\n");
}

static int queued(const struct ctl *ctl, unsigned long long after) {
        static const char *const headers[] = {"Accept: application/json", NULL};
        char path[64];
        struct client_reply rep;

        snprintf(path, sizeof(path), "/v1/events?last_event_id=%llu", after);
        int r = ctl_call(ctl, "GET", path, NULL, headers, &rep);
        if (r)
                return r;
        if (!json_is_array(json_object_get(rep.json, "events"))) {
                client_reply_clear(&rep);
                return ctl_unexpected("events");
        }
        return ctl_print_reply(ctl, &rep, print_queued, (void *)ctl);
}

int cmd_events(const struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {
                {"follow", no_argument, NULL, 'f'},
                {"after", required_argument, NULL, 'a'},
                {"new", no_argument, NULL, 'n'},
                {},
        };
        bool do_follow = false, from_now = false;
        unsigned long long after = 0;
        int c;

        optind = 0; /* a fresh parse of the subcommand's own arguments */
        while ((c = getopt_long(argc, argv, "+fa:n", opts, NULL)) >= 0) {
                switch (c) {
                case 'f': do_follow = true; break;
                case 'n': from_now = true; break;
                case 'a': {
                        char *end;
                        errno = 0;
                        after = strtoull(optarg, &end, 10);
                        if (!*optarg || *end || errno || *optarg == '-') {
                                fprintf(stderr, "carnetctl: --after takes an event id (a whole number)\n");
                                return CTL_EXIT_USAGE;
                        }
                        break;
                }
                default:
                        fprintf(stderr, "carnetctl: see carnetctl events --help\n");
                        return CTL_EXIT_USAGE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "carnetctl: events takes no arguments besides its options\n");
                return CTL_EXIT_USAGE;
        }
        if (from_now && !do_follow) {
                fprintf(stderr, "carnetctl: --new goes with --follow\n");
                return CTL_EXIT_USAGE;
        }
        if (from_now && after) {
                fprintf(stderr, "carnetctl: --new and --after contradict each other\n");
                return CTL_EXIT_USAGE;
        }
        return do_follow ? follow(ctl, from_now, after) : queued(ctl, after);
}
