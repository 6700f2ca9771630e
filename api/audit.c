/* api/audit.c: the trail and the chain verification; see audit.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/audit.h"
#include "engine/dossier.h"
#include "lib/jsonw.h"
#include "lib/macro.h"
#include "audit.h"
#include "call.h"
#include "replies.h"

/* The mode as the API writes it. */
static const char *api_mode(const char *trail_mode) {
        return trail_mode && strcmp(trail_mode, "call-centre") == 0 ? "call_centre" : trail_mode;
}

/* The most text a trail reply holds: some 600 000 entries. */
#define TRAIL_TEXT_MAX ((size_t)256 << 20)
/* What goes before the entries ({"ins":…,"count":…,"entries":), known
 * once they are written (jw_reserve_front). */
#define TRAIL_HEAD_MAX 64

struct trail_text {
        struct jw w;
        size_t count;
};

/* One entry written straight into the reply's text: a long-lived
 * dossier's trail holds tens of thousands (every access is one). */
static int trail_entry(const struct audit_entry *x, void *userdata) {
        struct trail_text *t = userdata;
        struct jw *w = &t->w;

        jw_object_begin(w);
        jw_kint(w, "seq", x->seq);
        jw_kint(w, "at", x->at);
        jw_kstr(w, "actor_kind", x->actor_kind);
        jw_kstr_or_null(w, "actor", x->actor);
        jw_kstr_or_null(w, "session", x->session);
        jw_kstr(w, "action", x->action);
        jw_kstr_or_null(w, "document", x->document);
        jw_kstr(w, "mode", api_mode(x->mode));
        jw_kstr_or_null(w, "reason", x->reason);
        jw_kstr(w, "outcome", x->outcome);
        jw_kstr(w, "code", x->code);
        jw_kbool(w, "emergency", x->mode && strcmp(x->mode, "emergency") == 0);
        jw_kstr_or_null(w, "workstation", x->workstation);
        jw_kstr_or_null(w, "establishment", x->establishment);
        jw_object_end(w);
        t->count++;
        return w->error;
}

/* GET /v1/dossiers/{ins}/audit: the reading is decided and traced first,
 * so the entry recording it is the last one read. */
int res_audit_trail(const struct api_request *req, struct api_reply *ret) {
        const struct api_call *c = req->call;
        struct trail_text t = {};
        struct jw head;
        char *text = NULL;
        size_t len = 0;

        jw_init(&t.w, TRAIL_TEXT_MAX);
        jw_reserve_front(&t.w, TRAIL_HEAD_MAX);
        jw_array_begin(&t.w);
        int r = dossier_trail(c->engine, &c->caller.a, c->ins, trail_entry, &t);
        if (r < 0) {
                jw_done(&t.w);
                return r == -E2BIG ? api_error(ret, 413, "too_large", "the trail is larger than one reply carries")
                                   : res_engine_fail(ret, c->engine, r);
        }
        jw_array_end(&t.w);
        jw_object_end(&t.w);
        jw_init(&head, TRAIL_HEAD_MAX);
        jw_object_begin(&head);
        jw_kstr(&head, "ins", c->ins);
        jw_kint(&head, "count", (int64_t)t.count);
        jw_key(&head, "entries");
        jw_front(&t.w, &head);
        r = jw_finish(&t.w, &text, &len);
        return r < 0 ? r : api_ok_data(ret, 200, "application/json", text, len);
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
