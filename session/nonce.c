/* session/nonce.c: the nonce of a session record (nonce.h). */
#include <errno.h>
#include <openssl/rand.h>
#include <string.h>

#include "lib/macro.h"
#include "nonce.h"

int session_nonce(const struct session_config *cfg, char nonce[SESSION_NONCE_MAX], const char **ret_code) {
        uint8_t b[16];
        if (!cfg->nonce) {
                if (RAND_bytes(b, sizeof(b)) != 1)
                        return *ret_code = "internal", -EIO;
                hex_encode(b, sizeof(b), nonce);
                return 0;
        }
        nonce[0] = '\0';
        int r = cfg->nonce(cfg->nonce_userdata, nonce);
        if (r >= 0 && (!memchr(nonce, '\0', SESSION_NONCE_MAX) || !nonce[0]))
                r = -EBADMSG;
        if (r >= 0)
                return 0;
        *ret_code = r == -EHOSTUNREACH ? "host_unreachable"
                    : r == -ETIMEDOUT  ? "host_timeout"
                    : r == -EBADMSG    ? "host_bad_reply"
                    : r == -EACCES     ? "workstation_refused"
                                       : "nonce_unavailable";
        return r;
}
