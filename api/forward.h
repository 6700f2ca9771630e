/* api/forward.h: carnetd as the agent of a dossier host (docs/agent.md).
 *
 * In agent mode (api_context.agent set) api_invoke() resolves the local
 * caller as always (401, 403 here), then, for a route that needs the
 * engine, hands the request to api_agent_call() instead of the handler:
 * the request goes to the host with the caller's host token, and the
 * host's reply (status, JSON or content) comes back as it is.  The routes
 * that read a Carte Vitale read it here and send the host the person
 * instead ("vitale"); a patient session is opened on both sides.  A host
 * that cannot be reached, does not answer in time or answers garbage is
 * 503 host_unreachable, host_timeout, host_bad_reply. */
#pragma once

#include "agent/agent.h"
#include "http/router.h"
#include "session/session.h"

/* Runs route in agent mode; req->call holds the resolved caller. */
int api_agent_call(const struct api_route *route, const struct api_request *req, struct api_reply *ret);

/* 503 with the stable code of agent error err; 0 or -ENOMEM. */
int api_agent_fail(struct api_reply *ret, int err);

/* The host's reply as the local one (rep is consumed): JSON with its
 * status, or a body of another type as content, or a 304 without a body;
 * with the host's X-Carnet-Warning, ETag, Last-Modified (not on a 304)
 * and Vary. */
int api_relay(struct api_reply *ret, struct agent_reply *rep);

/* The host token of local session id into tok: 0, or 401 no_session in
 * *ret (-ENOENT). */
int api_host_token(const struct api_request *req, const char *id, char tok[SESSION_HOST_TOKEN_LEN + 1],
                   struct api_reply *ret);

/* After a reply of the host to a call made with local session id's host
 * token: when it is 401 no_session (the host no longer knows the session:
 * idle past its session_idle_s, or ended there), the local session ends
 * too (sessions_host_ended(), reported "host_session_ended") and *ret
 * becomes a 401 no_session that says to log in again: 1.  0 when the
 * reply is another (*ret untouched); -ENOMEM. */
int api_host_forgot(const struct api_request *req, const char *id, struct api_reply *ret);

/* Opens the host's side of the professional session si has just opened
 * locally (record, signature, certificate); 0 with the host token stored
 * with the session, or the host's refusal / 503 in *ret (-EPERM), the
 * local session then closed again. */
int api_host_session_open(const struct api_request *req, const struct session_info *si, struct api_reply *ret);
