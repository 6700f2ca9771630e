/* engine/dossier-host.c: the dossier host's refusals in the trail (a
 * refusal that concerns no dossier); see dossier-host.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dossier-internal.h"
#include "dossier-host.h"
#include "host-sessions.h"
#include "lib/macro.h"

int dossier_host_refused(struct dossier_engine *e, const char *actor_kind, const char *actor,
                         const char *workstation, const char *action, const char *code) {
        DE_LOCKED(e);

        if (!e || de_code_field(actor_kind, true) < 0 || de_code_field(action, true) < 0 ||
            de_code_field(code, true) < 0 || (actor && de_text_field(actor, DOSSIER_CODE_MAX, false) < 0) ||
            (workstation && de_text_field(workstation, HOST_WORKSTATION_MAX, false) < 0))
                return -EINVAL;
        struct audit_entry ae = {
                .at = de_now_of(e),
                .actor_kind = actor_kind,
                .actor = actor ? actor : "",
                .session = "",
                .action = action,
                .dossier = "",
                .document = "",
                .mode = access_mode_name(ACCESS_MODE_NORMAL),
                .reason = "",
                .outcome = "deny",
                .code = code,
                .workstation = workstation ? workstation : "",
        };
        int r = de_begin(e);
        if (r < 0)
                return r;
        return de_end_tx(e, de_audit_append(e, &ae, NULL));
}
