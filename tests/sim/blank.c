/* tests/sim/blank.c: a card carnet does not know (a bank card, a loyalty
 * card...): it has an ATR, refuses every SELECT with 6A82 and every other
 * instruction with 6D00.  Profile: type = blank, atr = ... (optional). */
#include <stdlib.h>

#include "card.h"
#include "lib/macro.h"

static int blank_new(const struct profile *p, struct card **ret) {
        return card_alloc(sizeof(struct card), &blank_ops, p, "3B 02 14 50", ret);
}

static void blank_reset(struct card *c) {
}

static int blank_select(struct card *c, const struct apdu *a, struct resp *r) {
        return resp_sw(r, 0x6A82);
}

static const struct card_ins blank_ins[] = {{0xA4, blank_select}};

static int blank_transmit(struct card *c, const struct apdu *a, struct resp *r) {
        return card_dispatch(c, blank_ins, ELEMENTSOF(blank_ins), a, r);
}

static void blank_free(struct card *c) {
        free(c);
}

CARD_OPS(blank, "blank");
