/* api/representatives.h: a dossier's legal representatives (docs/api.md
 * "Legal representatives"), recorded and removed by a professional. */
#pragma once

#include "call.h"

API_HANDLER(res_representative_put);
API_HANDLER(res_representative_delete);
