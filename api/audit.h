/* api/audit.h: the audit trail and the notifications over the API.
 *
 *   GET /v1/dossiers/{ins}/audit          every trail entry about the dossier
 *                                         (the patient's history), oldest first
 *   GET /v1/audit/verify                  checks the whole hash chain; gives its head
 *   GET /v1/dossiers/{ins}/notifications  the patient's notices
 *   GET /v1/notifications                 the notices addressed to the calling
 *                                         professional (e.g. an emergency access
 *                                         to a patient whose médecin traitant they are) */
#pragma once

#include "http/router.h"

int res_audit_trail(const struct api_request *req, struct api_reply *ret);
int res_audit_verify(const struct api_request *req, struct api_reply *ret);
int res_notifications_dossier(const struct api_request *req, struct api_reply *ret);
int res_notifications_mine(const struct api_request *req, struct api_reply *ret);
