/* daemon/signals.c: see signals.h. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "signals.h"

void signals_block(sigset_t *set) {
        sigemptyset(set);
        sigaddset(set, SIGTERM);
        sigaddset(set, SIGINT);
        sigaddset(set, SIGHUP);
        pthread_sigmask(SIG_BLOCK, set, NULL);
        signal(SIGPIPE, SIG_IGN);
}

void signals_loop(const sigset_t *set, void (*tick)(void *userdata), void (*reload)(void *userdata),
                  void *userdata) {
        tick(userdata);
        for (;;) {
                const struct timespec minute = {60, 0};
                int sig = sigtimedwait(set, NULL, &minute);
                if (sig < 0) {
                        if (errno == EAGAIN)
                                tick(userdata);
                        continue;
                }
                if (sig == SIGHUP) {
                        reload(userdata);
                        continue;
                }
                log_info("signal %s: stopping", strsignal(sig));
                return;
        }
}
