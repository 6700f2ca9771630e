/* daemon/readers.h: what PC/SC says about the readers right now.
 *
 * For now a snapshot asked of pcscd on demand; the reader monitor thread
 * will keep the same structure up to date from PC/SC events. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define READERS_MAX 16
#define READER_NAME_MAX 128
#define READER_ATR_MAX 33

struct reader_info {
        char name[READER_NAME_MAX];
        bool card_present;
        uint8_t atr[READER_ATR_MAX];
        size_t atr_len;
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
