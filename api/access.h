/* api/access.h: the professionals with access to a dossier (the
 * patient's list) over the API.
 *
 *   GET /v1/dossiers/{ins}/access                the list: relation, block,
 *                                                masked-documents grant, first access
 *   PUT /v1/dossiers/{ins}/access/{national_id}  changes one professional's line:
 *                                                {"relation": "none" | "authorised" |
 *                                                "care_team" | "traitant",
 *                                                "blocked": bool, "sees_masked": bool}
 *
 * The list is the patient's (the engine refuses professionals with
 * deny-patient-only); a professional records their own authorisation with
 * POST /v1/dossiers/{ins}/consent. */
#pragma once

#include "http/router.h"

API_HANDLER(res_access_list);
API_HANDLER(res_access_put);
