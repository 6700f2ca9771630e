/* daemon/log.c: log lines to stderr, which systemd's journal collects.
 * (Structured journal fields come with the operations work.) */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static int max_level = LOG_INFO;

void log_set_max_level(int prio) {
        max_level = prio;
}

void log_msg(int prio, const char *fmt, ...) {
        static const char *const names[] = {"emerg", "alert", "crit", "error",
                                            "warning", "notice", "info", "debug"};
        char line[1024];
        va_list ap;

        if (prio > max_level)
                return;
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        /* "<N>" lets the journal read the priority from stderr. */
        fprintf(stderr, "<%d>carnetd: %s: %s\n", prio & 7, names[prio & 7], line);
}
