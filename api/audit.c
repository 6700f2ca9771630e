/* api/audit.c: the trail and the chain verification; see audit.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/audit.h"
#include "engine/dossier.h"
#include "lib/macro.h"
#include "audit.h"
#include "call.h"
#include "replies.h"

/* The mode as the API writes it. */
static const char *api_mode(const char *trail_mode) {
        return trail_mode && strcmp(trail_mode, "call-centre") == 0 ? "call_centre" : trail_mode;
}

static int trail_entry(const struct audit_entry *x, void *userdata) {
        json_t *a = userdata;
        json_t *o = json_pack("{s:I,s:I,s:s,s:o,s:o,s:s,s:o,s:s,s:o,s:s,s:s,s:b,s:o,s:o}", "seq", (json_int_t)x->seq, "at",
                              (json_int_t)x->at, "actor_kind", x->actor_kind, "actor", res_str_or_null(x->actor), "session",
                              res_str_or_null(x->session), "action", x->action, "document", res_str_or_null(x->document), "mode",
                              api_mode(x->mode), "reason", res_str_or_null(x->reason), "outcome", x->outcome, "code",
                              x->code, "emergency", strcmp(x->mode, "emergency") == 0, "workstation",
                              res_str_or_null(x->workstation), "establishment", res_str_or_null(x->establishment));
        return json_array_append_new(a, o) < 0 ? -ENOMEM : 0;
}

static int walk_trail(const struct api_call *c, json_t *list) {
        return dossier_trail(c->engine, &c->caller.a, c->ins, trail_entry, list);
}

/* GET /v1/dossiers/{ins}/audit: the reading is decided and traced first,
 * so the entry recording it is the last one read. */
int res_audit_trail(const struct api_request *req, struct api_reply *ret) {
        return res_list(req, ret, walk_trail, "ins", req->call->ins, "entries", true);
}

/* GET /v1/audit/verify: for any session, or root without one (an
 * administrator's check).  Reveals no personal data: sequence numbers and
 * the head's hash only. */
int res_audit_verify(const struct api_request *req, struct api_reply *ret) {
        struct dossier_engine *e = req->call->engine;
        uint8_t head[AUDIT_HASH_LEN];
        char hex[2 * AUDIT_HASH_LEN + 1], msg[256] = "";
        int64_t seq = 0, bad = 0;
        /* under the engine's lock: no write is seen half-way */
        int v = dossier_audit_verify(e, &bad, msg, sizeof(msg), &seq, head);

        if (v < 0 && v != -EBADMSG)
                return res_engine_fail(ret, e, v);
        hex_encode(head, AUDIT_HASH_LEN, hex);
        return api_ok(ret, 200,
                      json_pack("{s:b,s:I,s:s,s:o,s:o}", "intact", v == 0, "head_seq", (json_int_t)seq, "head_sha256", hex,
                                "bad_seq", v == 0 ? json_null() : json_integer(bad), "problem",
                                v == 0 ? json_null() : json_string(msg)));
}
