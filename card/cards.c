/* card/cards.c: card drivers and identification. */
#include <errno.h>
#include <string.h>

#include "cards.h"
#include "lib/macro.h"

const char *card_kind_name(enum card_kind k) {
        static const char *const names[_CARD_KIND_MAX] = {
                [CARD_NONE] = "none", [CARD_UNKNOWN] = "unknown", [CARD_VITALE] = "vitale", [CARD_CPS] = "cps"};
        return k < _CARD_KIND_MAX ? names[k] : "unknown";
}

/* Selects an application by AID; 0 if the card has it. */
static int select_aid(struct card_io *io, const uint8_t *aid, size_t len) {
        uint8_t cmd[5 + 16], out[256];
        unsigned sw;
        if (len > 16)
                return -EINVAL;
        cmd[0] = 0x00;
        cmd[1] = 0xA4;
        cmd[2] = 0x04;
        cmd[3] = 0x00;
        cmd[4] = (uint8_t)len;
        memcpy(cmd + 5, aid, len);
        int r = cardio_xfer(io, cmd, 5 + len, out, sizeof(out), &sw);
        if (r < 0)
                return r == -ENOBUFS || r == -EPROTO ? -ENOENT : r;
        return sw == 0x9000 ? 0 : -ENOENT;
}

static int vitale_probe(struct card_io *io) {
        static const uint8_t aid[] = {0xD2, 0x50, 0x00, 0x00, 0x02, 0x56, 0x49, 0x54, 0x41, 0x4C, 0x45};
        return select_aid(io, aid, sizeof(aid));
}

static int vitale_read_data(struct card_io *io, union card_data *ret) {
        return vitale_read(io, &ret->vitale);
}

/* CPS3 and CPS4: IAS-ECC application (OpenSC's "CPx IAS"). */
static int cps_iasecc_probe(struct card_io *io) {
        static const uint8_t aid[] = {0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25,
                                      0x00, 0x00, 0x01, 0xFF, 0x00, 0x10};
        return select_aid(io, aid, sizeof(aid));
}

/* A CPS presented as a PIV applet (the lab's simulated CPS). */
static int cps_piv_probe(struct card_io *io) {
        static const uint8_t aid[] = {0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00};
        return select_aid(io, aid, sizeof(aid));
}

static const struct card_driver drivers[] = {
        {"vitale2", CARD_VITALE, vitale_match_atr, vitale_probe, vitale_read_data},
        {"cps-iasecc", CARD_CPS, NULL, cps_iasecc_probe, NULL},
        {"cps-piv", CARD_CPS, NULL, cps_piv_probe, NULL},
};

int cards_identify(const uint8_t *atr, size_t atr_len, struct card_io *io,
                   const struct card_driver **ret_driver, union card_data *ret_data) {
        const struct card_driver *d = NULL;
        int r;

        *ret_driver = NULL;
        for (size_t i = 0; i < ELEMENTSOF(drivers) && !d; i++)
                if (drivers[i].match_atr && drivers[i].match_atr(atr, atr_len))
                        d = &drivers[i];
        for (size_t i = 0; i < ELEMENTSOF(drivers) && !d; i++) {
                if (!drivers[i].probe)
                        continue;
                r = drivers[i].probe(io);
                if (r == 0)
                        d = &drivers[i];
                else if (r != -ENOENT)
                        return r; /* the card left, or the reader failed */
        }
        if (!d)
                return 0;
        *ret_driver = d;
        return d->read ? d->read(io, ret_data) : 0;
}
