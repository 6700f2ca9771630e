/* bench/http-load.c: a small HTTP/1.1 load generator for Unix sockets,
 * used by bench/run-http.sh to compare carnetd with nginx.
 *
 *   http-load [options] SOCKET METHOD PATH
 *     -c N        connections, each a keep-alive connection in its own
 *                 thread (default 1, at most 256)
 *     -d SECONDS  measured duration (default 5)
 *     -n COUNT    measured requests in all, instead of a duration
 *     -w SECONDS  warm-up before measuring: requests sent, not recorded
 *                 (default 0)
 *     -H 'Name: value'   a request header (repeatable, at most 16)
 *     -b FILE     request body, sent with Content-Length (at most 64 MiB)
 *     -l LABEL    a word naming the run in the output line
 *     -P PID      a server process whose CPU time (user + system, from
 *                 /proc/PID/stat) over the measured window is reported
 *                 (repeatable, at most 64: nginx's master and workers, a database's backends)
 *
 * Each connection sends its request, reads the whole response (status
 * line, headers, then a body framed by Content-Length, chunked encoding,
 * or the end of the connection), records the latency from the first byte
 * written to the last byte read (CLOCK_MONOTONIC), and sends the next: one
 * request in flight per connection, no pipelining.  A response that asks
 * to close (Connection: close, HTTP/1.0) is followed by a new connection,
 * counted as a reconnect (connecting is not in the latency).  A thread
 * gives up after 100 failed requests in a row.
 *
 * Output, one line of NAME=VALUE words on stdout:
 *   label conns seconds ok non2xx errors reconnects rps mean_ms p50_ms
 *   p99_ms max_ms body_bytes server_cpu_ms
 * where ok counts 2xx responses (rps = ok / seconds, latencies are those
 * of 2xx responses, nearest-rank percentiles), non2xx counts complete
 * responses with another status, errors counts transport and protocol
 * failures (connection refused or reset, timeout, malformed response),
 * server_cpu_ms is the -P processes' CPU time over the measured window
 * (0 without -P, -1 when /proc could not be read).
 * The first non-2xx status and the first error are told on stderr.
 * Exit status: 0 when every request got a 2xx, 1 otherwise, 2 on usage. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/macro.h"
#include "lib/readall.h"

#define CONNS_MAX 256
#define HEADERS_MAX 16
#define REQ_HEAD_MAX (16 * 1024)         /* request line and headers */
#define BODY_FILE_MAX (64 * 1024 * 1024) /* -b */
#define RBUF_SIZE (64 * 1024)            /* one response line must fit */
#define RESP_HEAD_MAX (64 * 1024)        /* status line and headers */
#define SAMPLES_MAX (4 * 1024 * 1024)    /* latencies kept, all threads */
#define IO_TIMEOUT_S 10
#define ERRORS_IN_A_ROW_MAX 100
#define PIDS_MAX 64

struct options {
        const char *socket_path, *method, *path, *label;
        unsigned conns;
        double duration_s, warmup_s;
        uint64_t count; /* 0: run for duration_s */
        const char *headers[HEADERS_MAX];
        unsigned n_headers;
        const char *body_file;
        pid_t pids[PIDS_MAX];
        unsigned n_pids;
};

/* What every worker shares, read-only once the workers start. */
struct job {
        struct sockaddr_un addr;
        char head[REQ_HEAD_MAX];
        size_t head_len;
        char *body;
        size_t body_len;
        bool head_request; /* HEAD: responses have no body */
        double warmup_s, duration_s;
        pthread_barrier_t start;
        atomic_flag told_status, told_error;
};

/* One connection's buffered reader: bytes buf[off..len) are unread. */
struct conn {
        int fd;
        size_t off, len;
        char buf[RBUF_SIZE];
};

struct worker {
        pthread_t thread;
        struct job *job;
        uint64_t quota; /* measured requests to send; 0 with a duration */
        uint64_t *samples; /* 2xx latencies in ns */
        size_t n_samples, samples_cap;
        uint64_t ok, non2xx, errors, reconnects, body_bytes;
        struct timespec t_begin, t_end; /* the measured window */
        struct conn c;
};

