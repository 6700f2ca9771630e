/* api/dossiers.c: the dossier resources; see dossiers.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "context.h"
#include "engine/dossier-session.h"
#include "lib/macro.h"
#include "reader/monitor.h"
#include "lib/nir.h"
#include "call.h"
#include "dossiers.h"
#include "replies.h"
#include "status.h"

#define INS_OID "1.2.250.1.213.1.4.8"
#define INS_OID_TEST "1.2.250.1.213.1.4.10"

/* docs/rules.md §5: a dossier is keyed by the person's own NIR, never the
 * card holder's.  A beneficiary whose NIR on the card is absent or is the
 * holder's has none of their own there: the caller types it in "own_nir",
 * checked (key, and not the holder's).  p is card->p[idx]; on success its
 * NIR is the one to use.  Fills err and returns -EINVAL otherwise. */
static int own_nir(const json_t *body, const struct vitale_card *card, size_t idx, struct vitale_person *p,
                   struct api_reply *err) {
        json_t *jown = json_object_get(body, "own_nir");
        bool holders = idx > 0 && p->nir[0] && strcmp(p->nir, card->p[0].nir) == 0;
        bool lacks = holders || !p->nir[0];

        if (!jown) {
                if (holders)
                        return api_error_details(err, 422, "holder_nir", json_pack("{s:s}", "field", "own_nir"),
                                                 "this person carries the card holder's NIR, not one of their own: "
                                                 "their dossier cannot be keyed by it; give the person's own NIR "
                                                 "(15 characters, with its key) in \"own_nir\""), -EINVAL;
                return 0;
        }
        if (!lacks)
                return res_bad_field(err, 400, "bad_field", "own_nir",
                                     "own_nir is only for a person without a NIR of their own on the card"), -EINVAL;
        char own[NIR_LEN + 1];
        int r = json_string_value(jown) ? nir_canonical(json_string_value(jown), own) : -EINVAL;
        bool is_holders = r >= 0 && card->p[0].nir[0] && strcmp(own, card->p[0].nir) == 0;
        if (r >= 0 && !is_holders)
                (void)strcpy_bounded(p->nir, sizeof(p->nir), own);
        secure_zero(own, sizeof(own)); /* a NIR: only p keeps it */
        if (r < 0 || is_holders)
                return api_error_details(err, 422, "bad_ins",
                                         json_pack("{s:s,s:s}", "field", "own_nir", "problem",
                                                   r == -EBADMSG ? "wrong key" : r < 0 ? "malformed" : "holder's NIR"),
                                         "own_nir must be the person's own NIR: 15 characters with a correct key, "
                                         "not the card holder's"), -EINVAL;
        p->nir_valid = true;
        p->nir_problem = NULL;
        return 0;
}

/* One text member of the host's "vitale" object into out (of size): a
 * string of min to size - 1 bytes, printable text.  Fills err otherwise. */
static int vitale_text(const json_t *v, const char *name, size_t min, char *out, size_t size, struct api_reply *err) {
        json_t *j = json_object_get(v, name);
        size_t n = json_string_length(j);
        if (!json_is_string(j) || n < min || n >= size || (n && dossier_text_check(json_string_value(j), n, size) < 0)) {
                api_error_details(err, 400, "bad_field", json_pack("{s:s,s:s}", "field", "vitale", "member", name),
                                  "vitale.%s must be printable text of %zu to %zu bytes", name, min, size - 1);
                return -EINVAL;
        }
        memcpy(out, json_string_value(j), n + 1);
        return 0;
}

/* On the dossier host: the person as the workstation's agent read them
 * from the card, body's "vitale" object (docs/host.md), every member
 * checked; no reader, no insertion. */
