/* api/notifications.h: the notifications over the API.
 *
 *   GET /v1/dossiers/{ins}/notifications  the patient's notices
 *   GET /v1/notifications                 the notices addressed to the calling
 *                                         professional (e.g. an emergency access
 *                                         to a patient whose médecin traitant they are) */
#pragma once

#include "http/router.h"

int res_notifications_dossier(const struct api_request *req, struct api_reply *ret);
int res_notifications_mine(const struct api_request *req, struct api_reply *ret);
