/* reader/monitor.c: PC/SC event loop. */
#include <PCSC/winscard.h>
#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card/cards.h"
#include "lib/cond.h"
#include "lib/macro.h"
#include "monitor.h"

#define PNP_READER "\\\\?PnP?\\Notification"

/* How often a card held by another program is tried again. */
#define BUSY_RETRY_MS 1000

struct slot {
        struct reader_info info;
        DWORD state; /* last dwEventState seen, CHANGED cleared */
        union card_data data;
        struct timespec tried; /* the last read of a card held by another program */
};

struct monitor {
        struct monitor_config cfg;
        char readers[1024]; /* cfg.readers, copied; "" all */
        struct event_queue *events;
        pthread_t thread;
        atomic_bool stop;

        pthread_mutex_t lock; /* guards everything below */
        pthread_cond_t wake;  /* stop during a backoff sleep */
        SCARDCONTEXT ctx;     /* 0 when pcscd is not reachable */
        bool reachable;
        char error[128];
        struct slot slots[READERS_MAX];
        size_t n;
        uint64_t insertions;
        uint64_t arrivals; /* readers seen arriving */
};

struct pcsc_link {
        SCARDHANDLE h;
        const SCARD_IO_REQUEST *pci;
};

static int pcsc_errno(LONG rv) {
        switch (rv) {
        case SCARD_S_SUCCESS:
                return 0;
        case SCARD_W_REMOVED_CARD:
        case SCARD_E_NO_SMARTCARD:
        case SCARD_W_UNPOWERED_CARD:
        case SCARD_W_UNRESPONSIVE_CARD:
                return -ENODEV;
        case SCARD_W_RESET_CARD:
                return -ERESTART;
        case SCARD_E_NO_SERVICE:
        case SCARD_E_SERVICE_STOPPED:
                return -ESHUTDOWN;
        case SCARD_E_SHARING_VIOLATION:
                return -EBUSY;
        default:
                return -EIO;
        }
}

static int pcsc_transmit(void *userdata, const uint8_t *apdu, size_t len, uint8_t *resp,
                         size_t resp_max, size_t *resp_len) {
        struct pcsc_link *l = userdata;
        DWORD rlen = (DWORD)resp_max;
        LONG rv = SCardTransmit(l->h, l->pci, apdu, (DWORD)len, NULL, resp, &rlen);
        if (rv != SCARD_S_SUCCESS)
                return pcsc_errno(rv);
        *resp_len = rlen;
        return 0;
}

static bool stopping(struct monitor *m) {
        return atomic_load(&m->stop);
}

/* Sleeps ms, or less if the monitor is asked to stop. */
static void nap(struct monitor *m, unsigned ms) {
        struct timespec t = timespec_after_ms(CLOCK_MONOTONIC, ms);
        pthread_mutex_lock(&m->lock);
        while (!stopping(m) && pthread_cond_timedwait(&m->wake, &m->lock, &t) == 0)
                ;
        pthread_mutex_unlock(&m->lock);
}

/* Connects to the card in reader and identifies (and maybe reads) it in
 * one transaction.  A card reset by another program is reconnected once. */
static int read_card(SCARDCONTEXT ctx, const char *reader, const uint8_t *atr, size_t atr_len,
                     const struct card_driver **ret_driver, union card_data *data, unsigned *ret_apdus) {
        struct pcsc_link l;
        DWORD proto;
        struct card_io io = {.transmit = pcsc_transmit, .userdata = &l};
        int r;

        LONG rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                               &l.h, &proto);
        if (rv != SCARD_S_SUCCESS)
                return pcsc_errno(rv);
        for (int attempt = 0;; attempt++) {
                l.pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
                rv = SCardBeginTransaction(l.h);
                r = pcsc_errno(rv);
                if (r == 0) {
                        r = cards_identify(atr, atr_len, &io, ret_driver, data);
                        SCardEndTransaction(l.h, SCARD_LEAVE_CARD);
                }
                if (r != -ERESTART || attempt > 0)
                        break;
                rv = SCardReconnect(l.h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                                    SCARD_LEAVE_CARD, &proto);
                if (rv != SCARD_S_SUCCESS) {
                        r = pcsc_errno(rv);
                        break;
                }
        }
        SCardDisconnect(l.h, SCARD_LEAVE_CARD);
        *ret_apdus = io.apdus;
        return r;
}

