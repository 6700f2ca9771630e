/* p11remote/p11-client.c: carnetd's side of carnet-p11-helper: the
 * p11_module_* and p11_card_* calls that session/session.c makes, each one
 * request to the helper (p11-wire.h, p11-remote.h).  carnetd links this
 * file instead of pkcs11/p11-module.c and pkcs11/p11-card.c.
 *
 * One request at a time (a mutex; session.c already holds its opening-only
 * lock around card calls).  A helper that closes the socket, answers
 * something else than the reply expected (another type, or a payload
 * that does not decode), or does not answer in time is killed; every card handle it held fails from then on with
 * "pkcs11_helper_failed", and the next call starts a new helper.  With
 * pkcs11_helper_socket set, "start" is a connection to systemd's socket
 * (carnet-p11-helper.socket), "kill" is closing it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/macro.h"
#include "p11-remote.h"
#include "p11-wire.h"

struct p11_module {
        char path[PATH_MAX]; /* the module the helper loads; "" for OpenSC's */
};

struct p11_card {
        uint32_t handle;
        unsigned gen; /* the helper's generation that holds the handle */
        struct p11_token token;
        struct p11_cert cert[2]; /* by role; der NULL: none */
        struct p11_identity id;
        int id_r;
        char bad_field[P11W_CODE_MAX];
        struct p11_error err;
        char code[P11W_CODE_MAX];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int helper_fd = -1;
static pid_t helper_pid = -1;
static atomic_uint generation = 1;
static char module_path[PATH_MAX];

static const struct p11_error helper_failed = {
        .err = -ECONNRESET, .code = P11_REMOTE_FAILED_CODE, .tries_left = -1};

/* The helper's path: configured, or beside the running program. */
static int helper_path(const struct p11_remote_config *c, char *out, size_t size) {
        if (c->helper[0])
                return strcpy_bounded(out, size, c->helper);
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
                return -errno;
        self[n] = 0;
        char *slash = strrchr(self, '/');
        if (slash)
                *slash = 0;
        int k = snprintf(out, size, "%s/%s", self, P11_REMOTE_HELPER_NAME);
        return k < 0 || (size_t)k >= size ? -ENAMETOOLONG : 0;
}

/* Kills the helper (lock held) and fails the handles it held. */
static void helper_stop(void) {
        if (helper_fd >= 0)
                close(helper_fd);
        if (helper_pid > 0) {
                kill(helper_pid, SIGKILL);
                (void)waitpid(helper_pid, NULL, 0);
        }
        helper_fd = -1;
        helper_pid = -1;
        atomic_fetch_add(&generation, 1);
}

/* Starts the helper on a socketpair (lock held); its end of it, or -errno. */
static int helper_spawn(const struct p11_remote_config *c) {
        char path[PATH_MAX], fdarg[16], user[sizeof(c->user)];
        int r = helper_path(c, path, sizeof(path));
        if (r < 0)
                return r;
        memcpy(user, c->user, sizeof(user));
        snprintf(fdarg, sizeof(fdarg), "%d", P11W_FD);
        char *argv[] = {path, "--fd", fdarg, "--module", module_path, "--user", user, NULL};
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0) {
                r = -errno;
                close(sv[0]);
                close(sv[1]);
                return r;
        }
        if (pid == 0) {
                /* async-signal-safe calls only: carnetd has threads.  No
                 * PR_SET_PDEATHSIG: it fires when the forking *thread*
                 * ends (an API connection's); the helper ends at the end of
                 * file on its socket instead, when carnetd closes or dies. */
                if (sv[1] == P11W_FD)
                        (void)fcntl(sv[1], F_SETFD, 0);
                else if (dup2(sv[1], P11W_FD) < 0)
                        _exit(127);
                execv(path, argv);
                _exit(127);
        }
        close(sv[1]);
        helper_pid = pid;
        return sv[0];
}

/* Connects to the helper's socket (lock held): systemd starts a helper
 * for the connection, as the unit's user.  The connection, or -errno. */
static int helper_connect(const char *socket_path) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        if (strcpy_bounded(a.sun_path, sizeof(a.sun_path), socket_path) < 0)
                return -ENAMETOOLONG;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

/* Starts the helper, or connects to it, and waits for its "ready" (lock
 * held); 0, or the module's error, or -ECONNRESET when the helper did not
 * come up. */
static int helper_start(void) {
        struct p11_remote_config c;
        p11_remote_get(&c);
        int r = c.socket[0] ? helper_connect(c.socket) : helper_spawn(&c);
        if (r < 0)
                return c.socket[0] ? -ECONNRESET : r;
        helper_fd = r;
        struct p11w_header h;
        struct p11w_buf b;
        struct p11_error e;
        char code[P11W_CODE_MAX];
        r = p11w_recv(helper_fd, &h, &b, (int)c.timeout_s * 1000);
        if (r >= 0 && h.type == P11W_REPLY) {
                p11w_get_error(&b, &e, code);
                r = p11w_done(&b) ? e.err : -EBADMSG;
                if (r >= 0)
                        return 0;
        }
        helper_stop();
        return r == -EBADMSG || r == -ETIMEDOUT ? -ECONNRESET : r;
}

