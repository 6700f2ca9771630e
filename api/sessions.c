/* api/sessions.c: the session resources. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "context.h"
#include "engine/dossier-session.h"
#include "lib/macro.h"
#include "call.h"
#include "forward.h"
#include "replies.h"
#include "sessions.h"

#define PIN_MAX 16

/* The API's names for the modes ("call_centre"; the trail says "call-centre"). */
static const char *mode_api_name(enum session_mode m) {
        switch (m) {
        case SESSION_MODE_EMERGENCY: return "emergency";
        case SESSION_MODE_CALL_CENTRE: return "call_centre";
        default: return "normal";
        }
}

/* The API's names for the practices, in enum session_practice order. */
static const char *const practice_names[_SESSION_PRACTICE_MAX] = {
        [SESSION_PRACTICE_CARE] = "care",
        [SESSION_PRACTICE_OCCUPATIONAL] = "occupational",
        [SESSION_PRACTICE_FIRE_SERVICE] = "fire_service",
        [SESSION_PRACTICE_INSURER] = "insurer",
        [SESSION_PRACTICE_COMPLEMENTARY_INSURER] = "complementary_insurer",
        [SESSION_PRACTICE_BANK] = "bank",
        [SESSION_PRACTICE_EMPLOYER] = "employer",
};

static const char *practice_api_name(enum session_practice p) {
        return (unsigned)p < _SESSION_PRACTICE_MAX ? practice_names[p] : "care";
}

/* The mode of its API name (NULL: -EINVAL). */
static int mode_parse(const char *m, enum session_mode *ret) {
        static const enum session_mode modes[] = {SESSION_MODE_NORMAL, SESSION_MODE_EMERGENCY,
                                                  SESSION_MODE_CALL_CENTRE};
        for (size_t i = 0; m && i < ELEMENTSOF(modes); i++)
                if (strcmp(m, mode_api_name(modes[i])) == 0) {
                        *ret = modes[i];
                        return 0;
                }
        return -EINVAL;
}

/* HTTP status for a session_error code: a PIN the card cannot take or a
 * PIN entry the user cancelled 400 (the same request would fail again),
 * an authentication that failed 401, a card that is not trusted, blocked
 * or whose PIN expired 403, a state conflict 409 (the card's login lost
 * to another program), a card or service that is not there 503. */
static unsigned status_of(const char *code) {
        static const struct {
                const char *code;
                unsigned status;
        } map[] = {
                {"pin_incorrect", 401},     {"pin_locked", 403},         {"pin_required", 400},
                {"session_exists", 409},    {"too_many_sessions", 409},  {"unknown_ca", 403},
                {"expired", 403},           {"not_yet_valid", 403},      {"wrong_key_usage", 403},
                {"chain_invalid", 403},     {"bad_signature", 403},      {"bad_certificate", 403},
                {"key_unsupported", 403},   {"no_auth_certificate", 403}, {"bad_identity", 403},
                {"revoked", 403},           {"revocation_unknown", 403}, {"crl_expired", 403},
                {"crl_not_yet_valid", 403}, {"crl_invalid", 403},        {"internal", 500},
                {"workstation_refused", 403}, {"identity_mismatch", 403},
                {"pin_invalid", 400},       {"cancelled", 400},          {"pin_expired", 403},
                {"pin_not_initialized", 403}, {"login_required", 409}, {"already_logged_in", 409},
        };
        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (strcmp(map[i].code, code) == 0)
                        return map[i].status;
        return 503; /* no card, card removed, pcscd, PKCS#11 module, trust anchors */
}

json_t *res_session_json(const struct session_info *si) {
        const struct p11_identity *w = &si->who;
        if (si->kind == SESSION_PATIENT)
                return json_pack("{s:s,s:s,s:s,s:{s:s},s:o*,s:s,s:I,s:I,s:I}", "id", si->id, "kind", "patient", "reader",
                                 si->reader, "patient", "ins", si->ins, "representative",
                                 si->representative[0] ? json_pack("{s:s}", "ins", si->representative) : NULL,
                                 "mode", "normal", "uid",
                                 (json_int_t)si->uid, "opened_at", (json_int_t)si->opened_at, "last_used",
                                 (json_int_t)si->last_used);
        return json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s?,s:s?,s:s,s:s?},s:s,s:s,s:s,s:s?,s:s,s:I,s:I,s:I}", "id", si->id,
                         "kind", "professional", "reader", si->reader, "professional", "national_id",
                         w->national_id, "surname", w->surname, "given_name", w->given_name, "profession",
                         w->profession[0] ? w->profession : NULL, "specialty", w->specialty[0] ? w->specialty : NULL,
                         "card_type", p11_card_type_to_string(w->card_type), "establishment",
                         si->establishment[0] ? si->establishment : NULL, "card_serial", si->card_serial,
                         "cert_sha256", si->cert_sha256, "mode", mode_api_name(si->mode), "reason",
                         si->reason[0] ? si->reason : NULL, "practice", practice_api_name(si->practice), "uid",
                         (json_int_t)si->uid, "opened_at",
                         (json_int_t)si->opened_at, "last_used", (json_int_t)si->last_used);
}

