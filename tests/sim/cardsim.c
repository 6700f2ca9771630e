/* tests/sim/cardsim.c: carnet's card simulator for the vpcd virtual reader.
 *
 * It connects to vpcd (pcscd's virtual reader driver) over TCP and plays the
 * card described by a profile file.  The wire format, both ways, is a 2-byte
 * big-endian length then the payload; a 1-byte payload from vpcd is a
 * control (00 power off, 01 power on, 02 reset, 04 get ATR: the only one
 * answered), a longer one is a command APDU answered by data + SW1 SW2.
 * Inserting the card is connecting, removing it is closing the connection.
 *
 * vpcd writes the length and the APDU in two segments without TCP_NODELAY,
 * so TCP_QUICKACK is re-armed before every read or each APDU pays the
 * delayed-ACK timer (about 40 ms).
 *
 * Control, while running, through --control FIFO, one command a line:
 *   insert | remove | pull-after N | stall INS MS | quit
 * "pull-after N" removes the card when the Nth next APDU arrives, before it
 * is answered: the way to pull a card in the middle of an operation.
 * "stall INS MS" answers the next APDU with data of instruction INS (hex)
 * MS milliseconds late, once: a slow card, or a PIN pad waiting. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "card.h"
#include "lib/macro.h"

#define MSG_MAX 65537

static const struct card_ops *const card_types[] = {&vitale_ops, &piv_ops, &blank_ops};

struct sim {
        struct card *card;
        const char *host;
        int port;
        int fd;           /* vpcd connection, -1 when removed */
        bool inserted;    /* wanted state */
        long pull_after;  /* 0: off */
        int stall_ins;    /* -1: off; else the next APDU with data of this INS... */
        long stall_ms;    /* ...is answered this late (once) */
        FILE *log;
        int ctl;
        char ctlbuf[256];
        size_t ctllen;
        bool quit;
};

static volatile sig_atomic_t got_term;

static void on_term(int sig) {
        got_term = 1;
}

static void log_hex(struct sim *s, char dir, const uint8_t *b, size_t n) {
        if (!s->log)
                return;
        fputc(dir, s->log);
        fputc(' ', s->log);
        for (size_t i = 0; i < n; i++)
                fprintf(s->log, "%02X", b[i]);
        fputc('\n', s->log);
        fflush(s->log);
}

static void log_event(struct sim *s, const char *what) {
        if (s->log) {
                fprintf(s->log, "# %s\n", what);
                fflush(s->log);
        }
}

