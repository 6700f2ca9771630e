/* api/host-routes.h: the routes the dossier host (carnet-hostd) serves.
 *
 * Every route of routes.c that needs the engine, taken from that table
 * at the first call (the same handlers and summaries; the patient routes
 * lose their need of carnetd's session manager, /v1/audit/verify its
 * root exception)
 * (no readers, Vitale, events or /v1/sessions: the cards are on the
 * workstations), GET /v1/status and /v1/openapi.json, and the host's own
 * /v1/host/... (host-sessions.h).  The table's invoke hook hands the
 * handlers a context that knows the calling workstation (its TLS CN):
 * the host's find_session looks sessions up in the store by token and
 * workstation.  A request without a workstation (never on carnet-hostd's
 * TLS listener) gets 403 workstation_refused. */
#pragma once

#include "http/router.h"

/* The table; the server's api_context must be the ctx of a struct
 * api_host (host-sessions.h). */
const struct api_table *api_host_table(void);
const struct api_route *api_host_routes(size_t *n);
