/* daemon/routes.c: every route carnetd serves.  docs/openapi.yaml lists the
 * same set; a test compares the two (carnetd --list-routes). */
#include "api.h"
#include "patient_card.h"
#include "status.h"

static const struct api_route routes[] = {
        {"GET", "/v1/status", status_get, "Version, pcscd reachability and the readers"},
        {"GET", "/v1/vitale", patient_card_get, "Every person on the inserted Carte Vitale"},
};

const struct api_route *api_routes(size_t *n) {
        *n = ELEMENTSOF(routes);
        return routes;
}