static int vitale_from_body(const json_t *body, struct vitale_person *ret, char ret_reader[READER_NAME_MAX],
                            uint64_t *ret_insertion, struct api_reply *err) {
        static const char *const members[] = {"surname", "first_name", "birth_date", "birth_rank", "nir", NULL};
        json_t *v = json_object_get(body, "vitale");
        struct vitale_person p = {0};

        if (!json_is_object(v))
                return res_bad_field(err, 400, "bad_field", "vitale",
                                     "the dossier host takes the person on the Carte Vitale as a \"vitale\" object "
                                     "(surname, first_name, birth_date, birth_rank, nir), read by the workstation"),
                       -EINVAL;
        if (json_object_get(body, "index") || json_object_get(body, "nir") || json_object_get(body, "reader") ||
            json_object_get(body, "own_nir"))
                return res_bad_field(err, 400, "bad_field", "vitale",
                                     "on the dossier host the person is given in \"vitale\" only: no index, nir, "
                                     "own_nir or reader (the workstation gives the person's own NIR in vitale.nir)"),
                       -EINVAL;
        if (api_check_fields(v, members, err) < 0 || vitale_text(v, "surname", 1, p.surname, sizeof(p.surname), err) < 0 ||
            vitale_text(v, "first_name", 1, p.first_name, sizeof(p.first_name), err) < 0 ||
            vitale_text(v, "birth_date", 8, p.birth_date, 9, err) < 0 ||
            vitale_text(v, "birth_rank", 0, p.birth_rank, sizeof(p.birth_rank), err) < 0 ||
            vitale_text(v, "nir", 15, p.nir, sizeof(p.nir), err) < 0)
                return secure_zero(&p, sizeof(p)), -EINVAL;
        if (!vitale_date_valid(p.birth_date) || strspn(p.birth_rank, "0123456789") != strlen(p.birth_rank)) {
                secure_zero(&p, sizeof(p));
                return res_bad_field(err, 400, "bad_field", "vitale",
                                     "vitale.birth_date must be a calendar date as YYYYMMDD and vitale.birth_rank "
                                     "digits"), -EINVAL;
        }
        char nir[NIR_LEN + 1];
        int r = nir_canonical(p.nir, nir);
        if (r < 0) {
                secure_zero(&p, sizeof(p));
                return api_error_details(err, 422, "bad_ins",
                                         json_pack("{s:s,s:s}", "field", "vitale.nir", "problem",
                                                   r == -EBADMSG ? "wrong key" : "malformed"),
                                         "vitale.nir must be a NIR of 15 characters with a valid key"), -EINVAL;
        }
        memcpy(p.nir, nir, sizeof(nir)); /* as the dossiers are keyed */
        secure_zero(nir, sizeof(nir));
        p.birth_date_valid = p.nir_valid = true;
        *ret = p;
        secure_zero(&p, sizeof(p));
        ret_reader[0] = '\0';
        *ret_insertion = 0;
        return 0;
}

