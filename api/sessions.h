/* api/sessions.h: professional sessions over the API.
 *
 *   POST   /v1/sessions          open one on a CPS card: {"pin": "...",
 *                                "reader": "..."} (no pin: the reader's PIN pad)
 *   GET    /v1/sessions/current  the session named by the X-Carnet-Session header
 *   DELETE /v1/sessions/{id}     log out (the uid that opened it only)
 *   PUT    /v1/sessions/current/mode  the access mode of a professional
 *                                session: {"mode": "normal" | "emergency" |
 *                                "call_centre", "reason": "..."}
 *
 * Other handlers call res_session_require() (professional sessions only)
 * or res_actor_require() (any session, turned into the engine's actor). */
#pragma once

#include "http/router.h"
#include "engine/dossier.h"
#include "session/session.h"

/* The live professional session of the X-Carnet-Session token for the
 * calling uid.  Otherwise fills err with 401 no_session (403
 * professional_only for a patient session) and returns -ENOENT. */
int res_session_require(const struct api_request *req, struct session_info *ret, struct api_reply *err);
/* The same for any session, professional or patient. */
int res_session_any(const struct api_request *req, struct session_info *ret, struct api_reply *err);

/* Who is calling, as the dossier engine sees them: the session and the
 * actor built from it (whose strings point into si). */
struct res_actor {
        struct session_info si;
        struct dossier_actor a;
};

/* The caller's session as an actor: a professional (national id,
 * profession, specialty, names, card type, the session's mode and reason,
 * the session id) or a patient (their INS).  Fills err (401, 503) and
 * returns a negative errno when there is no session. */
int res_actor_require(const struct api_request *req, struct res_actor *ret, struct api_reply *err);
/* Fills ra->a from ra->si (exposed for tests). */
void res_actor_from_session(struct res_actor *ra);
/* Tests only: every res_actor_require() then yields a copy of *a (with
 * session id "test") instead of looking a session up; NULL ends it. */
void res_actor_test_override(const struct dossier_actor *a);

/* The card type of a session as access.h's enum; an unknown type counts
 * as CPA, which may not read documents. */
enum access_card res_card_of(enum p11_card_type t);

/* The public view of a session (no token, no record). */
json_t *res_session_json(const struct session_info *si);

int res_sessions_post(const struct api_request *req, struct api_reply *ret);
int res_sessions_current(const struct api_request *req, struct api_reply *ret);
int res_sessions_delete(const struct api_request *req, struct api_reply *ret);
int res_sessions_mode_put(const struct api_request *req, struct api_reply *ret);
