/* api/dossiers.h: dossiers over the API, and what every dossier
 * resource (documents, authorisations, audit, patient) shares.
 *
 *   POST   /v1/dossiers                   open one for a person on the inserted
 *                                         Carte Vitale, with the patient's consent
 *   GET    /v1/dossiers/{ins}             status and administrative data
 *   POST   /v1/dossiers/{ins}/close       the patient closes it
 *   POST   /v1/dossiers/{ins}/reactivate  the patient reopens it
 *   DELETE /v1/dossiers/{ins}             the patient has it destroyed
 *   POST   /v1/dossiers/{ins}/consent     a professional records that the
 *                                         patient, informed, agreed
 *   PUT    /v1/dossiers/{ins}/options     the patient's opt-outs and notices
 *
 * Every call is made as the caller's session (res_actor_require), under
 * the engine lock; a refusal of the rules is 403 with the rule's reason
 * code (404 / 409 for the reasons that are a missing thing or a state). */
#pragma once

#include <pthread.h>

#include "http/router.h"
#include "engine/dossier.h"
#include "card/vitale.h"
#include "reader/readers.h"

/* The engine of the request's context; 503 dossiers_unavailable when none. */
int res_engine(const struct api_request *req, struct dossier_engine **ret, struct api_reply *err);

/* Takes the engine lock (NULL when the context has none); release it with
 * _cleanup_(res_unlockp). */
pthread_mutex_t *res_lock(const struct api_request *req);
static inline void res_unlockp(pthread_mutex_t **m) {
        if (*m)
                pthread_mutex_unlock(*m);
}

/* Turns an engine failure into the error reply: -EACCES / -ENOENT with
 * the reason of dossier_last_decision() (call it under the lock), -EINVAL
 * 400, -E2BIG 413, -EBADMSG 500 integrity_error, -EBUSY 503. Returns 0
 * (the reply is filled) or -ENOMEM. */
int res_engine_fail(struct api_reply *ret, const struct dossier_engine *e, int r);
/* The HTTP status and stable code for a denial reason (exposed for tests). */
unsigned res_denial_status(enum access_reason reason, const char **ret_code);

/* The {ins} path parameter, checked (NIR with a valid key): 422 bad_ins. */
int res_ins_param(const struct api_request *req, const char **ret, struct api_reply *err);

/* Time as the API writes it: seconds since the epoch, or "YYYY-MM-DD"
 * (midnight UTC), or "YYYY-MM-DDTHH:MM:SSZ".  -EINVAL otherwise. */
int res_parse_time(const char *s, int64_t *ret);

/* The person named by body's "index" or "nir" on the Carte Vitale in
 * body's "reader" (default: the first reader holding one), with the
 * reader's name and the card's insertion number.  Fills err: 400 (neither
 * or both), 404 no_vitale_card / no_such_person, 422 bad_ins (the person
 * has no valid NIR) or card_malformed, 503 for PC/SC and card faults. */
int res_vitale_person(const struct api_request *req, const json_t *body, struct vitale_person *ret,
                      char ret_reader[READER_NAME_MAX], uint64_t *ret_insertion, struct api_reply *err);

int res_dossiers_post(const struct api_request *req, struct api_reply *ret);
int res_dossier_get(const struct api_request *req, struct api_reply *ret);
int res_dossier_close(const struct api_request *req, struct api_reply *ret);
int res_dossier_reactivate(const struct api_request *req, struct api_reply *ret);
int res_dossier_delete(const struct api_request *req, struct api_reply *ret);
int res_dossier_consent(const struct api_request *req, struct api_reply *ret);
int res_dossier_options(const struct api_request *req, struct api_reply *ret);
