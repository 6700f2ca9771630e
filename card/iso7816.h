/* card/iso7816.h: the ISO 7816-4 operations card drivers start from.
 *
 * Like OpenSC's iso7816 driver, iso7816_ops is the base table every card
 * family uses; a family whose card does one operation its own way makes
 * its own struct card_ops listing the base functions and its override.
 * Operations return 0 or a negative errno: the errors of struct card_io
 * (-ENODEV, -EIO, ... see cardio.h) when the exchange failed, or the errno
 * of the card's status word (iso7816_sw_errno) when the card refused. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardio.h"

#define ISO7816_AID_MAX 16

struct card_ops {
        /* SELECT by DF name (AID), P1 = 04, no Le. */
        int (*select_aid)(struct card_io *io, const uint8_t *aid, size_t len);
        /* SELECT by file identifier (3F00 = MF), P1 = 00, no Le. */
        int (*select_fid)(struct card_io *io, uint16_t fid);
        /* READ BINARY of a whole EF named by short id (1 to 30): reads on
         * by offset while the card fills 256 bytes.  Returns 0 with
         * *ret_len set, -ENOENT when the file is not there, -ENOBUFS when
         * it does not fit in size, -EBADMSG for a card that changes its
         * mind mid-file or answers a status word other than 9000 / 6282 /
         * end of file (6B00, or 6A86 past the first READ), -EAGAIN for a transient error (6581, 6F00,
         * 6400) answered twice to the same command, or an error of the
         * exchange.  SELECTs retry a transient error once too. */
        int (*read_binary)(struct card_io *io, uint8_t sfi, uint8_t *buf, size_t size, size_t *ret_len);
};

extern const struct card_ops iso7816_ops;

int iso7816_select_aid(struct card_io *io, const uint8_t *aid, size_t len);
int iso7816_select_fid(struct card_io *io, uint16_t fid);
int iso7816_read_binary(struct card_io *io, uint8_t sfi, uint8_t *buf, size_t size, size_t *ret_len);

/* The errno for a status word: 0 for 9000, -ENOENT for file or
 * application not found (6A82, 6A83, 6986), -EACCES for security status
 * (6982, 63Cx), -EOPNOTSUPP for an unknown instruction or class (6D00,
 * 6E00, 6A81), ..., -EREMOTEIO for any other.  Never one of the errors of
 * the exchange itself, so callers can tell "the card said no" apart. */
int iso7816_sw_errno(unsigned sw);
/* What the status word means, for people ("file or application not found"). */
const char *iso7816_sw_text(unsigned sw);
/* True for a transient execution error (6400, 6581 memory failure, 6F00
 * no precise diagnosis; errno -EAGAIN): SELECT and READ BINARY send the
 * command once more before giving up. */
bool iso7816_transient(unsigned sw);
/* True when err came from a status word (the card answered and refused). */
bool iso7816_refused(int err);
