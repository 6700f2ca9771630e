/* daemon/routes.c: every route carnetd serves.  docs/openapi.yaml lists the
 * same set; a test compares the two (carnetd --list-routes). */
#include "api.h"
#include "status.h"

static const struct api_route routes[] = {
        {"GET", "/v1/status", status_get, "Version, pcscd reachability and the readers"},
};

const struct api_route *api_routes(size_t *n) {
        *n = ELEMENTSOF(routes);
        return routes;
}
