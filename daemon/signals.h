/* daemon/signals.h: the programs' signal handling (carnetd, carnet-hostd).
 *
 * SIGTERM, SIGINT and SIGHUP are blocked before any thread starts, so that
 * every thread inherits the mask, and taken synchronously by the main
 * thread with sigtimedwait(); SIGPIPE is ignored (a client that leaves
 * mid-reply is an error on the write, not a signal). */
#pragma once

#include <signal.h>

void signals_block(sigset_t *set);

/* Calls tick(userdata) now and every minute, reload(userdata) on SIGHUP,
 * and returns on SIGTERM or SIGINT (logged). */
void signals_loop(const sigset_t *set, void (*tick)(void *userdata), void (*reload)(void *userdata),
                  void *userdata);
