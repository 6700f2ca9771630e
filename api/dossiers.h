/* api/dossiers.h: dossiers over the API, and the person on the card
 * they are opened for.
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
 * Every call is made as the caller's session (call.h); the engine's
 * refusals are answered as replies.h says. */
#pragma once

#include "http/router.h"
#include "engine/dossier.h"
#include "card/vitale.h"
#include "reader/readers.h"

/* The person named by body's "index" or "nir" on the Carte Vitale in
 * body's "reader" (default: the first reader holding one), with the
 * reader's name and the card's insertion number.  Fills err: 400 (neither
 * or both), 404 no_vitale_card / no_such_person, 422 bad_ins (the person
 * has no valid NIR) or card_malformed, 503 for PC/SC and card faults. */
int res_vitale_person(const struct api_request *req, const json_t *body, struct vitale_person *ret,
                      char ret_reader[READER_NAME_MAX], uint64_t *ret_insertion, struct api_reply *err);

API_HANDLER(res_dossiers_post);
API_HANDLER(res_dossier_get);
API_HANDLER(res_dossier_close);
API_HANDLER(res_dossier_reactivate);
API_HANDLER(res_dossier_delete);
API_HANDLER(res_dossier_consent);
API_HANDLER(res_dossier_options);
API_HANDLER(res_dossier_deceased);
API_HANDLER(res_patient_dossiers_post);
API_HANDLER(res_dossier_heir_request);
