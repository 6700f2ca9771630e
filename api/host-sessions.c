/* api/host-sessions.c: the dossier host's challenges and sessions; see
 * host-sessions.h and docs/host.md. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/sha.h>

#include "documents.h"
#include "engine/dossier-session.h"
#include "engine/dossier-host.h"
#include "engine/host-sessions.h"
#include "lib/macro.h"
#include "call.h"
#include "host-sessions.h"
#include "replies.h"
#include "sessions.h"

/* Requests on the host carry this uid: never 0 (API_NEED_ROOT_OK never applies). */
#define HOST_UID ((uid_t)-2)
#define RECORD_MAX 4096
#define CERT_B64_MAX 16384
#define SIG_B64_MAX 1024

const struct api_host_call *api_host_call_of(const struct api_context *ctx) {
        return (const struct api_host_call *)((const char *)ctx - offsetof(struct api_host_call, ctx));
}

static int random_hex(size_t bytes, char *out) {
        uint8_t b[32];
        if (bytes > sizeof(b) || getrandom(b, bytes, 0) != (ssize_t)bytes)
                return -EIO;
        hex_encode(b, bytes, out);
        secure_zero(b, sizeof(b));
        return 0;
}

/* What the store keeps of a session (host_sessions.info): the JSON of its
 * identity, mode and the rest of session_info, never the token. */
static char *info_dump(const struct session_info *si) {
        const struct p11_identity *w = &si->who;
        json_t *o = json_pack("{s:i,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:i},s:s,s:s,s:i,s:s,s:i,s:s,s:s,s:s,s:s}", "kind", si->kind,
                              "who", "national_id", w->national_id, "surname", w->surname, "given_name", w->given_name,
                              "profession", w->profession, "specialty", w->specialty, "organisation", w->organisation,
                              "card_type", w->card_type, "card_serial", si->card_serial, "cert_sha256", si->cert_sha256,
                              "mode", si->mode, "reason", si->reason, "practice", si->practice, "establishment",
                              si->establishment, "ins", si->ins, "representative", si->representative, "reader", si->reader);
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        return text;
}

#define COPY(dst, src) (strcpy_bounded((dst), sizeof(dst), (src)) < 0 ? -EBADMSG : 0)

static int info_parse(const char *text, struct session_info *si) {
        _cleanup_(json_decrefp) json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
        const char *nid, *sn, *gn, *prof, *spec, *org, *serial, *sha, *reason, *est, *ins, *rep, *reader;
        int kind, ct, mode, practice;
        if (!o || json_unpack(o, "{s:i,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:i},s:s,s:s,s:i,s:s,s:i,s:s,s:s,s:s,s:s}", "kind", &kind,
                              "who", "national_id", &nid, "surname", &sn, "given_name", &gn, "profession", &prof,
                              "specialty", &spec, "organisation", &org, "card_type", &ct, "card_serial", &serial,
                              "cert_sha256", &sha, "mode", &mode, "reason", &reason, "practice", &practice,
                              "establishment", &est, "ins", &ins, "representative", &rep, "reader", &reader) < 0)
                return -EBADMSG;
        if ((kind != SESSION_PROFESSIONAL && kind != SESSION_PATIENT) || (unsigned)mode >= _SESSION_MODE_MAX ||
            (unsigned)practice >= _SESSION_PRACTICE_MAX)
                return -EBADMSG;
        si->kind = kind;
        si->who.card_type = ct;
        si->mode = mode;
        si->practice = practice;
        if (COPY(si->who.national_id, nid) || COPY(si->who.surname, sn) || COPY(si->who.given_name, gn) ||
            COPY(si->who.profession, prof) || COPY(si->who.specialty, spec) || COPY(si->who.organisation, org) ||
            COPY(si->card_serial, serial) || COPY(si->cert_sha256, sha) || COPY(si->reason, reason) ||
            COPY(si->establishment, est) || COPY(si->ins, ins) || COPY(si->representative, rep) ||
            COPY(si->reader, reader))
                return -EBADMSG;
        return 0;
}

/* api_context.find_session on the host: the session of token opened by
 * the request's workstation, from the store. */
