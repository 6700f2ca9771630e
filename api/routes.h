/* api/routes.h: the route table of carnetd's API.
 *
 * Every route carnetd serves, handed to the server (http/server.h) and to
 * the router (http/router.h); docs/openapi.yaml lists the same set and a
 * test compares the two (carnetd --list-routes). */
#pragma once

#include "http/router.h"

/* The table; *n gets its length. */
const struct api_route *api_routes(size_t *n);

/* Runs req through the table (api_dispatch over api_routes()). */
int api_handle(const struct api_request *req, struct api_reply *ret);
