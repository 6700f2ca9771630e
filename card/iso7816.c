/* card/iso7816.c: ISO 7816-4 SELECT and READ BINARY, status words. */
#include <errno.h>
#include <string.h>

#include "iso7816.h"
#include "lib/macro.h"

static const struct {
        unsigned sw, mask;
        int err;
        const char *text;
} sw_table[] = {
        {0x9000, 0xFFFF, 0, "success"},
        {0x6282, 0xFFFF, -ENODATA, "end of file reached before Le bytes"},
        {0x63C0, 0xFFF0, -EACCES, "verification failed, tries left in the last digit"},
        {0x6400, 0xFFFF, -EAGAIN, "execution error, memory unchanged"},
        {0x6581, 0xFFFF, -EAGAIN, "memory failure"},
        {0x6700, 0xFFFF, -EMSGSIZE, "wrong length"},
        {0x6982, 0xFFFF, -EACCES, "security status not satisfied"},
        {0x6983, 0xFFFF, -EPERM, "authentication method blocked"},
        {0x6985, 0xFFFF, -EPERM, "conditions of use not satisfied"},
        {0x6986, 0xFFFF, -ENOENT, "command not allowed (no current EF)"},
        {0x6A81, 0xFFFF, -EOPNOTSUPP, "function not supported"},
        {0x6A82, 0xFFFF, -ENOENT, "file or application not found"},
        {0x6A83, 0xFFFF, -ENOENT, "record not found"},
        {0x6A88, 0xFFFF, -ENODATA, "referenced data not found"},
        {0x6B00, 0xFFFF, -ERANGE, "wrong parameters (offset outside the EF)"},
        {0x6D00, 0xFFFF, -EOPNOTSUPP, "instruction not supported"},
        {0x6E00, 0xFFFF, -EOPNOTSUPP, "class not supported"},
        {0x6F00, 0xFFFF, -EAGAIN, "no precise diagnosis"},
};

static size_t sw_find(unsigned sw) {
        for (size_t i = 0; i < ELEMENTSOF(sw_table); i++)
                if ((sw & sw_table[i].mask) == sw_table[i].sw)
                        return i;
        return ELEMENTSOF(sw_table);
}

int iso7816_sw_errno(unsigned sw) {
        size_t i = sw_find(sw);
        return i < ELEMENTSOF(sw_table) ? sw_table[i].err : -EREMOTEIO;
}

const char *iso7816_sw_text(unsigned sw) {
        size_t i = sw_find(sw);
        return i < ELEMENTSOF(sw_table) ? sw_table[i].text : "unexpected status word";
}

bool iso7816_refused(int err) {
        if (err >= 0)
                return false;
        if (err == -EREMOTEIO)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(sw_table); i++)
                if (sw_table[i].err == err)
                        return true;
        return false;
}

bool iso7816_transient(unsigned sw) {
        return iso7816_sw_errno(sw) == -EAGAIN;
}

/* cardio_xfer, sent once more when the card answers a transient error
 * (6400, 6581, 6F00): a weak contact or a slow EEPROM often succeeds the
 * second time.  A second transient answer stays in *sw for the caller. */
static int xfer_retry(struct card_io *io, const uint8_t *cmd, size_t len, uint8_t *out, size_t outmax,
                      unsigned *sw) {
        int r = cardio_xfer(io, cmd, len, out, outmax, sw);
        if (r >= 0 && iso7816_transient(*sw))
                r = cardio_xfer(io, cmd, len, out, outmax, sw);
        return r;
}

/* Sends a SELECT with P1 and the given data (no Le); the FCI is dropped.
 * 6284, "FCI not formatted according to ISO 7816-4 5.3.3", is a SELECT
 * that succeeded with a warning (62xx: processed, memory unchanged): the
 * file is selected, and its FCI, which carnet does not read, is the
 * card's own.  The other warnings about the file selected (6283
 * deactivated, 6285 in termination state) stay refusals: it cannot be
 * used. */
static int select_by(struct card_io *io, uint8_t p1, const uint8_t *data, size_t len) {
        uint8_t cmd[5 + ISO7816_AID_MAX], fci[CARDIO_RESP_MAX];
        unsigned sw;
        if (len > ISO7816_AID_MAX)
                return -EINVAL;
        cmd[0] = 0x00;
        cmd[1] = 0xA4;
        cmd[2] = p1;
        cmd[3] = 0x00;
        cmd[4] = (uint8_t)len;
        memcpy(cmd + 5, data, len);
        int r = xfer_retry(io, cmd, 5 + len, fci, sizeof(fci), &sw);
        return r < 0 ? r : sw == 0x6284 ? 0 : iso7816_sw_errno(sw);
}

int iso7816_select_aid(struct card_io *io, const uint8_t *aid, size_t len) {
        return select_by(io, 0x04, aid, len);
}

int iso7816_select_fid(struct card_io *io, uint16_t fid) {
        const uint8_t id[2] = {(uint8_t)(fid >> 8), (uint8_t)(fid & 0xFF)};
        return select_by(io, 0x00, id, sizeof(id));
}

int iso7816_read_binary(struct card_io *io, uint8_t sfi, uint8_t *buf, size_t size, size_t *ret_len) {
        size_t off = 0;
        unsigned sw;
        if (sfi == 0 || sfi > 30)
                return -EINVAL;
        for (;;) {
                /* the first READ names the file by short id, later ones read on by offset */
                uint8_t cmd[5] = {0x00, 0xB0, (uint8_t)(0x80 | sfi), 0x00, 0x00};
                if (off > 0) {
                        if (off > 0x7FFF)
                                return -ENOBUFS; /* past what P1-P2 can address */
                        cmd[2] = (uint8_t)(off >> 8);
                        cmd[3] = (uint8_t)(off & 0xFF);
                }
                /* up to the buffer's end: a card may hand one READ's answer
                 * out in many GET RESPONSE pieces.  A full buffer still asks
                 * once more, with no room: the end of the file (6B00, 6282,
                 * no data) means it fitted, any data -ENOBUFS. */
                int n = xfer_retry(io, cmd, sizeof(cmd), buf + off, size - off, &sw);
                if (n < 0)
                        return n;
                /* end of file: 6B00, 6282 without data, or past the first
                 * READ, where P1-P2 is only the offset, 6A86 (incorrect P1-P2) */
                if (sw == 0x6B00 || (sw == 0x6A86 && off > 0) || (sw == 0x6282 && n == 0))
                        break;
                int r = iso7816_sw_errno(sw);
                if (r == -ENOENT)
                        return off ? -EBADMSG : -ENOENT;
                if (r == -EAGAIN)
                        return r; /* transient twice: unreadable, not malformed */
                if (sw != 0x9000 && sw != 0x6282)
                        return -EBADMSG;
                off += (size_t)n;
                if (n < 256 || sw == 0x6282)
                        break;
        }
        *ret_len = off;
        return 0;
}

const struct card_ops iso7816_ops = {
        .select_aid = iso7816_select_aid,
        .select_fid = iso7816_select_fid,
        .read_binary = iso7816_read_binary,
};
