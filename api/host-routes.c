/* api/host-routes.c: the dossier host's route table; see host-routes.h. */
#include <pthread.h>
#include <stddef.h>

#include "call.h"
#include "fhir-common.h"
#include "host-routes.h"
#include "host-sessions.h"
#include "openapi.h"
#include "routes.h"
#include "sessions.h"
#include "status.h"

#define HOST_SESSION "/v1/host/sessions/current"

/* method, path, handler, summary, needs (call.h) */
static const struct api_route own[] = {
        {"GET", "/v1/status", status_get, "Version (the host reads no cards)", 0},
        {"GET", "/v1/openapi.json", openapi_get, "This API's description (docs/openapi.yaml as JSON)", 0},
        {"POST", "/v1/host/challenges", res_host_challenges_post, "A challenge for the workstation's next session",
         API_NEED_ENGINE},
        {"POST", "/v1/host/sessions", res_host_sessions_post, "Opens a host session from a card-signed record",
         API_NEED_ENGINE | API_NEED_BODY},
        {"GET", HOST_SESSION, res_sessions_current, "The caller's host session", API_NEED_SESSION},
        {"PUT", HOST_SESSION "/mode", res_host_session_mode_put, "The access mode of the caller's host session",
         API_NEED_PROFESSIONAL | API_NEED_ENGINE | API_NEED_BODY},
        {"DELETE", HOST_SESSION, res_host_session_delete, "Ends the caller's host session",
         API_NEED_SESSION | API_NEED_ENGINE},
};

#define HOST_ROUTES_MAX 96
static struct api_route routes[HOST_ROUTES_MAX];
static size_t n_routes;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* The host's routes, then every engine route of carnetd's table: no
 * session manager here (patient sessions live in the store), no uid 0. */
static void build(void) {
        size_t n;
        const struct api_route *all = api_routes(&n);
        for (size_t i = 0; i < ELEMENTSOF(own); i++)
                routes[n_routes++] = own[i];
        for (size_t i = 0; i < n && n_routes < HOST_ROUTES_MAX; i++)
                if (all[i].needs & API_NEED_ENGINE) {
                        routes[n_routes] = all[i];
                        routes[n_routes++].needs &= ~(unsigned)(API_NEED_SESSIONS | API_NEED_ROOT_OK);
                }
}

/* Hands the route a context that names the calling workstation, then
 * checks its needs as carnetd's table does (api_invoke). */
static int host_invoke(const struct api_route *route, const struct api_request *req, struct api_reply *ret) {
        if (!req->workstation || !req->ctx)
                return api_error(ret, 403, "workstation_refused", "the host serves its workstations only");
        const struct api_host *h = (const struct api_host *)((const char *)req->ctx - offsetof(struct api_host, ctx));
        struct api_host_call hc = {.ctx = *req->ctx, .host = h, .workstation = req->workstation};
        struct api_request r = *req;
        r.ctx = &hc.ctx;
        return api_invoke(route, &r, ret);
}

static struct api_table table = {routes, 0, host_invoke, fhir_finish};

const struct api_table *api_host_table(void) {
        pthread_once(&once, build);
        table.n = n_routes;
        return &table;
}

const struct api_route *api_host_routes(size_t *n) {
        pthread_once(&once, build);
        *n = n_routes;
        return routes;
}
