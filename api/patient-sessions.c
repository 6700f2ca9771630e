/* api/patient-sessions.c: patient sessions; see patient-sessions.h. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "engine/dossier.h"
#include "context.h"
#include "lib/macro.h"
#include "lib/nir.h"
#include "call.h"
#include "dossiers.h"
#include "patient-sessions.h"
#include "replies.h"
#include "sessions.h"

#define SECRET_MAX 64

/* Checks the secret with the engine (which traces the check, granted or
 * refused, in the patient's trail), then opens the session on the card
 * insertion the person was read from.  The secret lives in one local
 * buffer and jansson's copy, both wiped before returning. */
int res_patient_sessions_post(const struct api_request *req, struct api_reply *ret) {
        static const char *const fields[] = {"acting_for", "index", "nir", "own_nir", "reader", "secret", "vitale",
                                             NULL};
        json_t *body = req->call->body;
        struct dossier_engine *e = req->call->engine;
        struct vitale_person p;
        struct session_info si;
        char reader[READER_NAME_MAX], secret[SECRET_MAX + 1], token[SESSION_TOKEN_LEN + 1];
        uint64_t insertion;
        int r;

        json_t *js = json_object_get(body, "secret");
        json_t *jf = json_object_get(body, "acting_for");
        if (api_check_fields(body, fields, ret) < 0)
                goto wipe;
        /* a legal representative: the card's person is the representative,
         * acting_for the patient whose dossier the secret opens */
        /* the represented patient's INS as the dossiers are keyed ("2a": "2A") */
        char rep_buf[NIR_LEN + 1];
        if (jf && (!json_is_string(jf) || nir_canonical(json_string_value(jf), rep_buf) < 0)) {
                res_bad_field(ret, 422, "bad_ins", "acting_for", "acting_for must be the represented patient's INS");
                goto wipe;
        }
        const char *rep_for = jf ? rep_buf : NULL;
        if (!json_is_string(js) || json_string_length(js) == 0 || json_string_length(js) > SECRET_MAX ||
            strlen(json_string_value(js)) != json_string_length(js)) {
                res_bad_field(ret, 400, "bad_field", "secret", "secret must be the text printed on the opening receipt");
                goto wipe;
        }
        memcpy(secret, json_string_value(js), json_string_length(js) + 1);
        secure_zero((char *)json_string_value(js), json_string_length(js));
        if (res_vitale_person(req, body, &p, reader, &insertion, ret) < 0) {
                secure_zero(secret, sizeof(secret));
                return 0;
        }
        unsigned retry_after = 0;
        /* the dossier opened: the patient's, or the represented one's */
        const char *ins = rep_for ? rep_for : p.nir;
        /* the brake lives in the store: every process on it shares it */
        r = dossier_attempts_check(e, ins, &retry_after);
        if (r < 0) {
                secure_zero(secret, sizeof(secret));
                secure_zero(&p, sizeof(p));
                if (r != -EBUSY)
                        return res_engine_fail(ret, e, r);
                return api_error_details(ret, 429, "too_many_attempts", json_pack("{s:i}", "retry_after", retry_after),
                                         "%d wrong secrets in a row for this dossier: try again in %u minutes",
                                         DOSSIER_ATTEMPTS_MAX, (retry_after + 59) / 60);
        }
        r = rep_for ? dossier_verify_representative(e, rep_for, p.nir, secret) : dossier_verify_secret(e, p.nir, secret);
        secure_zero(secret, sizeof(secret));
        /* only a wrong secret counts towards the brake (not a refusal for age) */
        if (r == -EACCES && dossier_last_decision(e)->reason == ACCESS_DENY_BAD_SECRET &&
            dossier_attempts_failed(e, ins) > 0)
                report(&req->ctx->reporter, &(struct report){.event = "secret-brake", .n = DOSSIER_ATTEMPTS_MAX,
                                                             .caller = true, .uid = req->uid, .pid = req->pid});
        else if (r == 0)
                (void) dossier_attempts_succeeded(e, ins);
        if (r < 0) {
                secure_zero(&p, sizeof(p));
                return res_engine_fail(ret, e, r);
        }
        /* on the dossier host, a session in the store (no card insertion) */
        if (req->ctx->open_patient_session)
                r = req->ctx->open_patient_session(req, ins, rep_for ? p.nir : NULL, &si, token);
        else
                r = sessions_open_patient(req->ctx->sessions, reader, insertion, ins, rep_for ? p.nir : NULL,
                                          req->uid, &si, token);
        secure_zero(&p, sizeof(p));
        if (r == -ENODEV)
                return api_error(ret, 503, "card_removed", "the Carte Vitale left the reader");
        if (r == -EUSERS)
                return api_error(ret, 409, "too_many_sessions", "%d sessions are open: close one first", SESSIONS_MAX);
        if (r < 0)
                return api_error(ret, 500, "internal", "%s", strerror(-r));
        json_t *doc = json_pack("{s:s,s:o}", "token", token, "session", res_session_json(&si));
        secure_zero(token, sizeof(token));
        return api_ok(ret, 201, doc);
wipe:
        if (json_is_string(js))
                secure_zero((char *)json_string_value(js), json_string_length(js));
        return 0;
}
