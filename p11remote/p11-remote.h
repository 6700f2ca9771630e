/* p11remote/p11-remote.h: how carnetd reaches its PKCS#11 helper.
 *
 * carnetd links p11-client.c in place of pkcs11/p11-module.c and
 * pkcs11/p11-card.c: the same p11_module_* and p11_card_* calls, answered
 * by carnet-p11-helper over a socketpair (p11-wire.h), so the module is
 * never loaded into carnetd.  The helper is started by the first
 * p11_module_open*() and again by the first call after it died or stopped
 * answering; the card handles it held then fail with the code
 * "pkcs11_helper_failed" (errno -ECONNRESET).
 *
 * With a socket set (systemd's carnet-p11-helper.socket, Accept=yes), the
 * client connects to it instead of starting the helper: each connection is
 * a fresh helper, run by systemd as its own user; a failed helper is a
 * closed connection and the next call connects again. */
#pragma once

#include <limits.h>

#define P11_REMOTE_HELPER_NAME "carnet-p11-helper"
#define P11_REMOTE_DEFAULT_USER "nobody"
#define P11_REMOTE_DEFAULT_TIMEOUT_S 10
#define P11_REMOTE_DEFAULT_PINPAD_TIMEOUT_S 120
#define P11_REMOTE_FAILED_CODE "pkcs11_helper_failed"

struct p11_remote_config {
        char helper[PATH_MAX]; /* empty: carnet-p11-helper beside the running program */
        char user[64];         /* the helper's user when started as root; empty: keep root */
        char socket[108];      /* set: connect there rather than start the helper */
        unsigned timeout_s;    /* an answer, PIN pad login and signature excepted */
        unsigned pinpad_timeout_s;
};

void p11_remote_defaults(struct p11_remote_config *c);
/* Sets what the next start of the helper uses. */
void p11_remote_configure(const struct p11_remote_config *c);
void p11_remote_get(struct p11_remote_config *ret);
