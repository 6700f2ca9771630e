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
 * The other resources learn who calls from the route table (call.h). */
#pragma once

#include "http/router.h"
#include "session/session.h"

/* The public view of a session (no token, no record). */
json_t *res_session_json(const struct session_info *si);

API_HANDLER(res_sessions_post);
API_HANDLER(res_sessions_current);
API_HANDLER(res_sessions_delete);
API_HANDLER(res_sessions_mode_put);

/* The body of PUT .../sessions/current/mode ({"mode", "reason",
 * "practice"}), checked: an emergency needs a stated reason; *ret_reason
 * (pointing into body) is NULL when none applies.  Returns 0, or -EINVAL
 * with *ret filled (400 bad_field / reason_required).  The dossier host's
 * PUT /v1/host/sessions/current/mode uses it too. */
int res_session_mode_parse(const json_t *body, enum session_mode *ret_mode, enum session_practice *ret_practice,
                           const char **ret_reason, struct api_reply *ret);
