/* reader/readers.h: what PC/SC says about the readers.
 *
 * The reader monitor (monitor.h) keeps a snapshot up to date from PC/SC
 * events; readers_snapshot() asks pcscd directly, for tools and for a
 * carnetd started without a monitor. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card/cards.h"

#define READERS_MAX 16
#define READER_NAME_MAX 128
#define READER_ATR_MAX 33

struct reader_info {
        char name[READER_NAME_MAX];
        bool card_present;
        uint8_t atr[READER_ATR_MAX];
        size_t atr_len;
        enum card_kind kind;
        const char *driver;  /* the card driver that recognised it, or NULL */
        int read_error;      /* 0, or -errno when reading the card failed */
        unsigned apdus;      /* exchanges carnet made with this card */
        unsigned read_us;    /* from PC/SC's insertion event to identity ready */
        uint64_t insertion;  /* counts insertions: binds sessions to one card */
        /* pcsc-lite's count of this reader's card events (insertions and
         * removals: dwEventState's high word, modulo 65536); 0 where PC/SC
         * does not count them */
        unsigned card_events;
        /* the monitor's count of readers arrived, at this one's arrival:
         * tells a reader from another of the same name plugged in since
         * (0: not counted, readers_snapshot()) */
        uint64_t arrival;
};

struct reader_snapshot {
        bool pcscd_reachable;
        char error[128]; /* why pcscd is not reachable, for people */
        size_t n;
        struct reader_info r[READERS_MAX];
};

/* Fills *ret.  pcscd being down is not an error: the snapshot then says so.
 * Returns 0, or -ENOBUFS when pcscd lists more readers than READERS_MAX
 * (the first READERS_MAX are kept). */
int readers_snapshot(struct reader_snapshot *ret);
