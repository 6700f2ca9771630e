/* card/tlv.h: a bounded BER-TLV reader for data that comes from cards.
 *
 * Card answers are untrusted: every length is checked against what is left
 * of the buffer, only one- and two-byte tags and definite lengths of up to
 * three bytes are accepted, and callers decide how deep they descend, so a
 * hostile card gets an error, never a read past the buffer. */
#pragma once

#include <stddef.h>
#include <stdint.h>


struct tlv {
        unsigned tag;         /* one or two bytes, as on the card: 0x65, 0x5F2F */
        const uint8_t *value; /* points into the parsed buffer */
        size_t len;
};

/* Reads the TLV at buf[*off], advances *off past it.  Returns 1 with *ret
 * filled, 0 at the end of the buffer, -EBADMSG when the encoding is
 * truncated, malformed or claims more bytes than there are. */
int tlv_next(const uint8_t *buf, size_t len, size_t *off, struct tlv *ret);
