/* api/fhir-audit.h: the patient's trail and their choices over FHIR R4
 * (docs/fhir.md).
 *
 *   GET /fhir/R4/AuditEvent?patient=Patient/NIR   the dossier's trail (dossier_trail)
 *   GET /fhir/R4/Consent?patient=Patient/NIR      the professionals authorised or
 *                                                blocked (dossier_list_access) and the
 *                                                oppositions (dossier_info's options)
 *
 * Both are the patient's, as GET /v1/dossiers/{ins}/audit and .../access:
 * the same engine calls, the same refusals. */
#pragma once

#include "http/router.h"

API_HANDLER(fhir_audit_search);
API_HANDLER(fhir_consent_search);
