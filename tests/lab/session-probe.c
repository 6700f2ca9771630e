/* tests/lab/session-probe.c: drives carnetd's session manager (with the
 * reader monitor, OpenSC's PKCS#11 module and the trust anchors) from a
 * lab script, one command a line on stdin, one answer a line on stdout:
 *
 *   open [PIN|-]        open a session on the first CPS card ("-": PIN pad)
 *   lookup              look the last session up with its token and uid
 *   lookup-other-uid    the same token from another uid
 *   close               log the last session out
 *   record              re-verify the last session's signed record
 *   count               live sessions
 *   wait-ended S        wait up to S seconds for every session to end
 *   advance S           move the session clock S seconds forward
 *   card-ready S        wait up to S seconds for a CPS card, then as long
 *                       for its identity as read at its insertion
 *   wait-cps S          wait up to S seconds for the monitor to show a CPS
 *                       card (not for its read)
 *   cached              CPS cards held read at insertion
 *   wait-cached N S     wait up to S seconds for that count to be N
 *   quit
 *
 *   session-probe TRUST_PEM [IDLE_TIMEOUT_S]
 *
 * Prints "ready" once the monitor has identified a CPS card. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/macro.h"
#include "reader/events.h"
#include "reader/monitor.h"
#include "session/session.h"
#include "session/trust.h"

static time_t offset;
static time_t fake_now(void) {
        return time(NULL) + offset;
}

/* The first reader the monitor shows with a CPS card, waiting up to
 * seconds for one; NULL when none.  The name is copied into snap. */
static const char *wait_cps(struct monitor *mon, int seconds, struct reader_snapshot *snap) {
        for (int t = 0; t <= seconds * 20; t++) {
                monitor_snapshot(mon, snap);
                for (size_t i = 0; i < snap->n; i++)
                        if (snap->r[i].card_present && snap->r[i].kind == CARD_CPS)
                                return snap->r[i].name;
                usleep(50000);
        }
        return NULL;
}

/* card-ready S: the identity read at insertion of the first CPS card. */
static void card_ready(struct monitor *mon, struct session_manager *sm, int seconds) {
        struct reader_snapshot snap;
        struct p11_identity who;
        uint64_t ins = 0;
        const char *reader = wait_cps(mon, seconds, &snap); /* the monitor may not have seen it yet */
        int r = sessions_card_ready(sm, reader, (unsigned)seconds * 1000, &who, &ins, NULL);
        if (r < 0)
                printf("card-ready error %s\n", r == -ENODEV ? "ENODEV" : r == -ETIMEDOUT ? "ETIMEDOUT" : strerror(-r));
        else
                printf("card-ready ok national_id=%s insertion=%llu\n", who.national_id, (unsigned long long)ins);
}

