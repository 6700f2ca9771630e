/* card/tlv.h: a bounded BER-TLV reader for data that comes from cards.
 *
 * Card answers are untrusted: every length is checked against what is left
 * of the buffer (so nothing overruns its parent), tags of one to four
 * bytes (ISO/IEC 8825-1 §8.1.2: 5F20, 9F7F, 1F8101) and definite lengths
 * in short or long form up to four bytes (81 LL, 82 00 LL, 84 00 00 00 LL:
 * ISO 7816-4's length fields of one to five bytes) are accepted,
 * and callers decide how deep they descend, so a hostile card gets an
 * error, never a read past the buffer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLV_TAG_MAX 4 /* bytes of a tag we can hold */
#define TLV_DEPTH_MAX 8 /* nesting tlv_check() follows */


struct tlv {
        unsigned tag;         /* one to four bytes, as on the card: 0x65, 0x5F2F */
        bool constructed;     /* bit 6 of the first tag byte: the value is TLVs */
        const uint8_t *value; /* points into the parsed buffer */
        size_t len;
};

/* Reads the TLV at buf[*off], advances *off past it.  Returns 1 with *ret
 * filled, 0 at the end of the buffer, -EBADMSG when the encoding is
 * truncated, malformed or claims more bytes than there are. */
int tlv_next(const uint8_t *buf, size_t len, size_t *off, struct tlv *ret);

/* Checks that buf is a sequence of TLVs whose constructed ones hold TLVs
 * too, down to depth levels, none overrunning its parent: 0 or -EBADMSG.
 * Used to skip an object we do not read without trusting its inside. */
int tlv_check(const uint8_t *buf, size_t len, unsigned depth);
