/* card/cardio.h: exchanging APDUs with a card, whatever carries them.
 *
 * Card drivers talk to a struct card_io, not to PC/SC: the monitor binds
 * it to SCardTransmit, unit tests bind it to a scripted card.  cardio_xfer
 * follows 61xx (GET RESPONSE) and 6Cxx (resend with the right Le) and
 * treats a reply shorter than a status word as a card that left.  The
 * ISO 7816-4 commands built on it are in iso7816.h; docs/card-io.md. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define CARDIO_RESP_MAX 258 /* 256 data bytes + SW1 SW2 */

struct card_io {
        /* Sends apdu, fills resp (up to resp_max) and *resp_len.  Returns 0,
         * -ENODEV when the card is gone, -EIO on another transport error. */
        int (*transmit)(void *userdata, const uint8_t *apdu, size_t len, uint8_t *resp,
                        size_t resp_max, size_t *resp_len);
        void *userdata;
        unsigned apdus; /* exchanges so far, for benchmarks */
};

/* Sends a short APDU; copies the answer's data (without SW) to out (up to
 * outmax) and sets *sw.  A 61xx answer is followed by GET RESPONSE for as
 * many rounds as the card asks, the pieces appended: the bound is outmax,
 * not a count of rounds.  Returns the data length, -ENODEV when the card
 * is gone, -EPROTO for a card that keeps asking without giving (four
 * exchanges in a row without data: bare 61xx, 6Cxx), -ENOBUFS when the
 * data does not fit. */
int cardio_xfer(struct card_io *io, const uint8_t *apdu, size_t len, uint8_t *out, size_t outmax,
                unsigned *sw);
