/* engine/dossier-session.c: session records in the trail; see
 * dossier_session.h. */
#include <errno.h>
#include <string.h>

#include "dossier-session.h"
#include "lib/macro.h"

int dossier_session_audit(struct dossier_engine *e, const char *national_id, const char *session_id,
                          const char *record_sha256_hex) {
        struct store *s = e ? dossier_engine_store(e) : NULL;
        char reason[96];
        int r;

        if (!s || !national_id || !session_id || !record_sha256_hex || strlen(record_sha256_hex) != 64)
                return -EINVAL;
        snprintf(reason, sizeof(reason), "record-sha256:%s", record_sha256_hex);
        struct audit_entry ae = {
                .at = dossier_engine_now(e),
                .actor_kind = access_actor_kind_name(ACCESS_ACTOR_PROFESSIONAL),
                .actor = national_id,
                .session = session_id,
                .action = DOSSIER_ACTION_OPEN_SESSION,
                .dossier = "",
                .document = "",
                .mode = access_mode_name(ACCESS_MODE_NORMAL),
                .reason = reason,
                .outcome = "allow",
                .code = "allow-card-signature", /* not an access_decide() decision */
        };
        r = store_begin(s);
        if (r < 0)
                return r;
        r = audit_append(s, &ae, NULL);
        if (r >= 0)
                r = store_commit(s);
        if (r < 0)
                store_rollback(s);
        return r < 0 ? r : 0;
}
