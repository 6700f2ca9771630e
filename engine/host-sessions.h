/* engine/host-sessions.h: the dossier host's challenges and sessions, kept
 * in the store so that every carnet-hostd process on one database serves
 * them (docs/host.md).
 *
 * A challenge is 32 random bytes (64 lower-case hex characters) bound to
 * the workstation that asked for it and valid HOST_CHALLENGE_TTL_S
 * seconds; taking it deletes it in the same statement, so it is good for
 * one session opening only, whichever process sees it.  A host session is
 * stored under the SHA-256 of its token (never the token), bound to the
 * workstation that opened it; its identity, mode and the rest are an
 * opaque text (the API's JSON) the engine does not read.  A session idle
 * longer than the idle limit the caller gives is not found, and is
 * deleted by the next opening.  Times come from the engine's clock.
 *
 * Every function takes the engine's lock; the SQL is the portable subset
 * (?N placeholders, ON CONFLICT, RETURNING) that the PostgreSQL store
 * runs too. */
#pragma once

#include <stdint.h>
#include <stdlib.h>

#include "dossier.h"

#define HOST_CHALLENGE_LEN 64      /* hex characters */
#define HOST_CHALLENGE_TTL_S 60
#define HOST_WORKSTATION_MAX 64    /* a workstation name (TLS CN) and NUL */
#define HOST_TOKEN_LEN 64          /* hex characters */
#define HOST_INFO_MAX 8192         /* the session's info text */

/* Issues a challenge for workstation into ret (NUL-terminated); expired
 * challenges are deleted on the way.  -EINVAL for an empty or too long
 * workstation. */
int host_challenge_issue(struct dossier_engine *e, const char *workstation, char ret[HOST_CHALLENGE_LEN + 1]);

/* Takes (deletes) challenge: 0 when it existed, unexpired, for
 * workstation; -ENOENT when it did not exist (never issued, or taken
 * already: a replay), -ETIME when expired, -EPERM when it was another
 * workstation's (deleted all the same). */
int host_challenge_take(struct dossier_engine *e, const char *challenge, const char *workstation);

struct host_session {
        char session_id[40];
        int kind;
        char workstation[HOST_WORKSTATION_MAX];
        int64_t opened_at, last_used;
        char *info; /* malloc'ed; the caller frees it (host_session_freep) */
};
static inline void host_session_freep(struct host_session *s) {
        free(s->info);
        s->info = NULL;
}

/* Stores a session under sha256(token); sessions idle longer than idle_s
 * are deleted first. */
int host_session_put(struct dossier_engine *e, const char *token, const char *session_id, int kind,
                     const char *workstation, const char *info, unsigned idle_s);

/* Finds the session of token opened by workstation, unused for at most
 * idle_s seconds, and marks it used now.  -ENOENT otherwise (unknown,
 * another workstation's, idle too long). */
int host_session_find(struct dossier_engine *e, const char *token, const char *workstation, unsigned idle_s,
                      struct host_session *ret);

/* Replaces the info text of the session (a mode change).  -ENOENT. */
int host_session_set_info(struct dossier_engine *e, const char *token, const char *workstation, const char *info);

/* Ends the session (logout).  -ENOENT when there was none. */
int host_session_delete(struct dossier_engine *e, const char *token, const char *workstation);
