/* api/openapi.h: GET /v1/openapi.json, the API's own description.
 *
 * The document is docs/openapi.yaml converted to JSON when carnetd is
 * built (tests/openapi/spec-to-c.py writes it into a generated C file
 * under $(BUILD), linked into this layer's archive): the file and what
 * carnetd serves cannot drift apart. */
#pragma once

#include <stddef.h>

#include "http/router.h"

/* The embedded document, compact JSON (generated; not NUL-counted in _len). */
extern const char api_openapi_json[];
extern const size_t api_openapi_json_len;

API_HANDLER(openapi_get);