/* Links the new session to its card-signed record in the audit chain (the
 * SHA-256 of the record the card signed), so that every later trail entry
 * naming the session id leads back to the card.  Best effort: the session
 * exists whatever the store says. */
static void audit_session(const struct api_request *req, const struct session_info *si) {
        _cleanup_free_ char *record = NULL;
        _cleanup_free_ uint8_t *sig = NULL;
        uint8_t digest[SHA256_DIGEST_LENGTH];
        char hex[2 * SHA256_DIGEST_LENGTH + 1];
        size_t sig_len;

        if (!req->ctx->engine || sessions_record(req->ctx->sessions, si->id, &record, &sig, &sig_len) < 0)
                return;
        SHA256((const unsigned char *)record, strlen(record), digest);
        hex_encode(digest, sizeof(digest), hex);
        (void)dossier_session_audit(req->ctx->engine, si->who.national_id, si->id, si->establishment, NULL, hex);
}

int res_sessions_post(const struct api_request *req, struct api_reply *ret) {
        static const char *const fields[] = {"pin", "reader", NULL};
        json_t *body = req->call->body;
        const char *reader = NULL;
        char pin[PIN_MAX + 1];
        size_t pin_len = 0;
        bool have_pin = false;
        int r;

        if (api_check_fields(body, fields, ret) < 0)
                return 0;
        json_t *jpin = json_object_get(body, "pin"), *jreader = json_object_get(body, "reader");
        if (jreader && !json_is_string(jreader))
                return api_error(ret, 400, "bad_field", "reader must be a string");
        reader = json_string_value(jreader);
        if (jpin) {
                if (!json_is_string(jpin) || json_string_length(jpin) == 0 ||
                    json_string_length(jpin) > PIN_MAX) {
                        r = api_error(ret, 400, "bad_field", "pin must be a string of 1 to %d characters", PIN_MAX);
                        goto wipe;
                }
                pin_len = json_string_length(jpin);
                memcpy(pin, json_string_value(jpin), pin_len);
                pin[pin_len] = '\0';
                have_pin = true;
        }
        /* The PIN now lives in pin[] only: wipe jansson's copy at once. */
        if (jpin && json_is_string(jpin))
                secure_zero((char *)json_string_value(jpin), json_string_length(jpin));

        struct session_info si;
        struct session_error e;
        char token[SESSION_TOKEN_LEN + 1];
        r = sessions_open(req->ctx->sessions, reader, have_pin ? pin : NULL, pin_len, req->uid, &si, token, &e);
        secure_zero(pin, sizeof(pin));
        if (r < 0) {
                /* a card whose certificate was read and refused is in the
                 * trail, under its national id when its chain verified */
                if (e.cert_sha256[0] && req->ctx->engine)
                        (void)dossier_session_refused(req->ctx->engine, e.national_id[0] ? e.national_id : NULL,
                                                      e.cert_sha256, e.code);
                json_t *details = e.tries_left >= 0 ? json_pack("{s:i}", "tries_left", e.tries_left) : NULL;
                return api_error_details(ret, status_of(e.code), e.code, details, "%s", e.message);
        }
        audit_session(req, &si);
        /* agent mode: the host opens its side, or there is no session */
        if (req->ctx->agent && api_host_session_open(req, &si, ret) < 0) {
                secure_zero(token, sizeof(token));
                return 0;
        }
        json_t *doc = json_pack("{s:s,s:o}", "token", token, "session", res_session_json(&si));
        secure_zero(token, sizeof(token));
        return api_ok(ret, 201, doc);
wipe:
        if (jpin && json_is_string(jpin))
                secure_zero((char *)json_string_value(jpin), json_string_length(jpin));
        return r;
}

static int host_ask(const struct api_request *req, const char *id, bool get, struct api_reply *ret);

/* In agent mode the host's side is asked too, and so marked used with the
 * local one: the two stay in step, and a session the host no longer knows
 * ends here too (api_host_forgot()), 401 saying to log in again. */
int res_sessions_current(const struct api_request *req, struct api_reply *ret) {
        const struct api_caller *c = &req->call->caller;
        int h = req->ctx->agent && c->present ? host_ask(req, c->si.id, true, ret) : 1;
        if (h <= 0)
                return h;
        return api_ok(ret, 200, res_session_json(&c->si));
}

int res_sessions_delete(const struct api_request *req, struct api_reply *ret) {
        const char *id = api_path_param(req, "id");
        /* agent mode: the host's side ends with it (session_config.ended) */
        int r = sessions_close(req->ctx->sessions, id ? id : "", req->uid);
        if (r == -ENOENT || r == -EPERM)
                return api_error(ret, 404, "no_such_session", "no live session %s of yours", id ? id : "");
        if (r < 0)
                return api_error(ret, 500, "internal", "%s", strerror(-r));
        return api_ok(ret, 200, json_pack("{s:s,s:b}", "id", id, "closed", true));
}

