/* engine/dossier-host.h: the dossier host's refusals in the trail.
 *
 * carnet-hostd refuses workstations (no client certificate of its CA) and
 * session openings (a forged or replayed record) before any dossier is
 * concerned; dossier_host_refused() appends such a refusal to the trail,
 * with no dossier and no session, in a write transaction of its own,
 * under the engine's lock (docs/host.md).  Built on the public store.h
 * and audit.h functions, like dossier-session.h. */
#pragma once

#include "dossier.h"

/* Appends a host refusal that concerns no dossier to the trail: actor
 * kind (e.g. "workstation", "professional"), actor ("" for none), action
 * ("host-connect", "host-session"), outcome "deny", code (e.g.
 * "untrusted-workstation"), the workstation named in the reason field as
 * "workstation:<name>" (until the trail has a workstation column). */
int dossier_host_refused(struct dossier_engine *e, const char *actor_kind, const char *actor,
                         const char *workstation, const char *action, const char *code);
