/* tests/sim/blank.c: a card carnet does not know (a bank card, a loyalty
 * card...): it has an ATR, refuses every SELECT with 6A82 and every other
 * instruction with 6D00.  Profile: type = blank, atr = ... (optional). */
#include <stdlib.h>

#include "card.h"
#include "lib/macro.h"

static int blank_new(const struct profile *p, struct card **ret) {
        _cleanup_free_ struct card *c = calloc(1, sizeof(*c));
        int r;
        if (!c)
                return -ENOMEM;
        c->ops = &blank_ops;
        if ((r = card_set_atr(c, p, "3B 02 14 50")) < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

static void blank_reset(struct card *c) {
}

static int blank_transmit(struct card *c, const struct apdu *a, struct resp *r) {
        resp_sw(r, a->ins == 0xA4 ? 0x6A82 : 0x6D00);
        return 0;
}

static void blank_free(struct card *c) {
        free(c);
}

const struct card_ops blank_ops = {
        .type = "blank",
        .new = blank_new,
        .reset = blank_reset,
        .transmit = blank_transmit,
        .free = blank_free,
};