static int host_find_session(const struct api_context *ctx, const char *token, uid_t uid, struct session_info *ret) {
        const struct api_host_call *hc = api_host_call_of(ctx);
        _cleanup_(host_session_freep) struct host_session hs = {0};
        struct session_info si = {0};

        struct dossier_engine *e = api_engine(ctx);
        if (!hc->workstation || !e)
                return -ENOENT;
        int r = host_session_find(e, token, hc->workstation, hc->host->idle_s, &hs);
        if (r < 0)
                return r;
        r = info_parse(hs.info, &si);
        if (r < 0 || COPY(si.id, hs.session_id) || COPY(si.workstation, hc->workstation))
                return -ENOENT;
        si.uid = HOST_UID;
        si.opened_at = (time_t)hs.opened_at;
        si.last_used = (time_t)hs.last_used;
        *ret = si;
        secure_zero(&si, sizeof(si));
        return 0;
}

/* Stores a new session si (its id, info) for the request's workstation
 * and writes its token. */
static int session_store(const struct api_request *req, struct session_info *si, char token[HOST_TOKEN_LEN + 1]) {
        const struct api_host_call *hc = api_host_call_of(req->ctx);
        int r = random_hex(HOST_TOKEN_LEN / 2, token);
        if (r < 0)
                return r;
        (void)strcpy_bounded(si->workstation, sizeof(si->workstation), req->workstation);
        si->uid = HOST_UID;
        si->opened_at = si->last_used = (time_t)dossier_engine_now(req->ctx->engine);
        _cleanup_free_ char *info = info_dump(si);
        if (!info)
                return -ENOMEM;
        return host_session_put(req->ctx->engine, token, si->id, si->kind, req->workstation, info, hc->host->idle_s);
}

/* api_context.open_patient_session on the host: a patient session in the
 * store, bound to the workstation (no card insertion here). */
static int host_open_patient(const struct api_request *req, const char *ins, const char *representative,
                             struct session_info *ret, char token[65]) {
        struct session_info si = {.kind = SESSION_PATIENT, .mode = SESSION_MODE_NORMAL};
        int r = random_hex(SESSION_ID_LEN / 2, si.id);
        if (r < 0 || !req->workstation)
                return r < 0 ? r : -EPERM;
        (void)strcpy_bounded(si.ins, sizeof(si.ins), ins);
        (void)strcpy_bounded(si.representative, sizeof(si.representative), representative ? representative : "");
        r = session_store(req, &si, token);
        if (r == 0)
                *ret = si;
        return r;
}

void api_host_init(struct api_host *h) {
        h->ctx.find_session = host_find_session;
        h->ctx.vitale_in_body = true;
        h->ctx.open_patient_session = host_open_patient;
        pthread_mutex_init(&h->trust_lock, NULL);
}

void api_host_done(struct api_host *h) {
        pthread_mutex_destroy(&h->trust_lock);
}

int res_host_challenges_post(const struct api_request *req, struct api_reply *ret) {
        char c[HOST_CHALLENGE_LEN + 1];
        if (!req->workstation)
                return api_error(ret, 403, "workstation_refused", "challenges are given to workstations only");
        int r = host_challenge_issue(req->call->engine, req->workstation, c);
        if (r < 0)
                return api_error(ret, 500, "internal", "no challenge: %s", strerror(-r));
        return api_ok(ret, 201, json_pack("{s:s,s:i}", "challenge", c, "expires_in", HOST_CHALLENGE_TTL_S));
}

/* The session record the card signed, as the host reads it. */
struct record {
        json_t *o;
        const char *session_id, *national_id, *card_serial, *cert_sha256, *workstation, *reader, *nonce, *card_type;
};

