/* card/cardio.c: APDU exchange with 61xx/6Cxx handling. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "cardio.h"

#define APDU_MAX 261
/* Exchanges in a row that bring no data (a bare 61xx, a 6Cxx) before the
 * card is taken for one that keeps asking: the loop is otherwise bounded
 * by the caller's buffer, every other round adding at least one byte. */
#define CARDIO_IDLE_MAX 4

/* One exchange: the reply in resp (at least SW1 SW2), its length in *rlen. */
static int exchange(struct card_io *io, const uint8_t *cmd, size_t n, uint8_t resp[CARDIO_RESP_MAX],
                    size_t *rlen) {
        *rlen = 0;
        int r = io->transmit(io->userdata, cmd, n, resp, CARDIO_RESP_MAX, rlen);
        io->apdus++;
        if (r < 0)
                return r;
        if (*rlen < 2)
                return -ENODEV; /* pcscd gives 0 bytes when the card left mid-APDU */
        if (*rlen > CARDIO_RESP_MAX)
                return -EPROTO;
        return 0;
}

/* The class byte of a GET RESPONSE on the command's logical channel (ISO
 * 7816-4 §5.4.1): a further interindustry class (01xx xxxx) numbers
 * channels 4 to 19 in bits 4-1, the first interindustry class channels 0
 * to 3 in bits 2-1; chaining and secure messaging bits are not kept. */
static uint8_t get_response_cla(uint8_t cla) {
        return (cla & 0xC0) == 0x40 ? cla & 0x4F : cla & 0x03;
}

/* Sends the command, then GET RESPONSE (00 C0 00 00 xx, same logical
 * channel) for as long as the card answers 61xx, appending each piece of
 * data (ISO 7816-4 §5.3.4: data with 61xx is the first part of the
 * answer).  6Cxx resends the last command with Le = xx. */
int cardio_xfer(struct card_io *io, const uint8_t *apdu, size_t len, uint8_t *out, size_t outmax,
                unsigned *sw) {
        uint8_t cmd[APDU_MAX], resp[CARDIO_RESP_MAX];
        size_t rlen, n = len, got = 0;
        unsigned idle = 0;

        if (len < 4 || len > sizeof(cmd))
                return -EINVAL;
        memcpy(cmd, apdu, len);
        for (;;) {
                int r = exchange(io, cmd, n, resp, &rlen);
                if (r < 0)
                        return r;
                size_t dl = rlen - 2;
                *sw = (unsigned)resp[dl] << 8 | resp[dl + 1];
                if (resp[dl] == 0x6C) {
                        /* Resend with Le = xx; an APDU without Le (case 1, or
                         * case 3: 5 + Lc bytes) gains one. */
                        bool has_le = n == 5 || (n > 5 && n == 6 + (size_t)cmd[4]);
                        if (!has_le) {
                                if (n >= sizeof(cmd))
                                        return -EPROTO;
                                n++;
                        }
                        cmd[n - 1] = resp[dl + 1];
                        if (++idle >= CARDIO_IDLE_MAX)
                                return -EPROTO;
                        continue;
                }
                if (dl > outmax - got)
                        return -ENOBUFS;
                if (dl)
                        memcpy(out + got, resp, dl);
                got += dl;
                if (resp[dl] != 0x61)
                        return (int)got;
                idle = dl ? 0 : idle + 1;
                if (idle >= CARDIO_IDLE_MAX)
                        return -EPROTO;
                cmd[0] = get_response_cla(apdu[0]);
                cmd[1] = 0xC0;
                cmd[2] = cmd[3] = 0x00;
                cmd[4] = resp[dl + 1];
                n = 5;
        }
}
