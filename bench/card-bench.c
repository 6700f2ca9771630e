/* bench/card-bench.c: card insertion to identity, and session opening,
 * measured in the lab (run by bench/run-cards.sh inside tests/lab/lab-run,
 * a Vitale simulator on slot 0 started absent, a CPS on slot 1).
 *
 *   card-bench ROUNDS CA_PEM
 *
 * Prints a Markdown table: for the Vitale and the CPS, APDUs and
 * milliseconds (median and 90th percentile over ROUNDS) for
 *   - carnet: from PC/SC's insertion event to the identity in carnetd's
 *     cache (Vitale: the four-APDU read; CPS: the monitor's identification,
 *     then the session manager's read of the token, certificates and
 *     identity through OpenSC's PKCS#11 module, done at insertion: the
 *     card was just inserted);
 *   - the floor: the same APDUs replayed raw through libpcsclite in one
 *     transaction;
 *   - OpenSC's own tool, pkcs15-tool --list-certificates, on the same card
 *     (a process of its own: start-up included);
 * and the session opening (a fresh insertion each round, read at insertion)
 * split into card time (PKCS#11 calls: now the login, the key's attributes
 * and the signature) and carnet's own (certificate checks, record,
 * signature check). */
#include <PCSC/winscard.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reader/events.h"
#include "reader/monitor.h"
#include "session/session.h"
#include "pkcs11/p11-card.h"
#include "pkcs11/p11-module.h"
#include "lib/macro.h"

#define READER0 "Virtual PCD 00 00"
#define READER1 "Virtual PCD 00 01"
#define ROUNDS_MAX 200
#define REPLAY_MAX 512

static const char *lab;

static double now_ms(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static double pct(double *v, int n, int p) {
        qsort(v, (size_t)n, sizeof(*v), cmp_double);
        int i = (n - 1) * p / 100;
        return v[i];
}

static void sim(int slot, const char *cmd) {
        char path[256];
        snprintf(path, sizeof(path), "%s/slot%d.ctl", lab, slot);
        FILE *f = fopen(path, "we");
        if (!f) {
                perror(path);
                exit(1);
        }
        fprintf(f, "%s\n", cmd);
        fclose(f);
}

/* Number of command APDUs in slot's log so far. */
static int apdus(int slot) {
        char path[256], line[2048];
        int n = 0;
        snprintf(path, sizeof(path), "%s/slot%d.apdu", lab, slot);
        FILE *f = fopen(path, "re");
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f))
                n += line[0] == '>';
        fclose(f);
        return n;
}

/* Command APDUs from number `from` on, as bytes, for the replay. */
static int load_apdus(int slot, int from, uint8_t cmds[][261], size_t *lens, int max) {
        char path[256], line[2048];
        int n = 0, k = 0;
        snprintf(path, sizeof(path), "%s/slot%d.apdu", lab, slot);
        FILE *f = fopen(path, "re");
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f) && n < max) {
                if (line[0] != '>')
                        continue;
                if (k++ < from)
                        continue;
                size_t l = 0;
                for (char *p = line + 2; p[0] && p[1] && p[0] != '\n' && l < 261; p += 2) {
                        unsigned v;
                        sscanf(p, "%2x", &v);
                        cmds[n][l++] = (uint8_t)v;
                }
                lens[n++] = l;
        }
        fclose(f);
        return n;
}

/* Waits for an event of type on reader; returns its arrival time. */
static double wait_event(struct event_queue *q, uint64_t *seen, enum event_type type, const char *reader) {
        for (;;) {
                struct event ev[16];
                if (events_wait(q, *seen, 10000) < 0) {
                        fprintf(stderr, "card-bench: no %s event on %s\n", event_type_name(type), reader);
                        exit(1);
                }
                size_t n = events_since(q, *seen, ev, 16, NULL);
                for (size_t i = 0; i < n; i++) {
                        *seen = ev[i].seq;
                        if (ev[i].type == type && strcmp(ev[i].reader, reader) == 0)
                                return now_ms();
                }
        }
}

static struct reader_info reader_of(struct monitor *m, const char *name) {
        struct reader_snapshot s;
        monitor_snapshot(m, &s);
        for (size_t i = 0; i < s.n; i++)
                if (strcmp(s.r[i].name, name) == 0)
                        return s.r[i];
        fprintf(stderr, "card-bench: no reader %s\n", name);
        exit(1);
}