int res_vitale_person(const struct api_request *req, const json_t *body, struct vitale_person *ret,
                      char ret_reader[READER_NAME_MAX], uint64_t *ret_insertion, struct api_reply *err) {
        if (req->ctx && req->ctx->vitale_in_body)
                return vitale_from_body(body, ret, ret_reader, ret_insertion, err);
        if (json_object_get(body, "vitale"))
                return res_bad_field(err, 400, "bad_field", "vitale",
                                     "\"vitale\" is for the dossier host: here the card is read, name the person "
                                     "with \"index\" or \"nir\""), -EINVAL;
        json_t *jidx = json_object_get(body, "index"), *jnir = json_object_get(body, "nir"),
               *jreader = json_object_get(body, "reader");
        struct vitale_card card;
        struct reader_snapshot snap;
        const struct vitale_person *p = NULL;
        int r;

        if ((jidx && !json_is_integer(jidx)) || (jnir && !json_is_string(jnir)) || (!jidx == !jnir)) {
                api_error_details(err, 400, "bad_field", json_pack("{s:s}", "field", jidx ? "index" : "nir"),
                                  "name the person on the Carte Vitale with \"index\" (a number from GET /v1/vitale) "
                                  "or \"nir\", one of them");
                return -EINVAL;
        }
        if (jreader && !json_is_string(jreader)) {
                api_error_details(err, 400, "bad_field", json_pack("{s:s}", "field", "reader"), "reader must be a string");
                return -EINVAL;
        }
        if (!req->ctx || !req->ctx->monitor) {
                api_error(err, 503, "pcscd_unreachable", "carnetd runs without its reader monitor");
                return -EHOSTDOWN;
        }
        r = monitor_vitale(req->ctx->monitor, json_string_value(jreader), &card, ret_reader, ret_insertion);
        if (r == -ENODEV) {
                monitor_snapshot(req->ctx->monitor, &snap);
                if (!snap.pcscd_reachable)
                        api_error(err, 503, "pcscd_unreachable", "pcscd is not reachable: %s", snap.error);
                else
                        api_error(err, 404, "no_vitale_card",
                                  "no Carte Vitale in %s: the patient's card must be inserted",
                                  jreader ? "that reader" : "any reader");
                return r;
        }
        if (r == -EBADMSG) {
                api_error(err, 422, "card_malformed", "the Carte Vitale answered with malformed data");
                return r;
        }
        if (r < 0) {
                if (r == -EBUSY)
                        api_error(err, 503, card_error_code(r), "another program holds the card in the reader: "
                                  "carnet reads it once that program lets it go");
                else
                        api_error(err, 503, card_error_code(r), "the Carte Vitale could not be read (%s)",
                                  strerror(-r));
                return r;
        }
        if (jidx) {
                json_int_t i = json_integer_value(jidx);
                if (i >= 0 && (size_t)i < card.n)
                        p = &card.p[i];
        } else {
                /* the card's NIRs are in their canonical spelling (card/vitale.c) */
                char want[NIR_LEN + 1] = "";
                (void) nir_canonical(json_string_value(jnir), want);
                for (size_t i = 0; i < card.n && !p; i++)
                        if (card.p[i].nir[0] && strcmp(card.p[i].nir, want[0] ? want : json_string_value(jnir)) == 0)
                                p = &card.p[i];
                secure_zero(want, sizeof(want));
        }
        if (!p) {
                secure_zero(&card, sizeof(card));
                api_error(err, 404, "no_such_person", "no such person on the inserted Carte Vitale");
                return -ENOENT;
        }
        struct vitale_person chosen = *p;
        if (own_nir(body, &card, (size_t)(p - card.p), &chosen, err) < 0) {
                secure_zero(&chosen, sizeof(chosen));
                secure_zero(&card, sizeof(card));
                return -EINVAL;
        }
        p = &chosen;
        if (!p->nir_valid) {
                api_error_details(err, 422, "bad_ins", json_pack("{s:s}", "problem", p->nir_problem ? p->nir_problem : "invalid"),
                                  "this person has no valid NIR of their own on the card (%s): give it in "
                                  "\"own_nir\" (15 characters, with its key)", p->nir_problem ? p->nir_problem : "invalid");
                secure_zero(&chosen, sizeof(chosen));
                secure_zero(&card, sizeof(card));
                return -EINVAL;
        }
        *ret = *p;
        secure_zero(&chosen, sizeof(chosen));
        secure_zero(&card, sizeof(card));
        return 0;
}

/* The identity traits of a dossier, from the card: names and birth date
 * as the card has them, sex and birth place (INSEE code) from the NIR
 * itself (its first digit, and characters 6 to 10). */
static void identity_from_card(const struct vitale_person *p, const char *oid, const char *birth_date, char sex[2],
                               char place[6], struct dossier_identity *ret) {
        sex[0] = p->nir[0] == '1' ? 'M' : p->nir[0] == '2' ? 'F' : 'U';
        sex[1] = '\0';
        snprintf(place, 6, "%.5s", p->nir + 5);
        *ret = (struct dossier_identity){
                .ins = p->nir,
                .ins_oid = oid,
                .birth_name = p->surname,
                .first_names = p->first_name,
                .birth_date = birth_date,
                .sex = sex,
                .birth_place = place,
        };
}

/* The dossier's birth date as YYYY-MM-DD: the card's when it is a
 * calendar date; else the body's "birth_date" (YYYY-MM-DD, a calendar
 * date), the professional's correction, required then.  A body date
 * beside a valid card date must be that date: the traits are the card's.
 * Returns 0, or -1 with the 422 in ret. */
