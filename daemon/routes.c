/* daemon/routes.c: every route carnetd serves.  docs/openapi.yaml lists the
 * same set; a test compares the two (carnetd --list-routes). */
#include "api.h"
#include "patient_card.h"
#include "res_events.h"
#include "res_nir.h"
#include "res_readers.h"
#include "res_sessions.h"
#include "status.h"

static const struct api_route routes[] = {
        {"GET", "/v1/status", status_get, "Version, pcscd reachability and the readers"},
        {"GET", "/v1/readers", readers_get, "The readers and the card in each"},
        {"GET", "/v1/readers/{name}", reader_get, "One reader and its card"},
        {"GET", "/v1/events", events_get, "Reader and card events, as Server-Sent Events"},
        {"GET", "/v1/vitale", patient_card_get, "Every person on the inserted Carte Vitale"},
        {"POST", "/v1/nir/check", nir_check_post, "Checks a NIR typed by hand"},
        {"POST", "/v1/sessions", res_sessions_post, "Opens a professional session on a CPS card"},
        {"GET", "/v1/sessions/current", res_sessions_current, "The caller's session"},
        {"DELETE", "/v1/sessions/{id}", res_sessions_delete, "Ends a session (logout)"},
};

const struct api_route *api_routes(size_t *n) {
        *n = ELEMENTSOF(routes);
        return routes;
}
