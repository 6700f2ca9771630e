/* card/tlv.c: BER-TLV reading with every length checked. */
#include <errno.h>

#include "tlv.h"

/* Reads the tag at buf[*p] (ISO/IEC 8825-1 §8.1.2): one byte, or 1F-form
 * followed by bytes with bit 8 set but the last, up to TLV_TAG_MAX bytes. */
static int tag_read(const uint8_t *buf, size_t len, size_t *p, unsigned *ret) {
        unsigned tag = buf[(*p)++];
        if ((tag & 0x1F) == 0x1F) {
                for (unsigned n = 1;; n++) {
                        if (*p >= len || n >= TLV_TAG_MAX)
                                return -EBADMSG; /* truncated, or longer than we can hold */
                        if (n == 1 && (buf[*p] & 0x7F) == 0)
                                return -EBADMSG; /* §8.1.2.4.2 c: bits 7-1 of the first not all zero */
                        tag = tag << 8 | buf[*p];
                        if (!(buf[(*p)++] & 0x80))
                                break;
                }
        }
        *ret = tag;
        return 0;
}

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
        bool constructed = buf[p] & 0x20;
        if (tag_read(buf, len, &p, &tag) < 0 || p >= len)
                return -EBADMSG;
        l = buf[p++];
        if (l & 0x80) {
                /* ISO 7816-4 length fields are one to five bytes: 81 to 84
                 * and that many bytes; 80 (indefinite) and 85-FF are invalid */
                unsigned n = l & 0x7F;
                if (n == 0 || n > 4 || n > len - p)
                        return -EBADMSG; /* indefinite, too long, or truncated */
                l = 0;
                while (n--)
                        l = l << 8 | buf[p++];
        }
        if (l > len - p)
                return -EBADMSG;
        ret->tag = tag;
        ret->constructed = constructed;
        ret->value = buf + p;
        ret->len = l;
        *off = p + l;
        return 1;
}

int tlv_check(const uint8_t *buf, size_t len, unsigned depth) {
        size_t off = 0;
        struct tlv t;
        int r;
        while ((r = tlv_next(buf, len, &off, &t)) > 0)
                if (t.constructed) {
                        if (depth == 0)
                                return -EBADMSG;
                        if ((r = tlv_check(t.value, t.len, depth - 1)) < 0)
                                return r;
                }
        return r;
}
