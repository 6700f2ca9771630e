/* card/tlv.c: BER-TLV reading with every length checked. */
#include <errno.h>

#include "tlv.h"

int tlv_next(const uint8_t *buf, size_t len, size_t *off, struct tlv *ret) {
        size_t p = *off;
        unsigned tag;
        size_t l;

        if (p >= len)
                return 0;
        /* Padding bytes 00 and FF between objects are allowed by ISO 7816-4. */
        while (p < len && (buf[p] == 0x00 || buf[p] == 0xFF))
                p++;
        if (p >= len) {
                *off = p;
                return 0;
        }
        tag = buf[p++];
        if ((tag & 0x1F) == 0x1F) { /* two-byte tag */
                if (p >= len || (buf[p] & 0x80))
                        return -EBADMSG; /* truncated, or a tag longer than two bytes */
                tag = tag << 8 | buf[p++];
        }
        if (p >= len)
                return -EBADMSG;
        l = buf[p++];
        if (l & 0x80) {
                unsigned n = l & 0x7F;
                if (n == 0 || n > 3 || n > len - p)
                        return -EBADMSG; /* indefinite, too long, or truncated */
                l = 0;
                while (n--)
                        l = l << 8 | buf[p++];
        }
        if (l > len - p)
                return -EBADMSG;
        ret->tag = tag;
        ret->value = buf + p;
        ret->len = l;
        *off = p + l;
        return 1;
}
