/* daemon/config.h: carnetd's settings and the file that sets them.
 *
 * The file has "key = value" lines, '#' comments.  An unknown key or a bad
 * value is an error naming the file, the line and the reason: carnetd does
 * not start on a configuration it does not understand. */
#pragma once

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define CONFIG_DEFAULT_PATH "/etc/carnet/carnetd.conf"
#define CONFIG_DEFAULT_SOCKET "/run/carnet/carnetd.sock"

struct config {
        char socket_path[108];
        mode_t socket_mode;
        char socket_group[64]; /* empty: the daemon's own group */
        unsigned connection_timeout_s;
        size_t body_max;
        int log_level; /* syslog priority */
};

void config_defaults(struct config *c);

/* Reads path into *c (which holds defaults first).  On error returns
 * -errno and writes "path:line: reason" into err. */
int config_load(struct config *c, const char *path, char *err, size_t errlen);