static uint64_t ns_between(const struct timespec *a, const struct timespec *b) {
        return (uint64_t)(b->tv_sec - a->tv_sec) * 1000000000ULL + (uint64_t)b->tv_nsec - (uint64_t)a->tv_nsec;
}

static double seconds_since(const struct timespec *a) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)ns_between(a, &now) / 1e9;
}

/* ---- connection ---------------------------------------------------------- */

static void conn_close(struct conn *c) {
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        c->off = c->len = 0;
}

/* Connects c to the job's socket, with send and receive timeouts so that a
 * server that stops answering fails the request instead of hanging. */
static int conn_open(struct conn *c, const struct job *job) {
        struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negerrno();
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                return negerrno();
        if (connect(fd, (const struct sockaddr *)&job->addr, sizeof(job->addr)) < 0)
                return negerrno();
        conn_close(c);
        c->fd = TAKE_FD(fd);
        return 0;
}

/* Reads more bytes into c's buffer, moving the unread ones to its start
 * first.  Returns the number read, -EMSGSIZE when the buffer is full of
 * unread bytes (a line longer than RBUF_SIZE), -ECONNRESET at the end of
 * the connection, -ETIMEDOUT or another -errno. */
static ssize_t conn_fill(struct conn *c) {
        if (c->off > 0) {
                memmove(c->buf, c->buf + c->off, c->len - c->off);
                c->len -= c->off;
                c->off = 0;
        }
        if (c->len == sizeof(c->buf))
                return -EMSGSIZE;
        for (;;) {
                ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
                if (n > 0) {
                        c->len += (size_t)n;
                        return n;
                }
                if (n == 0)
                        return -ECONNRESET;
                if (errno == EINTR)
                        continue;
                return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : negerrno();
        }
}

/* Returns in *ret_line the next line without its CRLF (NUL-terminated in
 * place, valid until the next read) and consumes it. */
static int conn_line(struct conn *c, char **ret_line, size_t *ret_len) {
        size_t scanned = 0;
        for (;;) {
                char *start = c->buf + c->off;
                size_t avail = c->len - c->off;
                char *lf = avail > scanned ? memchr(start + scanned, '\n', avail - scanned) : NULL;
                if (lf) {
                        size_t n = (size_t)(lf - start);
                        if (n == 0 || start[n - 1] != '\r')
                                return -EBADMSG;
                        start[n - 1] = '\0';
                        c->off += n + 1;
                        *ret_line = start;
                        *ret_len = n - 1;
                        return 0;
                }
                scanned = avail;
                ssize_t r = conn_fill(c);
                if (r < 0)
                        return (int)r;
                /* conn_fill moved the unread bytes to the start: scanned
                 * still counts from there */
        }
}

/* Reads and drops n bytes of body. */
static int conn_skip(struct conn *c, uint64_t n) {
        while (n > 0) {
                size_t avail = c->len - c->off;
                if (avail == 0) {
                        c->off = c->len = 0;
                        ssize_t r = conn_fill(c);
                        if (r < 0)
                                return (int)r;
                        continue;
                }
                size_t take = avail < n ? avail : (size_t)n;
                c->off += take;
                n -= take;
        }
        return 0;
}

/* Reads and drops everything up to the end of the connection. */
static int conn_drain(struct conn *c, uint64_t *ret_bytes) {
        uint64_t total = c->len - c->off;
        for (;;) {
                c->off = c->len = 0;
                ssize_t r = conn_fill(c);
                if (r == -ECONNRESET)
                        break;
                if (r < 0)
                        return (int)r;
                total += (uint64_t)r;
        }
        *ret_bytes = total;
        return 0;
}

/* Writes the request: head then body, resuming after partial writes. */
static int conn_send(struct conn *c, const struct job *job) {
        struct iovec iov[2] = {
                {.iov_base = (void *)job->head, .iov_len = job->head_len},
                {.iov_base = job->body, .iov_len = job->body_len},
        };
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = job->body_len > 0 ? 2 : 1};
        while (msg.msg_iovlen > 0) {
                ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : negerrno();
                }
                while (msg.msg_iovlen > 0 && (size_t)n >= msg.msg_iov[0].iov_len) {
                        n -= (ssize_t)msg.msg_iov[0].iov_len;
                        msg.msg_iov++;
                        msg.msg_iovlen--;
                }
                if (msg.msg_iovlen > 0) {
                        msg.msg_iov[0].iov_base = (char *)msg.msg_iov[0].iov_base + n;
                        msg.msg_iov[0].iov_len -= (size_t)n;
                }
        }
        return 0;
}

