/* daemon/res_sessions.c: the session resources. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "res_sessions.h"

#define PIN_MAX 16

/* HTTP status for a session_error code: an authentication that failed is
 * 401, a card that is not trusted or blocked 403, a state conflict 409, a
 * card or service that is not there 503. */
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
                {"internal", 500},
        };
        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (strcmp(map[i].code, code) == 0)
                        return map[i].status;
        return 503; /* no card, card removed, pcscd, PKCS#11 module, trust anchors */
}

json_t *res_session_json(const struct session_info *si) {
        const struct p11_identity *w = &si->who;
        return json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:s?,s:s?,s:s},s:s,s:s,s:I,s:I,s:I}", "id", si->id, "reader",
                         si->reader, "professional", "national_id", w->national_id, "surname", w->surname,
                         "given_name", w->given_name, "profession", w->profession[0] ? w->profession : NULL,
                         "specialty", w->specialty[0] ? w->specialty : NULL, "card_type",
                         p11_card_type_to_string(w->card_type), "card_serial", si->card_serial, "cert_sha256",
                         si->cert_sha256, "uid", (json_int_t)si->uid, "opened_at", (json_int_t)si->opened_at,
                         "last_used", (json_int_t)si->last_used);
}

int res_session_require(const struct api_request *req, struct session_info *ret, struct api_reply *err) {
        const char *token = api_header(req, API_SESSION_HEADER);
        if (!req->ctx || !req->ctx->sessions)
                return api_error(err, 503, "sessions_unavailable", "carnetd runs without sessions"), -EHOSTDOWN;
        if (!token) {
                api_error(err, 401, "no_session", "this call needs a professional session: open one with "
                                                  "POST /v1/sessions and send its token in " API_SESSION_HEADER);
                return -ENOENT;
        }
        int r = sessions_lookup(req->ctx->sessions, token, req->uid, ret);
        if (r < 0) {
                /* another uid's token is reported like an unknown one */
                api_error(err, 401, "no_session",
                          "no live session for this token (logged out, card removed, idle too long, "
                          "or opened by another user)");
                return -ENOENT;
        }
        return 0;
}

int res_sessions_post(const struct api_request *req, struct api_reply *ret) {
        static const char *const fields[] = {"pin", "reader", NULL};
        _cleanup_(json_decrefp) json_t *body = NULL;
        const char *reader = NULL;
        char pin[PIN_MAX + 1];
        size_t pin_len = 0;
        bool have_pin = false;
        int r;

        if (!req->ctx || !req->ctx->sessions)
                return api_error(ret, 503, "sessions_unavailable", "carnetd runs without sessions");
        if (api_body_json(req, &body, ret) < 0 || api_check_fields(body, fields, ret) < 0)
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
                json_t *details = e.tries_left >= 0 ? json_pack("{s:i}", "tries_left", e.tries_left) : NULL;
                return api_error_details(ret, status_of(e.code), e.code, details, "%s", e.message);
        }
        json_t *doc = json_pack("{s:s,s:o}", "token", token, "session", res_session_json(&si));
        secure_zero(token, sizeof(token));
        return api_ok(ret, 201, doc);
wipe:
        if (jpin && json_is_string(jpin))
                secure_zero((char *)json_string_value(jpin), json_string_length(jpin));
        return r;
}

int res_sessions_current(const struct api_request *req, struct api_reply *ret) {
        struct session_info si;
        if (res_session_require(req, &si, ret) < 0)
                return 0;
        return api_ok(ret, 200, res_session_json(&si));
}

int res_sessions_delete(const struct api_request *req, struct api_reply *ret) {
        const char *id = api_path_param(req, "id");
        if (!req->ctx || !req->ctx->sessions)
                return api_error(ret, 503, "sessions_unavailable", "carnetd runs without sessions");
        int r = sessions_close(req->ctx->sessions, id ? id : "", req->uid);
        if (r == -ENOENT || r == -EPERM)
                return api_error(ret, 404, "no_such_session", "no live session %s of yours", id ? id : "");
        if (r < 0)
                return api_error(ret, 500, "internal", "%s", strerror(-r));
        return api_ok(ret, 200, json_pack("{s:s,s:b}", "id", id, "closed", true));
}
