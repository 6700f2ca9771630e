/* engine/dossier-session.c: session records in the trail; see
 * dossier-session.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dossier-internal.h"
#include "dossier-session.h"
#include "lib/macro.h"

int dossier_session_audit(struct dossier_engine *e, const char *national_id, const char *session_id,
                          const char *record_sha256_hex) {
        DE_LOCKED(e);
        char reason[96];
        int r;

        if (!e || !national_id || !session_id || !record_sha256_hex || strlen(record_sha256_hex) != 64)
                return -EINVAL;
        snprintf(reason, sizeof(reason), "record-sha256:%s", record_sha256_hex);
        struct audit_entry ae = {
                .at = de_now_of(e),
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
        r = store_begin(e->store);
        if (r < 0)
                return r;
        return de_end_tx(e, audit_append(e->store, &ae, NULL));
}
