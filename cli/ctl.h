/* cli/ctl.h: what every carnetctl subcommand shares. */
#pragma once

#include <stdbool.h>

#include "client.h"

/* carnetctl's exit codes (documented in carnetctl(1)). */
enum {
        CTL_EXIT_OK = 0,
        CTL_EXIT_REFUSED = 1,     /* carnetd answered with an error */
        CTL_EXIT_USAGE = 2,       /* bad command line */
        CTL_EXIT_UNREACHABLE = 3, /* no carnetd on the socket, or it went away */
        CTL_EXIT_PROTOCOL = 4,    /* a reply carnetctl cannot read */
};

struct ctl {
        const char *socket;
        bool json; /* print carnetd's JSON instead of text for people */
};

/* Calls carnetd (headers: extra "Name: value" lines, NULL-terminated, or
 * NULL); on success (2xx with a JSON body) returns 0 with *ret filled.
 * Otherwise prints the reason on stderr (carnetd's own message for an
 * error reply) and returns the exit code to use. */
int ctl_call(const struct ctl *ctl, const char *method, const char *path, const char *body,
             const char *const *headers, struct client_reply *ret);

/* Explains a reply that is not 2xx on stderr (and prints its JSON with
 * --json); returns the exit code to use.  Clears *rep. */
int ctl_refused(const struct ctl *ctl, struct client_reply *rep);

/* Exit code and message for a failed client_*() call. */
int ctl_unreachable(int r, const char *err);

/* Prints a JSON value on stdout, indented, for --json. */
void ctl_print_json(const json_t *j);

/* Each subcommand: argv[0] is its name; -h/--help never reaches it
 * (carnetctl.c prints the usage). */
int cmd_status(const struct ctl *ctl, int argc, char **argv);
int cmd_readers(const struct ctl *ctl, int argc, char **argv);
int cmd_events(const struct ctl *ctl, int argc, char **argv);
int cmd_vitale(const struct ctl *ctl, int argc, char **argv);
