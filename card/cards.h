/* card/cards.h: the table of card drivers, and telling cards apart.
 *
 * Each card family is a struct card_driver: the ISO 7816-4 operations it
 * uses (iso7816_ops, or its own copy with overrides), the application
 * that identifies it, and what it does its own way: recognising its ATR,
 * reading at insertion.  A new family, or a certified reading library, is
 * one more entry in the table; callers only see enum card_kind, union
 * card_data and the stable error codes of card_error_code(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardio.h"
#include "iso7816.h"
#include "vitale.h"

/* The card families carnet tells apart. */
enum card_kind {
        CARD_NONE,    /* no card, or not looked at yet */
        CARD_UNKNOWN, /* a card carnet does not know */
        CARD_VITALE,
        CARD_CPS,
        _CARD_KIND_MAX,
};

const char *card_kind_name(enum card_kind k);

/* Stable machine code for a card read error (-errno): "card_removed",
 * "card_malformed", "card_unreadable", "card_busy" or "card_error". */
const char *card_error_code(int err);

union card_data {
        struct vitale_card vitale;
};

struct card_driver {
        const char *name;
        enum card_kind kind;
        const struct card_ops *ops; /* &iso7816_ops, or a copy with overrides */
        /* the application whose SELECT identifies the family */
        const uint8_t *aid;
        size_t aid_len;
        /* true when the ATR alone identifies the family; may be NULL */
        bool (*match_atr)(const uint8_t *atr, size_t len);
        /* asks the card: 0 when it is one of ours, -ENOENT when not,
         * -ENODEV when it left; NULL: SELECT aid through ops */
        int (*probe)(const struct card_driver *d, struct card_io *io);
        /* what to read at insertion (NULL: nothing, as for the CPS, which
         * is read through PKCS#11 when a session opens) */
        int (*read)(const struct card_ops *ops, struct card_io *io, union card_data *ret);
};

/* Finds the driver for the card (ATR first, then probes in table order)
 * and reads it.  Returns 0 with *ret_driver set (NULL for an unknown card),
 * or -errno from the driver's read, *ret_driver then naming the driver. */
int cards_identify(const uint8_t *atr, size_t atr_len, struct card_io *io,
                   const struct card_driver **ret_driver, union card_data *ret_data);