/* One request and its reply, for a card of generation gen (0: none).
 * Returns 0 with the reply in rep, or -ECONNRESET when the helper failed. */
static int call_gen(uint16_t type, uint32_t handle, unsigned gen, const struct p11w_buf *req, struct p11w_buf *rep,
                    unsigned timeout_s, unsigned *ret_gen) {
        pthread_mutex_lock(&lock);
        int r = 0;
        if (gen && gen != atomic_load(&generation))
                r = -ECONNRESET;
        else if (helper_fd < 0)
                r = helper_start() < 0 ? -ECONNRESET : 0;
        if (r >= 0)
                r = p11w_send(helper_fd, type, handle, req);
        struct p11w_header h = {0};
        if (r >= 0)
                r = p11w_recv(helper_fd, &h, rep, (int)timeout_s * 1000);
        if (r >= 0 && (h.type != (type | P11W_REPLY) || (handle && h.handle != handle)))
                r = -EBADMSG;
        if (r < 0 && helper_fd >= 0 && (!gen || gen == atomic_load(&generation)))
                helper_stop();
        if (ret_gen)
                *ret_gen = atomic_load(&generation); /* the helper that answered */
        pthread_mutex_unlock(&lock);
        return r < 0 ? -ECONNRESET : 0;
}

static int call(uint16_t type, uint32_t handle, unsigned gen, const struct p11w_buf *req, struct p11w_buf *rep,
                unsigned timeout_s) {
        return call_gen(type, handle, gen, req, rep, timeout_s, NULL);
}

static unsigned timeout_of(bool pinpad) {
        struct p11_remote_config c;
        p11_remote_get(&c);
        return pinpad ? c.pinpad_timeout_s : c.timeout_s;
}

/* The error block that starts a reply, into c->err; its errno. */
static int reply_error(struct p11_card *c, struct p11w_buf *rep) {
        p11w_get_error(rep, &c->err, c->code);
        return c->err.err;
}

static int card_failed(struct p11_card *c) {
        c->err = helper_failed;
        return -ECONNRESET;
}

/* A reply of the right type whose payload did not decode: the helper is
 * not answering what it was asked, so it is stopped as for a reply of
 * the wrong type (call()), unless it is already another one (gen: the
 * helper's that answered); -ECONNRESET. */
static int bad_reply(unsigned gen) {
        pthread_mutex_lock(&lock);
        if (helper_fd >= 0 && gen == atomic_load(&generation))
                helper_stop();
        pthread_mutex_unlock(&lock);
        return -ECONNRESET;
}

static int card_bad_reply(struct p11_card *c) {
        (void)bad_reply(c->gen);
        return card_failed(c);
}

int p11_module_open_locking(const char *path, enum p11_locking locking, struct p11_module **ret) {
        struct p11_module *m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        (void)locking; /* the helper serialises its calls itself (P11_LOCKING_CARNET) */
        if (strcpy_bounded(m->path, sizeof(m->path), path ? path : "") < 0) {
                free(m);
                return -ENAMETOOLONG;
        }
        pthread_mutex_lock(&lock);
        memcpy(module_path, m->path, sizeof(module_path));
        if (helper_fd >= 0)
                helper_stop();
        int r = helper_start();
        pthread_mutex_unlock(&lock);
        if (r < 0) {
                free(m);
                return r;
        }
        *ret = m;
        return 0;
}

struct p11_module *p11_module_close(struct p11_module *m) {
        if (!m)
                return NULL;
        pthread_mutex_lock(&lock);
        /* the end of file lets the helper log out and finalise the module;
         * it has a second for that before helper_stop() kills it */
        if (helper_fd >= 0) {
                close(helper_fd);
                helper_fd = -1;
        }
        for (int i = 0; helper_pid > 0 && i < 100; i++) {
                if (waitpid(helper_pid, NULL, WNOHANG) == helper_pid) {
                        helper_pid = -1;
                        break;
                }
                struct timespec t = {0, 10 * 1000 * 1000};
                nanosleep(&t, NULL);
        }
        helper_stop();
        pthread_mutex_unlock(&lock);
        free(m);
        return NULL;
}

