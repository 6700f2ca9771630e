/* api/nir.c: the NIR check resource.  Nothing is stored or logged:
 * the NIR is personal data. */
#include <errno.h>
#include <string.h>

#include "lib/nir.h"
#include "nir.h"

int nir_check_post(const struct api_request *req, struct api_reply *ret) {
        static const char *const fields[] = {"nir", NULL};
        _cleanup_(json_decrefp) json_t *body = NULL;
        int r;

        if ((r = api_check_query(req, NULL, ret)) < 0 || (r = api_body_json(req, &body, ret)) < 0 ||
            (r = api_check_fields(body, fields, ret)) < 0)
                return r;
        const char *nir = json_string_value(json_object_get(body, "nir"));
        if (!nir)
                return api_error_details(ret, 400, "bad_field", json_pack("{s:s}", "field", "nir"),
                                         "'nir' is required, as a string");
        const char *problem = NULL;
        r = nir_check(nir);
        if (r == -EBADMSG)
                problem = "wrong key";
        else if (r < 0)
                problem = "malformed";
        return api_ok(ret, 200, json_pack("{s:s,s:b,s:s?,s:b}", "nir", nir, "valid", problem == NULL, "problem",
                                          problem, "provisional", problem == NULL && nir_is_provisional(nir)));
}
