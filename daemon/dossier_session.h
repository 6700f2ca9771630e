/* daemon/dossier_session.h: what the API needs of the dossier store that
 * dossier.h does not offer yet, built only on the public store.h, audit.h
 * and access.h functions (the engine's own file is another's work in
 * progress; these may move into dossier.c later).
 *
 * - dossier_info(): a dossier's status and administrative data, with the
 *   access decision (action "list") telling whether the identity traits
 *   may be shown, and a trail entry "read-status" recording it.
 * - dossier_session_audit(): a trail entry (action "open-session", no
 *   dossier, code "allow-card-signature": not an access_decide() code)
 *   linking a card-signed professional session (its id) to the SHA-256 of
 *   its signed record.
 *
 * Like the engine, each runs in one write transaction of its own; the
 * caller holds the engine lock. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "dossier.h"

#define DOSSIER_ACTION_READ_STATUS "read-status"
#define DOSSIER_ACTION_OPEN_SESSION "open-session"

struct dossier_info {
        enum access_dossier_status status;  /* ABSENT when there is no row */
        bool traits_shown;                  /* the decision allowed the traits below */
        char ins_oid[DOSSIER_CODE_MAX];
        char birth_name[DOSSIER_TEXT_MAX];
        char first_names[DOSSIER_TEXT_MAX];
        char birth_date[DOSSIER_CODE_MAX];
        char sex[DOSSIER_CODE_MAX];
        char birth_place[DOSSIER_CODE_MAX];
        int64_t created_at, closed_at, destroyed_at;  /* 0: none */
        bool options_shown;                 /* the patient's own: opt-outs below */
        bool optout_emergency, optout_call_centre, notify;
        struct access_decision decision;    /* of the "list" action */
};

/* Reads ins's row; the status and dates are always given to a session
 * (a professional must know whether to open one), the traits only when
 * access_decide() allows the actor to list the dossier, the options only
 * to the patient. -EINVAL for a bad INS or actor. */
int dossier_info(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                 struct dossier_info *ret);

/* Appends "open-session" for a professional session: actor, session id,
 * and in the reason field "record-sha256:<hex>" of the signed record. */
int dossier_session_audit(struct dossier_engine *e, const char *national_id, const char *session_id,
                          const char *record_sha256_hex);