static int birth_date_pick(const json_t *body, const struct vitale_person *p, char out[11],
                           struct api_reply *ret) {
        const json_t *j = json_object_get(body, "birth_date");
        const char *v = json_string_value(j);
        char compact[9];
        if (j && (!v || strlen(v) != 10 || v[4] != '-' || v[7] != '-' ||
                  snprintf(compact, sizeof(compact), "%.4s%.2s%.2s", v, v + 5, v + 8) != 8 ||
                  !vitale_date_valid(compact)))
                return res_bad_field(ret, 422, "bad_birth_date", "birth_date",
                                     "birth_date must be a calendar date written YYYY-MM-DD"), -1;
        if (p->birth_date_valid) {
                if (v && strcmp(compact, p->birth_date) != 0)
                        return res_bad_field(ret, 422, "birth_date_conflict", "birth_date",
                                             "the Carte Vitale gives another birth date, a valid one: "
                                             "leave birth_date out"), -1;
                (void)strcpy_bounded(compact, sizeof(compact), p->birth_date);
        } else if (!v)
                return res_bad_field(ret, 422, "birth_date_required", "birth_date",
                                     "the birth date on the Carte Vitale is not a calendar date: give the "
                                     "right one as birth_date (YYYY-MM-DD)"), -1;
        snprintf(out, 11, "%.4s-%.2s-%.2s", compact, compact + 4, compact + 6);
        return 0;
}

static json_t *identity_json(const struct dossier_identity *id) {
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ins", id->ins, "ins_oid", id->ins_oid, "birth_name",
                         id->birth_name, "first_names", id->first_names, "birth_date", id->birth_date, "sex", id->sex,
                         "birth_place", id->birth_place);
}

/* The opening receipt: the dossier, the secret, who opened it. */
static json_t *opening_receipt_json(const struct dossier_identity *id, const struct dossier_actor *a, const char *secret) {
        return json_pack("{s:s,s:s,s:s,s:b,s:{s:s,s:o,s:I,s:{s:s,s:s,s:s,s:s?},s:s}}", "ins", id->ins, "status", "open",
                         "secret", secret, "consent_recorded", true, "attestation", "title",
                         "Attestation d'ouverture du dossier medical partage", "patient", identity_json(id), "opened_at",
                         (json_int_t)time(NULL), "opened_by", "national_id", a->id, "surname", a->last_name,
                         "given_name", a->first_name, "profession", a->profession, "notice",
                         "Keep this secret: with your Carte Vitale it opens your own access to your dossier "
                         "(reading, masking, authorisations, history). carnet cannot show it again.");
}

/* What opening a dossier takes from the card: the person (body's index or
 * nir, and own_nir), the birth date (the card's, or the body's corrected
 * one) and the identity built from them, which points into this struct. */
struct opening {
        struct vitale_person p;
        char reader[READER_NAME_MAX], birth_date[11], sex[2], place[6];
        uint64_t insertion;
        struct dossier_identity id;
};

/* Fills o from the inserted card and body; on failure the error reply is
 * filled, o is wiped and -EINVAL returned.  Wipe o after use. */
static int opening_from_card(const struct api_request *req, const json_t *body, const char *oid, struct opening *o,
                             struct api_reply *ret) {
        if (res_vitale_person(req, body, &o->p, o->reader, &o->insertion, ret) < 0 ||
            birth_date_pick(body, &o->p, o->birth_date, ret) < 0) {
                secure_zero(o, sizeof(*o));
                return -EINVAL;
        }
        identity_from_card(&o->p, oid, o->birth_date, o->sex, o->place, &o->id);
        return 0;
}

/* POST /v1/dossiers.  The INS and the traits come from the inserted card,
 * never from the body.  The dossier is created and the professional's
 * authorisation recorded (the patient's consent to this professional
 * opening it) in one call of the engine, one transaction: both or neither
 * (a refusal keeps its trail entry only). */