static bool hex_of(const char *s, size_t n) {
        return s && strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

/* Parses the record text (session/session.c build_record): an object of
 * exactly the fields a carnetd writes, version 1. */
static int record_parse(const char *text, size_t len, struct record *ret) {
        struct record rec = {0};
        int version;
        json_int_t uid, at;
        if (len == 0 || len > RECORD_MAX || strlen(text) != len)
                return -EBADMSG;
        rec.o = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
        if (!rec.o || json_unpack(rec.o, "{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I !}", "version", &version,
                                  "session_id", &rec.session_id, "national_id", &rec.national_id, "card_serial",
                                  &rec.card_serial, "cert_sha256", &rec.cert_sha256, "workstation", &rec.workstation,
                                  "reader", &rec.reader, "nonce", &rec.nonce, "card_type", &rec.card_type, "uid", &uid,
                                  "time", &at) < 0 ||
            version != 1 || !hex_of(rec.session_id, SESSION_ID_LEN) || !hex_of(rec.cert_sha256, 64) ||
            strlen(rec.national_id) >= sizeof(((struct p11_identity *)0)->national_id) ||
            strlen(rec.card_serial) >= sizeof(((struct session_info *)0)->card_serial) ||
            strlen(rec.reader) >= sizeof(((struct session_info *)0)->reader)) {
                json_decref(rec.o);
                return -EBADMSG;
        }
        *ret = rec;
        return 0;
}

/* 403 session_refused with details.reason, traced in the host's trail
 * (action host-session, code the reason with '-' for '_'). */
static int refuse(const struct api_request *req, struct api_reply *ret, const char *reason, const char *msg) {
        char code[48];
        size_t i = 0;
        for (; reason[i] && i < sizeof(code) - 1; i++)
                code[i] = reason[i] == '_' ? '-' : reason[i];
        code[i] = '\0';
        (void)dossier_host_refused(req->ctx->engine, "workstation", req->workstation, req->workstation, "host-session",
                                   code);
        report(&req->ctx->reporter, &(struct report){.event = "host-session-refused", .detail = reason});
        return api_error_details(ret, 403, "session_refused", json_pack("{s:s}", "reason", reason), "%s", msg);
}

/* The certificate against the host's own anchors and CRLs (read again
 * when their files changed), for authentication, now. */
static int cert_trusted(const struct api_host *h, const uint8_t *der, size_t len, struct trust_error *te) {
        struct api_host *mh = (struct api_host *)h;
        if (!h->trust)
                return -ENOKEY;
        pthread_mutex_lock(&mh->trust_lock);
        (void)trust_store_refresh_crls(mh->trust, false, NULL);
        int r = trust_verify_cert(h->trust, der, len, 0, TRUST_USAGE_AUTH, te);
        pthread_mutex_unlock(&mh->trust_lock);
        return r;
}

/* The checks of docs/host.md, in order, once the challenge is taken: the
 * certificate, its fingerprint in the record, the signature, the identity.
 * Returns NULL with si filled, or the refusal's reason (*msg: why). */
static const char *record_verify(const struct api_host *h, const struct record *rec, const char *text, size_t len,
                                 const uint8_t *cert, size_t cert_len, const uint8_t *sig, size_t sig_len,
                                 struct session_info *si, const char **msg) {
        struct trust_error te = {0};
        uint8_t fp[32];
        char fp_hex[65];

        if (cert_trusted(h, cert, cert_len, &te) < 0)
                return *msg = "the CPS certificate does not verify against the host's trust anchors and revocation lists",
                       "untrusted_certificate";
        if (trust_cert_fingerprint(cert, cert_len, fp) < 0)
                return *msg = "the certificate does not parse", "untrusted_certificate";
        hex_encode(fp, sizeof(fp), fp_hex);
        if (strcmp(fp_hex, rec->cert_sha256) != 0)
                return *msg = "the record names another certificate (cert_sha256)", "identity_mismatch";
        if (trust_verify_signature(cert, cert_len, text, len, sig, sig_len, &te) < 0)
                return *msg = "the signature over the record does not verify with the certificate", "bad_signature";
        if (p11_identity_from_cert(h->map, cert, cert_len, &si->who) < 0 ||
            strcmp(si->who.national_id, rec->national_id) != 0 ||
            strcmp(p11_card_type_to_string(si->who.card_type), rec->card_type) != 0)
                return *msg = "the record's national id or card type is not the certificate's", "identity_mismatch";
        return NULL;
}

/* Decodes the two base64 members; false when either is not valid base64. */
static bool decode_parts(const char *cert_b64, const char *sig_b64, uint8_t **cert, size_t *cert_len, uint8_t **sig,
                         size_t *sig_len) {
        size_t cl = strlen(cert_b64), sl = strlen(sig_b64);
        return cl > 0 && cl <= CERT_B64_MAX && sl > 0 && sl <= SIG_B64_MAX &&
               res_base64_decode(cert_b64, cl, cert, cert_len) == 0 && res_base64_decode(sig_b64, sl, sig, sig_len) == 0;
}

/* The session the verified record opens, stored; the reply. */
static int session_open(const struct api_request *req, const struct record *rec, const char *text,
                        struct session_info *si, struct api_reply *ret) {
        char token[HOST_TOKEN_LEN + 1];
        uint8_t d[SHA256_DIGEST_LENGTH];
        char hex[2 * SHA256_DIGEST_LENGTH + 1];

        si->kind = SESSION_PROFESSIONAL;
        (void)strcpy_bounded(si->id, sizeof(si->id), rec->session_id);
        (void)strcpy_bounded(si->card_serial, sizeof(si->card_serial), rec->card_serial);
        (void)strcpy_bounded(si->reader, sizeof(si->reader), rec->reader);
        (void)strcpy_bounded(si->cert_sha256, sizeof(si->cert_sha256), rec->cert_sha256);
        (void)strcpy_bounded(si->establishment, sizeof(si->establishment), si->who.organisation);
        int r = session_store(req, si, token);
        if (r == -EEXIST)
                return api_error(ret, 409, "session_exists", "this session is open already");
        if (r < 0)
                return api_error(ret, 500, "internal", "the session could not be stored: %s", strerror(-r));
        /* the trail links the session id to the record the card signed */
        SHA256((const unsigned char *)text, strlen(text), d);
        hex_encode(d, sizeof(d), hex);
        (void)dossier_session_audit(req->ctx->engine, si->who.national_id, si->id, si->establishment,
                                    si->workstation, hex);
        json_t *doc = json_pack("{s:s,s:o}", "token", token, "session", res_session_json(si));
        secure_zero(token, sizeof(token));
        return api_ok(ret, 201, doc);
}

int res_host_sessions_post(const struct api_request *req, struct api_reply *ret) {
        static const char *const fields[] = {"record", "signature", "certificate", NULL};
        const struct api_host_call *hc = api_host_call_of(req->ctx);
        json_t *body = req->call->body;
        _cleanup_free_ uint8_t *cert = NULL, *sig = NULL;
        size_t cert_len = 0, sig_len = 0;
        struct record rec = {0};
        struct session_info si = {0};
        const char *msg = NULL, *why;

        if (!req->workstation)
                return api_error(ret, 403, "workstation_refused", "sessions are opened from workstations only");
        if (api_check_fields(body, fields, ret) < 0)
                return 0;
        json_t *jr = json_object_get(body, "record"), *js = json_object_get(body, "signature"),
               *jc = json_object_get(body, "certificate");
        if (!json_is_string(jr) || !json_is_string(js) || !json_is_string(jc))
                return refuse(req, ret, "malformed_record", "record, signature and certificate must be strings");
        const char *text = json_string_value(jr);
        size_t len = json_string_length(jr);
        if (record_parse(text, len, &rec) < 0)
                return refuse(req, ret, "malformed_record", "the record is not a version 1 session record");
        if (!decode_parts(json_string_value(jc), json_string_value(js), &cert, &cert_len, &sig, &sig_len))
                why = "malformed_record", msg = "the certificate and the signature must be base64";
        else if (host_challenge_take(req->ctx->engine, rec.nonce, req->workstation) < 0)
                why = "bad_challenge", msg = "the record's nonce is no live challenge of this workstation (unknown, "
                                             "expired, or used already)";
        else if (strcmp(rec.workstation, req->workstation) != 0)
                why = "workstation_mismatch", msg = "the record names another workstation than this connection's";
        else
                why = record_verify(hc->host, &rec, text, len, cert, cert_len, sig, sig_len, &si, &msg);
        int r = why ? refuse(req, ret, why, msg) : session_open(req, &rec, text, &si, ret);
        json_decref(rec.o);
        secure_zero(&si, sizeof(si));
        return r;
}

int res_host_session_mode_put(const struct api_request *req, struct api_reply *ret) {
        struct session_info si = req->call->caller.si;
        const char *reason, *token = api_header(req, API_SESSION_HEADER);

        if (res_session_mode_parse(req->call->body, &si.mode, &si.practice, &reason, ret) < 0)
                return ret->body ? 0 : -ENOMEM;
        (void)strcpy_bounded(si.reason, sizeof(si.reason), reason ? reason : "");
        _cleanup_free_ char *info = info_dump(&si);
        if (!info)
                return -ENOMEM;
        int r = host_session_set_info(req->call->engine, token, req->workstation, info);
        if (r == -ENOENT)
                return api_error(ret, 401, "no_session", "the session ended");
        if (r < 0)
                return api_error(ret, 500, "internal", "%s", strerror(-r));
        return api_ok(ret, 200, res_session_json(&si));
}

int res_host_session_delete(const struct api_request *req, struct api_reply *ret) {
        const struct session_info *si = &req->call->caller.si;
        int r = host_session_delete(req->call->engine, api_header(req, API_SESSION_HEADER), req->workstation);
        if (r == -ENOENT)
                return api_error(ret, 401, "no_session", "the session ended");
        if (r < 0)
                return api_error(ret, 500, "internal", "%s", strerror(-r));
        return api_ok(ret, 200, json_pack("{s:s,s:b}", "id", si->id, "closed", true));
}
