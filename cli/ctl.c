/* cli/ctl.c: calling carnetd and reporting its errors. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

int ctl_unreachable(int r, const char *err) {
        fprintf(stderr, "carnetctl: %s\n", err[0] ? err : strerror(-r));
        return r == -EPROTO || r == -EFBIG || r == -EMSGSIZE ? CTL_EXIT_PROTOCOL : CTL_EXIT_UNREACHABLE;
}

int ctl_refused(const struct ctl *ctl, struct client_reply *rep) {
        const char *code = NULL, *msg = NULL;
        if (rep->json &&
            json_unpack(rep->json, "{s:{s:s,s:s}}", "error", "code", &code, "message", &msg) == 0) {
                if (ctl->json)
                        ctl_print_json(rep->json);
                fprintf(stderr, "carnetctl: %s (%s)\n", msg, code);
        } else
                fprintf(stderr, "carnetctl: carnetd answered HTTP %ld\n", rep->status);
        client_reply_clear(rep);
        return CTL_EXIT_REFUSED;
}

int ctl_call(const struct ctl *ctl, const char *method, const char *path, const char *body,
             const char *const *headers, struct client_reply *ret) {
        char err[512] = "";
        int r = client_request(ctl->socket, method, path, body, headers, ret, err, sizeof(err));
        if (r < 0)
                return ctl_unreachable(r, err);
        if (!ret->json) {
                fprintf(stderr, "carnetctl: carnetd sent a reply that is not JSON (HTTP %ld)\n",
                        ret->status);
                client_reply_clear(ret);
                return CTL_EXIT_PROTOCOL;
        }
        if (ret->status >= 200 && ret->status < 300)
                return 0;
        return ctl_refused(ctl, ret);
}

void ctl_print_json(const json_t *j) {
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
}
