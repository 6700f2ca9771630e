/* daemon/api.c: route dispatch and the error shape. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "api.h"

int api_ok(struct api_reply *ret, unsigned status, json_t *body) {
        if (!body)
                return -ENOMEM;
        json_decref(ret->body);
        ret->status = status;
        ret->body = body;
        return 0;
}

int api_error(struct api_reply *ret, unsigned status, const char *code, const char *fmt, ...) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return api_ok(ret, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg));
}

void api_reply_clear(struct api_reply *r) {
        json_decref(r->body);
        r->body = NULL;
        r->status = 0;
}

int api_handle(const struct api_request *req, struct api_reply *ret) {
        size_t n;
        const struct api_route *routes = api_routes(&n);
        bool path_known = false;

        ret->status = 0;
        ret->body = NULL;
        for (size_t i = 0; i < n; i++) {
                if (strcmp(routes[i].path, req->path) != 0)
                        continue;
                path_known = true;
                if (strcmp(routes[i].method, req->method) == 0) {
                        int r = routes[i].handler(req, ret);
                        if (r < 0 && !ret->body)
                                return api_error(ret, 500, "internal", "internal error: %s",
                                                 strerror(-r));
                        return 0;
                }
        }
        if (path_known)
                return api_error(ret, 405, "method_not_allowed", "%s is not allowed on %s",
                                 req->method, req->path);
        return api_error(ret, 404, "not_found", "no such resource: %s %s", req->method, req->path);
}