/* ---- response parsing ---------------------------------------------------- */

/* Parses a decimal or (hex) chunk size with no sign and no overflow; for
 * a chunk size, stops at ';' (chunk extensions) and spaces. */
static int parse_u64(const char *s, int base, uint64_t *ret) {
        uint64_t v = 0;
        const char *p = s;
        for (; *p; p++) {
                unsigned d;
                if (*p >= '0' && *p <= '9')
                        d = (unsigned)(*p - '0');
                else if (base == 16 && *p >= 'a' && *p <= 'f')
                        d = (unsigned)(*p - 'a' + 10);
                else if (base == 16 && *p >= 'A' && *p <= 'F')
                        d = (unsigned)(*p - 'A' + 10);
                else
                        break;
                if (v > (UINT64_MAX - d) / (unsigned)base)
                        return -ERANGE;
                v = v * (unsigned)base + d;
        }
        if (p == s)
                return -EBADMSG;
        while (*p == ' ' || *p == '\t')
                p++;
        if (*p && !(base == 16 && *p == ';'))
                return -EBADMSG;
        *ret = v;
        return 0;
}

/* A case-insensitive token search in a comma-separated header value. */
static bool has_token(const char *value, const char *token) {
        size_t n = strlen(token);
        for (const char *p = value; *p;) {
                while (*p == ' ' || *p == '\t' || *p == ',')
                        p++;
                const char *e = p;
                while (*e && *e != ',')
                        e++;
                const char *t = e;
                while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
                        t--;
                if ((size_t)(t - p) == n && strncasecmp(p, token, n) == 0)
                        return true;
                p = e;
        }
        return false;
}

struct response {
        int status;
        bool close;   /* the server closes after this response */
        uint64_t body_bytes;
};

/* Reads a chunked body and its trailers. */
static int read_chunked(struct conn *c, uint64_t *ret_bytes) {
        uint64_t total = 0;
        for (;;) {
                char *line;
                size_t n;
                uint64_t size;
                int r = conn_line(c, &line, &n);
                if (r < 0)
                        return r;
                r = parse_u64(line, 16, &size);
                if (r < 0)
                        return r;
                if (size == 0)
                        break;
                r = conn_skip(c, size);
                if (r < 0)
                        return r;
                total += size;
                r = conn_line(c, &line, &n);
                if (r < 0)
                        return r;
                if (n != 0)
                        return -EBADMSG;
        }
        for (size_t trailers = 0;; trailers += 1) { /* trailers, then CRLF */
                char *line;
                size_t n;
                int r = conn_line(c, &line, &n);
                if (r < 0)
                        return r;
                if (n == 0)
                        break;
                if (trailers >= 64)
                        return -EMSGSIZE;
        }
        *ret_bytes = total;
        return 0;
}

