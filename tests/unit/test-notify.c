/* tests/unit/test-notify.c: sd_notify messages and the watchdog
 * (daemon/notify.c), against a datagram socket standing in for systemd's
 * NOTIFY_SOCKET, and the API liveness probe against small fake servers.
 * Assertions on counts use generous bounds, never tight timing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/notify.h"

static char dir[64];
static int notify_fd = -1;

static int bind_unix(int type, const char *path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        return fd;
}

static int setup(void **state) {
        char path[128];
        snprintf(dir, sizeof(dir), "/tmp/carnet-test-notify.XXXXXX");
        if (!mkdtemp(dir))
                return -1;
        snprintf(path, sizeof(path), "%s/notify", dir);
        notify_fd = bind_unix(SOCK_DGRAM, path);
        setenv("NOTIFY_SOCKET", path, 1);
        return 0;
}

static int teardown(void **state) {
        char cmd[128];
        close(notify_fd);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

/* The next message within timeout_ms into buf, or 0 bytes. */
static size_t next_msg(char *buf, size_t size, int timeout_ms) {
        struct pollfd p = {.fd = notify_fd, .events = POLLIN};
        if (poll(&p, 1, timeout_ms) <= 0)
                return 0;
        ssize_t n = recv(notify_fd, buf, size - 1, 0);
        assert_true(n >= 0);
        buf[n] = '\0';
        return (size_t)n;
}

static void drain(void) {
        char buf[512];
        while (next_msg(buf, sizeof(buf), 0) > 0)
                ;
}

UNIT(messages) {
        char buf[512];
        drain();
        assert_true(notify_ready("Serving the API on /run/carnet/carnetd.sock") > 0);
        assert_true(next_msg(buf, sizeof(buf), 2000) > 0);
        assert_string_equal(buf, "READY=1\nSTATUS=Serving the API on /run/carnet/carnetd.sock");
        assert_true(notify_status("%d readers, %s", 2, "pcscd reachable") > 0);
        assert_true(next_msg(buf, sizeof(buf), 2000) > 0);
        assert_string_equal(buf, "STATUS=2 readers, pcscd reachable");
        assert_true(notify_reloading() > 0);
        assert_true(next_msg(buf, sizeof(buf), 2000) > 0);
        assert_string_equal(buf, "RELOADING=1");
        assert_true(notify_stopping() > 0);
        assert_true(next_msg(buf, sizeof(buf), 2000) > 0);
        assert_string_equal(buf, "STOPPING=1");
}

UNIT(no_manager_is_a_noop) {
        char *saved = strdup(getenv("NOTIFY_SOCKET"));
        struct notify_watchdog *w = (void *)1;
        unsetenv("NOTIFY_SOCKET");
        unsetenv("WATCHDOG_USEC");
        unsetenv("WATCHDOG_PID");
        assert_int_equal(notify_ready("x"), 0);
        assert_int_equal(notify_stopping(), 0);
        assert_int_equal(notify_watchdog_start(NULL, NULL, &w, NULL), 0);
        assert_null(w);
        notify_watchdog_stop(NULL);
        setenv("NOTIFY_SOCKET", saved, 1);
        free(saved);
}

static void set_watchdog(unsigned long usec, long pid) {
        char v[32];
        snprintf(v, sizeof(v), "%lu", usec);
        setenv("WATCHDOG_USEC", v, 1);
        snprintf(v, sizeof(v), "%ld", pid);
        setenv("WATCHDOG_PID", v, 1);
}

UNIT(watchdog_for_another_pid) {
        struct notify_watchdog *w = (void *)1;
        set_watchdog(100000, (long)getpid() + 1);
        assert_int_equal(notify_watchdog_start(NULL, NULL, &w, NULL), 0);
        assert_null(w);
}

static int alive_flag; /* 0: alive, <0: the error the check reports */
static int checks;

static int check(void *userdata) {
        __atomic_add_fetch(&checks, 1, __ATOMIC_RELAXED);
        return __atomic_load_n(&alive_flag, __ATOMIC_RELAXED);
}

/* Counts WATCHDOG=1 datagrams for ms milliseconds; the last STATUS= seen
 * goes to status. */
static int count_pings(int ms, char *status, size_t size) {
        char buf[512];
        int pings = 0;
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
                clock_gettime(CLOCK_MONOTONIC, &t);
                long left = ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
                if (left <= 0)
                        return pings;
                if (next_msg(buf, sizeof(buf), (int)left) == 0)
                        continue;
                if (strncmp(buf, "WATCHDOG=1", 10) == 0)
                        pings++;
                char *s = strstr(buf, "STATUS=");
                if (s && status)
                        snprintf(status, size, "%s", s + 7);
        }
}

