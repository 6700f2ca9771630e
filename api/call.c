/* api/call.c: the checks of a route's needs (call.h). */
#include <errno.h>
#include <string.h>

#include "context.h"
#include "lib/macro.h"
#include "lib/media-type.h"
#include "lib/nir.h"
#include "call.h"
#include "forward.h"

enum access_card res_card_of(enum p11_card_type t) {
        switch (t) {
        case P11_CARD_CPS: return ACCESS_CARD_CPS;
        case P11_CARD_CPF: return ACCESS_CARD_CPF;
        case P11_CARD_CPE: return ACCESS_CARD_CPE;
        default: return ACCESS_CARD_CPA;
        }
}

void api_caller_from_session(struct api_caller *c) {
        const struct session_info *si = &c->si;
        c->present = true;
        if (si->kind == SESSION_PATIENT) {
                /* a legal representative acts as themselves, for the
                 * patient whose dossier the session was opened on */
                c->a = (struct dossier_actor){
                        .kind = si->representative[0] ? ACCESS_ACTOR_REPRESENTATIVE : ACCESS_ACTOR_PATIENT,
                        .id = si->representative[0] ? si->representative : si->ins,
                        .mode = ACCESS_MODE_NORMAL,
                        .session = si->id,
                };
                c->a.workstation = si->workstation[0] ? si->workstation : NULL;
                return;
        }
        const struct p11_identity *w = &si->who;
        /* the capacity the user declared (PUT /v1/sessions/current/mode):
         * insurers, banks, employers are refused whatever card they hold */
        static const enum access_actor_kind kinds[_SESSION_PRACTICE_MAX] = {
                [SESSION_PRACTICE_INSURER] = ACCESS_ACTOR_INSURER,
                [SESSION_PRACTICE_COMPLEMENTARY_INSURER] = ACCESS_ACTOR_COMPLEMENTARY_INSURER,
                [SESSION_PRACTICE_BANK] = ACCESS_ACTOR_BANK,
                [SESSION_PRACTICE_EMPLOYER] = ACCESS_ACTOR_EMPLOYER,
        };
        enum session_practice sp = (unsigned)si->practice < _SESSION_PRACTICE_MAX ? si->practice : SESSION_PRACTICE_CARE;
        c->a = (struct dossier_actor){
                .kind = kinds[sp] ? kinds[sp] : ACCESS_ACTOR_PROFESSIONAL,
                .id = w->national_id,
                .profession = w->profession,
                .specialty = w->specialty[0] ? w->specialty : NULL,
                .last_name = w->surname,
                .first_name = w->given_name,
                .establishment = si->establishment[0] ? si->establishment : NULL,
                .card = res_card_of(w->card_type),
                .practice = sp == SESSION_PRACTICE_OCCUPATIONAL   ? ACCESS_PRACTICE_OCCUPATIONAL
                            : sp == SESSION_PRACTICE_FIRE_SERVICE ? ACCESS_PRACTICE_FIRE_SERVICE
                                                                  : ACCESS_PRACTICE_CARE,
                .mode = si->mode == SESSION_MODE_EMERGENCY     ? ACCESS_MODE_EMERGENCY
                        : si->mode == SESSION_MODE_CALL_CENTRE ? ACCESS_MODE_CALL_CENTRE
                                                               : ACCESS_MODE_NORMAL,
                .reason = si->reason[0] ? si->reason : NULL,
                .session = si->id,
        };
        c->a.workstation = si->workstation[0] ? si->workstation : NULL;
}

struct dossier_engine *api_engine(const struct api_context *ctx) {
        struct api_engines *p = ctx ? ctx->engines : NULL;
        if (!p || p->n == 0)
                return ctx ? ctx->engine : NULL;
        return p->e[atomic_fetch_add(&p->next, 1) % p->n];
}

int api_sessions_find(const struct api_context *ctx, const char *token, uid_t uid, struct session_info *ret) {
        if (!ctx->sessions)
                return -EHOSTDOWN;
        return sessions_lookup(ctx->sessions, token, uid, ret);
}

/* The caller of req through ctx->find_session, of the kind `needs` asks
 * for; 503, 401 or 403 otherwise. */
static int resolve_caller(const struct api_request *req, unsigned needs, struct api_caller *ret,
                          struct api_reply *err) {
        const char *token = api_header(req, API_SESSION_HEADER);

        if (needs & API_NEED_ROOT_OK && req->uid == 0)
                return 0;
        if (!req->ctx || !req->ctx->find_session)
                return api_error(err, 503, "sessions_unavailable", "carnetd runs without sessions"), -EHOSTDOWN;
        if (!token)
                return api_error(err, 401, "no_session",
                                 "this call needs a session: open one with POST /v1/sessions (or "
                                 "/v1/patient-sessions) and send its token in " API_SESSION_HEADER), -ENOENT;
        int r = req->ctx->find_session(req->ctx, token, req->uid, &ret->si);
        if (r == -ENOTCONN || r == -ECONNREFUSED || r == -EBUSY)
                /* the host's sessions are in its database */
                return api_error(err, 503, "store_unavailable",
                                 "the dossier store (database) cannot be reached: try again"), -EHOSTDOWN;
        if (r < 0)
                /* another uid's token is reported like an unknown one */
                return api_error(err, 401, "no_session",
                                 "no live session for this token (logged out, card removed, idle too long, "
                                 "or opened by another user)"), -ENOENT;
        if (needs & API_NEED_PROFESSIONAL && ret->si.kind != SESSION_PROFESSIONAL)
                return api_error(err, 403, "professional_only", "this call needs a professional session (CPS card)"),
                       -EPERM;
        if (needs & API_NEED_PATIENT && ret->si.kind != SESSION_PATIENT)
                return api_error(err, 403, "patient_only", "this call needs the patient's own session (Carte Vitale "
                                                           "and secret)"), -EPERM;
        api_caller_from_session(ret);
        return 0;
}