int res_dossiers_post(const struct api_request *req, struct api_reply *ret) {
        static const char *const fields[] = {"index", "nir", "own_nir", "reader", "vitale", "consent", "ins_oid",
                                             "birth_date", NULL};
        _cleanup_(json_decrefp) json_t *body = NULL;
        const struct api_call *c = req->call;
        struct dossier_engine *e = c->engine;
        struct opening o;
        char secret[DOSSIER_SECRET_SIZE];
        int r;

        /* a professional session acting for an insurer, a bank or an employer
         * goes on: the engine refuses it, traced (docs/rules.md §2) */
        if (c->caller.si.kind != SESSION_PROFESSIONAL)
                return api_error(ret, 403, "professional_only", "a dossier is opened by a professional's session");
        if (api_body_json(req, &body, ret) < 0 || api_check_fields(body, fields, ret) < 0)
                return 0;
        json_t *jconsent = json_object_get(body, "consent"), *joid = json_object_get(body, "ins_oid");
        if (!json_is_boolean(jconsent))
                return res_bad_field(ret, 400, "bad_field", "consent",
                                     "consent (true or false) is required: the patient, informed, agreed");
        const char *oid = INS_OID;
        if (joid) {
                oid = json_string_value(joid);
                if (!oid || (strcmp(oid, INS_OID) != 0 && strcmp(oid, INS_OID_TEST) != 0))
                        return res_bad_field(ret, 422, "bad_ins_oid", "ins_oid",
                                             "ins_oid must be " INS_OID " (INS) or " INS_OID_TEST " (test NIR)");
        }
        if (opening_from_card(req, body, oid, &o, ret) < 0)
                return 0;
        r = dossier_create_with_consent(e, &c->caller.a, &o.id, json_is_true(jconsent), secret);
        json_t *doc = r < 0 ? NULL : opening_receipt_json(&o.id, &c->caller.a, secret);
        secure_zero(secret, sizeof(secret));
        secure_zero(&o, sizeof(o));
        if (r < 0)
                return res_engine_fail(ret, e, r);
        return api_ok(ret, 201, doc);
}

/* POST /v1/patient-dossiers: the patient opens their own dossier at the
 * workstation (docs/rules.md §1): their Carte Vitale, the birth date they
 * type (it must agree with the card's), their consent; no session, as
 * they have no secret yet. The engine decides as for the patient (16 or
 * older, own INS), traced; the receipt and the secret come back. */
int res_patient_dossiers_post(const struct api_request *req, struct api_reply *ret) {
        static const char *const fields[] = {"index", "nir", "own_nir", "reader", "vitale", "consent", "birth_date",
                                             NULL};
        _cleanup_(json_decrefp) json_t *body = NULL;
        const struct api_call *c = req->call;
        struct opening o;
        char secret[DOSSIER_SECRET_SIZE];
        int r;

        if (api_body_json(req, &body, ret) < 0 || api_check_fields(body, fields, ret) < 0)
                return 0;
        if (!json_is_true(json_object_get(body, "consent")))
                return res_bad_field(ret, 400, "bad_field", "consent",
                                     "\"consent\": true is required: you were informed and agree");
        if (!json_is_string(json_object_get(body, "birth_date")))
                return res_bad_field(ret, 400, "bad_field", "birth_date",
                                     "birth_date (YYYY-MM-DD) is required: type your birth date");
        if (opening_from_card(req, body, INS_OID, &o, ret) < 0)
                return 0;
        struct dossier_actor self = {
                .kind = ACCESS_ACTOR_PATIENT, .id = o.id.ins, .last_name = o.id.birth_name, .first_name = o.id.first_names,
        };
        r = dossier_create(c->engine, &self, &o.id, true, secret);
        json_t *doc = r < 0 ? NULL : opening_receipt_json(&o.id, &self, secret);
        secure_zero(secret, sizeof(secret));
        secure_zero(&o, sizeof(o));
        if (r < 0)
                return res_engine_fail(ret, c->engine, r);
        return api_ok(ret, 201, doc);
}

static const char *status_name(enum access_dossier_status s) {
        switch (s) {
        case ACCESS_DOSSIER_OPEN: return "open";
        case ACCESS_DOSSIER_CLOSED: return "closed";
        case ACCESS_DOSSIER_DESTROYED: return "destroyed";
        default: return "absent";
        }
}