int main(int argc, char **argv) {
        struct event_queue *q;
        struct monitor *mon;
        struct session_manager *sm;
        struct monitor_config mc = MONITOR_CONFIG_DEFAULT;
        char line[256], token[SESSION_TOKEN_LEN + 1] = "";
        struct session_info last = {0};

        if (argc < 2) {
                fprintf(stderr, "usage: session-probe TRUST_PEM [IDLE_TIMEOUT_S]\n");
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        struct session_config sc = {.trust_path = argv[1],
                                    .idle_timeout_s = argc > 2 ? (unsigned)atoi(argv[2]) : 600,
                                    .workstation = "lab-workstation",
                                    .now = fake_now};
        if (events_new(64, &q) < 0 || monitor_start(&mc, q, &mon) < 0 || sessions_new(&sc, mon, q, &sm) < 0) {
                fprintf(stderr, "session-probe: start-up failed\n");
                return 1;
        }
        for (int i = 0; i < 100; i++) {
                struct reader_snapshot snap;
                monitor_snapshot(mon, &snap);
                bool cps = false;
                for (size_t j = 0; j < snap.n; j++)
                        cps |= snap.r[j].card_present && snap.r[j].kind == CARD_CPS;
                if (cps) {
                        printf("ready\n");
                        break;
                }
                usleep(100000);
        }
        while (fgets(line, sizeof(line), stdin)) {
                line[strcspn(line, "\n")] = '\0';
                char arg[128] = "";
                if (strncmp(line, "open", 4) == 0) {
                        struct session_error e;
                        const char *pin = NULL;
                        if (sscanf(line, "open %127s", arg) == 1 && strcmp(arg, "-") != 0)
                                pin = arg;
                        int r = sessions_open(sm, NULL, pin, pin ? strlen(pin) : 0, getuid(), &last, token, &e);
                        if (r == 0)
                                printf("open ok id=%s national_id=%s surname=%s given_name=%s profession=%s "
                                       "specialty=%s card_type=%s serial=%s\n",
                                       last.id, last.who.national_id, last.who.surname, last.who.given_name,
                                       last.who.profession, last.who.specialty,
                                       p11_card_type_to_string(last.who.card_type), last.card_serial);
                        else
                                printf("open error code=%s tries=%d message=%s\n", e.code, e.tries_left,
                                       e.message);
                        secure_zero(arg, sizeof(arg));
                } else if (strcmp(line, "lookup") == 0 || strcmp(line, "lookup-other-uid") == 0) {
                        struct session_info si;
                        uid_t uid = strcmp(line, "lookup") == 0 ? getuid() : getuid() + 4242;
                        int r = sessions_lookup(sm, token, uid, &si);
                        printf("lookup %s\n", r == 0 ? "ok" : r == -EPERM ? "EPERM" : r == -ENOENT ? "ENOENT" : "error");
                } else if (strcmp(line, "close") == 0) {
                        int r = sessions_close(sm, last.id, getuid());
                        printf("close %s\n", r == 0 ? "ok" : strerror(-r));
                } else if (strcmp(line, "record") == 0) {
                        char *rec;
                        uint8_t *sig;
                        size_t sl;
                        int r = sessions_record(sm, last.id, &rec, &sig, &sl);
                        if (r < 0) {
                                printf("record %s\n", strerror(-r));
                                continue;
                        }
                        printf("record %s\n", rec);
                        free(rec);
                        free(sig);
                } else if (strcmp(line, "count") == 0) {
                        printf("count %zu\n", sessions_count(sm));
                } else if (sscanf(line, "wait-ended %127s", arg) == 1) {
                        int ticks = atoi(arg) * 10;
                        while (sessions_count(sm) > 0 && ticks-- > 0)
                                usleep(100000);
                        printf("wait-ended count=%zu\n", sessions_count(sm));
                } else if (sscanf(line, "advance %127s", arg) == 1) {
                        offset += atol(arg);
                        sessions_sweep(sm);
                        printf("advanced\n");
                } else if (sscanf(line, "card-ready %127s", arg) == 1) {
                        card_ready(mon, sm, atoi(arg));
                } else if (sscanf(line, "wait-cps %127s", arg) == 1) {
                        struct reader_snapshot snap;
                        printf("wait-cps %s\n", wait_cps(mon, atoi(arg), &snap) ? "ok" : "none");
                } else if (strcmp(line, "cached") == 0) {
                        printf("cached %zu\n", sessions_cards_read(sm));
                } else if (sscanf(line, "wait-cached %127s", arg) == 1) {
                        size_t want = (size_t)atoi(arg), ticks = 0;
                        const char *s = strchr(line + 12, ' ');
                        ticks = s ? (size_t)atoi(s + 1) * 10 : 50;
                        while (sessions_cards_read(sm) != want && ticks-- > 0)
                                usleep(100000);
                        printf("wait-cached %zu\n", sessions_cards_read(sm));
                } else if (strcmp(line, "quit") == 0)
                        break;
                else
                        printf("unknown command\n");
        }
        sessions_free(sm);
        monitor_stop(mon);
        events_free(q);
        return 0;
}
