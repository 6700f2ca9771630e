/* api/forward.c: requests sent on to the dossier host (forward.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/agent.h"
#include "http/conditional.h"
#include "lib/macro.h"
#include "call.h"
#include "context.h"
#include "dossiers.h"
#include "fhir-common.h"
#include "forward.h"
#include "patient-sessions.h"
#include "replies.h"
#include "sessions.h"

int api_agent_fail(struct api_reply *ret, int err) {
        if (err == -ENOMEM)
                return -ENOMEM;
        if (err != -EHOSTUNREACH && err != -ETIMEDOUT && err != -EBADMSG)
                return api_error(ret, 500, "internal", "the dossier host could not be asked (%s)", strerror(-err));
        return api_error(ret, 503, agent_error_code(err), "%s", agent_error_message(err));
}

_Static_assert(sizeof(((struct agent_reply *)0)->vary) <= API_VARY_SIZE, "room for the host's Vary");

int api_relay(struct api_reply *ret, struct agent_reply *rep) {
        int r;
        if (rep->status == 304) {
                /* Not Modified (http/conditional.h): no body, the ETag */
                r = api_reply_not_modified(ret, rep->etag);
                if (rep->warning[0])
                        (void)strcpy_bounded(ret->warning, sizeof(ret->warning), rep->warning);
                (void)strcpy_bounded(ret->vary, sizeof(ret->vary), rep->vary);
                agent_reply_done(rep);
                return r;
        }
        if (rep->json) {
                r = api_ok(ret, rep->status, TAKE_PTR(rep->json));
        } else {
                uint8_t *body = TAKE_PTR(rep->body);
                r = res_ok_bytes(ret, rep->status, rep->content_type, body, body ? rep->len : 0);
        }
        if (r == 0 && rep->warning[0])
                (void)strcpy_bounded(ret->warning, sizeof(ret->warning), rep->warning);
        if (r == 0 && rep->etag[0])
                (void)strcpy_bounded(ret->etag, sizeof(ret->etag), rep->etag);
        if (r == 0 && rep->last_modified[0])
                (void)strcpy_bounded(ret->last_modified, sizeof(ret->last_modified), rep->last_modified);
        if (r == 0)
                (void)strcpy_bounded(ret->vary, sizeof(ret->vary), rep->vary);
        agent_reply_done(rep);
        return r;
}

int api_host_token(const struct api_request *req, const char *id, char tok[SESSION_HOST_TOKEN_LEN + 1],
                   struct api_reply *ret) {
        if (req->ctx->sessions && sessions_host_token(req->ctx->sessions, id, tok) == 0)
                return 0;
        api_error(ret, 401, "no_session", "this session has no session on the dossier host: open a new one");
        return -ENOENT;
}

/* The carnet code of an error reply, in the error shape or, under /fhir,
 * as the first coding of an OperationOutcome's first issue; NULL. */
static const char *error_code(const json_t *body) {
        const json_t *err = json_object_get(body, "error");
        if (err)
                return json_string_value(json_object_get(err, "code"));
        const json_t *issue = json_array_get(json_object_get(body, "issue"), 0);
        const json_t *coding = json_object_get(json_object_get(issue, "details"), "coding");
        return json_string_value(json_object_get(json_array_get(coding, 0), "code"));
}

int api_host_forgot(const struct api_request *req, const char *id, struct api_reply *ret) {
        const char *code = ret->status == 401 ? error_code(ret->body) : NULL;
        if (!code || strcmp(code, "no_session") != 0)
                return 0;
        (void)sessions_host_ended(req->ctx->sessions, id, req->uid);
        api_reply_clear(ret);
        return api_error(ret, 401, "no_session",
                         "the dossier host no longer knows this session (idle past its session_idle_s, or ended "
                         "there): it is closed here too; log in again (POST /v1/sessions, or /v1/patient-sessions)")
                       < 0 ? -ENOMEM : 1;
}

/* The request headers the host's answer depends on, each field of them,
 * as the client sent them: what the forwarded routes read (api_header()
 * and http/conditional.c): FHIR's Accept (406, Binary as a resource or
 * as CDA) and Prefer (handling=lenient), a conditional read's
 * If-None-Match and If-Modified-Since, a raw deposit's X-Carnet-Document.
 * Not Content-Type (the caller gives it: a Vitale route sends a body of
 * its own), nor the session (the host token goes instead: a client's
 * header never says who the caller is to the host), nor Host (the host's
 * own; the client's goes in Forwarded), nor any hop-by-hop header (RFC
 * 9110 7.6.1: Connection, Keep-Alive, TE, Transfer-Encoding, Upgrade...),
 * nor a client's Forwarded (the agent writes its own). */
static const char *const relayed[] = {"Accept", "Prefer", "If-None-Match", "If-Modified-Since", "X-Carnet-Document"};
/* every field of a request, Content-Type and Forwarded */
_Static_assert(AGENT_HEADERS_MAX >= API_HEADERS_MAX + 2, "room for every relayed header");

