/* daemon/reports.h: what carnetd logs of what the layers report.
 *
 * The layers below carnetd never log (lib/report.h); they hand reports to
 * reports_log(), the reporter carnetd gives them.  Here, and only here, is
 * decided which events are logged, at which priority and in which words.
 * An event not in the table is logged at debug level under its name, so
 * that nothing a layer reports is silently lost to a reader of debug logs. */
#pragma once

#include "lib/report.h"

/* The reporter function: userdata is unused. */
void reports_log(void *userdata, const struct report *r);

/* A reporter that logs through reports_log(). */
#define REPORTER_LOG ((struct reporter){.fn = reports_log})