static void card_gone(struct monitor *m, struct slot *s) {
        if (!s->info.card_present)
                return;
        report(&m->cfg.reporter, &(struct report){.event = "card-removed", .reader = s->info.name,
                                                  .detail = card_kind_name(s->info.kind)});
        events_push(m->events, EVENT_CARD_REMOVED, s->info.name, card_kind_name(s->info.kind));
        pthread_mutex_lock(&m->lock);
        s->info.card_present = false;
        s->info.kind = CARD_NONE;
        s->info.driver = NULL;
        s->info.atr_len = 0;
        s->info.read_error = 0;
        s->info.apdus = 0;
        secure_zero(&s->data, sizeof(s->data)); /* patients' identities */
        pthread_mutex_unlock(&m->lock);
}

static unsigned us_between(const struct timespec *a, const struct timespec *b) {
        return (unsigned)((b->tv_sec - a->tv_sec) * 1000000 + (b->tv_nsec - a->tv_nsec) / 1000);
}

/* Was the card in s held by another program when it was read? */
static bool held_elsewhere(const struct slot *s) {
        return s->info.card_present && s->info.read_error == -EBUSY;
}

/* Identifies (and maybe reads) the card in s, whose ATR is atr: a card
 * that just arrived, or (again) one that another program held.  A card
 * read again keeps its insertion, and is told about only once it is no
 * longer held. */
static void card_read_in(struct monitor *m, struct slot *s, const uint8_t *atr, size_t atr_len, bool again) {
        const struct card_driver *drv = NULL;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        union card_data *data = calloc(1, sizeof(*data));
        unsigned apdus = 0;
        int r = data ? read_card(m->ctx, s->info.name, atr, atr_len, &drv, data, &apdus) : -ENOMEM;
        enum card_kind kind = drv ? drv->kind : CARD_UNKNOWN;
        clock_gettime(CLOCK_MONOTONIC, &t1);

        pthread_mutex_lock(&m->lock);
        s->tried = t1;
        bool quiet = again && r == -EBUSY; /* still held: nothing new */
        if (!quiet) {
                s->info.card_present = true;
                memmove(s->info.atr, atr, atr_len);
                s->info.atr_len = atr_len;
                s->info.kind = kind;
                s->info.driver = drv ? drv->name : NULL;
                s->info.read_error = r;
                s->info.apdus = apdus;
                s->info.read_us = us_between(&t0, &t1);
                if (!again)
                        s->info.insertion = ++m->insertions;
                if (data && r == 0)
                        s->data = *data;
        }
        pthread_mutex_unlock(&m->lock);
        if (data) {
                secure_zero(data, sizeof(*data));
                free(data);
        }
        if (quiet)
                return;
        report(&m->cfg.reporter, &(struct report){.event = r < 0 ? "card-read-failed" : "card-inserted",
                                                  .reader = s->info.name, .err = r, .n = apdus,
                                                  .detail = r < 0 ? card_kind_name(kind)
                                                          : drv ? drv->name : "unknown card"});
        events_push(m->events, EVENT_CARD_INSERTED, s->info.name, card_kind_name(kind));
}

static void card_arrived(struct monitor *m, struct slot *s, const SCARD_READERSTATE *st) {
        card_read_in(m, s, st->rgbAtr, st->cbAtr <= READER_ATR_MAX ? st->cbAtr : 0, false);
}

/* Reads again the cards that another program held, once a second (and
 * at once when their reader's state changed: force). */