/* Sends req's method, path and query with body (len bytes of type ctype)
 * and token, and relays the reply.  The headers above go along, and
 * Forwarded (RFC 7239) with the scheme and host this client asked on, the
 * base of the host's FHIR URLs (fhir_base()). */
static int forward(const struct api_request *req, const char *token, const char *ctype, const void *body,
                   size_t len, struct api_reply *ret) {
        struct agent_param q[API_QUERY_MAX], h[AGENT_HEADERS_MAX];
        char fwd[FHIR_FORWARDED_SIZE];
        size_t nh = 0;
        for (size_t i = 0; i < req->n_query && i < API_QUERY_MAX; i++)
                q[i] = (struct agent_param){req->query[i].name, req->query[i].value};
        if (ctype)
                h[nh++] = (struct agent_param){"Content-Type", ctype};
        h[nh++] = (struct agent_param){"Forwarded", fhir_forwarded(req, fwd)};
        for (size_t i = 0; i < req->n_headers; i++)
                for (size_t j = 0; j < ELEMENTSOF(relayed) && nh < ELEMENTSOF(h); j++)
                        if (strcasecmp(req->headers[i].name, relayed[j]) == 0)
                                h[nh++] = (struct agent_param){relayed[j], req->headers[i].value};
        struct agent_reply rep = {0};
        size_t nq = req->n_query < API_QUERY_MAX ? req->n_query : API_QUERY_MAX;
        /* a body the server spooled is sent from its file, as it is read */
        int r = req->spool ? agent_forward_file(req->ctx->agent, req->method, req->path, q, nq, token, h, nh,
                                                req->spool->fd, req->spool->len, &rep)
                           : agent_forward(req->ctx->agent, req->method, req->path, q, nq, token, h, nh, body, len,
                                           &rep);
        if (r < 0)
                return api_agent_fail(ret, r);
        return api_relay(ret, &rep);
}

/* ---- the routes that read the Carte Vitale ---------------------------------- */

/* The person on the card, as the host takes it (contract: "vitale"). */
static json_t *vitale_json(const struct vitale_person *p) {
        return json_pack("{s:s,s:s,s:s,s:s,s:s}", "surname", p->surname, "first_name", p->first_name, "birth_date",
                         p->birth_date, "birth_rank", p->birth_rank, "nir", p->nir);
}

/* The local body with "index", "nir", "own_nir" and "reader" replaced by
 * the person they name, read from the card here: *ret_text (to wipe and
 * free), and the person, reader and insertion.  0, or *err filled (-EINVAL). */
static int vitale_body(const struct api_request *req, json_t **ret_body, char **ret_text, struct vitale_person *p,
                       char reader[READER_NAME_MAX], uint64_t *insertion, struct api_reply *err) {
        json_t *body = NULL;
        if (api_body_json(req, &body, err) < 0)
                return -EINVAL;
        if (res_vitale_person(req, body, p, reader, insertion, err) < 0) {
                json_decref(body);
                return -EINVAL;
        }
        static const char *const local[] = {"index", "nir", "own_nir", "reader"};
        for (size_t i = 0; i < ELEMENTSOF(local); i++)
                (void)json_object_del(body, local[i]);
        *ret_text = json_object_set_new(body, "vitale", vitale_json(p)) == 0 ? json_dumps(body, JSON_COMPACT) : NULL;
        if (!*ret_text) {
                json_decref(body);
                return -ENOMEM;
        }
        *ret_body = body;
        return 0;
}

/* Wipes the strings of a body that may hold a secret, then frees it. */
static void body_wipe(json_t *body, char *text) {
        const char *k;
        json_t *v;
        json_object_foreach(body, k, v) if (json_is_string(v))
                secure_zero((char *)json_string_value(v), json_string_length(v));
        json_decref(body);
        if (text)
                secure_zero(text, strlen(text));
        free(text);
}

/* POST /v1/dossiers and /v1/patient-dossiers: the card read here. */
static int vitale_post(const struct api_request *req, const char *token, struct api_reply *ret) {
        struct vitale_person p;
        char reader[READER_NAME_MAX], *text = NULL;
        uint64_t insertion;
        json_t *body = NULL;
        int r = vitale_body(req, &body, &text, &p, reader, &insertion, ret);
        secure_zero(&p, sizeof(p));
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        r = forward(req, token, "application/json", text, strlen(text), ret);
        body_wipe(body, text);
        return r;
}

/* The local patient session of a host's 201 (whose "token" is the host's):
 * bound to the card insertion the person was read from. */
static int patient_local(const struct api_request *req, const json_t *body, const struct vitale_person *p,
                         const char *reader, uint64_t insertion, const char *host_token, struct api_reply *ret) {
        const char *rep_for = json_string_value(json_object_get(body, "acting_for"));
        struct session_info si;
        char token[SESSION_TOKEN_LEN + 1];
        int r = sessions_open_patient(req->ctx->sessions, reader, insertion, rep_for ? rep_for : p->nir,
                                      rep_for ? p->nir : NULL, req->uid, &si, token);
        if (r == 0 && (r = sessions_set_host_token(req->ctx->sessions, si.id, host_token)) < 0)
                (void)sessions_close(req->ctx->sessions, si.id, req->uid);
        if (r < 0) {
                (void)agent_close_session(req->ctx->agent, host_token);
                if (r == -ENODEV)
                        return api_error(ret, 503, "card_removed", "the Carte Vitale left the reader");
                if (r == -EUSERS)
                        return api_error(ret, 409, "too_many_sessions", "%d sessions are open: close one first",
                                         SESSIONS_MAX);
                return api_error(ret, 500, "internal", "%s", strerror(-r));
        }
        json_t *doc = json_pack("{s:s,s:o}", "token", token, "session", res_session_json(&si));
        secure_zero(token, sizeof(token));
        return api_ok(ret, 201, doc);
}

