/* api/host-sessions.h: the dossier host's own resources (carnet-hostd,
 * docs/host.md) and what it puts in the API context.
 *
 *   POST   /v1/host/challenges             a fresh challenge for the
 *                                          calling workstation (60 s, once)
 *   POST   /v1/host/sessions               {"record", "signature",
 *                                          "certificate"}: a professional
 *                                          session from a record the CPS
 *                                          card signed, verified here
 *   GET    /v1/host/sessions/current       the caller's host session
 *   PUT    /v1/host/sessions/current/mode  as PUT /v1/sessions/current/mode
 *   DELETE /v1/host/sessions/current       log out
 *
 * Host sessions live in the store (engine/host-sessions.h), under the
 * SHA-256 of their token, bound to the workstation (TLS CN) that opened
 * them: any carnet-hostd process on the database finds them, another
 * workstation does not.  Every refusal of a session opening is 403
 * session_refused with details.reason, and traced. */
#pragma once

#include <pthread.h>

#include "context.h"
#include "http/router.h"
#include "pkcs11/p11-identity.h"
#include "session/trust.h"

struct api_host {
        struct api_context ctx;     /* what the route table serves with */
        struct trust_store *trust;  /* the CPS anchors and CRLs; NULL: every card refused */
        pthread_mutex_t trust_lock; /* CRL refresh and verification */
        const struct p11_map *map;  /* certificate -> identity; NULL: the default */
        unsigned idle_s;            /* host sessions idle this long end */
};

/* Fills h->ctx's host hooks (find_session, vitale_in_body,
 * open_patient_session) and the lock; the caller sets the engine, trust,
 * map and idle_s.  api_host_done() destroys the lock (not the trust). */
void api_host_init(struct api_host *h);
void api_host_done(struct api_host *h);

/* The request's view of the host: the context handed to the handlers of
 * one request, with the calling workstation (api_host_invoke, in
 * host-routes.c, builds it). */
struct api_host_call {
        struct api_context ctx;
        const struct api_host *host;
        const char *workstation;
};
const struct api_host_call *api_host_call_of(const struct api_context *ctx);

API_HANDLER(res_host_challenges_post);
API_HANDLER(res_host_sessions_post);
API_HANDLER(res_host_session_mode_put);
API_HANDLER(res_host_session_delete);
