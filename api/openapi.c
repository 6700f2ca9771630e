/* api/openapi.c: the OpenAPI document, served as JSON (openapi.h). */
#include <errno.h>

#include "openapi.h"

int openapi_get(const struct api_request *req, struct api_reply *ret) {
        json_error_t je;
        int r;

        if ((r = api_check_query(req, NULL, ret)) < 0)
                return r; /* the 400 is in ret (as in api/nir.c) */
        json_t *doc = json_loadb(api_openapi_json, api_openapi_json_len, JSON_REJECT_DUPLICATES, &je);
        if (!doc)
                return api_error(ret, 500, "internal", "the embedded OpenAPI document does not parse: %s", je.text);
        return api_ok(ret, 200, doc);
}
