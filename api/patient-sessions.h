/* api/patient-sessions.h: the patient's self-service session.
 *
 *   POST /v1/patient-sessions   {"index": n | "nir": "...", "secret": "...",
 *                               "reader": "..."}: the patient's Carte Vitale
 *                               must be inserted and the secret (from the
 *                               opening receipt) must be their dossier's.
 *
 * The session is bound to the calling uid and to that insertion of the
 * Vitale card (it ends when the card leaves); its token goes in the same
 * X-Carnet-Session header as a professional's, and the dossier routes then
 * act as the patient: read their documents (not those held back), deposit
 * in their personal space (class 90), mask and unmask, manage the access
 * list, set their opt-outs, read their trail and notifications, close,
 * reactivate or destroy their dossier. */
#pragma once

#include "http/router.h"

API_HANDLER(res_patient_sessions_post);
