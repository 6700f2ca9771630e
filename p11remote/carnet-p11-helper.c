/* p11remote/carnet-p11-helper.c: the process that runs the PKCS#11 module
 * for carnetd (p11-wire.h has its requests, states and bounds).
 *
 *     carnet-p11-helper --fd N --module PATH --user NAME
 *
 * Started by carnetd with its end of a socketpair on fd N.  Before the
 * module is loaded: every other descriptor but standard error is closed
 * (standard input and output go to /dev/null), when started as root it
 * becomes NAME (its groups dropped; empty NAME: stays root), it sets
 * no_new_privs, becomes non-dumpable, restricts its files with Landlock
 * (read-only, system folders and the module's only) and installs its
 * seccomp filter (p11-sandbox.h), and moves to /.  Then it loads
 * the module, says "ready" (or why the module did not load) and answers
 * one request at a time until the socket closes (carnetd stopped or died).  A malformed message ends
 * it: carnetd starts another. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/macro.h"
#include "p11-sandbox.h"
#include "p11-wire.h"

struct slot {
        uint32_t handle; /* 0: free */
        enum p11w_state state;
        struct p11_card *card;
};

struct helper {
        int fd;
        struct p11_module *module;
        struct slot slots[P11W_HANDLES_MAX];
        uint32_t next_handle;
};

static struct slot *slot_of(struct helper *h, uint32_t handle) {
        for (size_t i = 0; handle && i < ELEMENTSOF(h->slots); i++)
                if (h->slots[i].handle == handle)
                        return &h->slots[i];
        return NULL;
}

static void put_err(struct p11w_buf *rep, int err, const char *code) {
        struct p11_error e;
        p11_error_set(&e, err, code);
        p11w_put_error(rep, &e);
}

/* Each handler reads req (already checked against the table) and writes
 * the reply after its error block; it returns -EBADMSG when req does not
 * decode. */
static int do_token_for(struct helper *h, struct slot *s, struct p11w_buf *req, struct p11w_buf *rep) {
        char reader[P11W_READER_MAX + 1];
        struct p11_token t = {0};
        p11w_get_str(req, reader, sizeof(reader));
        if (!p11w_done(req))
                return -EBADMSG;
        int r = p11_module_token_for_reader(h->module, reader, &t);
        put_err(rep, r < 0 ? r : 0, r < 0 ? (r == -ENODEV ? "card_removed" : "module_error") : "ok");
        p11w_put_token(rep, &t);
        return 0;
}

/* OPEN and OPEN_KNOWN: the card opened on a free handle (or why not). */
static int open_reply(struct helper *h, struct p11w_buf *rep, const char *description, CK_SLOT_ID slot,
                      const struct p11_map *map) {
        struct p11_token t = {0};
        struct p11_identity id = {0};
        struct slot *free_s = slot_of(h, 0);
        for (size_t i = 0; !free_s && i < ELEMENTSOF(h->slots); i++)
                if (!h->slots[i].handle)
                        free_s = &h->slots[i];
        struct p11_card *c = NULL;
        int r = !free_s ? -EUSERS
                : description ? p11_card_open_known(h->module, slot, description, map, &c)
                              : p11_card_open(h->module, slot, map, &c);
        int id_r = 0;
        if (r >= 0) {
                t = *p11_card_token(c);
                id_r = p11_card_identity(c, &id);
                if (!++h->next_handle)
                        h->next_handle = 1;
                *free_s = (struct slot){.handle = h->next_handle, .state = P11W_ST_OPENED, .card = c};
                put_err(rep, 0, "ok");
        } else
                put_err(rep, r, r == -EUSERS ? "busy" : "card_unreadable");
        p11w_put_u32(rep, r >= 0 ? free_s->handle : 0);
        p11w_put_token(rep, &t);
        p11w_put_u32(rep, (uint32_t)id_r);
        p11w_put_identity(rep, &id);
        return 0;
}

static int do_open(struct helper *h, struct slot *s, struct p11w_buf *req, struct p11w_buf *rep) {
        struct p11_map map;
        uint64_t slot = p11w_get_u64(req);
        p11w_get_map(req, &map);
        if (!p11w_done(req))
                return -EBADMSG;
        return open_reply(h, rep, NULL, (CK_SLOT_ID)slot, &map);
}

static int do_open_known(struct helper *h, struct slot *s, struct p11w_buf *req, struct p11w_buf *rep) {
        struct p11_map map;
        char description[P11_SLOT_DESCRIPTION_MAX];
        uint64_t slot = p11w_get_u64(req);
        p11w_get_str(req, description, sizeof(description));
        p11w_get_map(req, &map);
        if (!p11w_done(req))
                return -EBADMSG;
        return open_reply(h, rep, description, (CK_SLOT_ID)slot, &map);
}