/* GET /v1/dossiers/{ins}: status and dates for any session; the identity
 * traits when the rules let the caller list the dossier; the options for
 * the patient. */
int res_dossier_get(const struct api_request *req, struct api_reply *ret) {
        const struct api_call *c = req->call;
        struct dossier_engine *e = c->engine;
        struct dossier_info info;
        const char *ins = c->ins;
        int r;

        r = dossier_info(e, &c->caller.a, ins, &info);
        if (r < 0)
                return res_engine_fail(ret, e, r);
        if (info.status == ACCESS_DOSSIER_ABSENT)
                return api_error_details(ret, 404, "no_dossier", json_pack("{s:s}", "reason", "deny-no-dossier"),
                                         "no dossier for this INS");
        json_t *identity = json_null(), *options = json_null();
        if (info.traits_shown)
                identity = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ins", ins, "ins_oid", info.ins_oid, "birth_name",
                                     info.birth_name, "first_names", info.first_names, "birth_date", info.birth_date,
                                     "sex", info.sex, "birth_place", info.birth_place);
        if (info.options_shown)
                options = json_pack("{s:b,s:b,s:b,s:b}", "optout_emergency", info.optout_emergency,
                                    "optout_call_centre", info.optout_call_centre, "notify", info.notify,
                                    "optout_heirs", info.optout_heirs);
        json_t *doc = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:{s:b,s:s}}", "ins", ins, "status",
                                status_name(info.status), "created_at", res_time_or_null(info.created_at), "closed_at",
                                res_time_or_null(info.closed_at), "deceased_at", res_time_or_null(info.deceased_at),
                                "destroyed_at", res_time_or_null(info.destroyed_at),
                                "identity", identity, "options", options, "access", "allowed", info.decision.allow,
                                "reason", access_reason_name(info.decision.reason));
        secure_zero(&info, sizeof(info));
        return api_ok(ret, 200, doc);
}

/* Close, reactivate, destroy: the patient's, one engine call each. */
static int lifecycle(const struct api_request *req, struct api_reply *ret,
                     int (*op)(struct dossier_engine *, const struct dossier_actor *, const char *),
                     const char *status) {
        const struct api_call *c = req->call;
        struct dossier_engine *e = c->engine;
        const char *ins = c->ins;
        int r;

        r = op(e, &c->caller.a, ins);
        if (r < 0) {
                /* reactivating an open dossier is a state conflict */
                if (op == dossier_reactivate && r == -EACCES && dossier_last_decision(e)->reason == ACCESS_DENY_INVALID)
                        return api_error_details(ret, 409, "dossier_open",
                                                 json_pack("{s:s}", "reason", access_reason_name(ACCESS_DENY_INVALID)),
                                                 "the dossier is open already");
                return res_engine_fail(ret, e, r);
        }
        return api_ok(ret, 200, json_pack("{s:s,s:s}", "ins", ins, "status", status));
}

int res_dossier_close(const struct api_request *req, struct api_reply *ret) {
        return lifecycle(req, ret, dossier_close, "closed");
}

int res_dossier_reactivate(const struct api_request *req, struct api_reply *ret) {
        return lifecycle(req, ret, dossier_reactivate, "open");
}

int res_dossier_delete(const struct api_request *req, struct api_reply *ret) {
        return lifecycle(req, ret, dossier_destroy, "destroyed");
}

/* POST /v1/dossiers/{ins}/consent {"consent": true}: the professional's
 * explicit action recording that the patient, informed, agreed to their
 * access (docs/rules.md §2: never recorded by the software on its own). */
int res_dossier_consent(const struct api_request *req, struct api_reply *ret) {
        static const char *const fields[] = {"consent", NULL};
        const struct api_call *c = req->call;
        struct dossier_engine *e = c->engine;
        const char *ins = c->ins;
        json_t *body = c->body;
        int r;

        if (api_check_fields(body, fields, ret) < 0)
                return 0;
        if (!json_is_true(json_object_get(body, "consent")))
                return res_bad_field(ret, 400, "bad_field", "consent",
                                     "\"consent\": true is required: the patient was informed and agreed");
        r = dossier_record_consent(e, &c->caller.a, ins);
        if (r < 0)
                return res_engine_fail(ret, e, r);
        return api_ok(ret, 200, json_pack("{s:s,s:s,s:b}", "ins", ins, "national_id", c->caller.a.id, "consent_recorded", true));
}

