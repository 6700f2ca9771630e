/* tests/sim/card.h: the interface every simulated card implements.
 *
 * cardsim.c owns the link to vpcd and calls a card's ops: reset() on power
 * on and reset, transmit() for each command APDU.  A card answers with data
 * and a status word in a struct resp.  Cards keep their persistent state
 * (PIN try counter, files) across removal and insertion, like a real chip. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

#define ATR_MAX 33
#define RESP_MAX 4096

/* A parsed short APDU (ISO 7816-4 cases 1 to 4).  data points into the
 * caller's buffer.  le is the expected length, 256 for a Le byte of 00,
 * and 0 with has_le false when absent. */
struct apdu {
        uint8_t cla, ins, p1, p2;
        const uint8_t *data;
        size_t lc;
        size_t le;
        bool has_le;
};

/* Parses buf into *ret; -EBADMSG when the lengths do not add up. */
int apdu_parse(const uint8_t *buf, size_t len, struct apdu *ret);

struct resp {
        uint8_t buf[RESP_MAX];
        size_t len;
};

/* Sets the response to a bare status word; returns 0, for a transmit()'s
 * return. */
int resp_sw(struct resp *r, uint16_t sw);
/* Sets the response to n bytes of data followed by sw; -ENOBUFS if too long. */
int resp_data(struct resp *r, const void *data, size_t n, uint16_t sw);

struct card;

struct card_ops {
        const char *type; /* the profile's "type" value */
        int (*new)(const struct profile *p, struct card **ret);
        void (*reset)(struct card *c);
        int (*transmit)(struct card *c, const struct apdu *a, struct resp *r);
        void (*free)(struct card *c);
};

/* Every card struct starts with this. */
struct card {
        const struct card_ops *ops;
        uint8_t atr[ATR_MAX];
        size_t atr_len;
};

/* Fills c->atr from the profile's "atr" key, or from def when absent. */
int card_set_atr(struct card *c, const struct profile *p, const char *def);

/* Allocates a zeroed card struct of size bytes (a struct starting with
 * struct card) for ops, its ATR from the profile or def_atr, into *ret. */
int card_alloc(size_t size, const struct card_ops *ops, const struct profile *p, const char *def_atr,
               struct card **ret);

/* One instruction a card answers, in a table for card_dispatch(). */
struct card_ins {
        uint8_t ins;
        int (*run)(struct card *c, const struct apdu *a, struct resp *r);
};

/* Runs the entry of the n in table for a->ins; 6D00 for an INS not there. */
int card_dispatch(struct card *c, const struct card_ins *table, size_t n, const struct apdu *a,
                  struct resp *r);

/* Defines NAME_ops from NAME_new, NAME_reset, NAME_transmit and NAME_free. */
#define CARD_OPS(name, type_name)                                                                   \
        const struct card_ops name##_ops = {                                                        \
                .type = type_name,                                                                  \
                .new = name##_new,                                                                  \
                .reset = name##_reset,                                                              \
                .transmit = name##_transmit,                                                        \
                .free = name##_free,                                                                \
        }

extern const struct card_ops vitale_ops;
extern const struct card_ops piv_ops;
extern const struct card_ops blank_ops;
