/* api/routes.c: every route carnetd serves and what each needs (routes.h). */
#include "routes.h"
#include "vitale.h"
#include "access.h"
#include "audit.h"
#include "call.h"
#include "documents.h"
#include "dossiers.h"
#include "events.h"
#include "fhir-audit.h"
#include "fhir-common.h"
#include "fhir-documents.h"
#include "fhir-patient.h"
#include "nir.h"
#include "notifications.h"
#include "openapi.h"
#include "patient-sessions.h"
#include "readers.h"
#include "representatives.h"
#include "sessions.h"
#include "status.h"

#define DOC "/v1/dossiers/{ins}/documents/{uid}"

/* What most dossier routes need: a session, the engine, a valid {ins}. */
#define DOSSIER (API_NEED_SESSION | API_NEED_ENGINE | API_NEED_INS)
#define DOCUMENT (DOSSIER | API_NEED_DOCUMENT)
/* a FHIR body: FHIR R4 formats.html, 415 for a format not supported */
#define FHIR_BODY (API_NEED_SESSION | API_NEED_ENGINE | API_NEED_BODY | API_NEED_JSON_TYPE)

/* method, path, handler, summary, needs (call.h) */
static const struct api_route routes[] = {
        {"GET", "/v1/status", status_get, "Version, pcscd reachability and the readers", 0},
        {"GET", "/v1/readers", readers_get, "The readers and the card in each", 0},
        {"GET", "/v1/readers/{name}", reader_get, "One reader and its card", 0},
        {"GET", "/v1/events", events_get, "Reader and card events, as Server-Sent Events", 0},
        {"GET", "/v1/vitale", patient_card_get, "Every person on the inserted Carte Vitale", 0},
        {"GET", "/v1/openapi.json", openapi_get, "This API's description (docs/openapi.yaml as JSON)", 0},
        {"POST", "/v1/nir/check", nir_check_post, "Checks a NIR typed by hand", 0},
        {"POST", "/v1/sessions", res_sessions_post, "Opens a professional session on a CPS card",
         API_NEED_SESSIONS | API_NEED_BODY},
        {"GET", "/v1/sessions/current", res_sessions_current, "The caller's session", API_NEED_SESSION},
        {"PUT", "/v1/sessions/current/mode", res_sessions_mode_put, "The access mode of the caller's session",
         API_NEED_PROFESSIONAL | API_NEED_SESSIONS | API_NEED_BODY},
        {"DELETE", "/v1/sessions/{id}", res_sessions_delete, "Ends a session (logout)", API_NEED_SESSIONS},
        {"POST", "/v1/patient-dossiers", res_patient_dossiers_post,
         "The patient opens their own dossier (Vitale card, birth date, consent)",
         API_NEED_SESSIONS | API_NEED_ENGINE | API_NEED_BODY},
        {"POST", "/v1/patient-sessions", res_patient_sessions_post, "Opens a patient session (Vitale card + secret)",
         API_NEED_SESSIONS | API_NEED_ENGINE | API_NEED_BODY},

        /* the handler refuses a patient with its own words, then reads the body */
        {"POST", "/v1/dossiers", res_dossiers_post, "Opens a dossier for a person on the inserted Vitale card",
         API_NEED_SESSION | API_NEED_ENGINE},
        {"GET", "/v1/dossiers/{ins}", res_dossier_get, "A dossier's status and administrative data", DOSSIER},
        {"DELETE", "/v1/dossiers/{ins}", res_dossier_delete, "Destroys a dossier (the patient)", DOSSIER},
        {"POST", "/v1/dossiers/{ins}/close", res_dossier_close, "Closes a dossier (the patient)", DOSSIER},
        {"POST", "/v1/dossiers/{ins}/reactivate", res_dossier_reactivate, "Reopens a closed dossier (the patient)",
         DOSSIER},
        {"POST", "/v1/dossiers/{ins}/consent", res_dossier_consent, "Records the patient's consent to this professional",
         DOSSIER | API_NEED_BODY},
        {"PUT", "/v1/dossiers/{ins}/options", res_dossier_options, "The patient's opt-outs and notification choice",
         DOSSIER | API_NEED_BODY},
        {"POST", "/v1/dossiers/{ins}/deceased", res_dossier_deceased, "A doctor records the patient's death",
         DOSSIER},
        {"POST", "/v1/dossiers/{ins}/heir-requests", res_dossier_heir_request,
         "A doctor records an heir's request, with its purpose", DOSSIER | API_NEED_BODY},
        {"PUT", "/v1/dossiers/{ins}/representatives/{rep_ins}", res_representative_put,
         "A professional records a legal representative of the patient", DOSSIER | API_NEED_PROFESSIONAL | API_NEED_BODY},
        {"DELETE", "/v1/dossiers/{ins}/representatives/{rep_ins}", res_representative_delete,
         "A professional removes a legal representative", DOSSIER | API_NEED_PROFESSIONAL},

        /* a deposit's body is JSON or the raw content (which the server may spool
         * to disk: API_ROUTE_SPOOL); the actions take an optional one */
        {"GET", "/v1/dossiers/{ins}/documents", res_documents_list, "Searches the documents", DOSSIER},
        {"POST", "/v1/dossiers/{ins}/documents", res_documents_post, "Deposits a document",
         DOSSIER | API_ROUTE_SPOOL},
        {"GET", DOC, res_document_get, "A document's metadata", DOCUMENT},
        {"GET", DOC "/content", res_document_content, "A document's content", DOCUMENT},
        {"POST", DOC "/replace", res_document_replace, "Deposits a new version of a document",
         DOCUMENT | API_ROUTE_SPOOL},
        {"POST", DOC "/archive", res_document_archive, "Archives a document", DOCUMENT},
        {"POST", DOC "/mask", res_document_mask, "Masks a document to professionals (the patient)", DOCUMENT},
        {"POST", DOC "/unmask", res_document_unmask, "Unmasks a document (the patient)", DOCUMENT},
        {"POST", DOC "/release", res_document_release, "Makes a held-back document visible to the patient", DOCUMENT},

        /* {national_id} is checked before the body, which the handler reads */
        {"GET", "/v1/dossiers/{ins}/access", res_access_list, "The professionals with access (the patient)", DOSSIER},
        {"PUT", "/v1/dossiers/{ins}/access/{national_id}", res_access_put,
         "Authorises, blocks or names médecin traitant a professional (the patient)", DOSSIER},

        {"GET", "/v1/dossiers/{ins}/audit", res_audit_trail, "The dossier's audit trail (the patient)", DOSSIER},
        {"GET", "/v1/audit/verify", res_audit_verify, "Verifies the audit hash chain",
         API_NEED_SESSION | API_NEED_ROOT_OK | API_NEED_ENGINE},
        {"GET", "/v1/dossiers/{ins}/notifications", res_notifications_dossier, "The patient's notifications", DOSSIER},
        /* the handler refuses a patient with its own words */
        {"GET", "/v1/notifications", res_notifications_mine, "Notifications addressed to the calling professional",
         API_NEED_SESSION | API_NEED_ENGINE},

        /* the FHIR R4 face (docs/fhir.md): the same needs and engine calls; errors
         * become OperationOutcome in fhir_finish.  metadata is said to need the
         * engine, without which nothing it lists is served (and so that the
         * dossier host serves it, and an agent forwards it, with the rest) */
        {"GET", FHIR_PREFIX "/metadata", fhir_metadata_get, "FHIR: the CapabilityStatement", API_NEED_ENGINE},
        {"GET", FHIR_PREFIX "/Patient", fhir_patient_search, "FHIR: Patient search by INS (identifier)",
         API_NEED_SESSION | API_NEED_ENGINE},
        /* the handler reads {id}: a malformed one is 400 or 404 here, as FHIR says */
        {"GET", FHIR_PREFIX "/Patient/{id}", fhir_patient_read, "FHIR: Patient read (the INS)",
         API_NEED_SESSION | API_NEED_ENGINE},
        {"GET", FHIR_PREFIX "/DocumentReference", fhir_docref_search, "FHIR: Find Document References (ITI-67)",
         API_NEED_SESSION | API_NEED_ENGINE},
        {"GET", FHIR_PREFIX "/DocumentReference/{id}", fhir_docref_read, "FHIR: one DocumentReference",
         API_NEED_SESSION | API_NEED_ENGINE},
        {"GET", FHIR_PREFIX "/Binary/{id}", fhir_binary_read, "FHIR: Retrieve Document (ITI-68)",
         API_NEED_SESSION | API_NEED_ENGINE},
        {"POST", FHIR_PREFIX, fhir_transaction, "FHIR: Provide Document Bundle (ITI-65, a transaction)",
         FHIR_BODY},
        /* the base with its slash, as FHIR clients write it */
        {"POST", FHIR_PREFIX "/", fhir_transaction, "FHIR: Provide Document Bundle (the base written with its slash)",
         FHIR_BODY},
        {"GET", FHIR_PREFIX "/AuditEvent", fhir_audit_search, "FHIR: the patient's trail as AuditEvent",
         API_NEED_SESSION | API_NEED_ENGINE},
        {"GET", FHIR_PREFIX "/Consent", fhir_consent_search,
         "FHIR: the patient's authorisations, blocks and oppositions as Consent", API_NEED_SESSION | API_NEED_ENGINE},
};

static const struct api_table table = {routes, ELEMENTSOF(routes), api_invoke, fhir_finish};

const struct api_route *api_routes(size_t *n) {
        *n = ELEMENTSOF(routes);
        return routes;
}

const struct api_table *api_table(void) {
        return &table;
}

int api_handle(const struct api_request *req, struct api_reply *ret) {
        return api_dispatch(&table, req, ret);
}
