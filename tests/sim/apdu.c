/* tests/sim/apdu.c: APDU parsing and response helpers for simulated cards. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "card.h"

/* Parses a short APDU.  Extended lengths are refused (-EBADMSG): none of
 * the simulated cards uses them and vpcd forwards what the host sent. */
int apdu_parse(const uint8_t *buf, size_t len, struct apdu *ret) {
        struct apdu a = {0};

        if (len < 4)
                return -EBADMSG;
        a.cla = buf[0];
        a.ins = buf[1];
        a.p1 = buf[2];
        a.p2 = buf[3];
        if (len == 4) {
                /* case 1 */
        } else if (len == 5) {
                /* case 2: Le only */
                a.has_le = true;
                a.le = buf[4] ? buf[4] : 256;
        } else {
                size_t lc = buf[4];
                if (lc == 0)
                        return -EBADMSG; /* extended length: not supported */
                if (len == 5 + lc) {
                        /* case 3 */
                } else if (len == 6 + lc) {
                        a.has_le = true;
                        a.le = buf[5 + lc] ? buf[5 + lc] : 256;
                } else
                        return -EBADMSG;
                a.data = buf + 5;
                a.lc = lc;
        }
        *ret = a;
        return 0;
}

int resp_sw(struct resp *r, uint16_t sw) {
        r->buf[0] = sw >> 8;
        r->buf[1] = sw & 0xff;
        r->len = 2;
        return 0;
}

int resp_data(struct resp *r, const void *data, size_t n, uint16_t sw) {
        if (n + 2 > sizeof(r->buf))
                return -ENOBUFS;
        if (n)
                memcpy(r->buf, data, n);
        r->buf[n] = sw >> 8;
        r->buf[n + 1] = sw & 0xff;
        r->len = n + 2;
        return 0;
}

int card_set_atr(struct card *c, const struct profile *p, const char *def) {
        int n = profile_get_hex(p, "atr", c->atr, sizeof(c->atr));
        if (n == -ENOENT)
                n = hex_decode(def, c->atr, sizeof(c->atr));
        if (n < 2)
                return n < 0 ? n : -EINVAL;
        c->atr_len = (size_t)n;
        return 0;
}

int card_alloc(size_t size, const struct card_ops *ops, const struct profile *p, const char *def_atr,
               struct card **ret) {
        struct card *c = calloc(1, size);
        int r;
        if (!c)
                return -ENOMEM;
        c->ops = ops;
        if ((r = card_set_atr(c, p, def_atr)) < 0) {
                free(c);
                return r;
        }
        *ret = c;
        return 0;
}

int card_dispatch(struct card *c, const struct card_ins *table, size_t n, const struct apdu *a,
                  struct resp *r) {
        for (size_t i = 0; i < n; i++)
                if (table[i].ins == a->ins)
                        return table[i].run(c, a, r);
        return resp_sw(r, 0x6D00);
}