int p11_module_token_for_reader(struct p11_module *m, const char *pcsc_reader, struct p11_token *ret) {
        struct p11w_buf req, rep;
        struct p11_error e;
        char code[P11W_CODE_MAX];
        p11w_init(&req);
        p11w_put_str(&req, pcsc_reader);
        if (req.bad)
                return -ENAMETOOLONG;
        unsigned gen;
        int r = call_gen(P11W_TOKEN_FOR, 0, 0, &req, &rep, timeout_of(false), &gen);
        if (r < 0)
                return r;
        p11w_get_error(&rep, &e, code);
        p11w_get_token(&rep, ret);
        if (!p11w_done(&rep))
                return bad_reply(gen);
        return e.err;
}

/* The certificate of role, read from the helper into c->cert[role]. */
static int fetch_cert(struct p11_card *c, enum p11_role role) {
        struct p11w_buf req, rep;
        struct p11_cert *ce = &c->cert[role];
        p11w_init(&req);
        p11w_put_u32(&req, role);
        int r = call(P11W_CERT, c->handle, c->gen, &req, &rep, timeout_of(false));
        if (r < 0)
                return card_failed(c);
        r = reply_error(c, &rep);
        if (r == -ENOENT && p11w_done(&rep))
                return 0;
        ce->der = malloc(P11_CERT_MAX_LEN);
        if (!ce->der)
                return -ENOMEM;
        ce->id_len = p11w_get_bytes(&rep, ce->id, sizeof(ce->id));
        p11w_get_str(&rep, ce->label, sizeof(ce->label));
        ce->key_usage = p11w_get_u32(&rep);
        ce->der_len = p11w_get_bytes(&rep, ce->der, P11_CERT_MAX_LEN);
        if (!p11w_done(&rep) || r < 0 || !ce->der_len) {
                free(ce->der);
                ce->der = NULL;
                return !p11w_done(&rep) ? card_bad_reply(c) : r < 0 ? r : card_failed(c);
        }
        return 0;
}

/* OPEN or OPEN_KNOWN (description set), then the two certificates. */
static int card_open(CK_SLOT_ID slot, const char *description, const struct p11_map *map, struct p11_card **ret) {
        struct p11w_buf req, rep;
        struct p11_map def;
        if (!map) {
                p11_map_default(&def);
                map = &def;
        }
        struct p11_card *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->err.code = "ok";
        c->gen = atomic_load(&generation);
        p11w_init(&req);
        p11w_put_u64(&req, slot);
        if (description)
                p11w_put_str(&req, description);
        p11w_put_map(&req, map);
        unsigned gen = 0;
        int r = req.bad ? -ENAMETOOLONG : call_gen(description ? P11W_OPEN_KNOWN : P11W_OPEN, 0, 0, &req, &rep,
                                                     timeout_of(false), &gen);
        if (r >= 0) {
                c->gen = gen; /* the helper that holds the handle */
                r = reply_error(c, &rep);
                c->handle = p11w_get_u32(&rep);
                p11w_get_token(&rep, &c->token);
                c->id_r = (int)p11w_get_u32(&rep);
                p11w_get_identity(&rep, &c->id, c->bad_field);
                if (!p11w_done(&rep) || (r >= 0 && !c->handle) || c->id_r > 0)
                        r = card_bad_reply(c);
        }
        if (r >= 0)
                r = fetch_cert(c, P11_ROLE_AUTH);
        if (r >= 0)
                r = fetch_cert(c, P11_ROLE_SIGN);
        if (r < 0) {
                (void)p11_card_close(c);
                return r;
        }
        *ret = c;
        return 0;
}

int p11_card_open(struct p11_module *m, CK_SLOT_ID slot, const struct p11_map *map, struct p11_card **ret) {
        return card_open(slot, NULL, map, ret);
}

int p11_card_open_known(struct p11_module *m, CK_SLOT_ID slot, const char *description, const struct p11_map *map,
                        struct p11_card **ret) {
        if (!description)
                return -EINVAL;
        /* the helper reads it into a field of this size: longer would be a
         * malformed request, and the helper would end */
        if (strlen(description) >= P11_SLOT_DESCRIPTION_MAX)
                return -ENAMETOOLONG;
        return card_open(slot, description, map, ret);
}

int p11_module_slot_state(struct p11_module *m, CK_SLOT_ID slot, char *ret_description, size_t size) {
        struct p11w_buf req, rep;
        struct p11_error e;
        char code[P11W_CODE_MAX], description[P11_SLOT_DESCRIPTION_MAX];
        p11w_init(&req);
        p11w_put_u64(&req, slot);
        unsigned gen;
        int r = call_gen(P11W_SLOT_STATE, 0, 0, &req, &rep, timeout_of(false), &gen);
        if (r < 0)
                return r;
        p11w_get_error(&rep, &e, code);
        uint32_t present = p11w_get_u32(&rep);
        p11w_get_str(&rep, description, sizeof(description));
        if (!p11w_done(&rep))
                return bad_reply(gen);
        if (e.err < 0)
                return e.err;
        if (ret_description)
                (void)strcpy_bounded(ret_description, size, description);
        return present != 0;
}

