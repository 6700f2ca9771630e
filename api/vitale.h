/* api/vitale.h: GET /v1/vitale, the persons on the Vitale card. */
#pragma once

#include "http/router.h"
#include "card/vitale.h"

/* The JSON document for a card read from `reader`; NULL on ENOMEM. */
json_t *patient_card_json(const struct vitale_card *card, const char *reader);

API_HANDLER(patient_card_get);
