/* cli/ctl.c: calling carnetd and reporting its errors. */
#include <errno.h>
#include <stdio.h>

#include "ctl.h"

int ctl_call(const struct ctl *ctl, const char *method, const char *path, const char *body,
             struct client_reply *ret) {
        char err[512];
        int r = client_request(ctl->socket, method, path, body, ret, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "carnetctl: %s\n", err);
                return r == -EPROTO || r == -EFBIG ? CTL_EXIT_PROTOCOL : CTL_EXIT_UNREACHABLE;
        }
        if (!ret->json) {
                fprintf(stderr, "carnetctl: carnetd sent a reply that is not JSON (HTTP %ld)\n",
                        ret->status);
                client_reply_clear(ret);
                return CTL_EXIT_PROTOCOL;
        }
        if (ret->status >= 200 && ret->status < 300)
                return 0;
        const char *code = NULL, *msg = NULL;
        if (json_unpack(ret->json, "{s:{s:s,s:s}}", "error", "code", &code, "message", &msg) == 0) {
                if (ctl->json)
                        ctl_print_json(ret->json);
                fprintf(stderr, "carnetctl: %s (%s)\n", msg, code);
        } else
                fprintf(stderr, "carnetctl: carnetd answered HTTP %ld\n", ret->status);
        client_reply_clear(ret);
        return CTL_EXIT_REFUSED;
}

void ctl_print_json(const json_t *j) {
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
}
