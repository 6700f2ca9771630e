/* daemon/log.h: carnetd's log output.
 *
 * Only carnetd's own code decides what is logged; modules below it return
 * error codes and leave the wording to their caller.  Never log a PIN,
 * a patient secret or document content. */
#pragma once

#include <syslog.h>

#include "macro.h"

/* Messages above this priority are dropped (LOG_INFO by default). */
void log_set_max_level(int prio);
void log_msg(int prio, const char *fmt, ...) _printf_(2, 3);

#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