/* Sends cmds raw through libpcsclite in one transaction; returns ms. */
static double replay(const char *reader, uint8_t cmds[][261], const size_t *lens, int n) {
        SCARDCONTEXT ctx;
        SCARDHANDLE h;
        DWORD proto;
        uint8_t resp[300];
        double t0 = now_ms();
        if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS ||
            SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto) !=
                    SCARD_S_SUCCESS) {
                fprintf(stderr, "card-bench: cannot connect to %s\n", reader);
                exit(1);
        }
        const SCARD_IO_REQUEST *pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
        SCardBeginTransaction(h);
        for (int i = 0; i < n; i++) {
                DWORD rl = sizeof(resp);
                SCardTransmit(h, pci, cmds[i], (DWORD)lens[i], NULL, resp, &rl);
        }
        SCardEndTransaction(h, SCARD_LEAVE_CARD);
        SCardDisconnect(h, SCARD_LEAVE_CARD);
        SCardReleaseContext(ctx);
        return now_ms() - t0;
}

/* Removes and inserts the CPS again; returns the insertion event's arrival. */
static double cps_insert(struct event_queue *q, uint64_t *seen) {
        sim(1, "remove");
        wait_event(q, seen, EVENT_CARD_REMOVED, READER1);
        sim(1, "insert");
        return wait_event(q, seen, EVENT_CARD_INSERTED, READER1);
}

/* Waits for the session manager's read of this insertion of the CPS; its
 * PKCS#11 times go to us (read, token) when not NULL. */
static void cps_ready(struct session_manager *sm, uint64_t insertion, unsigned us[2]) {
        struct p11_identity who;
        uint64_t ins = 0;
        int r = sessions_card_ready(sm, READER1, 10000, &who, &ins, us);
        if (r < 0 || ins != insertion) {
                fprintf(stderr, "card-bench: CPS identity not read at insertion: %s\n", strerror(-r));
                exit(1);
        }
}

static void row(const char *what, const char *path, double apdu, double *ms, int n) {
        double p50 = pct(ms, n, 50), p90 = pct(ms, n, 90);
        printf("| %s | %s | %.0f | %.2f | %.2f |\n", what, path, apdu, p50, p90);
}

