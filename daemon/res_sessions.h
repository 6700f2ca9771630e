/* daemon/res_sessions.h: professional sessions over the API.
 *
 *   POST   /v1/sessions          open one on a CPS card: {"pin": "...",
 *                                "reader": "..."} (no pin: the reader's PIN pad)
 *   GET    /v1/sessions/current  the session named by the X-Carnet-Session header
 *   DELETE /v1/sessions/{id}     log out (the uid that opened it only)
 *
 * Other handlers call res_session_require() to find the caller's session. */
#pragma once

#include "api.h"
#include "session.h"

/* The live session of the X-Carnet-Session token for the calling uid.
 * Otherwise fills err with 401 no_session and returns -ENOENT. */
int res_session_require(const struct api_request *req, struct session_info *ret, struct api_reply *err);

/* The public view of a session (no token, no record). */
json_t *res_session_json(const struct session_info *si);

int res_sessions_post(const struct api_request *req, struct api_reply *ret);
int res_sessions_current(const struct api_request *req, struct api_reply *ret);
int res_sessions_delete(const struct api_request *req, struct api_reply *ret);