/* The {ins} and {uid} path parameters, as needs asks. */
static int check_params(const struct api_request *req, unsigned needs, struct api_call *c, struct api_reply *err) {
        if (needs & API_NEED_INS) {
                const char *ins = api_path_param(req, "ins");
                /* one spelling per person: a Corsican "2a" is "2A"'s dossier */
                int r = ins ? nir_canonical(ins, c->ins_buf) : -EINVAL;
                if (r < 0)
                        return api_error_details(err, 422, "bad_ins",
                                                 json_pack("{s:s}", "problem", r == -EBADMSG ? "wrong key" : "malformed"),
                                                 "the INS must be a NIR of 15 characters with a valid key"), -EINVAL;
                c->ins = c->ins_buf;
        }
        if (needs & API_NEED_DOCUMENT) {
                const char *uid = api_path_param(req, "uid");
                if (!uid || strlen(uid) != DOSSIER_UID_SIZE - 1 ||
                    strspn(uid, "0123456789abcdef") != DOSSIER_UID_SIZE - 1)
                        return api_error_details(err, 404, "no_such_document",
                                                 json_pack("{s:s}", "reason", "deny-no-document"),
                                                 "no such document (a document id is 32 lower-case hexadecimal "
                                                 "characters)"), -ENOENT;
                c->document = uid;
        }
        return 0;
}

/* Whether a Content-Type (NULL: none given) names JSON: application/json
 * or a type/...+json, compared without case (RFC 9110 8.3.1), its
 * parameters (charset, fhirVersion) aside (lib/media-type.h). */
static bool json_media_type(const char *ct) {
        struct media_type m;
        return !ct || (media_type_parse(ct, strlen(ct), &m) == 0 && media_type_json(&m));
}

/* Every check of needs, in the order call.h gives; 1 when the request
 * goes to the dossier host from here (forward.h). */
static int prepare(const struct api_request *req, unsigned needs, struct api_call *c, struct api_reply *err) {
        if (needs & (API_NEED_SESSION | API_NEED_PROFESSIONAL | API_NEED_PATIENT) &&
            resolve_caller(req, needs, &c->caller, err) < 0)
                return -EPERM;
        if (needs & API_NEED_SESSIONS && (!req->ctx || !req->ctx->sessions))
                return api_error(err, 503, "sessions_unavailable", "carnetd runs without sessions"), -EHOSTDOWN;
        /* the body's media type here, before the agent forwards it as JSON */
        if (needs & API_NEED_JSON_TYPE && !json_media_type(api_header(req, "Content-Type")))
                return api_error_details(err, 415, "unsupported_media_type",
                                         json_pack("{s:s}", "header", "Content-Type"),
                                         "the body must be JSON (application/json or application/fhir+json)"),
                       -EINVAL;
        /* agent mode: the host has the engine and checks the rest */
        if (needs & API_NEED_ENGINE && req->ctx && req->ctx->agent)
                return 1;
        if (needs & API_NEED_ENGINE) {
                c->engine = api_engine(req->ctx);
                if (!c->engine)
                        return api_error(err, 503, "dossiers_unavailable", "carnetd runs without its dossier store"),
                               -EHOSTDOWN;
        }
        if (check_params(req, needs, c, err) < 0)
                return -EINVAL;
        if (needs & API_NEED_BODY && api_body_json(req, &c->body, err) < 0)
                return -EINVAL;
        return 0;
}

int api_invoke(const struct api_route *route, const struct api_request *req, struct api_reply *ret) {
        struct api_call c = {0};
        struct api_request r = *req;

        int p = prepare(req, route->needs, &c, ret);
        if (p < 0) {
                json_decref(c.body);
                secure_zero(&c, sizeof(c));
                return ret->body ? 0 : -ENOMEM;
        }
        r.call = &c;
        (void) dossier_durability_error(); /* an earlier call's, already answered */
        (void) dossier_commit_error();
        int rc = p > 0 ? api_agent_call(route, &r, ret) : route->handler(&r, ret);
        int d = dossier_durability_error(), undone = dossier_commit_error();
        if (d < 0) {
                /* what the handler built must not leave: it rests on writes
                 * the disk may not hold */
                api_reply_clear(ret);
                rc = api_error(ret, 503, "storage_failed",
                               "the dossier store could not write to its disk (%s): this request may not be "
                               "recorded, and carnetd accepts no more changes until it is restarted",
                               strerror(-d));
        } else if (undone < 0) {
                /* the same: it rests on writes undone since */
                api_reply_clear(ret);
                rc = api_error(ret, 503, "storage_failed",
                               "the dossier store could not record this request (%s): nothing of it was kept; "
                               "retry once the store's disk has room",
                               strerror(-undone));
        }
        json_decref(c.body);
        secure_zero(&c, sizeof(c));
        return rc;
}
