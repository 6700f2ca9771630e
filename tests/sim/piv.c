/* tests/sim/piv.c: a CPS card played as a PIV applet (placeholder until the
 * PIV applet lands: refuses to start). */
#include <errno.h>
#include <stdio.h>

#include "card.h"

static int piv_new(const struct profile *p, struct card **ret) {
        fprintf(stderr, "piv: not implemented yet\n");
        return -EOPNOTSUPP;
}

const struct card_ops piv_ops = {
        .type = "cps",
        .new = piv_new,
};