static void quickack(int fd) {
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

static int read_full(int fd, void *buf, size_t n) {
        uint8_t *p = buf;
        while (n) {
                quickack(fd);
                ssize_t r = read(fd, p, n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return negerrno();
                if (r == 0)
                        return -ECONNRESET;
                p += r;
                n -= (size_t)r;
        }
        return 0;
}

static int send_msg(int fd, const uint8_t *b, size_t n) {
        uint8_t out[2 + MSG_MAX];
        if (n > 0xffff)
                return -EMSGSIZE;
        out[0] = n >> 8;
        out[1] = n & 0xff;
        memcpy(out + 2, b, n);
        size_t off = 0, total = n + 2;
        while (off < total) {
                ssize_t w = send(fd, out + off, total - off, MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return negerrno();
                off += (size_t)w;
        }
        return 0;
}

static void sim_disconnect(struct sim *s, const char *why) {
        if (s->fd >= 0) {
                close(s->fd);
                s->fd = -1;
                log_event(s, why);
        }
}

static int sim_connect(struct sim *s) {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
        int one = 1;

        if (inet_pton(AF_INET, s->host, &sa.sin_addr) != 1)
                return -EINVAL;
        _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negerrno();
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return negerrno();
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        quickack(fd);
        s->fd = TAKE_FD(fd);
        log_event(s, "inserted");
        return 0;
}

/* Handles one message from vpcd; a negative return drops the connection. */
static int sim_handle(struct sim *s) {
        uint8_t hdr[2], msg[MSG_MAX];
        struct resp r;
        int ret;

        ret = read_full(s->fd, hdr, 2);
        if (ret < 0)
                return ret;
        size_t n = (size_t)hdr[0] << 8 | hdr[1];
        ret = read_full(s->fd, msg, n);
        if (ret < 0)
                return ret;

        if (n == 1) {
                switch (msg[0]) {
                case 0x00:
                        log_event(s, "power off");
                        s->card->ops->reset(s->card);
                        return 0;
                case 0x01:
                        log_event(s, "power on");
                        s->card->ops->reset(s->card);
                        return 0;
                case 0x02:
                        log_event(s, "reset");
                        s->card->ops->reset(s->card);
                        return 0;
                case 0x04:
                        return send_msg(s->fd, s->card->atr, s->card->atr_len);
                default:
                        fprintf(stderr, "cardsim: unknown vpcd control %02X\n", msg[0]);
                        return 0;
                }
        }

        log_hex(s, '>', msg, n);
        if (s->pull_after > 0 && --s->pull_after == 0) {
                /* The card leaves the reader before answering. */
                s->inserted = false;
                return -ECONNABORTED;
        }

        if (s->stall_ins >= 0 && n > 5 && msg[1] == s->stall_ins) {
                /* A slow card (or a PIN pad): answers this one late. */
                struct timespec ts = {s->stall_ms / 1000, s->stall_ms % 1000 * 1000000};
                s->stall_ins = -1;
                log_event(s, "stalling");
                nanosleep(&ts, NULL);
        }
        struct apdu a;
        if (apdu_parse(msg, n, &a) < 0)
                resp_sw(&r, 0x6700);
        else if (s->card->ops->transmit(s->card, &a, &r) < 0)
                resp_sw(&r, 0x6F00);
        log_hex(s, '<', r.buf, r.len);
        return send_msg(s->fd, r.buf, r.len);
}

static void sim_command(struct sim *s, char *line) {
        long n;
        unsigned ins;
        if (strcmp(line, "insert") == 0)
                s->inserted = true;
        else if (strcmp(line, "remove") == 0) {
                s->inserted = false;
                sim_disconnect(s, "removed");
        } else if (sscanf(line, "pull-after %ld", &n) == 1 && n > 0)
                s->pull_after = n;
        else if (sscanf(line, "stall %x %ld", &ins, &n) == 2 && ins < 256 && n > 0) {
                s->stall_ins = (int)ins;
                s->stall_ms = n;
        }
        else if (strcmp(line, "quit") == 0)
                s->quit = true;
        else if (*line)
                fprintf(stderr, "cardsim: unknown command '%s'\n", line);
}

static void sim_read_control(struct sim *s) {
        ssize_t r = read(s->ctl, s->ctlbuf + s->ctllen, sizeof(s->ctlbuf) - 1 - s->ctllen);
        if (r <= 0)
                return;
        s->ctllen += (size_t)r;
        s->ctlbuf[s->ctllen] = '\0';
        char *nl;
        while ((nl = strchr(s->ctlbuf, '\n'))) {
                *nl = '\0';
                sim_command(s, s->ctlbuf);
                size_t used = (size_t)(nl + 1 - s->ctlbuf);
                memmove(s->ctlbuf, nl + 1, s->ctllen - used + 1);
                s->ctllen -= used;
        }
        if (s->ctllen == sizeof(s->ctlbuf) - 1)
                s->ctllen = 0; /* a line too long: dropped */
}

static void usage(FILE *f) {
        fprintf(f,
                "usage: carnet-cardsim --profile FILE [--port N] [--host ADDR]\n"
                "                      [--control FIFO] [--log FILE] [--absent]\n"
                "Plays the card described by FILE on a vpcd virtual reader\n"
                "(port 35963 is slot 0, 35964 slot 1).  Control commands on the\n"
                "FIFO: insert, remove, pull-after N, stall INS MS, quit.\n");
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
                {"profile", required_argument, NULL, 'p'},
                {"port", required_argument, NULL, 'P'},
                {"host", required_argument, NULL, 'H'},
                {"control", required_argument, NULL, 'c'},
                {"log", required_argument, NULL, 'l'},
                {"absent", no_argument, NULL, 'a'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        struct sim s = {.host = "127.0.0.1", .port = 35963, .fd = -1, .inserted = true, .ctl = -1, .stall_ins = -1};
        const char *profile_file = NULL, *ctl_path = NULL, *log_path = NULL;
        int c, ret;

        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                switch (c) {
                case 'p': profile_file = optarg; break;
                case 'P': s.port = atoi(optarg); break;
                case 'H': s.host = optarg; break;
                case 'c': ctl_path = optarg; break;
                case 'l': log_path = optarg; break;
                case 'a': s.inserted = false; break;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        }
        if (!profile_file || s.port <= 0 || s.port > 65535) {
                usage(stderr);
                return 2;
        }

        struct profile *p = NULL;
        ret = profile_load(profile_file, &p);
        if (ret < 0) {
                fprintf(stderr, "cardsim: %s: %s\n", profile_file, strerror(-ret));
                return 1;
        }
        const char *type = profile_get(p, "type");
        for (size_t i = 0; type && i < ELEMENTSOF(card_types); i++)
                if (strcmp(card_types[i]->type, type) == 0)
                        ret = card_types[i]->new(p, &s.card);
        if (!s.card) {
                fprintf(stderr, "cardsim: %s: %s\n", profile_file,
                        !type ? "no 'type' key" : ret < 0 ? strerror(-ret) : "unknown card type");
                profile_free(p);
                return 1;
        }
        profile_free(p);

        if (log_path) {
                s.log = fopen(log_path, "ae");
                if (!s.log) {
                        fprintf(stderr, "cardsim: %s: %m\n", log_path);
                        return 1;
                }
        }
        if (ctl_path) {
                if (mkfifo(ctl_path, 0600) < 0 && errno != EEXIST) {
                        fprintf(stderr, "cardsim: %s: %m\n", ctl_path);
                        return 1;
                }
                s.ctl = open(ctl_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
                if (s.ctl < 0) {
                        fprintf(stderr, "cardsim: %s: %m\n", ctl_path);
                        return 1;
                }
        }
        struct sigaction sa = {.sa_handler = on_term};
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        while (!s.quit && !got_term) {
                if (s.inserted && s.fd < 0 && sim_connect(&s) < 0) {
                        /* vpcd not listening yet: try again shortly. */
                        struct timespec ts = {0, 50 * 1000 * 1000};
                        struct pollfd cp = {.fd = s.ctl, .events = POLLIN};
                        if (s.ctl >= 0 && poll(&cp, 1, 50) > 0)
                                sim_read_control(&s);
                        else if (s.ctl < 0)
                                nanosleep(&ts, NULL);
                        continue;
                }
                struct pollfd pfd[2] = {{.fd = s.fd, .events = POLLIN}, {.fd = s.ctl, .events = POLLIN}};
                ret = poll(pfd, 2, 1000);
                if (ret < 0 && errno != EINTR)
                        break;
                if (ret <= 0)
                        continue;
                if (pfd[1].revents & POLLIN)
                        sim_read_control(&s);
                if (s.fd >= 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
                        ret = sim_handle(&s);
                        if (ret < 0)
                                sim_disconnect(&s, ret == -ECONNABORTED ? "pulled" : "vpcd closed");
                }
        }
        sim_disconnect(&s, "quit");
        s.card->ops->free(s.card);
        if (s.log)
                fclose(s.log);
        if (s.ctl >= 0)
                close(s.ctl);
        return 0;
}
