/* tests/unit/test-p11-client.c: carnetd's side of carnet-p11-helper
 * (p11remote/p11-client.c) against a helper that answers what this test
 * tells it to, on the socket carnetd is configured to connect to
 * (pkcs11_helper_socket): the slot's state and the reading of a known
 * card (SLOT_STATE, OPEN_KNOWN, docs/pkcs11.md "The card read at
 * insertion").
 *
 * - Well-formed replies: what the helper said, the request as the helper
 *   reads it (the slot, the description).
 * - A reply cut short, with bytes left over, with a NUL inside its
 *   description or one longer than the field, of another type, an open
 *   card without a handle or with an identity result no module gives:
 *   each is an error for the caller, nothing of it is kept, and the
 *   helper is dropped (the next call is a new connection).
 * - A description too long for the wire is refused before anything is
 *   sent.
 * - After an open: a certificate's reply cut short fails the open, a
 *   login's reply with bytes left over fails the login; the helper goes
 *   each time.
 *
 * Linked with p11remote's client before the real PKCS#11 layer, as
 * carnetd is (Makefile). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "unit.h"

#include "lib/macro.h"
#include "p11remote/p11-remote.h"
#include "p11remote/p11-wire.h"

enum mode {
        SLOT_PRESENT,
        SLOT_EMPTY,
        SLOT_REMOVED, /* the module's error */
        SLOT_SHORT,
        SLOT_EXTRA,
        SLOT_NUL,
        SLOT_LONG,
        WRONG_TYPE,
        OPEN_OK,
        OPEN_NO_HANDLE,
        OPEN_ID_RESULT,
        OPEN_SHORT,
        CERT_SHORT,  /* the card opens; its certificate's reply is cut short */
        LOGIN_EXTRA, /* the card opens; the login's reply has bytes left over */
};

static char dir[] = "/tmp/carnet-p11-client-XXXXXX";
static char sock_path[108];
static int listen_fd = -1;
static pthread_t server;
static atomic_int mode;
static atomic_uint connections, requests;
/* the last request, as the helper would read it */
static atomic_uint last_type;
static uint64_t last_slot;
static char last_description[P11_SLOT_DESCRIPTION_MAX];
static bool last_decoded;

static void put_ok(struct p11w_buf *b) {
        struct p11_error e;
        p11_error_set(&e, 0, "ok");
        p11w_put_error(b, &e);
}

static void put_err(struct p11w_buf *b, int err, const char *code) {
        struct p11_error e;
        p11_error_set(&e, err, code);
        p11w_put_error(b, &e);
}

static void read_request(struct p11w_header *h, struct p11w_buf *req) {
        struct p11_map map;
        last_type = h->type;
        last_slot = 0;
        last_description[0] = 0;
        if (h->type == P11W_SLOT_STATE) {
                last_slot = p11w_get_u64(req);
        } else if (h->type == P11W_OPEN_KNOWN) {
                last_slot = p11w_get_u64(req);
                p11w_get_str(req, last_description, sizeof(last_description));
                p11w_get_map(req, &map);
        } else if (h->type == P11W_CERT) {
                (void)p11w_get_u32(req);
        }
        last_decoded = p11w_done(req);
}

/* The reply to a request of type, by the mode; its type in *ret_type. */
static void answer(uint16_t type, struct p11w_buf *rep, uint16_t *ret_type) {
        static const struct p11_token t = {.slot = 4, .reader = "Virtual PCD 00 01", .label = "DOC0012345"};
        static const struct p11_identity id = {0};
        char long_desc[200];
        *ret_type = type | P11W_REPLY;
        p11w_init(rep);
        if (type == P11W_CERT && mode == CERT_SHORT) {
                put_ok(rep);
                p11w_put_bytes(rep, "\x01", 1); /* the CKA_ID, then nothing */
                return;
        }
        if (type == P11W_CERT) {
                put_err(rep, -ENOENT, "no_certificate"); /* the card holds none: 0 for the client */
                return;
        }
        if (type == P11W_LOGIN) {
                put_ok(rep);
                if (mode == LOGIN_EXTRA)
                        p11w_put_u32(rep, 0);
                return;
        }
        if (type == P11W_CLOSE) {
                put_ok(rep);
                return;
        }
        switch ((enum mode)mode) {
        case SLOT_PRESENT:
                put_ok(rep);
                p11w_put_u32(rep, 1);
                p11w_put_str(rep, "Virtual PCD 00 01");
                break;
        case SLOT_EMPTY:
                put_ok(rep);
                p11w_put_u32(rep, 0);
                p11w_put_str(rep, "Virtual PCD 00 01");
                break;
        case SLOT_REMOVED:
                put_err(rep, -ENODEV, "card_removed");
                p11w_put_u32(rep, 1);
                p11w_put_str(rep, "");
                break;
        case SLOT_SHORT:
                put_ok(rep);
                p11w_put_u32(rep, 1);
                break;
        case SLOT_EXTRA:
                put_ok(rep);
                p11w_put_u32(rep, 1);
                p11w_put_str(rep, "Virtual PCD 00 01");
                p11w_put_u8(rep, 9);
                break;
        case SLOT_NUL:
                put_ok(rep);
                p11w_put_u32(rep, 1);
                p11w_put_bytes(rep, "Virtual\0PCD", 11);
                break;
        case SLOT_LONG:
                memset(long_desc, 'r', sizeof(long_desc) - 1);
                long_desc[sizeof(long_desc) - 1] = 0;
                put_ok(rep);
                p11w_put_u32(rep, 1);
                p11w_put_str(rep, long_desc);
                break;
        case WRONG_TYPE:
                put_ok(rep);
                p11w_put_token(rep, &t);
                *ret_type = P11W_TOKEN_FOR | P11W_REPLY;
                break;
        case OPEN_OK:
        case CERT_SHORT:
        case LOGIN_EXTRA:
        case OPEN_NO_HANDLE:
        case OPEN_ID_RESULT:
        case OPEN_SHORT:
                put_ok(rep);
                p11w_put_u32(rep, mode == OPEN_NO_HANDLE ? 0 : 7);
                p11w_put_token(rep, &t);
                if (mode == OPEN_SHORT)
                        break;
                p11w_put_u32(rep, mode == OPEN_ID_RESULT ? 5 : 0);
                p11w_put_identity(rep, &id);
                break;
        }
}

