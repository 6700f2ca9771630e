/* cli/ctl.h: what every carnetctl subcommand shares. */
#pragma once

#include <stdbool.h>

#include "client.h"

/* carnetctl's exit codes (documented in carnetctl(1)). */
enum {
        CTL_EXIT_OK = 0,
        CTL_EXIT_REFUSED = 1,     /* carnetd answered with an error */
        CTL_EXIT_USAGE = 2,       /* bad command line */
        CTL_EXIT_UNREACHABLE = 3, /* no carnetd on the socket */
        CTL_EXIT_PROTOCOL = 4,    /* a reply carnetctl cannot read */
};

struct ctl {
        const char *socket;
        bool json; /* print carnetd's JSON instead of text for people */
};

/* Calls carnetd; on success (2xx with a JSON body) returns 0 with *ret
 * filled.  Otherwise prints the reason on stderr (carnetd's own message
 * for an error reply) and returns the exit code to use. */
int ctl_call(const struct ctl *ctl, const char *method, const char *path, const char *body,
             struct client_reply *ret);

/* Prints a JSON value on stdout, indented, for --json. */
void ctl_print_json(const json_t *j);

int cmd_status(const struct ctl *ctl, int argc, char **argv);
int cmd_vitale(const struct ctl *ctl, int argc, char **argv);