static void busy_again(struct monitor *m, size_t n, const bool *force) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        for (size_t i = 0; i < n; i++) {
                struct slot *s = &m->slots[i];
                if (held_elsewhere(s) && (force[i] || us_between(&s->tried, &now) >= BUSY_RETRY_MS * 1000u))
                        card_read_in(m, s, s->info.atr, s->info.atr_len, true);
        }
}

static void slot_remove(struct monitor *m, size_t i) {
        card_gone(m, &m->slots[i]);
        events_push(m->events, EVENT_READER_REMOVED, m->slots[i].info.name, NULL);
        report(&m->cfg.reporter, &(struct report){.event = "reader-removed", .reader = m->slots[i].info.name});
        pthread_mutex_lock(&m->lock);
        memmove(&m->slots[i], &m->slots[i + 1], (m->n - i - 1) * sizeof(m->slots[0]));
        m->n--;
        memset(&m->slots[m->n], 0, sizeof(m->slots[0]));
        pthread_mutex_unlock(&m->lock);
}

/* pcscd went away: every reader and card with it. */
static void lost_pcscd(struct monitor *m, LONG rv) {
        while (m->n > 0)
                slot_remove(m, m->n - 1);
        pthread_mutex_lock(&m->lock);
        SCARDCONTEXT ctx = m->ctx;
        m->ctx = 0;
        bool was = m->reachable;
        m->reachable = false;
        snprintf(m->error, sizeof(m->error), "%s", pcsc_stringify_error(rv));
        pthread_mutex_unlock(&m->lock);
        if (ctx)
                SCardReleaseContext(ctx);
        if (was) {
                report(&m->cfg.reporter, &(struct report){.event = "pcscd-lost", .detail = pcsc_stringify_error(rv)});
                events_push(m->events, EVENT_PCSCD_DOWN, NULL, NULL);
        }
}

/* Is reader name one of those configured (all when none are)? */
static bool wanted(const struct monitor *m, const char *name) {
        char buf[sizeof(m->readers)], *save = NULL;
        if (!m->readers[0])
                return true;
        memcpy(buf, m->readers, sizeof(buf));
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                t += strspn(t, " \t");
                size_t n = strlen(t);
                while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
                        t[--n] = '\0';
                if (n && fnmatch(t, name, 0) == 0)
                        return true;
        }
        return false;
}

/* Re-lists the readers; adds and removes slots.  Returns 0 or the PC/SC
 * error that means the context is dead. */
static LONG relist(struct monitor *m) {
        char names[READERS_MAX * READER_NAME_MAX];
        DWORD len = sizeof(names);
        bool seen[READERS_MAX] = {false};

        LONG rv = SCardListReaders(m->ctx, NULL, names, &len);
        if (rv == (LONG)SCARD_E_NO_READERS_AVAILABLE) {
                names[0] = '\0';
                len = 1;
        } else if (rv == (LONG)SCARD_E_INSUFFICIENT_BUFFER) {
                names[0] = '\0'; /* more than READERS_MAX readers: keep the ones we have */
                return 0;
        } else if (rv != SCARD_S_SUCCESS)
                return rv;
        for (const char *p = names; p < names + len && *p; p += strlen(p) + 1) {
                size_t i;
                for (i = 0; i < m->n; i++)
                        if (strcmp(m->slots[i].info.name, p) == 0)
                                break;
                if (i < m->n) {
                        seen[i] = true;
                        continue;
                }
                if (m->n == READERS_MAX || strlen(p) >= READER_NAME_MAX || !wanted(m, p))
                        continue;
                pthread_mutex_lock(&m->lock);
                struct slot *s = &m->slots[m->n];
                memset(s, 0, sizeof(*s));
                (void)strcpy_bounded(s->info.name, READER_NAME_MAX, p);
                s->info.arrival = ++m->arrivals;
                s->state = SCARD_STATE_UNAWARE;
                seen[m->n] = true;
                m->n++;
                pthread_mutex_unlock(&m->lock);
                report(&m->cfg.reporter, &(struct report){.event = "reader-added", .reader = p});
                events_push(m->events, EVENT_READER_ADDED, p, NULL);
        }
        for (size_t i = m->n; i-- > 0;)
                if (!seen[i])
                        slot_remove(m, i);
        return 0;
}

