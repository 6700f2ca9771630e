/* api/routes.h: the route table of carnetd's API.
 *
 * Every route carnetd serves with what its handler needs (call.h), handed
 * to the server (http/server.h) and to the router (http/router.h) with
 * api_invoke() as the hook that checks those needs; docs/openapi.yaml
 * lists the same set and a test compares the two (carnetd --list-routes). */
#pragma once

#include "http/router.h"

/* The table; *n gets its length. */
const struct api_route *api_routes(size_t *n);

/* The table with its hook, for the server. */
const struct api_table *api_table(void);

/* Runs req through the table (api_dispatch over api_table()). */
int api_handle(const struct api_request *req, struct api_reply *ret);