int main(int argc, char **argv) {
        static uint8_t cmds[REPLAY_MAX][261];
        static size_t lens[REPLAY_MAX];
        static double a[ROUNDS_MAX], b[ROUNDS_MAX], c[ROUNDS_MAX], d[ROUNDS_MAX], e2[ROUNDS_MAX];
        static double tok[ROUNDS_MAX], opn[ROUNDS_MAX], mon_ms[ROUNDS_MAX];
        struct event_queue *q;
        struct monitor *mon;
        struct monitor_config mc = MONITOR_CONFIG_DEFAULT;
        int rounds = argc > 1 ? atoi(argv[1]) : 20, n;
        uint64_t seen = 0;

        lab = getenv("LAB_DIR");
        if (argc < 3 || !lab || rounds < 1 || rounds > ROUNDS_MAX) {
                fprintf(stderr, "usage: card-bench ROUNDS(1..%d) CA_PEM  (inside the lab)\n", ROUNDS_MAX);
                return 2;
        }
        if (events_new(1024, &q) < 0 || monitor_start(&mc, q, &mon) < 0)
                return 1;
        wait_event(q, &seen, EVENT_CARD_INSERTED, READER1); /* the CPS is there from the start */

        printf("| card | path | APDUs | median ms | p90 ms |\n|---|---|---|---|---|\n");

        /* ---- Vitale: carnet, then the floor ---- */
        int vit_apdus = 0;
        for (int i = 0; i < rounds; i++) {
                sim(0, "insert");
                wait_event(q, &seen, EVENT_CARD_INSERTED, READER0);
                struct reader_info ri = reader_of(mon, READER0);
                if (ri.kind != CARD_VITALE || ri.read_error) {
                        fprintf(stderr, "card-bench: the Vitale card was not read\n");
                        return 1;
                }
                a[i] = ri.read_us / 1000.0;
                vit_apdus = (int)ri.apdus;
                if (i < rounds - 1) {
                        sim(0, "remove");
                        wait_event(q, &seen, EVENT_CARD_REMOVED, READER0);
                }
        }
        row("Vitale", "carnet (insertion event → persons cached)", vit_apdus, a, rounds);
        int total = apdus(0);
        n = load_apdus(0, total - vit_apdus, cmds, lens, REPLAY_MAX);
        for (int i = 0; i < rounds; i++)
                b[i] = replay(READER0, cmds, lens, n);
        row("Vitale", "floor: same APDUs raw through libpcsclite", n, b, rounds);

        /* ---- CPS: read by the session manager at insertion ---- */
        struct session_manager *sm;
        struct session_config sc = {.trust_path = argv[2], .idle_timeout_s = 600, .workstation = "bench"};
        double t0 = now_ms();
        if (sessions_new(&sc, mon, q, &sm) < 0)
                return 1;
        double load_ms = now_ms() - t0;
        int cps_apdus = 0, probe_apdus = 0;
        for (int i = 0; i < rounds; i++) {
                int before = apdus(1);
                double t1 = cps_insert(q, &seen);
                struct reader_info ri = reader_of(mon, READER1);
                probe_apdus = (int)ri.apdus;
                unsigned us[2];
                cps_ready(sm, ri.insertion, us);
                c[i] = ri.read_us / 1000.0 + (now_ms() - t1);
                tok[i] = us[1] / 1000.0;
                opn[i] = (us[0] - us[1]) / 1000.0;
                mon_ms[i] = ri.read_us / 1000.0;
                cps_apdus = apdus(1) - before;
        }
        row("CPS", "carnet (insertion event → identity read at insertion, via OpenSC PKCS#11)", cps_apdus, c,
            rounds);
        total = apdus(1);
        n = load_apdus(1, total - cps_apdus, cmds, lens, REPLAY_MAX);
        for (int i = 0; i < rounds; i++)
                d[i] = replay(READER1, cmds, lens, n);
        row("CPS", "floor: same APDUs raw through libpcsclite", n, d, rounds);
        int tool_apdus = 0;
        for (int i = 0; i < rounds; i++) {
                int before = apdus(1);
                double t1 = now_ms();
                if (system("pkcs15-tool --reader '" READER1 "' --list-certificates >/dev/null 2>&1") != 0) {
                        fprintf(stderr, "card-bench: pkcs15-tool failed\n");
                        return 1;
                }
                e2[i] = now_ms() - t1;
                tool_apdus = apdus(1) - before;
        }
        row("CPS", "OpenSC: pkcs15-tool --list-certificates (own process)", tool_apdus, e2, rounds);

        /* ---- session opening: a fresh insertion each round, its identity
         * read, then POST /v1/sessions' work ---- */
        int sess_apdus = 0;
        for (int i = 0; i < rounds; i++) {
                struct session_info si;
                struct session_error err;
                char token[SESSION_TOKEN_LEN + 1];
                cps_insert(q, &seen);
                cps_ready(sm, reader_of(mon, READER1).insertion, NULL);
                int before = apdus(1);
                if (sessions_open(sm, READER1, "1234", 4, getuid(), &si, token, &err) < 0) {
                        fprintf(stderr, "card-bench: session: %s\n", err.message);
                        return 1;
                }
                sess_apdus = apdus(1) - before;
                a[i] = si.total_us / 1000.0;
                b[i] = si.card_us / 1000.0;
                c[i] = (si.total_us - si.card_us) / 1000.0;
                sessions_close(sm, si.id, getuid());
        }
        printf("\n| CPS read at insertion, where the time goes | median ms | p90 ms |\n|---|---|---|\n");
        printf("| monitor: PC/SC event to identification (3 APDUs) | %.2f | %.2f |\n", pct(mon_ms, rounds, 50),
               pct(mon_ms, rounds, 90));
        printf("| PKCS#11: search of every slot (C_GetSlotList, each slot's C_GetSlotInfo and C_GetTokenInfo; "
               "skipped when the reader's last slot serves) | %.2f | %.2f |\n", pct(tok, rounds, 50), pct(tok, rounds, 90));
        printf("| PKCS#11: the card's slot (C_GetTokenInfo: OpenSC binds the new card; C_OpenSession; certificates "
               "found and read) | %.2f | %.2f |\n", pct(opn, rounds, 50), pct(opn, rounds, 90));
        printf("\n| session opening (CPS, RSA-2048) | APDUs | median ms | p90 ms |\n|---|---|---|---|\n");
        printf("| total | %d | %.2f | %.2f |\n", sess_apdus, pct(a, rounds, 50), pct(a, rounds, 90));
        printf("| card time (PKCS#11 calls) | | %.2f | %.2f |\n", pct(b, rounds, 50), pct(b, rounds, 90));
        printf("| carnet's own (checks, record) | | %.2f | %.2f |\n", pct(c, rounds, 50), pct(c, rounds, 90));
        printf("\nrounds: %d; session manager start (PKCS#11 module load, C_Initialize, anchors): %.1f ms "
               "(once per carnetd); the monitor's CPS identification: %d APDUs\n", rounds, load_ms, probe_apdus);
        sessions_free(sm);
        monitor_stop(mon);
        events_free(q);
        return 0;
}
