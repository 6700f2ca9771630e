/* api/routes.c: every route carnetd serves (routes.h). */
#include "routes.h"
#include "vitale.h"
#include "access.h"
#include "audit.h"
#include "documents.h"
#include "dossiers.h"
#include "events.h"
#include "nir.h"
#include "patient-sessions.h"
#include "readers.h"
#include "sessions.h"
#include "status.h"

#define DOC "/v1/dossiers/{ins}/documents/{uid}"

static const struct api_route routes[] = {
        {"GET", "/v1/status", status_get, "Version, pcscd reachability and the readers"},
        {"GET", "/v1/readers", readers_get, "The readers and the card in each"},
        {"GET", "/v1/readers/{name}", reader_get, "One reader and its card"},
        {"GET", "/v1/events", events_get, "Reader and card events, as Server-Sent Events"},
        {"GET", "/v1/vitale", patient_card_get, "Every person on the inserted Carte Vitale"},
        {"POST", "/v1/nir/check", nir_check_post, "Checks a NIR typed by hand"},
        {"POST", "/v1/sessions", res_sessions_post, "Opens a professional session on a CPS card"},
        {"GET", "/v1/sessions/current", res_sessions_current, "The caller's session"},
        {"PUT", "/v1/sessions/current/mode", res_sessions_mode_put, "The access mode of the caller's session"},
        {"DELETE", "/v1/sessions/{id}", res_sessions_delete, "Ends a session (logout)"},
        {"POST", "/v1/patient-sessions", res_patient_sessions_post, "Opens a patient session (Vitale card + secret)"},

        {"POST", "/v1/dossiers", res_dossiers_post, "Opens a dossier for a person on the inserted Vitale card"},
        {"GET", "/v1/dossiers/{ins}", res_dossier_get, "A dossier's status and administrative data"},
        {"DELETE", "/v1/dossiers/{ins}", res_dossier_delete, "Destroys a dossier (the patient)"},
        {"POST", "/v1/dossiers/{ins}/close", res_dossier_close, "Closes a dossier (the patient)"},
        {"POST", "/v1/dossiers/{ins}/reactivate", res_dossier_reactivate, "Reopens a closed dossier (the patient)"},
        {"POST", "/v1/dossiers/{ins}/consent", res_dossier_consent, "Records the patient's consent to this professional"},
        {"PUT", "/v1/dossiers/{ins}/options", res_dossier_options, "The patient's opt-outs and notification choice"},

        {"GET", "/v1/dossiers/{ins}/documents", res_documents_list, "Searches the documents"},
        {"POST", "/v1/dossiers/{ins}/documents", res_documents_post, "Deposits a document"},
        {"GET", DOC, res_document_get, "A document's metadata"},
        {"GET", DOC "/content", res_document_content, "A document's content"},
        {"POST", DOC "/replace", res_document_replace, "Deposits a new version of a document"},
        {"POST", DOC "/archive", res_document_archive, "Archives a document"},
        {"POST", DOC "/mask", res_document_mask, "Masks a document to professionals (the patient)"},
        {"POST", DOC "/unmask", res_document_unmask, "Unmasks a document (the patient)"},
        {"POST", DOC "/release", res_document_release, "Makes a held-back document visible to the patient"},

        {"GET", "/v1/dossiers/{ins}/access", res_access_list, "The professionals with access (the patient)"},
        {"PUT", "/v1/dossiers/{ins}/access/{national_id}", res_access_put,
         "Authorises, blocks or names médecin traitant a professional (the patient)"},

        {"GET", "/v1/dossiers/{ins}/audit", res_audit_trail, "The dossier's audit trail (the patient)"},
        {"GET", "/v1/audit/verify", res_audit_verify, "Verifies the audit hash chain"},
        {"GET", "/v1/dossiers/{ins}/notifications", res_notifications_dossier, "The patient's notifications"},
        {"GET", "/v1/notifications", res_notifications_mine, "Notifications addressed to the calling professional"},
};

const struct api_route *api_routes(size_t *n) {
        *n = ELEMENTSOF(routes);
        return routes;
}

int api_handle(const struct api_request *req, struct api_reply *ret) {
        return api_dispatch(routes, ELEMENTSOF(routes), req, ret);
}
