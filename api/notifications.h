/* api/notifications.h: the notifications over the API.
 *
 *   GET /v1/dossiers/{ins}/notifications  the patient's notices
 *   GET /v1/notifications                 the notices addressed to the calling
 *                                         professional (e.g. an emergency access
 *                                         to a patient whose médecin traitant they are) */
#pragma once

#include "http/router.h"

API_HANDLER(res_notifications_dossier);
API_HANDLER(res_notifications_mine);
