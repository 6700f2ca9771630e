/* daemon/notify.c: sd_notify messages and the watchdog thread (notify.h). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "lib/cond.h"
#include "notify.h"

/* The last STATUS= text carnetd set, to put back after a watchdog
 * complaint. */
static pthread_mutex_t status_lock = PTHREAD_MUTEX_INITIALIZER;
static char last_status[256];

static void remember_status(const char *s) {
        pthread_mutex_lock(&status_lock);
        snprintf(last_status, sizeof(last_status), "%s", s ? s : "");
        pthread_mutex_unlock(&status_lock);
}

int notify_ready(const char *status) {
        if (!status)
                return sd_notify(0, "READY=1");
        remember_status(status);
        return sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

int notify_status(const char *fmt, ...) {
        char s[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s, sizeof(s), fmt, ap);
        va_end(ap);
        remember_status(s);
        return sd_notifyf(0, "STATUS=%s", s);
}

int notify_reloading(void) {
        return sd_notify(0, "RELOADING=1");
}

int notify_stopping(void) {
        return sd_notify(0, "STOPPING=1");
}

struct notify_watchdog {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool stop;
        uint64_t usec;
        notify_alive_fn alive;
        void *userdata;
};

static struct timespec after_usec(uint64_t usec) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        t.tv_sec += (time_t)(usec / 1000000);
        t.tv_nsec += (long)(usec % 1000000) * 1000L;
        if (t.tv_nsec >= 1000000000L) {
                t.tv_sec++;
                t.tv_nsec -= 1000000000L;
        }
        return t;
}

/* Every usec/2: check, and ping only if the check passed; after a failed
 * check, try again after usec/8 (notify.h says why). */
static void *watchdog_thread(void *arg) {
        struct notify_watchdog *w = arg;
        uint64_t ok_period = w->usec / 2, retry_period = w->usec / 8;
        uint64_t wait = ok_period;
        bool complained = false;

        if (retry_period < 1000)
                retry_period = 1000;
        if (ok_period < retry_period)
                ok_period = retry_period;
        pthread_mutex_lock(&w->lock);
        for (;;) {
                struct timespec deadline = after_usec(wait);
                while (!w->stop && pthread_cond_timedwait(&w->cond, &w->lock, &deadline) != ETIMEDOUT)
                        ;
                if (w->stop)
                        break;
                pthread_mutex_unlock(&w->lock);

                int r = w->alive ? w->alive(w->userdata) : 0;
                if (r >= 0) {
                        if (complained) {
                                pthread_mutex_lock(&status_lock);
                                sd_notifyf(0, "WATCHDOG=1\nSTATUS=%s", last_status);
                                pthread_mutex_unlock(&status_lock);
                                complained = false;
                        } else
                                sd_notify(0, "WATCHDOG=1");
                        wait = ok_period;
                } else {
                        sd_notifyf(0, "STATUS=watchdog: liveness check failed: %s", strerror(-r));
                        complained = true;
                        wait = retry_period;
                }
                pthread_mutex_lock(&w->lock);
        }
        pthread_mutex_unlock(&w->lock);
        return NULL;
}

int notify_watchdog_start(notify_alive_fn alive, void *userdata, struct notify_watchdog **ret,
                          uint64_t *ret_usec) {
        uint64_t usec = 0;
        int r;

        if (!ret)
                return -EINVAL;
        r = sd_watchdog_enabled(0, &usec);
        if (r < 0)
                return r;
        if (r == 0 || usec == 0) {
                *ret = NULL;
                return 0;
        }
        struct notify_watchdog *w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->usec = usec;
        w->alive = alive;
        w->userdata = userdata;
        pthread_mutex_init(&w->lock, NULL);
        r = cond_init_monotonic(&w->cond);
        if (r < 0) {
                pthread_mutex_destroy(&w->lock);
                free(w);
                return r;
        }
        r = -pthread_create(&w->thread, NULL, watchdog_thread, w);
        if (r < 0) {
                pthread_cond_destroy(&w->cond);
                pthread_mutex_destroy(&w->lock);
                free(w);
                return r;
        }
        *ret = w;
        if (ret_usec)
                *ret_usec = usec;
        return 1;
}

void notify_watchdog_stop(struct notify_watchdog *w) {
        if (!w)
                return;
        pthread_mutex_lock(&w->lock);
        w->stop = true;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        free(w);
}

static int64_t now_ms(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits for events on fd until deadline (monotonic ms). */
static int wait_fd(int fd, short events, int64_t deadline) {
        for (;;) {
                int64_t left = deadline - now_ms();
                if (left <= 0)
                        return -ETIMEDOUT;
                struct pollfd p = {.fd = fd, .events = events};
                int n = poll(&p, 1, (int)left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n > 0)
                        return 0;
        }
}

int notify_probe_api(const char *path, unsigned timeout_ms) {
        static const char request[] = "GET /v1/status HTTP/1.0\r\nHost: localhost\r\n\r\n";
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int64_t deadline = now_ms() + timeout_ms;
        char reply[32];
        size_t got = 0, sent = 0;
        int r;

        if (!path || strlen(path) >= sizeof(sa.sun_path))
                return -EINVAL;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        /* A non-blocking connect() on a Unix socket completes at once or
         * fails; -EAGAIN means the listen backlog is full: carnetd is not
         * accepting connections, which counts as not alive. */
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -errno;
        while (sent < sizeof(request) - 1) {
                ssize_t n = send(fd, request + sent, sizeof(request) - 1 - sent, MSG_NOSIGNAL);
                if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                        r = wait_fd(fd, POLLOUT, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (n < 0)
                        return -errno;
                sent += (size_t)n;
        }
        /* "HTTP/1.x 200 " is all we need */
        while (got < 13) {
                r = wait_fd(fd, POLLIN, deadline);
                if (r < 0)
                        return r;
                ssize_t n = recv(fd, reply + got, sizeof(reply) - got, 0);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EPROTO;
                got += (size_t)n;
        }
        if (strncmp(reply, "HTTP/1.", 7) != 0 || strncmp(reply + 8, " 200 ", 5) != 0)
                return -EPROTO;
        return 0;
}

int notify_socket_path(int fd, char *buf, size_t size) {
        struct sockaddr_un sa = {0};
        socklen_t len = sizeof(sa);

        if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
                return -errno;
        if (sa.sun_family != AF_UNIX || len <= offsetof(struct sockaddr_un, sun_path) ||
            sa.sun_path[0] == '\0')
                return -EINVAL; /* unnamed or abstract */
        size_t n = strnlen(sa.sun_path, len - offsetof(struct sockaddr_un, sun_path));
        if (n + 1 > size)
                return -ENOBUFS;
        memcpy(buf, sa.sun_path, n);
        buf[n] = '\0';
        return 0;
}
