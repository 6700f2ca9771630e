/* card/cardio.c: APDU exchange with 61xx/6Cxx handling. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "cardio.h"

#define APDU_MAX 261

int cardio_xfer(struct card_io *io, const uint8_t *apdu, size_t len, uint8_t *out, size_t outmax,
                unsigned *sw) {
        uint8_t cmd[APDU_MAX], resp[CARDIO_RESP_MAX];
        size_t rlen, n = len;

        if (len < 4 || len > sizeof(cmd))
                return -EINVAL;
        memcpy(cmd, apdu, len);
        /* A well-behaved card needs at most one extra exchange; allow a few. */
        for (int round = 0; round < 4; round++) {
                rlen = 0;
                int r = io->transmit(io->userdata, cmd, n, resp, sizeof(resp), &rlen);
                io->apdus++;
                if (r < 0)
                        return r;
                if (rlen < 2)
                        return -ENODEV; /* pcscd gives 0 bytes when the card left mid-APDU */
                if (rlen > sizeof(resp))
                        return -EPROTO;
                *sw = (unsigned)resp[rlen - 2] << 8 | resp[rlen - 1];
                if (resp[rlen - 2] == 0x61) {
                        static const uint8_t gr[4] = {0x00, 0xC0, 0x00, 0x00};
                        memcpy(cmd, gr, 4);
                        cmd[0] = apdu[0] & 0x03; /* keep the logical channel */
                        cmd[4] = resp[rlen - 1];
                        n = 5;
                        continue;
                }
                if (resp[rlen - 2] == 0x6C) {
                        /* Resend with Le = xx; an APDU without Le (case 1, or
                         * case 3: 5 + Lc bytes) gains one. */
                        bool has_le = n == 5 || (n > 5 && n == 6 + (size_t)cmd[4]);
                        if (!has_le) {
                                if (n >= sizeof(cmd))
                                        return -EPROTO;
                                n++;
                        }
                        cmd[n - 1] = resp[rlen - 1];
                        continue;
                }
                if (rlen - 2 > outmax)
                        return -ENOBUFS;
                if (rlen > 2)
                        memcpy(out, resp, rlen - 2);
                return (int)(rlen - 2);
        }
        return -EPROTO;
}
