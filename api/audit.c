/* api/audit.c: trail, chain verification and notifications; see
 * res_audit.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/audit.h"
#include "engine/dossier.h"
#include "lib/macro.h"
#include "audit.h"
#include "dossiers.h"
#include "sessions.h"

/* The mode as the API writes it. */
static const char *api_mode(const char *trail_mode) {
        return trail_mode && strcmp(trail_mode, "call-centre") == 0 ? "call_centre" : trail_mode;
}

static json_t *str_or_null(const char *s) {
        return s && *s ? json_string(s) : json_null();
}

static int trail_entry(const struct audit_entry *x, void *userdata) {
        json_t *a = userdata;
        json_t *o = json_pack("{s:I,s:I,s:s,s:o,s:o,s:s,s:o,s:s,s:o,s:s,s:s,s:b}", "seq", (json_int_t)x->seq, "at",
                              (json_int_t)x->at, "actor_kind", x->actor_kind, "actor", str_or_null(x->actor), "session",
                              str_or_null(x->session), "action", x->action, "document", str_or_null(x->document), "mode",
                              api_mode(x->mode), "reason", str_or_null(x->reason), "outcome", x->outcome, "code",
                              x->code, "emergency", strcmp(x->mode, "emergency") == 0);
        if (!o || json_array_append_new(a, o) < 0)
                return -ENOMEM;
        return 0;
}

/* GET /v1/dossiers/{ins}/audit: the reading is decided and traced first,
 * so the entry recording it is the last one read. */
int res_audit_trail(const struct api_request *req, struct api_reply *ret) {
        struct dossier_engine *e;
        struct res_actor ra;
        const char *ins;
        int r;

        if (res_actor_require(req, &ra, ret) < 0 || res_engine(req, &e, ret) < 0 || res_ins_param(req, &ins, ret) < 0)
                return 0;
        json_t *a = json_array();
        if (!a)
                return -ENOMEM;
        {
                _cleanup_(res_unlockp) pthread_mutex_t *lk = res_lock(req);
                r = dossier_trail(e, &ra.a, ins, trail_entry, a);
                if (r < 0) {
                        json_decref(a);
                        return res_engine_fail(ret, e, r);
                }
        }
        return api_ok(ret, 200, json_pack("{s:s,s:I,s:o}", "ins", ins, "count", (json_int_t)json_array_size(a), "entries", a));
}

/* GET /v1/audit/verify: for any session, or root without one (an
 * administrator's check).  Reveals no personal data: sequence numbers and
 * the head's hash only. */
int res_audit_verify(const struct api_request *req, struct api_reply *ret) {
        struct dossier_engine *e;
        struct session_info si;
        uint8_t head[AUDIT_HASH_LEN];
        char hex[2 * AUDIT_HASH_LEN + 1], msg[256] = "";
        int64_t seq = 0, bad = 0;
        int r, v;

        if (req->uid != 0 && res_session_any(req, &si, ret) < 0)
                return 0;
        if (res_engine(req, &e, ret) < 0)
                return 0;
        {
                _cleanup_(res_unlockp) pthread_mutex_t *lk = res_lock(req);
                struct store *s = dossier_engine_store(e);
                v = audit_verify(s, &bad, msg, sizeof(msg));
                r = audit_head(s, &seq, head);
        }
        if (v < 0 && v != -EBADMSG)
                return res_engine_fail(ret, e, v);
        if (r < 0)
                return res_engine_fail(ret, e, r);
        hex_encode(head, AUDIT_HASH_LEN, hex);
        return api_ok(ret, 200,
                      json_pack("{s:b,s:I,s:s,s:o,s:o}", "intact", v == 0, "head_seq", (json_int_t)seq, "head_sha256", hex,
                                "bad_seq", v == 0 ? json_null() : json_integer(bad), "problem",
                                v == 0 ? json_null() : json_string(msg)));
}

static int notification_entry(const struct dossier_notification *n, void *userdata) {
        json_t *a = userdata;
        json_t *o = json_pack("{s:I,s:I,s:s,s:s,s:s,s:o}", "id", (json_int_t)n->id, "at", (json_int_t)n->at,
                              "recipient", n->recipient ? n->recipient : "", "kind", n->kind ? n->kind : "", "message",
                              n->message ? n->message : "", "document", str_or_null(n->document));
        if (!o || json_array_append_new(a, o) < 0)
                return -ENOMEM;
        return 0;
}

int res_notifications_dossier(const struct api_request *req, struct api_reply *ret) {
        struct dossier_engine *e;
        struct res_actor ra;
        const char *ins;
        int r;

        if (res_actor_require(req, &ra, ret) < 0 || res_engine(req, &e, ret) < 0 || res_ins_param(req, &ins, ret) < 0)
                return 0;
        json_t *a = json_array();
        if (!a)
                return -ENOMEM;
        {
                _cleanup_(res_unlockp) pthread_mutex_t *lk = res_lock(req);
                r = dossier_notifications(e, &ra.a, ins, notification_entry, a);
                if (r < 0) {
                        json_decref(a);
                        return res_engine_fail(ret, e, r);
                }
        }
        return api_ok(ret, 200, json_pack("{s:s,s:o}", "ins", ins, "notifications", a));
}

int res_notifications_mine(const struct api_request *req, struct api_reply *ret) {
        struct dossier_engine *e;
        struct res_actor ra;
        int r;

        if (res_actor_require(req, &ra, ret) < 0 || res_engine(req, &e, ret) < 0)
                return 0;
        if (ra.a.kind != ACCESS_ACTOR_PROFESSIONAL)
                return api_error(ret, 403, "professional_only",
                                 "a patient reads their notices at /v1/dossiers/{ins}/notifications");
        json_t *a = json_array();
        if (!a)
                return -ENOMEM;
        {
                _cleanup_(res_unlockp) pthread_mutex_t *lk = res_lock(req);
                r = dossier_notifications_for(e, ra.a.id, notification_entry, a);
        }
        if (r < 0) {
                json_decref(a);
                return res_engine_fail(ret, e, r);
        }
        return api_ok(ret, 200, json_pack("{s:s,s:o}", "national_id", ra.a.id, "notifications", a));
}
