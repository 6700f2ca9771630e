/* api/audit.h: the audit trail over the API.
 *
 *   GET /v1/dossiers/{ins}/audit  every trail entry about the dossier
 *                                 (the patient's history), oldest first
 *   GET /v1/audit/verify          checks the whole hash chain; gives its head
 *
 * The notifications are in notifications.h. */
#pragma once

#include "http/router.h"

API_HANDLER(res_audit_trail);
API_HANDLER(res_audit_verify);