struct p11_card *p11_card_close(struct p11_card *c) {
        if (!c)
                return NULL;
        if (c->handle && c->gen == atomic_load(&generation)) {
                struct p11w_buf req, rep;
                p11w_init(&req);
                (void)call(P11W_CLOSE, c->handle, c->gen, &req, &rep, timeout_of(false));
        }
        for (size_t i = 0; i < ELEMENTSOF(c->cert); i++)
                free(c->cert[i].der);
        secure_zero(c, sizeof(*c));
        free(c);
        return NULL;
}

const struct p11_token *p11_card_token(const struct p11_card *c) {
        return &c->token;
}

const struct p11_cert *p11_card_cert(const struct p11_card *c, enum p11_role role) {
        if ((unsigned)role >= ELEMENTSOF(c->cert) || !c->cert[role].der)
                return NULL;
        return &c->cert[role];
}

int p11_card_identity(const struct p11_card *c, struct p11_identity *ret) {
        *ret = c->id;
        ret->bad_field = c->id.bad_field ? c->bad_field : NULL;
        return c->id_r;
}

/* Puts an optional PIN: a presence byte, then its bytes. */
static int put_pin(struct p11_card *c, struct p11w_buf *req, const char *pin, size_t pin_len) {
        if (pin && (pin_len == 0 || pin_len > P11W_PIN_MAX)) {
                p11_error_set(&c->err, -EINVAL, "pin_invalid");
                return -EINVAL;
        }
        p11w_put_u8(req, pin != NULL);
        p11w_put_bytes(req, pin, pin ? pin_len : 0);
        return 0;
}

int p11_card_login(struct p11_card *c, const char *pin, size_t pin_len) {
        struct p11w_buf req, rep;
        p11w_init(&req);
        int r = put_pin(c, &req, pin, pin_len);
        if (r < 0)
                return r;
        r = call(P11W_LOGIN, c->handle, c->gen, &req, &rep, timeout_of(!pin));
        p11w_wipe(&req);
        if (r < 0)
                return card_failed(c);
        r = reply_error(c, &rep);
        return p11w_done(&rep) ? r : card_bad_reply(c);
}

int p11_card_key_info(struct p11_card *c, enum p11_role role, enum p11_key_type *ret_type, bool *ret_always_auth) {
        struct p11w_buf req, rep;
        p11w_init(&req);
        p11w_put_u32(&req, role);
        int r = call(P11W_KEY_INFO, c->handle, c->gen, &req, &rep, timeout_of(false));
        if (r < 0)
                return card_failed(c);
        r = reply_error(c, &rep);
        uint32_t t = p11w_get_u32(&rep);
        bool always = p11w_get_u8(&rep) != 0;
        if (!p11w_done(&rep) || t > P11_KEY_EC)
                return card_bad_reply(c);
        if (r >= 0) {
                *ret_type = (enum p11_key_type)t;
                *ret_always_auth = always;
        }
        return r;
}

int p11_card_sign(struct p11_card *c, enum p11_role role, const uint8_t digest[32], const char *pin,
                  size_t pin_len, uint8_t *sig, size_t sig_max) {
        struct p11w_buf req, rep;
        uint8_t buf[P11_SIG_MAX];
        p11w_init(&req);
        p11w_put_u32(&req, role);
        p11w_put_bytes(&req, digest, 32);
        int r = put_pin(c, &req, pin, pin_len);
        if (r < 0)
                return r;
        r = call(P11W_SIGN, c->handle, c->gen, &req, &rep, timeout_of(!pin && c->token.protected_auth));
        p11w_wipe(&req);
        if (r < 0)
                return card_failed(c);
        r = reply_error(c, &rep);
        size_t n = p11w_get_bytes(&rep, buf, sizeof(buf));
        if (!p11w_done(&rep))
                return card_bad_reply(c);
        if (r < 0)
                return r;
        if (n > sig_max) {
                p11_error_set(&c->err, -ENOBUFS, "buffer_too_small");
                return -ENOBUFS;
        }
        memcpy(sig, buf, n);
        return (int)n;
}

/* Notices a helper that died between requests (the sweeper asks through
 * p11_card_error() every second): with no request in flight, a socket
 * that is readable or hung up means the helper is gone.  Never waits. */
static void helper_check(void) {
        if (pthread_mutex_trylock(&lock) != 0)
                return; /* a request is in flight: it will see for itself */
        struct pollfd p = {.fd = helper_fd, .events = POLLIN};
        if (helper_fd >= 0 && poll(&p, 1, 0) > 0)
                helper_stop();
        pthread_mutex_unlock(&lock);
}

const struct p11_error *p11_card_error(const struct p11_card *c) {
        if (c->gen == atomic_load(&generation))
                helper_check();
        if (c->gen != atomic_load(&generation))
                return &helper_failed;
        return &c->err;
}
