/* daemon/dossier_session.c: dossier status and session records for the
 * API; see dossier_session.h. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "dossier_session.h"
#include "macro.h"
#include "nir.h"

static const char sql_info[] =
        "SELECT id, status, ins_oid, birth_name, first_names, birth_date, sex, birth_place, created_at, "
        "coalesce(closed_at, 0), coalesce(destroyed_at, 0), optout_emergency, optout_call_centre, notify "
        "FROM dossiers WHERE ins = ?1";
static const char sql_rel[] =
        "SELECT relation, blocked, sees_masked FROM dossier_access WHERE dossier_id = ?1 AND id_nat = ?2";

static void col(char *dst, size_t size, sqlite3_stmt *st, int c) {
        const unsigned char *t = sqlite3_column_text(st, c);
        (void)strcpy_bounded(dst, size, t ? (const char *)t : "");
}

/* Loads the row and the actor's line of the access list into the info and
 * the access request; the caller holds the transaction. */
static int load(struct store *s, const struct dossier_actor *actor, const char *ins, struct dossier_info *info,
                struct access_request *req) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL, *rel = NULL;
        int64_t id;
        int r;

        r = store_prepare(s, sql_info, &st);
        if (r < 0 || (r = store_bind_text(st, 1, ins)) < 0 || (r = store_step(s, st)) <= 0)
                return r;
        id = sqlite3_column_int64(st, 0);
        info->status = (enum access_dossier_status)sqlite3_column_int(st, 1);
        if ((unsigned)info->status >= _ACCESS_DOSSIER_MAX)
                return -EBADMSG;
        col(info->ins_oid, sizeof(info->ins_oid), st, 2);
        col(info->birth_name, sizeof(info->birth_name), st, 3);
        col(info->first_names, sizeof(info->first_names), st, 4);
        col(info->birth_date, sizeof(info->birth_date), st, 5);
        col(info->sex, sizeof(info->sex), st, 6);
        col(info->birth_place, sizeof(info->birth_place), st, 7);
        info->created_at = sqlite3_column_int64(st, 8);
        info->closed_at = sqlite3_column_int64(st, 9);
        info->destroyed_at = sqlite3_column_int64(st, 10);
        info->optout_emergency = sqlite3_column_int(st, 11);
        info->optout_call_centre = sqlite3_column_int(st, 12);
        info->notify = sqlite3_column_int(st, 13);
        req->dossier_status = info->status;
        req->optout_emergency = info->optout_emergency;
        req->optout_call_centre = info->optout_call_centre;
        if (actor->kind != ACCESS_ACTOR_PROFESSIONAL)
                return 0;
        r = store_prepare(s, sql_rel, &rel);
        if (r < 0 || (r = store_bind_int(rel, 1, id)) < 0 || (r = store_bind_text(rel, 2, actor->id)) < 0 ||
            (r = store_step(s, rel)) <= 0)
                return r;
        req->relation = (enum access_relation)sqlite3_column_int(rel, 0);
        if ((unsigned)req->relation >= _ACCESS_REL_MAX)
                return -EBADMSG;
        req->blocked = sqlite3_column_int(rel, 1);
        req->sees_masked = sqlite3_column_int(rel, 2);
        return 0;
}

int dossier_info(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                 struct dossier_info *ret) {
        struct store *s = e ? dossier_engine_store(e) : NULL;
        struct dossier_info info = {.status = ACCESS_DOSSIER_ABSENT};
        struct access_request req;
        int r;

        if (!s || !actor || !ret || !ins || nir_check(ins) < 0 || !actor->id ||
            dossier_text_check(actor->id, strlen(actor->id), DOSSIER_CODE_MAX) < 0 ||
            (actor->reason && dossier_text_check(actor->reason, strlen(actor->reason), DOSSIER_TEXT_MAX) < 0))
                return -EINVAL;
        req = (struct access_request){
                .actor_kind = actor->kind,
                .actor_id = actor->id,
                .profession = actor->profession,
                .card = actor->card,
                .practice = actor->practice,
                .express_consent = actor->express_consent,
                .mode = actor->mode,
                .reason = actor->reason,
                .dossier_ins = ins,
                .action = ACCESS_ACTION_LIST,
        };
        r = store_begin(s);
        if (r < 0)
                return r;
        r = load(s, actor, ins, &info, &req);
        if (r < 0)
                goto fail;
        req.dossier_status = info.status;
        if (access_decide(&req, &info.decision) < 0)
                info.decision = (struct access_decision){.reason = ACCESS_DENY_INVALID};
        info.traits_shown = info.decision.allow && info.status != ACCESS_DOSSIER_DESTROYED;
        info.options_shown = actor->kind == ACCESS_ACTOR_PATIENT && info.decision.allow;
        if (!info.traits_shown) {
                info.ins_oid[0] = info.birth_name[0] = info.first_names[0] = '\0';
                info.birth_date[0] = info.sex[0] = info.birth_place[0] = '\0';
        }
        if (!info.options_shown)
                info.optout_emergency = info.optout_call_centre = info.notify = false;
        struct audit_entry ae = {
                .at = dossier_engine_now(e),
                .actor_kind = access_actor_kind_name(actor->kind),
                .actor = actor->id,
                .session = actor->session ? actor->session : "",
                .action = DOSSIER_ACTION_READ_STATUS,
                .dossier = ins,
                .document = "",
                .mode = access_mode_name(actor->mode),
                .reason = actor->reason ? actor->reason : "",
                .outcome = info.decision.allow ? "allow" : "deny",
                .code = access_reason_name(info.decision.reason),
        };
        r = audit_append(s, &ae, NULL);
        if (r < 0)
                goto fail;
        r = store_commit(s);
        if (r < 0)
                goto fail;
        *ret = info;
        return 0;
fail:
        store_rollback(s);
        return r;
}

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