static bool context_dead(LONG rv) {
        return rv == (LONG)SCARD_E_NO_SERVICE || rv == (LONG)SCARD_E_SERVICE_STOPPED ||
               rv == (LONG)SCARD_E_INVALID_HANDLE || rv == (LONG)SCARD_F_COMM_ERROR;
}

/* One round: wait for a PC/SC event and act on it; read again the cards
 * that another program held. */
static LONG watch(struct monitor *m) {
        SCARD_READERSTATE st[READERS_MAX + 1];
        bool changed[READERS_MAX] = {false};
        size_t n = m->n;
        unsigned wait_ms = m->cfg.poll_ms;

        for (size_t i = 0; i < n; i++) {
                st[i] = (SCARD_READERSTATE){.szReader = m->slots[i].info.name,
                                            .dwCurrentState = m->slots[i].state};
                if (held_elsewhere(&m->slots[i]) && wait_ms > BUSY_RETRY_MS)
                        wait_ms = BUSY_RETRY_MS;
        }
        /* pcsc-lite counts readers in the high word of the PnP entry */
        st[n] = (SCARD_READERSTATE){.szReader = PNP_READER, .dwCurrentState = (DWORD)(n << 16)};
        LONG rv = SCardGetStatusChange(m->ctx, wait_ms, st, (DWORD)n + 1);
        if (rv != SCARD_S_SUCCESS && rv != (LONG)SCARD_E_TIMEOUT && rv != (LONG)SCARD_E_CANCELLED &&
            rv != (LONG)SCARD_E_UNKNOWN_READER)
                return rv;
        for (size_t i = 0; rv == SCARD_S_SUCCESS && i < n; i++) {
                DWORD ev = st[i].dwEventState;
                struct slot *s = &m->slots[i];
                if (!(ev & SCARD_STATE_CHANGED))
                        continue;
                changed[i] = true;
                bool present = (ev & SCARD_STATE_PRESENT) && !(ev & SCARD_STATE_MUTE);
                /* the high word counts card events: a different count with a
                 * card still present means it was swapped between two looks */
                bool swapped = s->info.card_present && present && (s->state >> 16) != (ev >> 16) &&
                               s->state != SCARD_STATE_UNAWARE;
                /* counted before the events go out: a snapshot taken on
                 * them shows the count of the state they announce */
                pthread_mutex_lock(&m->lock);
                s->info.card_events = (unsigned)(ev >> 16) & 0xFFFFu;
                pthread_mutex_unlock(&m->lock);
                if (s->info.card_present && (!present || swapped))
                        card_gone(m, s);
                if (present && !s->info.card_present) {
                        card_arrived(m, s, &st[i]);
                        changed[i] = false; /* read just now */
                }
                s->state = ev & ~(DWORD)SCARD_STATE_CHANGED;
        }
        busy_again(m, n, changed);
        return 0;
}