static int do_slot_state(struct helper *h, struct slot *s, struct p11w_buf *req, struct p11w_buf *rep) {
        char description[P11_SLOT_DESCRIPTION_MAX] = "";
        uint64_t slot = p11w_get_u64(req);
        if (!p11w_done(req))
                return -EBADMSG;
        int r = p11_module_slot_state(h->module, (CK_SLOT_ID)slot, description, sizeof(description));
        put_err(rep, r < 0 ? r : 0, r < 0 ? "module_error" : "ok");
        p11w_put_u32(rep, r > 0);
        p11w_put_str(rep, r >= 0 ? description : "");
        return 0;
}

static int do_cert(struct helper *h, struct slot *s, struct p11w_buf *req, struct p11w_buf *rep) {
        uint32_t role = p11w_get_u32(req);
        if (!p11w_done(req) || role > P11_ROLE_SIGN)
                return -EBADMSG;
        const struct p11_cert *ce = p11_card_cert(s->card, (enum p11_role)role);
        if (!ce || ce->der_len > P11_CERT_MAX_LEN) {
                put_err(rep, -ENOENT, role == P11_ROLE_AUTH ? "no_auth_cert" : "no_sign_cert");
                return 0;
        }
        put_err(rep, 0, "ok");
        p11w_put_bytes(rep, ce->id, ce->id_len);
        p11w_put_str(rep, ce->label);
        p11w_put_u32(rep, ce->key_usage);
        p11w_put_bytes(rep, ce->der, ce->der_len);
        return 0;
}

static int do_pin_status(struct helper *h, struct slot *s, struct p11w_buf *req, struct p11w_buf *rep) {
        int r = p11_card_refresh(s->card);
        p11w_put_error(rep, p11_card_error(s->card));
        p11w_put_u32(rep, r < 0 ? 0 : (uint32_t)r);
        p11w_put_u32(rep, (uint32_t)p11_card_token(s->card)->tries_left);
        return 0;
}

/* Reads an optional PIN into pin (P11W_PIN_MAX + 1); its length, or -1
 * for none. */
static int get_pin(struct p11w_buf *req, char *pin) {
        bool has = p11w_get_u8(req) != 0;
        size_t n = p11w_get_bytes(req, pin, P11W_PIN_MAX);
        pin[n] = 0;
        return has ? (int)n : -1;
}

static int do_login(struct helper *h, struct slot *s, struct p11w_buf *req, struct p11w_buf *rep) {
        char pin[P11W_PIN_MAX + 1];
        int n = get_pin(req, pin);
        int r = -EBADMSG;
        if (p11w_done(req)) {
                r = p11_card_login(s->card, n < 0 ? NULL : pin, n < 0 ? 0 : (size_t)n);
                if (r >= 0)
                        s->state = P11W_ST_LOGGED_IN;
                p11w_put_error(rep, p11_card_error(s->card));
                r = 0;
        }
        secure_zero(pin, sizeof(pin));
        return r;
}

static int do_key_info(struct helper *h, struct slot *s, struct p11w_buf *req, struct p11w_buf *rep) {
        uint32_t role = p11w_get_u32(req);
        if (!p11w_done(req) || role > P11_ROLE_SIGN)
                return -EBADMSG;
        enum p11_key_type t = P11_KEY_UNKNOWN;
        bool always = false;
        int r = p11_card_key_info(s->card, (enum p11_role)role, &t, &always);
        p11w_put_error(rep, p11_card_error(s->card));
        p11w_put_u32(rep, r < 0 ? P11_KEY_UNKNOWN : t);
        p11w_put_u8(rep, r >= 0 && always);
        return 0;
}

static int do_sign(struct helper *h, struct slot *s, struct p11w_buf *req, struct p11w_buf *rep) {
        uint8_t digest[32], sig[P11_SIG_MAX];
        char pin[P11W_PIN_MAX + 1];
        uint32_t role = p11w_get_u32(req);
        size_t dl = p11w_get_bytes(req, digest, sizeof(digest));
        int n = get_pin(req, pin);
        int r = -EBADMSG;
        if (p11w_done(req) && role <= P11_ROLE_SIGN && dl == sizeof(digest)) {
                r = p11_card_sign(s->card, (enum p11_role)role, digest, n < 0 ? NULL : pin, n < 0 ? 0 : (size_t)n,
                                  sig, sizeof(sig));
                p11w_put_error(rep, p11_card_error(s->card));
                p11w_put_bytes(rep, sig, r < 0 ? 0 : (size_t)r);
                r = 0;
        }
        secure_zero(pin, sizeof(pin));
        return r;
}

static int do_close(struct helper *h, struct slot *s, struct p11w_buf *req, struct p11w_buf *rep) {
        (void)p11_card_close(s->card);
        *s = (struct slot){0};
        put_err(rep, 0, "ok");
        return 0;
}