static void serve_one(int c) {
        static struct p11w_buf req, rep;
        struct p11w_header h;
        uint16_t type;
        p11w_init(&rep);
        put_ok(&rep);
        if (p11w_send(c, P11W_REPLY, 0, &rep) < 0) /* "ready" */
                return;
        while (p11w_recv(c, &h, &req, -1) >= 0) {
                read_request(&h, &req);
                requests++;
                answer(h.type, &rep, &type);
                if (p11w_send(c, type, h.handle, &rep) < 0)
                        return;
        }
}

static void *serve(void *userdata) {
        (void)userdata;
        for (;;) {
                int c = accept(listen_fd, NULL, NULL);
                if (c < 0)
                        return NULL; /* shut down */
                connections++;
                serve_one(c);
                close(c);
        }
}

static struct p11_module *module;

static int setup(void **state) {
        (void)state;
        if (!mkdtemp(dir))
                return -1;
        snprintf(sock_path, sizeof(sock_path), "%s/p11.sock", dir);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        strcpy_bounded(a.sun_path, sizeof(a.sun_path), sock_path);
        listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(listen_fd, 4) < 0)
                return -1;
        if (pthread_create(&server, NULL, serve, NULL) != 0)
                return -1;
        struct p11_remote_config c;
        p11_remote_defaults(&c);
        strcpy_bounded(c.socket, sizeof(c.socket), sock_path);
        c.timeout_s = 5;
        p11_remote_configure(&c);
        return p11_module_open_locking(NULL, P11_LOCKING_CARNET, &module) < 0 ? -1 : 0;
}

static int teardown(void **state) {
        (void)state;
        module = p11_module_close(module);
        shutdown(listen_fd, SHUT_RDWR);
        pthread_join(server, NULL);
        close(listen_fd);
        unlink(sock_path);
        rmdir(dir);
        return 0;
}

/* SLOT_STATE for slot 4 in mode m: its result, the description in desc. */
static int slot_state(enum mode m, char *desc, size_t size) {
        mode = m;
        strcpy_bounded(desc, size, "unchanged");
        return p11_module_slot_state(module, 4, desc, size);
}

UNIT(slot_state_well_formed) {
        char desc[P11_SLOT_DESCRIPTION_MAX];
        unsigned conns = connections;

        assert_int_equal(slot_state(SLOT_PRESENT, desc, sizeof(desc)), 1);
        assert_string_equal(desc, "Virtual PCD 00 01");
        assert_int_equal(last_type, P11W_SLOT_STATE);
        assert_true(last_decoded);
        assert_int_equal(last_slot, 4);
        assert_int_equal(slot_state(SLOT_EMPTY, desc, sizeof(desc)), 0);
        /* the module's own error is the caller's, the helper kept */
        assert_int_equal(slot_state(SLOT_REMOVED, desc, sizeof(desc)), -ENODEV);
        assert_string_equal(desc, "unchanged");
        assert_int_equal(connections, conns);
        /* a caller's buffer shorter than the description: cut to fit, as
         * the module's own (p11_module_slot_state() in pkcs11/) */
        char small[8];
        assert_int_equal(slot_state(SLOT_PRESENT, small, sizeof(small)), 1);
        assert_string_equal(small, "Virtual");
}

