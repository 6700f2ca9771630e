/* tests/fuzz/fuzz-json-body.c: http/router.c's reading of a request body
 * (api_body_json, api_check_fields) and the error it builds; every reply
 * must be one JSON error object or a parsed object. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const fields[] = {"pin", "reader", "index", "consent", NULL};
        struct api_request req = {.method = "POST", .path = "/v1/x", .body = (const char *)data, .body_len = size};
        struct api_reply rep = {0};
        json_t *body = NULL;
        if (api_body_json(&req, &body, &rep) == 0) {
                if (!json_is_object(body))
                        __builtin_trap();
                if (api_check_fields(body, fields, &rep) < 0 && !rep.body)
                        __builtin_trap(); /* a refusal without its error */
                json_decref(body);
        } else if (!rep.body || rep.status != 400) {
                __builtin_trap();
        }
        if (rep.body) {
                char *text = json_dumps(rep.body, JSON_COMPACT);
                if (!text)
                        __builtin_trap(); /* an error that is not valid JSON text */
                free(text);
        }
        api_reply_clear(&rep);
        return 0;
}