/* Reads one whole response (skipping any 1xx) into *ret. */
static int read_response(struct conn *c, bool head_request, struct response *ret) {
        struct response resp;
        uint64_t length;
        bool has_length, chunked;
        int r;
        char *line;
        size_t n, head_bytes;

        do {
                resp = (struct response){0};
                has_length = chunked = false;
                length = 0;
                r = conn_line(c, &line, &n);
                if (r < 0)
                        return r;
                head_bytes = n;
                /* HTTP/1.x SSS reason */
                if (n < 12 || strncmp(line, "HTTP/1.", 7) != 0 || (line[7] != '0' && line[7] != '1') ||
                    line[8] != ' ' || line[9] < '1' || line[9] > '5' || line[10] < '0' || line[10] > '9' ||
                    line[11] < '0' || line[11] > '9' || (n > 12 && line[12] != ' '))
                        return -EBADMSG;
                resp.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
                bool http10 = line[7] == '0', close_hdr = false, keep_alive = false;
                for (;;) {
                        r = conn_line(c, &line, &n);
                        if (r < 0)
                                return r;
                        head_bytes += n + 2;
                        if (head_bytes > RESP_HEAD_MAX)
                                return -EMSGSIZE;
                        if (n == 0)
                                break;
                        char *colon = memchr(line, ':', n);
                        if (!colon || colon == line)
                                return -EBADMSG;
                        *colon = '\0';
                        char *value = colon + 1;
                        while (*value == ' ' || *value == '\t')
                                value++;
                        size_t vlen = strlen(value);
                        while (vlen > 0 && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
                                value[--vlen] = '\0';
                        if (strcasecmp(line, "Content-Length") == 0) {
                                uint64_t v;
                                r = parse_u64(value, 10, &v);
                                if (r < 0)
                                        return r;
                                if (has_length && v != length)
                                        return -EBADMSG;
                                has_length = true;
                                length = v;
                        } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
                                if (!has_token(value, "chunked"))
                                        return -EPROTONOSUPPORT;
                                chunked = true;
                        } else if (strcasecmp(line, "Connection") == 0) {
                                if (has_token(value, "close"))
                                        close_hdr = true;
                                if (has_token(value, "keep-alive"))
                                        keep_alive = true;
                        }
                }
                /* HTTP/1.0 closes unless it says keep-alive */
                resp.close = close_hdr || (http10 && !keep_alive);
        } while (resp.status >= 100 && resp.status < 200);

        if (head_request || resp.status == 204 || resp.status == 304)
                r = 0;
        else if (chunked)
                r = read_chunked(c, &resp.body_bytes);
        else if (has_length) {
                r = conn_skip(c, length);
                resp.body_bytes = length;
        } else {
                r = conn_drain(c, &resp.body_bytes);
                resp.close = true;
        }
        if (r < 0)
                return r;
        *ret = resp;
        return 0;
}

/* ---- workers ------------------------------------------------------------- */

