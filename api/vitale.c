/* api/vitale.c: the Vitale resource.  Served from the monitor's
 * cache: a request never waits on the card. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "context.h"
#include "reader/monitor.h"
#include "vitale.h"
#include "status.h"

/* A calendar date YYYYMMDD as YYYY-MM-DD; anything else as the card
 * gave it (birth_date_valid says which). */
static json_t *birth_date(const char *d) {
        char iso[11];
        if (vitale_date_valid(d)) {
                snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2s", d, d + 4, d + 6);
                return json_string(iso);
        }
        return json_string(d);
}

static json_t *str_or_null(const char *s) {
        return s && *s ? json_string(s) : json_null();
}

json_t *patient_card_json(const struct vitale_card *card, const char *reader) {
        json_t *persons = json_array();
        if (!persons)
                return NULL;
        for (size_t i = 0; i < card->n; i++) {
                const struct vitale_person *p = &card->p[i];
                /* json_string refuses invalid UTF-8: the card is not trusted */
                json_t *o = json_pack("{s:i,s:b,s:o,s:o,s:o,s:b,s:o,s:o,s:b,s:o}", "index", (int)i, "holder",
                                      i == 0, "surname", str_or_null(p->surname), "first_name",
                                      str_or_null(p->first_name), "birth_date", birth_date(p->birth_date),
                                      "birth_date_valid", p->birth_date_valid,
                                      "birth_rank", str_or_null(p->birth_rank), "nir", str_or_null(p->nir),
                                      "nir_valid", p->nir_valid, "nir_problem", str_or_null(p->nir_problem));
                if (!o || json_array_append_new(persons, o) < 0) {
                        json_decref(persons);
                        return NULL;
                }
        }
        return json_pack("{s:s,s:o}", "reader", reader, "persons", persons);
}

int patient_card_get(const struct api_request *req, struct api_reply *ret) {
        struct vitale_card card;
        char reader[READER_NAME_MAX];
        struct reader_snapshot snap;

        if (!req->ctx || !req->ctx->monitor)
                return api_error(ret, 503, "pcscd_unreachable", "carnetd runs without its reader monitor");
        int r = monitor_vitale(req->ctx->monitor, NULL, &card, reader, NULL);
        if (r == -ENODEV) {
                monitor_snapshot(req->ctx->monitor, &snap);
                if (!snap.pcscd_reachable)
                        return api_error(ret, 503, "pcscd_unreachable", "pcscd is not reachable: %s",
                                         snap.error);
                return api_error(ret, 404, "no_vitale_card", "no Carte Vitale in any reader");
        }
        if (r == -EBADMSG)
                return api_error(ret, 422, "card_malformed",
                                 "the Carte Vitale answered with malformed data; take it out and try again "
                                 "or use another reader");
        if (r == -EUCLEAN)
                return api_error(ret, 422, card_error_code(r),
                                 "the Carte Vitale's identity file and NIR file do not list the same persons; "
                                 "its NIRs cannot be matched to people: the card must be renewed");
        if (r == -EBUSY)
                return api_error(ret, 503, card_error_code(r),
                                 "another program holds the card in the reader: carnet reads it once that "
                                 "program lets it go");
        if (r == -EAGAIN)
                return api_error(ret, 503, card_error_code(r),
                                 "the Carte Vitale reported a memory or execution error twice; take it out "
                                 "and insert it again");
        if (r < 0)
                return api_error(ret, 503, card_error_code(r),
                                 "the Carte Vitale could not be read (%s); take it out and insert it again",
                                 strerror(-r));
        json_t *doc = patient_card_json(&card, reader);
        secure_zero(&card, sizeof(card));
        if (!doc)
                return api_error(ret, 422, "card_malformed",
                                 "the Carte Vitale holds text that is not valid UTF-8");
        return api_ok(ret, 200, doc);
}