/* The host's side of session id, read (get) or its mode set from req's
 * body: 1 when the host answered 200, 0 with its refusal or the failure
 * in *ret (the local session ended when the host no longer knows it). */
static int host_ask(const struct api_request *req, const char *id, bool get, struct api_reply *ret) {
        char tok[SESSION_HOST_TOKEN_LEN + 1];
        struct agent_reply rep = {0};
        if (api_host_token(req, id, tok, ret) < 0)
                return 0;
        int r = get ? agent_get_session(req->ctx->agent, tok, &rep)
                    : agent_set_mode(req->ctx->agent, tok, req->body, req->body_len, &rep);
        secure_zero(tok, sizeof(tok));
        if (r < 0)
                return api_agent_fail(ret, r) < 0 ? -ENOMEM : 0;
        if (rep.status == 200) {
                agent_reply_done(&rep);
                return 1;
        }
        if (api_relay(ret, &rep) < 0)
                return -ENOMEM;
        return api_host_forgot(req, id, ret) < 0 ? -ENOMEM : 0;
}

int res_session_mode_parse(const json_t *body, enum session_mode *ret_mode, enum session_practice *ret_practice,
                           const char **ret_reason, struct api_reply *ret) {
        static const char *const fields[] = {"mode", "reason", "practice", NULL};
        enum session_mode mode;
        const char *reason = NULL;

        if (api_check_fields(body, fields, ret) < 0)
                return -EINVAL;
        const char *m = json_string_value(json_object_get(body, "mode"));
        json_t *jr = json_object_get(body, "reason");
        if (mode_parse(m, &mode) < 0)
                return res_bad_field(ret, 400, "bad_field", "mode",
                                     "mode must be \"normal\", \"emergency\" or \"call_centre\""), -EINVAL;
        if (jr && !json_is_null(jr)) {
                if (!json_is_string(jr))
                        return res_bad_field(ret, 400, "bad_field", "reason", "reason must be a string"), -EINVAL;
                reason = json_string_value(jr);
                if (dossier_text_check(reason, json_string_length(jr), SESSION_REASON_MAX) < 0)
                        return res_bad_field(ret, 400, "bad_field", "reason",
                                             "reason must be printable text of at most %d bytes", SESSION_REASON_MAX - 1),
                               -EINVAL;
        }
        /* the capacity the professional acts in (docs/rules.md §2); care when absent */
        enum session_practice practice = SESSION_PRACTICE_CARE;
        json_t *jp = json_object_get(body, "practice");
        if (jp && !json_is_null(jp)) {
                const char *pn = json_string_value(jp);
                size_t i = 0;
                while (pn && i < _SESSION_PRACTICE_MAX && strcmp(pn, practice_names[i]) != 0)
                        i++;
                if (!pn || i == _SESSION_PRACTICE_MAX)
                        return res_bad_field(ret, 400, "bad_field", "practice",
                                             "practice must be \"care\", \"occupational\", \"fire_service\", "
                                             "\"insurer\", \"complementary_insurer\", \"bank\" or \"employer\""),
                               -EINVAL;
                practice = (enum session_practice)i;
        }
        bool blank = !reason || strspn(reason, " \t") == strlen(reason);
        if (mode == SESSION_MODE_EMERGENCY && blank)
                return res_bad_field(ret, 400, "reason_required", "reason",
                                     "an emergency access needs its reason stated"), -EINVAL;
        *ret_mode = mode;
        *ret_practice = practice;
        *ret_reason = blank || mode == SESSION_MODE_NORMAL ? NULL : reason;
        return 0;
}

/* PUT /v1/sessions/current/mode: every later request of the session is
 * made in this mode and records it (and the reason) in the trail.  The
 * rules themselves (opt-outs, call centre for doctors only) are applied
 * per request by the engine; here only the shape (res_session_mode_parse). */
int res_sessions_mode_put(const struct api_request *req, struct api_reply *ret) {
        struct session_info si = req->call->caller.si;
        enum session_mode mode;
        enum session_practice practice;
        const char *reason;

        if (res_session_mode_parse(req->call->body, &mode, &practice, &reason, ret) < 0)
                return ret->body ? 0 : -ENOMEM;
        /* agent mode: the host first; if it refuses, nothing changes here */
        int h = req->ctx->agent ? host_ask(req, si.id, false, ret) : 1;
        if (h <= 0)
                return h;
        int r = sessions_set_mode(req->ctx->sessions, si.id, req->uid, mode, practice, reason, &si);
        if (r == -ENOENT || r == -EPERM)
                return api_error(ret, 401, "no_session", "the session ended");
        if (r < 0)
                return api_error(ret, 500, "internal", "%s", strerror(-r));
        return api_ok(ret, 200, res_session_json(&si));
}