UNIT(slot_state_malformed) {
        static const enum mode bad[] = {SLOT_SHORT, SLOT_EXTRA, SLOT_NUL, SLOT_LONG, WRONG_TYPE};
        char desc[P11_SLOT_DESCRIPTION_MAX];

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                assert_int_equal(slot_state(SLOT_PRESENT, desc, sizeof(desc)), 1); /* a helper up */
                unsigned conns = connections;
                assert_int_equal(slot_state(bad[i], desc, sizeof(desc)), -ECONNRESET);
                assert_string_equal(desc, "unchanged");
                /* dropped: the next call is a new helper, and it works */
                assert_int_equal(slot_state(SLOT_PRESENT, desc, sizeof(desc)), 1);
                assert_int_equal(connections, conns + 1);
        }
}

UNIT(open_known_well_formed) {
        struct p11_card *c = NULL;
        mode = OPEN_OK;
        assert_int_equal(p11_card_open_known(module, 4, "Virtual PCD 00 01", NULL, &c), 0);
        assert_non_null(c);
        assert_string_equal(p11_card_token(c)->reader, "Virtual PCD 00 01");
        assert_string_equal(p11_card_token(c)->label, "DOC0012345");
        assert_null(p11_card_cert(c, P11_ROLE_AUTH));
        c = p11_card_close(c);
        assert_int_equal(last_type, P11W_CLOSE);
        /* no description: not a known card */
        assert_int_equal(p11_card_open_known(module, 4, NULL, NULL, &c), -EINVAL);
        assert_null(c);
}

UNIT(open_known_request_as_sent) {
        struct p11_card *c = NULL;
        mode = OPEN_SHORT; /* stops at the reply: the request is what is looked at */
        assert_int_equal(p11_card_open_known(module, 9, "Lecteur 01", NULL, &c), -ECONNRESET);
        assert_int_equal(last_type, P11W_OPEN_KNOWN);
        assert_true(last_decoded);
        assert_int_equal(last_slot, 9);
        assert_string_equal(last_description, "Lecteur 01");
        /* longer than the wire's field: refused here, nothing sent */
        char desc[P11_SLOT_DESCRIPTION_MAX + 8];
        memset(desc, 'd', sizeof(desc) - 1);
        desc[sizeof(desc) - 1] = 0;
        unsigned n = requests;
        assert_int_equal(p11_card_open_known(module, 9, desc, NULL, &c), -ENAMETOOLONG);
        assert_null(c);
        assert_int_equal(requests, n);
}

UNIT(open_known_malformed) {
        static const enum mode bad[] = {OPEN_NO_HANDLE, OPEN_ID_RESULT, OPEN_SHORT, WRONG_TYPE};
        char desc[P11_SLOT_DESCRIPTION_MAX];

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct p11_card *c = NULL;
                assert_int_equal(slot_state(SLOT_PRESENT, desc, sizeof(desc)), 1); /* a helper up */
                unsigned conns = connections;
                mode = bad[i];
                assert_int_equal(p11_card_open_known(module, 4, "Virtual PCD 00 01", NULL, &c), -ECONNRESET);
                assert_null(c);
                assert_int_equal(slot_state(SLOT_PRESENT, desc, sizeof(desc)), 1);
                assert_int_equal(connections, conns + 1);
        }
}

/* The replies that follow an open: a certificate cut short fails the
 * open; a login's reply with bytes left over fails the login, and the
 * card's handle with the helper. */
UNIT(card_replies_malformed) {
        char desc[P11_SLOT_DESCRIPTION_MAX];
        struct p11_card *c = NULL;

        assert_int_equal(slot_state(SLOT_PRESENT, desc, sizeof(desc)), 1);
        unsigned conns = connections;
        mode = CERT_SHORT;
        assert_int_equal(p11_card_open_known(module, 4, "Virtual PCD 00 01", NULL, &c), -ECONNRESET);
        assert_null(c);
        assert_int_equal(slot_state(SLOT_PRESENT, desc, sizeof(desc)), 1);
        assert_int_equal(connections, conns + 1);

        conns = connections;
        mode = LOGIN_EXTRA;
        assert_int_equal(p11_card_open_known(module, 4, "Virtual PCD 00 01", NULL, &c), 0);
        assert_int_equal(p11_card_login(c, "1234", 4), -ECONNRESET);
        assert_string_equal(p11_card_error(c)->code, P11_REMOTE_FAILED_CODE);
        c = p11_card_close(c);
        assert_int_equal(slot_state(SLOT_PRESENT, desc, sizeof(desc)), 1);
        assert_int_equal(connections, conns + 1);
        /* a well-formed login on a new helper */
        mode = OPEN_OK;
        assert_int_equal(p11_card_open_known(module, 4, "Virtual PCD 00 01", NULL, &c), 0);
        assert_int_equal(p11_card_login(c, "1234", 4), 0);
        assert_int_equal(last_type, P11W_LOGIN);
        c = p11_card_close(c);
}

UNIT_GROUP("p11-client", setup, teardown)