static void *monitor_main(void *arg) {
        struct monitor *m = arg;
        unsigned backoff = m->cfg.backoff_min_ms;

        while (!stopping(m)) {
                if (!m->ctx) {
                        SCARDCONTEXT ctx;
                        LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
                        if (rv != SCARD_S_SUCCESS) {
                                pthread_mutex_lock(&m->lock);
                                snprintf(m->error, sizeof(m->error), "%s", pcsc_stringify_error(rv));
                                pthread_mutex_unlock(&m->lock);
                                nap(m, backoff);
                                backoff = backoff * 2 > m->cfg.backoff_max_ms ? m->cfg.backoff_max_ms
                                                                               : backoff * 2;
                                continue;
                        }
                        pthread_mutex_lock(&m->lock);
                        m->ctx = ctx;
                        m->reachable = true;
                        m->error[0] = '\0';
                        pthread_mutex_unlock(&m->lock);
                        backoff = m->cfg.backoff_min_ms;
                        report(&m->cfg.reporter, &(struct report){.event = "pcscd-connected"});
                        events_push(m->events, EVENT_PCSCD_UP, NULL, NULL);
                }
                LONG rv = relist(m);
                if (rv == SCARD_S_SUCCESS && !stopping(m))
                        rv = watch(m);
                if (rv != SCARD_S_SUCCESS) {
                        if (context_dead(rv))
                                lost_pcscd(m, rv);
                        else {
                                report(&m->cfg.reporter, &(struct report){.event = "pcsc-error",
                                                                          .detail = pcsc_stringify_error(rv)});
                                nap(m, backoff);
                        }
                }
        }
        return NULL;
}

int monitor_start(const struct monitor_config *cfg, struct event_queue *q, struct monitor **ret) {
        _cleanup_free_ struct monitor *m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->cfg = *cfg;
        (void)strcpy_bounded(m->readers, sizeof(m->readers), cfg->readers ? cfg->readers : "");
        m->cfg.readers = NULL;
        m->events = q;
        snprintf(m->error, sizeof(m->error), "not connected yet");
        int r = cond_init_monotonic(&m->wake);
        if (r < 0)
                return r;
        pthread_mutex_init(&m->lock, NULL);
        r = -pthread_create(&m->thread, NULL, monitor_main, m);
        if (r < 0) {
                pthread_mutex_destroy(&m->lock);
                pthread_cond_destroy(&m->wake);
        } else
                *ret = TAKE_PTR(m);
        return r;
}

void monitor_stop(struct monitor *m) {
        if (!m)
                return;
        atomic_store(&m->stop, true);
        pthread_mutex_lock(&m->lock);
        SCARDCONTEXT ctx = m->ctx;
        pthread_cond_broadcast(&m->wake);
        pthread_mutex_unlock(&m->lock);
        /* no PC/SC call under the lock snapshots take; a context released
         * meanwhile makes this a harmless SCARD_E_INVALID_HANDLE */
        if (ctx)
                SCardCancel(ctx);
        pthread_join(m->thread, NULL);
        if (m->ctx)
                SCardReleaseContext(m->ctx);
        secure_zero(m->slots, sizeof(m->slots));
        pthread_mutex_destroy(&m->lock);
        pthread_cond_destroy(&m->wake);
        free(m);
}

void monitor_snapshot(struct monitor *m, struct reader_snapshot *ret) {
        memset(ret, 0, sizeof(*ret));
        pthread_mutex_lock(&m->lock);
        ret->pcscd_reachable = m->reachable;
        if (!m->reachable)
                snprintf(ret->error, sizeof(ret->error), "%s", m->error);
        ret->n = m->n;
        for (size_t i = 0; i < m->n; i++)
                ret->r[i] = m->slots[i].info;
        pthread_mutex_unlock(&m->lock);
}

int monitor_vitale(struct monitor *m, const char *reader, struct vitale_card *ret,
                   char ret_reader[READER_NAME_MAX], uint64_t *ret_insertion) {
        int r = -ENODEV;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n; i++) {
                const struct slot *s = &m->slots[i];
                if (reader && strcmp(reader, s->info.name) != 0)
                        continue;
                if (held_elsewhere(s))
                        r = -EBUSY; /* unless a Vitale is in another reader */
                if (!s->info.card_present || s->info.kind != CARD_VITALE)
                        continue;
                r = s->info.read_error;
                if (r == 0) {
                        *ret = s->data.vitale;
                        if (ret_reader)
                                memcpy(ret_reader, s->info.name, READER_NAME_MAX);
                        if (ret_insertion)
                                *ret_insertion = s->info.insertion;
                }
                break;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}