UNIT(watchdog_pings_only_while_alive) {
        struct notify_watchdog *w = NULL;
        uint64_t usec = 0;
        char status[256] = "";

        drain();
        assert_true(notify_status("Serving") > 0);
        drain();
        alive_flag = 0;
        set_watchdog(200000, (long)getpid()); /* 200 ms: a ping every 100 ms */
        assert_int_equal(notify_watchdog_start(check, NULL, &w, &usec), 1);
        assert_non_null(w);
        assert_int_equal(usec, 200000);

        /* ~10 pings expected in one second */
        int pings = count_pings(1000, NULL, 0);
        assert_in_range(pings, 4, 30);

        /* the check fails: no ping, and the status line says why */
        __atomic_store_n(&alive_flag, -EIO, __ATOMIC_RELAXED);
        count_pings(300, NULL, 0); /* a ping may be in flight */
        int c0 = __atomic_load_n(&checks, __ATOMIC_RELAXED);
        pings = count_pings(800, status, sizeof(status));
        assert_int_equal(pings, 0);
        assert_true(__atomic_load_n(&checks, __ATOMIC_RELAXED) > c0); /* still checking */
        assert_non_null(strstr(status, "watchdog: liveness check failed"));

        /* alive again: pings resume and the previous status comes back */
        __atomic_store_n(&alive_flag, 0, __ATOMIC_RELAXED);
        pings = count_pings(800, status, sizeof(status));
        assert_true(pings >= 2);
        assert_string_equal(status, "Serving");
        notify_watchdog_stop(w);

        /* stopped (its thread joined): what it sent before may still be in
         * the socket, nothing comes after */
        drain();
        assert_int_equal(count_pings(400, NULL, 0), 0);
}

UNIT(watchdog_stops_promptly) {
        struct notify_watchdog *w = NULL;
        struct timespec t0, t1;
        set_watchdog(60000000, (long)getpid()); /* 60 s */
        assert_int_equal(notify_watchdog_start(check, NULL, &w, NULL), 1);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        notify_watchdog_stop(w);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        assert_true(t1.tv_sec - t0.tv_sec < 5);
        unsetenv("WATCHDOG_USEC");
        unsetenv("WATCHDOG_PID");
}

/* A fake API server: accepts one connection, reads the request, sends
 * `answer` (NULL: says nothing until the peer goes away). */
struct fake {
        int fd;
        const char *answer;
        char request[256];
};

static void *serve_one(void *arg) {
        struct fake *f = arg;
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
                return NULL;
        ssize_t n = recv(c, f->request, sizeof(f->request) - 1, 0);
        if (n > 0)
                f->request[n] = '\0';
        if (f->answer)
                (void)!write(c, f->answer, strlen(f->answer));
        else {
                char b[16];
                while (recv(c, b, sizeof(b), 0) > 0)
                        ;
        }
        close(c);
        return NULL;
}

static int probe_with(const char *answer, unsigned timeout_ms, char *request, size_t size) {
        char path[128];
        pthread_t t;
        struct fake f = {.answer = answer};
        snprintf(path, sizeof(path), "%s/api.sock", dir);
        unlink(path);
        f.fd = bind_unix(SOCK_STREAM, path);
        assert_int_equal(listen(f.fd, 4), 0);
        assert_int_equal(pthread_create(&t, NULL, serve_one, &f), 0);
        int r = notify_probe_api(path, timeout_ms);
        pthread_join(t, NULL);
        close(f.fd);
        if (request)
                snprintf(request, size, "%s", f.request);
        return r;
}

UNIT(probe) {
        char path[128], request[256];
        assert_int_equal(probe_with("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 5000, request,
                                    sizeof(request)), 0);
        assert_true(strncmp(request, "GET /v1/status HTTP/1.0\r\n", 25) == 0);
        assert_int_equal(probe_with("HTTP/1.0 200 OK\r\n\r\n", 5000, NULL, 0), 0);
        assert_int_equal(probe_with("HTTP/1.1 503 Service Unavailable\r\n\r\n", 5000, NULL, 0), -EPROTO);
        assert_int_equal(probe_with("SSH-2.0-OpenSSH\r\n", 5000, NULL, 0), -EPROTO);
        assert_int_equal(probe_with("", 5000, NULL, 0), -EPROTO); /* closed at once */
        assert_int_equal(probe_with(NULL, 200, NULL, 0), -ETIMEDOUT);

        snprintf(path, sizeof(path), "%s/none.sock", dir);
        assert_int_equal(notify_probe_api(path, 1000), -ENOENT);
        /* a socket file nobody listens on */
        int fd = bind_unix(SOCK_STREAM, path);
        assert_int_equal(notify_probe_api(path, 1000), -ECONNREFUSED);
        close(fd);
        assert_int_equal(notify_probe_api(NULL, 1000), -EINVAL);
}

UNIT(socket_path_of_fd) {
        char path[128], got[128];
        int sv[2];
        snprintf(path, sizeof(path), "%s/named.sock", dir);
        int fd = bind_unix(SOCK_STREAM, path);
        assert_int_equal(notify_socket_path(fd, got, sizeof(got)), 0);
        assert_string_equal(got, path);
        assert_int_equal(notify_socket_path(fd, got, 4), -ENOBUFS);
        close(fd);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        assert_int_equal(notify_socket_path(sv[0], got, sizeof(got)), -EINVAL);
        close(sv[0]);
        close(sv[1]);
}

UNIT_GROUP("notify", setup, teardown)
