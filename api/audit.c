/* api/audit.c: the trail and the chain verification; see audit.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The most text a page of the trail holds: a guard only, as an entry
 * carnet writes takes at most some 8 KiB of JSON (its texts bounded by
 * DOSSIER_TEXT_MAX), some 8 MiB for a page of RES_PAGE_MAX. */
#define TRAIL_TEXT_MAX ((size_t)64 << 20)
/* What goes before the entries ({"ins":…,"count":…,"entries":), known
 * once they are written (jw_reserve_front). */
#define TRAIL_HEAD_MAX 64

struct trail_text {
        struct jw w;
        size_t count;
        int64_t last;
};

/* One entry written straight into the page's text. */
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
        t->last = x->seq;
        return w->error;
}

/* The most digits of after: any seq up to 10^18 - 1. */
#define TRAIL_AFTER_DIGITS 18

/* The page's cursor, after: 0 when absent; -EINVAL with the 400 reply
 * filled when it is not a seq. */
static int trail_after(const struct api_request *req, int64_t *ret, struct api_reply *err) {
        const char *q = api_query(req, "after");
        size_t n = q ? strlen(q) : 0;

        *ret = 0;
        if (!q)
                return 0;
        if (n && n <= TRAIL_AFTER_DIGITS && strspn(q, "0123456789") == n)
                *ret = strtoll(q, NULL, 10);
        if (*ret >= 1)
                return 0;
        int r = api_error_details(err, 400, "bad_parameter", json_pack("{s:s}", "parameter", "after"),
                                  "after is a trail entry's seq (a whole number from 1): the \"next\" of the page "
                                  "before");
        return r < 0 ? r : -EINVAL;
}

/* GET /v1/dossiers/{ins}/audit: a page of at most limit entries
 * (RES_PAGE_MAX), oldest first, after the entry after; "next" is then the
 * after of the following page, null on the last.  Each page is a reading
 * decided and traced first, so the entry recording it is on the last
 * page (docs/api.md). */
int res_audit_trail(const struct api_request *req, struct api_reply *ret) {
        static const char *const params[] = {"limit", "after", NULL};
        const struct api_call *c = req->call;
        struct trail_text t = {};
        struct jw head;
        char *text = NULL;
        size_t len = 0, limit;
        int64_t after;
        bool more = false;

        if (api_check_query(req, params, ret) < 0 || res_page_limit(req, &limit, ret) < 0 ||
            trail_after(req, &after, ret) < 0)
                return 0;
        jw_init(&t.w, TRAIL_TEXT_MAX);
        jw_reserve_front(&t.w, TRAIL_HEAD_MAX);
        jw_array_begin(&t.w);
        int r = dossier_trail_page(c->engine, &c->caller.a, c->ins, after, limit, trail_entry, &t, &more);
        if (r < 0) {
                jw_done(&t.w);
                if (r == -ESRCH)
                        return api_error_details(ret, 400, "bad_parameter", json_pack("{s:s}", "parameter", "after"),
                                                 "after names no entry of this dossier's trail");
                return res_engine_fail(ret, c->engine, r);
        }
        jw_array_end(&t.w);
        jw_key(&t.w, "next");
        if (more)
                jw_int(&t.w, t.last);
        else
                jw_null(&t.w);
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