static int (*const handlers[_P11W_TYPE_MAX])(struct helper *, struct slot *, struct p11w_buf *, struct p11w_buf *) = {
        [P11W_TOKEN_FOR] = do_token_for, [P11W_OPEN] = do_open,         [P11W_CERT] = do_cert,
        [P11W_PIN_STATUS] = do_pin_status, [P11W_LOGIN] = do_login,     [P11W_KEY_INFO] = do_key_info,
        [P11W_SIGN] = do_sign,           [P11W_CLOSE] = do_close,       [P11W_OPEN_KNOWN] = do_open_known,
        [P11W_SLOT_STATE] = do_slot_state,
};

/* One request: its reply sent, or -EBADMSG / -errno to end the helper. */
static int serve_one(struct helper *h, struct p11w_buf *req, struct p11w_buf *rep) {
        struct p11w_header hd;
        int r = p11w_recv(h->fd, &hd, req, -1);
        if (r < 0)
                return r;
        struct slot *s = slot_of(h, hd.handle);
        r = p11w_check(&hd, hd.handle == 0 ? P11W_ST_NONE : s ? s->state : 0);
        p11w_init(rep);
        if (r == -EBADMSG)
                return r;
        if (r == -EMSGSIZE)
                put_err(rep, -EMSGSIZE, "message_too_long");
        else if (r == -EPERM)
                put_err(rep, -EPERM, hd.handle && !s ? "no_such_handle" : "wrong_state");
        else if (handlers[hd.type](h, s, req, rep) < 0)
                return -EBADMSG;
        p11w_wipe(req);
        return p11w_send(h->fd, hd.type | P11W_REPLY, hd.handle ? hd.handle : 0, rep);
}

/* Everything that happens before the module is loaded. */
static int confine(int fd, const char *user, const char *module) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
                return -errno;
        for (int i = 3; i < 1024; i++)
                if (i != fd && i != 2)
                        close(i);
        if (geteuid() == 0 && user[0]) {
                struct passwd *pw = getpwnam(user);
                if (!pw) {
                        fprintf(stderr, "carnet-p11-helper: no user %s\n", user);
                        return -ENOENT;
                }
                if (setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
                    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
                        return -errno;
                if (pw->pw_uid != 0 && setuid(0) == 0)
                        return -EPERM;
        }
        /* not dumpable: no core file, no ptrace by its own uid */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0) < 0 || chdir("/") < 0)
                return -errno;
        int r = p11_sandbox_landlock(module);
        if (r == -EOPNOTSUPP)
                fprintf(stderr, "carnet-p11-helper: no Landlock in this kernel: files stay readable by its uid\n");
        else if (r < 0)
                return r;
        r = p11_sandbox_seccomp();
        if (r == -EOPNOTSUPP)
                fprintf(stderr, "carnet-p11-helper: no seccomp filter for this architecture\n");
        return r == -EOPNOTSUPP ? 0 : r;
}

int main(int argc, char **argv) {
        const char *module = "", *user = "";
        int fd = P11W_FD;
        for (int i = 1; i + 1 < argc; i += 2) {
                if (strcmp(argv[i], "--fd") == 0)
                        fd = atoi(argv[i + 1]);
                else if (strcmp(argv[i], "--module") == 0)
                        module = argv[i + 1];
                else if (strcmp(argv[i], "--user") == 0)
                        user = argv[i + 1];
        }
        if (fd < 3 || fcntl(fd, F_GETFD) < 0) {
                fprintf(stderr, "carnet-p11-helper: run by carnetd only (no socket on fd %d)\n", fd);
                return 2;
        }
        int r = confine(fd, user, module[0] ? module : P11_DEFAULT_MODULE);
        if (r < 0) {
                fprintf(stderr, "carnet-p11-helper: cannot confine itself: %s\n", strerror(-r));
                return 1;
        }
        static struct helper h;
        static struct p11w_buf req, rep;
        h.fd = fd;
        /* OpenSC 0.23 deadlocks on its own locking when a card is pulled
         * during C_Login (docs/pkcs11.md): one call at a time here anyway */
        r = p11_module_open_locking(module[0] ? module : NULL, P11_LOCKING_CARNET, &h.module);
        p11w_init(&rep);
        put_err(&rep, r < 0 ? r : 0, r < 0 ? "pkcs11_unavailable" : "ok");
        if (p11w_send(fd, P11W_REPLY, 0, &rep) < 0 || r < 0)
                return r < 0 ? 1 : 0;
        while ((r = serve_one(&h, &req, &rep)) >= 0)
                ;
        p11w_wipe(&req);
        for (size_t i = 0; i < ELEMENTSOF(h.slots); i++)
                (void)p11_card_close(h.slots[i].card);
        p11_module_close(h.module);
        if (r != -ECONNRESET)
                fprintf(stderr, "carnet-p11-helper: %s: exiting\n",
                        r == -EBADMSG ? "malformed request" : strerror(-r));
        return r == -ECONNRESET ? 0 : 1;
}