/* PUT /v1/dossiers/{ins}/options: the patient's choices; members left out
 * stay as they are. */
int res_dossier_options(const struct api_request *req, struct api_reply *ret) {
        static const char *const fields[] = {"optout_emergency", "optout_call_centre", "notify", "optout_heirs", NULL};
        const struct api_call *c = req->call;
        struct dossier_engine *e = c->engine;
        const char *ins = c->ins;
        json_t *body = c->body;
        int v[4];
        int r;

        if (api_check_fields(body, fields, ret) < 0)
                return 0;
        if (json_object_size(body) == 0)
                return api_error(ret, 400, "bad_field", "give at least one of optout_emergency, optout_call_centre, notify, optout_heirs");
        for (size_t i = 0; i < 4; i++) {
                json_t *j = json_object_get(body, fields[i]);
                if (j && !json_is_boolean(j))
                        return res_bad_field(ret, 400, "bad_field", fields[i], "%s must be true or false", fields[i]);
                v[i] = j ? json_is_true(j) : -1;
        }
        r = dossier_set_options(e, &c->caller.a, ins, v[0], v[1], v[2], v[3]);
        if (r < 0)
                return res_engine_fail(ret, e, r);
        json_t *o = json_object();
        for (size_t i = 0; i < 4; i++)
                if (v[i] >= 0)
                        json_object_set_new(o, fields[i], json_boolean(v[i]));
        return api_ok(ret, 200, json_pack("{s:s,s:o}", "ins", ins, "changed", o));
}

/* POST /v1/dossiers/{ins}/deceased: a doctor records the death; the
 * dossier closes and its 10-year retention runs (docs/rules.md §3). */
int res_dossier_deceased(const struct api_request *req, struct api_reply *ret) {
        const struct api_call *c = req->call;
        struct dossier_engine *e = c->engine;
        struct dossier_info info;
        int r;

        r = dossier_mark_deceased(e, &c->caller.a, c->ins);
        if (r < 0)
                return res_engine_fail(ret, e, r);
        r = dossier_info(e, &c->caller.a, c->ins, &info);
        if (r < 0)
                return res_engine_fail(ret, e, r);
        return api_ok(ret, 200, json_pack("{s:s,s:s,s:o,s:o}", "ins", c->ins, "status", status_name(info.status),
                                          "closed_at", res_time_or_null(info.closed_at), "deceased_at",
                                          res_time_or_null(info.deceased_at)));
}

/* POST /v1/dossiers/{ins}/heir-requests {"purpose": ...}: the three
 * purposes the law gives heirs (CSP L1110-4): the cause of death, the
 * deceased's memory, the heir's rights. Allowed, the calling doctor may
 * list and read the closed dossier. */
int res_dossier_heir_request(const struct api_request *req, struct api_reply *ret) {
        static const char *const fields[] = {"purpose", NULL};
        static const char *const purposes[] = {"cause_of_death", "defend_memory", "assert_rights"};
        const struct api_call *c = req->call;
        struct dossier_engine *e = c->engine;
        const char *purpose = json_string_value(json_object_get(c->body, "purpose"));
        struct dossier_actor a = c->caller.a;
        int r;

        if (api_check_fields(c->body, fields, ret) < 0)
                return 0;
        a.reason = NULL;
        for (size_t i = 0; purpose && i < ELEMENTSOF(purposes); i++)
                if (strcmp(purpose, purposes[i]) == 0)
                        a.reason = purposes[i];
        if (!a.reason)
                return res_bad_field(ret, 400, "bad_field", "purpose",
                                     "purpose must be cause_of_death, defend_memory or assert_rights");
        r = dossier_heir_request(e, &a, c->ins);
        if (r < 0)
                return res_engine_fail(ret, e, r);
        return api_ok(ret, 201, json_pack("{s:s,s:s,s:s}", "ins", c->ins, "national_id", a.id, "purpose", a.reason));
}
