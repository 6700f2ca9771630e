/* daemon/notify.h: telling systemd how carnetd is doing (sd_notify), and
 * the watchdog.
 *
 * Every call is a no-op returning 0 when carnetd does not run under a
 * service manager ($NOTIFY_SOCKET unset), so carnetd started by hand, in
 * the lab or under systemd-socket-activate behaves the same.  Functions
 * return > 0 when the message was sent, 0 when there is nobody to tell,
 * or a negative errno; a failure to notify is never fatal to carnetd.
 *
 * The watchdog.  With WatchdogSec= set, systemd passes $WATCHDOG_USEC and
 * $WATCHDOG_PID and kills (SIGABRT, so a core dump shows where it hung)
 * and restarts a service that stays silent longer than that.  A thread
 * that pinged on a timer would keep pinging while the API and the reader
 * monitor are stuck, so here each ping must be earned: every half
 * interval the watchdog thread calls a liveness check supplied by
 * carnetd, and sends WATCHDOG=1 only when the check succeeds.  The check
 * carnetd uses is notify_probe_api(): a real "GET /v1/status" on its own
 * socket, answered 200 within a timeout, which goes through
 * libmicrohttpd's threads, the router and the reader monitor's lock (the
 * status is the monitor's snapshot; no card or pcscd is touched, so a
 * slow card or a dead pcscd does not count as a hang).  A failed check is
 * retried after an eighth of the interval (a burst of clients filling
 * max_connections is not a hang); meanwhile systemd's status line says
 * "watchdog: liveness check failed: REASON" and goes back to the previous
 * STATUS= when a check passes again.  A check that hangs outright stops
 * the pings as well, which is the point. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/macro.h"

/* READY=1, with a STATUS= line when status is not NULL. */
int notify_ready(const char *status);
/* STATUS=... (shown by systemctl status). */
int notify_status(const char *fmt, ...) _printf_(1, 2);
/* RELOADING=1 (follow with notify_ready() once the reload is done). */
int notify_reloading(void);
/* STOPPING=1, as the first thing on SIGTERM. */
int notify_stopping(void);

/* Returns 0 when alive, a negative errno otherwise.  Called from the
 * watchdog thread. */
typedef int (*notify_alive_fn)(void *userdata);

struct notify_watchdog;

/* When the service manager asked for a watchdog for this process
 * (sd_watchdog_enabled()), starts the thread described above and returns
 * 1 with *ret set; returns 0 with *ret = NULL when no watchdog is wanted;
 * a negative errno on failure.  alive may be NULL: then the pings only
 * prove that the process is scheduled (not what carnetd does).
 * The interval chosen goes to *ret_usec when not NULL. */
int notify_watchdog_start(notify_alive_fn alive, void *userdata, struct notify_watchdog **ret,
                          uint64_t *ret_usec);
/* Stops and joins the thread (waits for a check in progress).  NULL is
 * fine. */
void notify_watchdog_stop(struct notify_watchdog *w);

/* The liveness probe: connects to the Unix socket at path, sends
 * "GET /v1/status HTTP/1.0" and reads the status line, all within
 * timeout_ms.  0 for "200", -EPROTO for another answer, -ETIMEDOUT,
 * -ECONNREFUSED, -ENOENT, -EAGAIN (listen backlog full)... otherwise. */
int notify_probe_api(const char *path, unsigned timeout_ms);

/* The path a listening Unix socket is bound to (for a socket systemd
 * passed), into buf.  -EINVAL when it is not a named Unix socket. */
int notify_socket_path(int fd, char *buf, size_t size);
