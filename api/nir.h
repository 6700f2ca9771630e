/* api/nir.h: POST /v1/nir/check, checks a NIR typed by hand (for a
 * patient without a card) the way carnetd checks the NIRs it reads from
 * Vitale cards. */
#pragma once

#include "http/router.h"

API_HANDLER(nir_check_post);
