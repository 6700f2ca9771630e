/* reader/monitor.h: the reader monitor, the one thread that owns PC/SC
 * events.
 *
 * It follows reader hotplug (PC/SC's PnP notification), card insertion and
 * removal, and pcscd itself: when pcscd goes away the context is released
 * and established again with backoff, so carnetd survives a pcscd restart.
 * Each card is identified at insertion (cards.h) and, for a Vitale card,
 * read once inside one PC/SC transaction; the result is kept until the
 * card leaves, so API requests never wait on a card.  A card that another
 * program holds exclusively (read_error -EBUSY) is tried again when its
 * reader's state changes and every second, keeping its insertion number,
 * until it reads; only then is it announced again.  What happens is
 * pushed to an event queue (events.h). */
#pragma once

#include "events.h"
#include "readers.h"
#include "card/vitale.h"
#include "lib/report.h"

struct monitor_config {
        unsigned backoff_min_ms; /* first retry after pcscd went away */
        unsigned backoff_max_ms; /* retries slow down to this */
        unsigned poll_ms;        /* longest wait for a PC/SC event */
        /* the readers used: names or fnmatch(3) patterns separated by
         * commas (blanks around each are dropped); NULL or "": all.  The
         * others are ignored: no slot, no event, no card read (copied) */
        const char *readers;
        struct reporter reporter; /* what happened, for the program to log */
};

#define MONITOR_CONFIG_DEFAULT {.backoff_min_ms = 100, .backoff_max_ms = 2000, .poll_ms = 2000}

struct monitor;

/* Starts the monitor thread; events go to q (not owned). */
int monitor_start(const struct monitor_config *cfg, struct event_queue *q, struct monitor **ret);
/* Stops the thread and releases PC/SC.  NULL is fine. */
void monitor_stop(struct monitor *m);

/* The readers as last seen. */
void monitor_snapshot(struct monitor *m, struct reader_snapshot *ret);

/* The persons on the Vitale card in `reader`, or in the first reader
 * holding one when reader is NULL; the reader's name and insertion count
 * go to ret_reader / ret_insertion when not NULL.  Returns 0, -ENODEV
 * when there is no Vitale card, -EBUSY when there is none but a card that
 * another program holds (not identified yet), or the card's read error
 * (-EBADMSG for a malformed card, -ENODEV for one pulled during the
 * read...). */
int monitor_vitale(struct monitor *m, const char *reader, struct vitale_card *ret,
                   char ret_reader[READER_NAME_MAX], uint64_t *ret_insertion);
