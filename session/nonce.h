/* session/nonce.h: the nonce of a professional session's record.
 *
 * Random (16 bytes, in hex) unless the configuration gives a hook
 * (session_config.nonce): an agent of a dossier host takes the host's
 * challenge there, so that the signed record proves the card was present
 * for that host's request (docs/agent.md). */
#pragma once

#include "session.h"

/* Fills nonce (NUL-terminated, at most SESSION_NONCE_MAX bytes).  On
 * failure a negative errno and *ret_code, the stable code of the opening's
 * error: host_unreachable, host_timeout, host_bad_reply, workstation_refused
 * (the hook's -EHOSTUNREACH, -ETIMEDOUT, -EBADMSG, -EACCES), nonce_unavailable,
 * internal. */
int session_nonce(const struct session_config *cfg, char nonce[SESSION_NONCE_MAX], const char **ret_code);