static void tell_once(atomic_flag *flag, const char *fmt, ...) _printf_(2, 3);
static void tell_once(atomic_flag *flag, const char *fmt, ...) {
        if (atomic_flag_test_and_set(flag))
                return;
        va_list ap;
        va_start(ap, fmt);
        fputs("http-load: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

/* One request on w's connection, opening it first when needed.  Returns
 * 0 with *ret filled and *ret_ns the latency, or -errno (the connection
 * is then closed). */
static int one_request(struct worker *w, struct response *ret, uint64_t *ret_ns) {
        struct job *job = w->job;
        struct timespec t0, t1;
        int r;

        if (w->c.fd < 0) {
                r = conn_open(&w->c, job);
                if (r < 0)
                        return r;
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = conn_send(&w->c, job);
        if (r >= 0)
                r = read_response(&w->c, job->head_request, ret);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (r < 0) {
                conn_close(&w->c);
                return r;
        }
        /* bytes after the response: the server spoke out of turn */
        if (w->c.off != w->c.len) {
                conn_close(&w->c);
                return -EPROTO;
        }
        if (ret->close)
                conn_close(&w->c);
        *ret_ns = ns_between(&t0, &t1);
        return 0;
}

static void record(struct worker *w, int r, const struct response *resp, uint64_t ns) {
        if (r < 0) {
                w->errors++;
                tell_once(&w->job->told_error, "first error: %s", strerror(-r));
                return;
        }
        if (resp->close)
                w->reconnects++;
        if (resp->status < 200 || resp->status > 299) {
                w->non2xx++;
                tell_once(&w->job->told_status, "first non-2xx status: %d", resp->status);
                return;
        }
        w->ok++;
        w->body_bytes += resp->body_bytes;
        if (w->n_samples < w->samples_cap)
                w->samples[w->n_samples++] = ns;
}

static void *worker_run(void *arg) {
        struct worker *w = arg;
        struct job *job = w->job;
        struct response resp;
        uint64_t ns;
        unsigned in_a_row = 0;
        int r = conn_open(&w->c, job);

        if (r < 0)
                tell_once(&job->told_error, "connect %s: %s", job->addr.sun_path, strerror(-r));
        pthread_barrier_wait(&job->start); /* with main() */
        if (r < 0) {
                w->errors++;
                clock_gettime(CLOCK_MONOTONIC, &w->t_begin);
                w->t_end = w->t_begin;
                return NULL;
        }

        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        while (job->warmup_s > 0 && seconds_since(&t) < job->warmup_s) {
                r = one_request(w, &resp, &ns);
                in_a_row = r < 0 ? in_a_row + 1 : 0;
                if (in_a_row >= ERRORS_IN_A_ROW_MAX)
                        break;
        }

        clock_gettime(CLOCK_MONOTONIC, &w->t_begin);
        for (uint64_t i = 0;; i++) {
                if (w->quota > 0 ? i >= w->quota : seconds_since(&w->t_begin) >= job->duration_s)
                        break;
                if (in_a_row >= ERRORS_IN_A_ROW_MAX) {
                        tell_once(&job->told_error, "%d errors in a row: giving up", ERRORS_IN_A_ROW_MAX);
                        break;
                }
                r = one_request(w, &resp, &ns);
                record(w, r, &resp, ns);
                in_a_row = r < 0 ? in_a_row + 1 : 0;
        }
        clock_gettime(CLOCK_MONOTONIC, &w->t_end);
        conn_close(&w->c);
        return NULL;
}

/* ---- set-up and report --------------------------------------------------- */


/* Builds the request head once: every request of the run is the same. */
static int build_head(struct job *job, const struct options *o) {
        size_t n = 0, cap = sizeof(job->head);
        int w;

        for (const char *p = o->path; *p; p++)
                if ((unsigned char)*p <= ' ')
                        return -EINVAL;
        w = snprintf(job->head, cap, "%s %s HTTP/1.1\r\nHost: localhost\r\n", o->method, o->path);
        if (w < 0 || (size_t)w >= cap)
                return -E2BIG;
        n = (size_t)w;
        for (unsigned i = 0; i < o->n_headers; i++) {
                const char *h = o->headers[i];
                if (strpbrk(h, "\r\n") || !strchr(h, ':'))
                        return -EINVAL;
                w = snprintf(job->head + n, cap - n, "%s\r\n", h);
                if (w < 0 || (size_t)w >= cap - n)
                        return -E2BIG;
                n += (size_t)w;
        }
        if (o->body_file || strcmp(o->method, "POST") == 0 || strcmp(o->method, "PUT") == 0) {
                w = snprintf(job->head + n, cap - n, "Content-Length: %zu\r\n", job->body_len);
                if (w < 0 || (size_t)w >= cap - n)
                        return -E2BIG;
                n += (size_t)w;
        }
        if (cap - n < 3)
                return -E2BIG;
        memcpy(job->head + n, "\r\n", 3);
        job->head_len = n + 2;
        return 0;
}

/* Adds up the user and system CPU time of the given processes, in
 * milliseconds (fields 14 and 15 of /proc/PID/stat, after the command
 * name, which may hold spaces and parentheses). */
static int cpu_ms(const pid_t *pids, unsigned n, double *ret) {
        long tck = sysconf(_SC_CLK_TCK);
        double total = 0;

        if (tck <= 0)
                return -EINVAL;
        for (unsigned i = 0; i < n; i++) {
                char path[64], line[1024];
                unsigned long ut, st;
                snprintf(path, sizeof(path), "/proc/%d/stat", (int)pids[i]);
                _cleanup_fclose_ FILE *f = fopen(path, "re");
                if (!f)
                        return negerrno();
                if (!fgets(line, sizeof(line), f))
                        return -EIO;
                char *p = strrchr(line, ')');
                if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
                        return -EBADMSG;
                total += (double)(ut + st) * 1000.0 / (double)tck;
        }
        *ret = total;
        return 0;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of n sorted values, in milliseconds. */
static double percentile_ms(const uint64_t *v, size_t n, double p) {
        if (n == 0)
                return 0;
        size_t rank = (size_t)((p / 100.0) * (double)n + 0.999999999);
        if (rank < 1)
                rank = 1;
        if (rank > n)
                rank = n;
        return (double)v[rank - 1] / 1e6;
}

static int report(const struct options *o, struct worker *ws, double server_cpu_ms) {
        uint64_t ok = 0, non2xx = 0, errors = 0, reconnects = 0, bytes = 0;
        size_t n = 0;
        struct timespec begin = ws[0].t_begin, end = ws[0].t_end;

        for (unsigned i = 0; i < o->conns; i++) {
                ok += ws[i].ok;
                non2xx += ws[i].non2xx;
                errors += ws[i].errors;
                reconnects += ws[i].reconnects;
                bytes += ws[i].body_bytes;
                n += ws[i].n_samples;
                if (ns_between(&ws[i].t_begin, &begin) < (1ULL << 63))
                        begin = ws[i].t_begin; /* earlier */
                if (ns_between(&end, &ws[i].t_end) < (1ULL << 63))
                        end = ws[i].t_end; /* later */
        }
        _cleanup_free_ uint64_t *all = malloc((n > 0 ? n : 1) * sizeof(*all));
        if (!all)
                return -ENOMEM;
        size_t k = 0;
        for (unsigned i = 0; i < o->conns; i++) {
                memcpy(all + k, ws[i].samples, ws[i].n_samples * sizeof(*all));
                k += ws[i].n_samples;
        }
        qsort(all, n, sizeof(*all), cmp_u64);
        double sum = 0;
        for (size_t i = 0; i < n; i++)
                sum += (double)all[i];
        double secs = (double)ns_between(&begin, &end) / 1e9;
        if (n < ok)
                fprintf(stderr, "http-load: latencies of the first %zu of %" PRIu64 " responses kept\n", n, ok);
        printf("label=%s conns=%u seconds=%.2f ok=%" PRIu64 " non2xx=%" PRIu64 " errors=%" PRIu64
               " reconnects=%" PRIu64 " rps=%.0f mean_ms=%.3f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f body_bytes=%" PRIu64
               " server_cpu_ms=%.0f\n",
               o->label, o->conns, secs, ok, non2xx, errors, reconnects, secs > 0 ? (double)ok / secs : 0.0,
               n > 0 ? sum / (double)n / 1e6 : 0.0, percentile_ms(all, n, 50), percentile_ms(all, n, 99), n > 0 ? (double)all[n - 1] / 1e6 : 0.0,
               ok > 0 ? bytes / ok : 0, server_cpu_ms);
        fflush(stdout);
        return 0;
}

static int usage(void) {
        fprintf(stderr, "usage: http-load [-c CONNS] [-d SECONDS | -n COUNT] [-w SECONDS] [-H 'Name: value']...\n"
                        "                 [-b BODY_FILE] [-l LABEL] [-P PID]... SOCKET METHOD PATH\n");
        return 2;
}

static int parse_options(int argc, char **argv, struct options *o) {
        char *end;
        int opt;

        *o = (struct options){.conns = 1, .duration_s = 5, .label = "-"};
        while ((opt = getopt(argc, argv, "c:d:n:w:H:b:l:P:")) != -1) {
                errno = 0;
                switch (opt) {
                case 'c': {
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (errno || *end || v < 1 || v > CONNS_MAX)
                                return -EINVAL;
                        o->conns = (unsigned)v;
                        break;
                }
                case 'd':
                case 'w': {
                        double v = strtod(optarg, &end);
                        if (errno || *end || !(v >= 0 && v <= 3600))
                                return -EINVAL;
                        *(opt == 'd' ? &o->duration_s : &o->warmup_s) = v;
                        break;
                }
                case 'n': {
                        unsigned long long v = strtoull(optarg, &end, 10);
                        if (errno || *end || v < 1 || v > 100000000ULL)
                                return -EINVAL;
                        o->count = v;
                        break;
                }
                case 'H':
                        if (o->n_headers >= HEADERS_MAX)
                                return -E2BIG;
                        o->headers[o->n_headers++] = optarg;
                        break;
                case 'b':
                        o->body_file = optarg;
                        break;
                case 'P': {
                        long v = strtol(optarg, &end, 10);
                        if (errno || *end || v < 1 || v > INT_MAX || o->n_pids >= PIDS_MAX)
                                return -EINVAL;
                        o->pids[o->n_pids++] = (pid_t)v;
                        break;
                }
                case 'l':
                        if (!*optarg || strpbrk(optarg, " \t\n="))
                                return -EINVAL;
                        o->label = optarg;
                        break;
                default:
                        return -EINVAL;
                }
        }
        if (argc - optind != 3)
                return -EINVAL;
        o->socket_path = argv[optind];
        o->method = argv[optind + 1];
        o->path = argv[optind + 2];
        if (!*o->method || strpbrk(o->method, " \t\r\n") || o->path[0] != '/')
                return -EINVAL;
        if (o->count > 0 && o->count < o->conns)
                return -EINVAL; /* every connection sends at least one */
        return 0;
}

int main(int argc, char **argv) {
        struct options o;
        static struct job job; /* large: the request head */
        _cleanup_free_ struct worker *ws = NULL;
        _cleanup_free_ uint64_t *samples = NULL;
        int r;

        if (parse_options(argc, argv, &o) < 0)
                return usage();

        job.addr.sun_family = AF_UNIX;
        if (strcpy_bounded(job.addr.sun_path, sizeof(job.addr.sun_path), o.socket_path) < 0) {
                fprintf(stderr, "http-load: socket path too long: %s\n", o.socket_path);
                return 2;
        }
        if (o.body_file) {
                r = read_all_path(o.body_file, BODY_FILE_MAX, &job.body, &job.body_len);
                if (r < 0) {
                        fprintf(stderr, "http-load: %s: %s\n", o.body_file, strerror(-r));
                        return 2;
                }
        }
        r = build_head(&job, &o);
        if (r < 0) {
                fprintf(stderr, "http-load: cannot build the request: %s\n", strerror(-r));
                free(job.body);
                return 2;
        }
        job.head_request = strcmp(o.method, "HEAD") == 0;
        job.warmup_s = o.warmup_s;
        job.duration_s = o.duration_s;
        atomic_flag_clear(&job.told_status);
        atomic_flag_clear(&job.told_error);

        size_t per = SAMPLES_MAX / o.conns;
        if (o.count > 0 && o.count / o.conns + 1 < per)
                per = (size_t)(o.count / o.conns + 1);
        ws = calloc(o.conns, sizeof(*ws));
        samples = malloc(per * o.conns * sizeof(*samples));
        if (!ws || !samples) {
                fprintf(stderr, "http-load: out of memory\n");
                free(job.body);
                return 1;
        }
        pthread_barrier_init(&job.start, NULL, o.conns + 1);
        unsigned started = 0;
        for (unsigned i = 0; i < o.conns; i++) {
                struct worker *w = &ws[i];
                w->job = &job;
                w->c.fd = -1;
                w->samples = samples + per * i;
                w->samples_cap = per;
                w->quota = o.count > 0 ? o.count / o.conns + (i < o.count % o.conns) : 0;
                r = pthread_create(&w->thread, NULL, worker_run, w);
                if (r != 0) {
                        /* the barrier waits for all: nothing can go on */
                        fprintf(stderr, "http-load: cannot start a thread: %s\n", strerror(r));
                        _exit(1);
                }
                started++;
        }
        /* the workers connect, then all start together; the measured
         * window begins after the warm-up */
        double cpu0 = 0, cpu1 = 0;
        pthread_barrier_wait(&job.start);
        if (o.warmup_s > 0) {
                struct timespec t = {.tv_sec = (time_t)o.warmup_s,
                                     .tv_nsec = (long)((o.warmup_s - (double)(time_t)o.warmup_s) * 1e9)};
                while (nanosleep(&t, &t) < 0 && errno == EINTR)
                        ;
        }
        int cpu_r = cpu_ms(o.pids, o.n_pids, &cpu0);
        for (unsigned i = 0; i < started; i++)
                pthread_join(ws[i].thread, NULL);
        pthread_barrier_destroy(&job.start);
        if (cpu_r >= 0)
                cpu_r = cpu_ms(o.pids, o.n_pids, &cpu1);
        if (cpu_r < 0)
                fprintf(stderr, "http-load: server CPU time: %s\n", strerror(-cpu_r));

        r = report(&o, ws, cpu_r < 0 ? -1 : cpu1 - cpu0);
        if (r < 0) {
                fprintf(stderr, "http-load: %s\n", strerror(-r));
                free(job.body);
                return 1;
        }
        uint64_t bad = 0;
        for (unsigned i = 0; i < o.conns; i++)
                bad += ws[i].non2xx + ws[i].errors;
        free(job.body);
        return bad > 0 ? 1 : 0;
}
