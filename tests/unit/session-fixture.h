/* tests/unit/session-fixture.h: the caller's session for tests of the API
 * handlers without cards: api_context.find_session pointed at
 * find_session below finds the one session of the actor in `current`
 * (its token the actor's session id), built as a card-signed one would
 * be.  Include it after dossier-fixture.h. */
#pragma once

#include <string.h>

#include "api/context.h"
#include "engine/dossier.h"
#include "session/session.h"

/* The one live session of the tests: the actor's, its token the actor's
 * session id; each thread's own, so that threads may call as different
 * actors at once. */
static _unused_ _Thread_local const struct dossier_actor *current;

static _unused_ enum p11_card_type card_type_of(enum access_card c) {
        static const enum p11_card_type types[_ACCESS_CARD_MAX] = {
                [ACCESS_CARD_CPS] = P11_CARD_CPS, [ACCESS_CARD_CPF] = P11_CARD_CPF,
                [ACCESS_CARD_CPE] = P11_CARD_CPE, [ACCESS_CARD_CPA] = P11_CARD_CPA};
        return types[c];
}

/* The session an actor would have (api_caller_from_session gives the
 * actor back). */
static _unused_ int find_session(const struct api_context *ctx, const char *token, uid_t uid, struct session_info *ret) {
        const struct dossier_actor *a = current;
        if (!a || strcmp(token, a->session) != 0)
                return -ENOENT;
        memset(ret, 0, sizeof(*ret));
        strcpy_bounded(ret->id, sizeof(ret->id), a->session);
        if (a->kind == ACCESS_ACTOR_PATIENT) {
                ret->kind = SESSION_PATIENT;
                strcpy_bounded(ret->ins, sizeof(ret->ins), a->id);
                return 0;
        }
        struct p11_identity *w = &ret->who;
        ret->kind = SESSION_PROFESSIONAL;
        strcpy_bounded(w->national_id, sizeof(w->national_id), a->id);
        strcpy_bounded(w->surname, sizeof(w->surname), a->last_name);
        strcpy_bounded(w->given_name, sizeof(w->given_name), a->first_name);
        strcpy_bounded(w->profession, sizeof(w->profession), a->profession);
        strcpy_bounded(w->specialty, sizeof(w->specialty), a->specialty ? a->specialty : "");
        w->card_type = card_type_of(a->card);
        ret->mode = a->mode == ACCESS_MODE_EMERGENCY     ? SESSION_MODE_EMERGENCY
                    : a->mode == ACCESS_MODE_CALL_CENTRE ? SESSION_MODE_CALL_CENTRE
                                                         : SESSION_MODE_NORMAL;
        strcpy_bounded(ret->reason, sizeof(ret->reason), a->reason ? a->reason : "");
        strcpy_bounded(ret->establishment, sizeof(ret->establishment), a->establishment ? a->establishment : "");
        return 0;
}

