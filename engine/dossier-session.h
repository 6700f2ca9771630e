/* engine/dossier-session.h: the trail entry of a card-signed session.
 *
 * dossier_session_audit() appends an entry (action "open-session", no
 * dossier, code "allow-card-signature": not an access_decide() code)
 * linking a professional session (its id) to the SHA-256 of the record the
 * card signed.  Built on the public store.h and audit.h functions; runs in
 * one write transaction of its own, under the engine lock, which it
 * takes itself. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "dossier.h"

#define DOSSIER_ACTION_OPEN_SESSION "open-session"

/* Appends "open-session" for a professional session: actor, session id,
 * the session's establishment (NULL or "": none; docs/rules.md §7: the
 * workstation's trail names the user and the establishment), the
 * workstation it was opened through on a dossier host (NULL or "": none,
 * carnetd's own engine), and in the reason field "record-sha256:<hex>"
 * of the signed record.  -EINVAL for an establishment or a workstation
 * that is not valid text (dossier_text_check()). */
int dossier_session_audit(struct dossier_engine *e, const char *national_id, const char *session_id,
                          const char *establishment, const char *workstation, const char *record_sha256_hex);

/* Appends the refusal of a session opening to the trail: action
 * "open-session", outcome "deny", code "deny-" + why (a trust code such
 * as "revoked"), reason "cert-sha256:<hex>" of the refused certificate,
 * no session, no dossier, no establishment (no session has one).  The
 * actor is the professional national_id when the certificate's chain
 * verified; national_id NULL: actor kind "unverified" and no actor (a
 * certificate that leads to no anchor may name anyone).  -EINVAL for a
 * fingerprint that is not 64 lower-case hex characters. */
int dossier_session_refused(struct dossier_engine *e, const char *national_id, const char *cert_sha256_hex,
                            const char *why);