/* POST /v1/patient-sessions: the host checks the secret and opens its
 * side; then the local session, on the card insertion. */
static int patient_session(const struct api_request *req, struct api_reply *ret) {
        struct vitale_person p;
        char reader[READER_NAME_MAX], *text = NULL, host_token[AGENT_TOKEN_LEN + 1];
        uint64_t insertion;
        json_t *body = NULL;
        struct agent_reply rep = {0};
        int r = vitale_body(req, &body, &text, &p, reader, &insertion, ret);
        if (r < 0) {
                secure_zero(&p, sizeof(p));
                return r == -ENOMEM ? r : 0;
        }
        static const struct agent_param ct = {"Content-Type", "application/json"};
        r = agent_forward(req->ctx->agent, "POST", req->path, NULL, 0, NULL, &ct, 1, text, strlen(text), &rep);
        const char *t = r == 0 ? json_string_value(json_object_get(rep.json, "token")) : NULL;
        if (r < 0)
                r = api_agent_fail(ret, r);
        else if (rep.status != 201)
                r = api_relay(ret, &rep);
        else if (!t || strcpy_bounded(host_token, sizeof(host_token), t) < 0 || strlen(t) != AGENT_TOKEN_LEN)
                r = api_agent_fail(ret, -EBADMSG);
        else
                r = patient_local(req, body, &p, reader, insertion, host_token, ret);
        agent_reply_done(&rep);
        secure_zero(host_token, sizeof(host_token));
        secure_zero(&p, sizeof(p));
        body_wipe(body, text);
        return r;
}

int api_agent_call(const struct api_route *route, const struct api_request *req, struct api_reply *ret) {
        const struct api_call *c = req->call;
        char tok[SESSION_HOST_TOKEN_LEN + 1] = "";
        int r;
        if (route->handler == res_patient_sessions_post)
                return patient_session(req, ret);
        /* root may come without a session (API_NEED_ROOT_OK); the host
         * has no such exception: root's session is sent when given */
        struct session_info si;
        const char *local = api_header(req, API_SESSION_HEADER);
        bool present = c->caller.present;
        if (present)
                si = c->caller.si;
        else if (local && req->ctx->find_session && req->ctx->find_session(req->ctx, local, req->uid, &si) == 0)
                present = true;
        if (present && api_host_token(req, si.id, tok, ret) < 0)
                return 0;
        const char *token = present ? tok : NULL;
        if (route->handler == res_dossiers_post || route->handler == res_patient_dossiers_post)
                r = vitale_post(req, token, ret);
        else
                r = forward(req, token, api_header(req, "Content-Type"), req->body, req->body_len, ret);
        /* the host forgot the session: so does carnetd, and the client
         * is told to log in again rather than left with a live local
         * session the host refuses (and a new login refused 409) */
        if (r == 0 && present && (r = api_host_forgot(req, si.id, ret)) > 0)
                r = 0;
        secure_zero(tok, sizeof(tok));
        if (present)
                secure_zero(&si, sizeof(si));
        return r;
}

/* ---- the host's side of a professional session -------------------------- */

int api_host_session_open(const struct api_request *req, const struct session_info *si, struct api_reply *ret) {
        _cleanup_free_ char *record = NULL;
        _cleanup_free_ uint8_t *sig = NULL, *der = NULL;
        size_t sig_len = 0, der_len = 0;
        char token[AGENT_TOKEN_LEN + 1];
        struct agent_reply refusal = {0};
        int r = sessions_record(req->ctx->sessions, si->id, &record, &sig, &sig_len);
        if (r == 0)
                r = sessions_auth_cert(req->ctx->sessions, si->id, &der, &der_len);
        if (r == 0)
                r = agent_open_session(req->ctx->agent, record, sig, sig_len, der, der_len, token, &refusal);
        if (r == 0 && (r = sessions_set_host_token(req->ctx->sessions, si->id, token)) < 0)
                (void)agent_close_session(req->ctx->agent, token);
        if (r == 0) {
                secure_zero(token, sizeof(token));
                return 0;
        }
        /* the host refused or could not be asked: no session at all */
        (void)sessions_close(req->ctx->sessions, si->id, si->uid);
        if (r == -EPERM)
                (void)api_relay(ret, &refusal);
        else if (r == -ENOENT)
                api_error(ret, 503, "card_removed", "the CPS card left the reader");
        else
                api_agent_fail(ret, r);
        secure_zero(token, sizeof(token));
        return -EPERM;
}
