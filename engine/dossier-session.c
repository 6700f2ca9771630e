/* engine/dossier-session.c: session records in the trail; see
 * dossier-session.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dossier-internal.h"
#include "dossier-session.h"
#include "lib/macro.h"

/* The actor kind of a refused certificate that leads to no anchor. */
#define ACTOR_UNVERIFIED "unverified"

/* Appends one open-session entry in a write transaction of its own; a
 * professional's, or an unverified card's (national_id NULL). */
static int session_entry(struct dossier_engine *e, const char *national_id, const char *session_id,
                         const char *establishment, const char *workstation, const char *reason, const char *outcome,
                         const char *code) {
        struct audit_entry ae = {
                .at = de_now_of(e),
                .actor_kind = national_id ? access_actor_kind_name(ACCESS_ACTOR_PROFESSIONAL) : ACTOR_UNVERIFIED,
                .actor = national_id ? national_id : "",
                .session = session_id,
                .action = DOSSIER_ACTION_OPEN_SESSION,
                .dossier = "",
                .document = "",
                .mode = access_mode_name(ACCESS_MODE_NORMAL),
                .reason = reason,
                .outcome = outcome,
                .code = code,
                .establishment = establishment ? establishment : "",
                .workstation = workstation ? workstation : "",
        };
        int r = de_begin(e);
        if (r < 0)
                return r;
        return de_end_tx(e, de_audit_append(e, &ae, NULL));
}

int dossier_session_audit(struct dossier_engine *e, const char *national_id, const char *session_id,
                          const char *establishment, const char *workstation, const char *record_sha256_hex) {
        DE_LOCKED(e);
        char reason[96];

        if (!e || !national_id || !session_id || !record_sha256_hex || strlen(record_sha256_hex) != 64 ||
            de_text_field(establishment, DOSSIER_TEXT_MAX, false) < 0 ||
            de_text_field(workstation, DOSSIER_TEXT_MAX, false) < 0)
                return -EINVAL;
        snprintf(reason, sizeof(reason), "record-sha256:%s", record_sha256_hex);
        /* "allow-card-signature": not an access_decide() decision */
        return session_entry(e, national_id, session_id, establishment, workstation, reason, "allow",
                             "allow-card-signature");
}

int dossier_session_refused(struct dossier_engine *e, const char *national_id, const char *cert_sha256_hex,
                            const char *why) {
        DE_LOCKED(e);
        char code[64], reason[96];

        if (!e || (national_id && !national_id[0]) || !cert_sha256_hex || strlen(cert_sha256_hex) != 64 ||
            strspn(cert_sha256_hex, "0123456789abcdef") != 64 || !why || de_code_field(why, true) < 0 ||
            snprintf(code, sizeof(code), "deny-%s", why) >= (int) sizeof(code))
                return -EINVAL;
        snprintf(reason, sizeof(reason), "cert-sha256:%s", cert_sha256_hex);
        return session_entry(e, national_id, "", NULL, NULL, reason, "deny", code);
}
