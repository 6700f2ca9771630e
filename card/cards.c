/* card/cards.c: the driver table and identification. */
#include <errno.h>
#include <string.h>

#include "cards.h"
#include "lib/macro.h"

const char *card_kind_name(enum card_kind k) {
        static const char *const names[_CARD_KIND_MAX] = {
                [CARD_NONE] = "none", [CARD_UNKNOWN] = "unknown", [CARD_VITALE] = "vitale", [CARD_CPS] = "cps"};
        return k < _CARD_KIND_MAX ? names[k] : "unknown";
}

const char *card_error_code(int err) {
        switch (err) {
        case -ENODEV:
                return "card_removed";
        case -EBADMSG:
                return "card_malformed";
        case -ENOENT:
        case -EAGAIN: /* a transient error (6581, 6F00, 6400) twice */
                return "card_unreadable";
        case -EBUSY:
                return "card_busy";
        case -EUCLEAN: /* identity and NIR files list different numbers of persons */
                return "card_inconsistent";
        default:
                return "card_error";
        }
}

/* What a probe's SELECT says: whatever the card answers other than
 * success, a babbling answer included, means "not ours"; an exchange that
 * failed (card gone, reader error) is returned. */
static int probe_answer(int r) {
        if (r == -ENOBUFS || r == -EPROTO || iso7816_refused(r))
                return -ENOENT;
        return r < 0 ? r : 0;
}

/* The default probe: SELECT the family's application. */
static int probe_aid(const struct card_driver *d, struct card_io *io) {
        if (!d->aid)
                return -ENOENT; /* a family told by its ATR only */
        return probe_answer(d->ops->select_aid(io, d->aid, d->aid_len));
}

/* A Vitale answers VITALE, or else MF_VITALE (vitale_select_app). */
static int vitale_probe(const struct card_driver *d, struct card_io *io) {
        return probe_answer(vitale_select_app(d->ops, io));
}

static int vitale_read_data(const struct card_ops *ops, struct card_io *io, union card_data *ret) {
        return vitale_read_ops(ops, io, &ret->vitale);
}

/* CPS3 and CPS4: IAS-ECC application (OpenSC's "CPx IAS"). */
static const uint8_t aid_cps_iasecc[] = {0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25,
                                         0x00, 0x00, 0x01, 0xFF, 0x00, 0x10};
/* A CPS presented as a PIV applet (the lab's simulated CPS). */
static const uint8_t aid_cps_piv[] = {0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00};

#define AID(a) .aid = (a), .aid_len = sizeof(a)

/* The one list of card families, probed in this order. */
static const struct card_driver drivers[] = {
        {.name = "vitale2", .kind = CARD_VITALE, .ops = &iso7816_ops, AID(vitale_aid),
         .match_atr = vitale_match_atr, .probe = vitale_probe, .read = vitale_read_data},
        {.name = "cps-iasecc", .kind = CARD_CPS, .ops = &iso7816_ops, AID(aid_cps_iasecc)},
        {.name = "cps-piv", .kind = CARD_CPS, .ops = &iso7816_ops, AID(aid_cps_piv)},
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
                r = drivers[i].probe ? drivers[i].probe(&drivers[i], io) : probe_aid(&drivers[i], io);
                if (r == 0)
                        d = &drivers[i];
                else if (r != -ENOENT)
                        return r; /* the card left, or the reader failed */
        }
        if (!d)
                return 0;
        *ret_driver = d;
        return d->read ? d->read(d->ops, io, ret_data) : 0;
}
