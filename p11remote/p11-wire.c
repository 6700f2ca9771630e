/* p11remote/p11-wire.c: the helper's messages, their bounds and its
 * request table (p11-wire.h). */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/macro.h"
#include "p11-wire.h"

#define ST_CARD (P11W_ST_OPENED | P11W_ST_LOGGED_IN)

static const struct p11w_rule rules[] = {
        {P11W_TOKEN_FOR, "token_for", P11W_ST_NONE, 2 + P11W_READER_MAX},
        {P11W_OPEN, "open", P11W_ST_NONE, 8 + sizeof(struct p11_map) + 64},
        {P11W_CERT, "cert", ST_CARD, 4}, /* role */
        {P11W_PIN_STATUS, "pin_status", ST_CARD, 0},
        {P11W_LOGIN, "login", P11W_ST_OPENED, 1 + 2 + P11W_PIN_MAX},
        {P11W_KEY_INFO, "key_info", P11W_ST_LOGGED_IN, 4},
        {P11W_SIGN, "sign", P11W_ST_LOGGED_IN, 4 + 2 + 32 + 1 + 2 + P11W_PIN_MAX},
        {P11W_CLOSE, "close", ST_CARD, 0},
        {P11W_OPEN_KNOWN, "open_known", P11W_ST_NONE,
         8 + 2 + (P11_SLOT_DESCRIPTION_MAX - 1) + sizeof(struct p11_map) + 64},
        {P11W_SLOT_STATE, "slot_state", P11W_ST_NONE, 8},
};

const struct p11w_rule *p11w_rule(unsigned type) {
        for (size_t i = 0; i < ELEMENTSOF(rules); i++)
                if (rules[i].type == type)
                        return &rules[i];
        return NULL;
}

int p11w_check(const struct p11w_header *h, enum p11w_state st) {
        const struct p11w_rule *r = p11w_rule(h->type);
        if (!r || h->zero || h->len > P11W_PAYLOAD_MAX)
                return -EBADMSG;
        if (h->len > r->max_len)
                return -EMSGSIZE;
        if (!(r->states & st))
                return -EPERM;
        return 0;
}

void p11w_init(struct p11w_buf *b) {
        b->len = b->off = 0;
        b->bad = false;
}

void p11w_wipe(struct p11w_buf *b) {
        secure_zero(b, sizeof(*b));
}

static void put(struct p11w_buf *b, const void *p, size_t n) {
        if (b->bad || n > sizeof(b->data) - b->len) {
                b->bad = true;
                return;
        }
        if (n)
                memcpy(b->data + b->len, p, n);
        b->len += n;
}

static bool get(struct p11w_buf *b, void *p, size_t n) {
        if (b->bad || n > b->len - b->off) {
                b->bad = true;
                memset(p, 0, n);
                return false;
        }
        if (n)
                memcpy(p, b->data + b->off, n);
        b->off += n;
        return true;
}

void p11w_put_u8(struct p11w_buf *b, uint8_t v) {
        put(b, &v, 1);
}
void p11w_put_u32(struct p11w_buf *b, uint32_t v) {
        put(b, &v, 4);
}
void p11w_put_u64(struct p11w_buf *b, uint64_t v) {
        put(b, &v, 8);
}

void p11w_put_bytes(struct p11w_buf *b, const void *p, size_t n) {
        if (n > UINT16_MAX) {
                b->bad = true;
                return;
        }
        uint16_t l = (uint16_t)n;
        put(b, &l, 2);
        put(b, p, n);
}

void p11w_put_str(struct p11w_buf *b, const char *s) {
        p11w_put_bytes(b, s ? s : "", s ? strlen(s) : 0);
}

uint8_t p11w_get_u8(struct p11w_buf *b) {
        uint8_t v;
        get(b, &v, 1);
        return v;
}
uint32_t p11w_get_u32(struct p11w_buf *b) {
        uint32_t v;
        get(b, &v, 4);
        return v;
}
uint64_t p11w_get_u64(struct p11w_buf *b) {
        uint64_t v;
        get(b, &v, 8);
        return v;
}

size_t p11w_get_bytes(struct p11w_buf *b, void *p, size_t max) {
        uint16_t l;
        if (!get(b, &l, 2) || l > max) {
                b->bad = true;
                return 0;
        }
        return get(b, p, l) ? l : 0;
}

void p11w_get_str(struct p11w_buf *b, char *dst, size_t size) {
        size_t n = p11w_get_bytes(b, dst, size - 1);
        dst[n] = 0;
        if (strlen(dst) != n) {
                b->bad = true;
                dst[0] = 0;
        }
}

bool p11w_done(const struct p11w_buf *b) {
        return !b->bad && b->off == b->len;
}

void p11w_put_error(struct p11w_buf *b, const struct p11_error *e) {
        p11w_put_u64(b, e->rv);
        p11w_put_u32(b, (uint32_t)e->err);
        p11w_put_u32(b, e->pin_state);
        p11w_put_u32(b, (uint32_t)e->tries_left);
        p11w_put_u8(b, e->check_reader);
        p11w_put_str(b, e->code);
}

void p11w_get_error(struct p11w_buf *b, struct p11_error *e, char code[P11W_CODE_MAX]) {
        e->rv = p11w_get_u64(b);
        e->err = (int)p11w_get_u32(b);
        uint32_t ps = p11w_get_u32(b);
        e->tries_left = (int)p11w_get_u32(b);
        e->check_reader = p11w_get_u8(b) != 0;
        p11w_get_str(b, code, P11W_CODE_MAX);
        if (ps > P11_PIN_LOCKED || e->err > 0 || e->tries_left < -1 || e->tries_left > 99)
                b->bad = true;
        e->pin_state = b->bad ? P11_PIN_OK : (enum p11_pin_state)ps;
        e->code = code[0] ? code : "module_error";
}

void p11w_put_token(struct p11w_buf *b, const struct p11_token *t) {
        p11w_put_u64(b, t->slot);
        p11w_put_str(b, t->reader);
        p11w_put_str(b, t->label);
        p11w_put_str(b, t->serial);
        p11w_put_str(b, t->manufacturer);
        p11w_put_str(b, t->model);
        p11w_put_u64(b, t->flags);
        p11w_put_u8(b, t->protected_auth);
        p11w_put_u8(b, t->login_required);
        p11w_put_u32(b, t->pin_state);
        p11w_put_u32(b, (uint32_t)t->tries_left);
}

void p11w_get_token(struct p11w_buf *b, struct p11_token *t) {
        t->slot = p11w_get_u64(b);
        p11w_get_str(b, t->reader, sizeof(t->reader));
        p11w_get_str(b, t->label, sizeof(t->label));
        p11w_get_str(b, t->serial, sizeof(t->serial));
        p11w_get_str(b, t->manufacturer, sizeof(t->manufacturer));
        p11w_get_str(b, t->model, sizeof(t->model));
        t->flags = p11w_get_u64(b);
        t->protected_auth = p11w_get_u8(b) != 0;
        t->login_required = p11w_get_u8(b) != 0;
        uint32_t ps = p11w_get_u32(b);
        t->tries_left = (int)p11w_get_u32(b);
        if (ps > P11_PIN_LOCKED)
                b->bad = true;
        t->pin_state = b->bad ? P11_PIN_OK : (enum p11_pin_state)ps;
}

void p11w_put_identity(struct p11w_buf *b, const struct p11_identity *id) {
        p11w_put_str(b, id->national_id);
        p11w_put_str(b, id->surname);
        p11w_put_str(b, id->given_name);
        p11w_put_str(b, id->profession);
        p11w_put_str(b, id->specialty);
        p11w_put_str(b, id->organisation);
        p11w_put_u32(b, (uint32_t)id->card_type);
        p11w_put_str(b, id->bad_field);
}

void p11w_get_identity(struct p11w_buf *b, struct p11_identity *id, char bad_field[P11W_CODE_MAX]) {
        p11w_get_str(b, id->national_id, sizeof(id->national_id));
        p11w_get_str(b, id->surname, sizeof(id->surname));
        p11w_get_str(b, id->given_name, sizeof(id->given_name));
        p11w_get_str(b, id->profession, sizeof(id->profession));
        p11w_get_str(b, id->specialty, sizeof(id->specialty));
        p11w_get_str(b, id->organisation, sizeof(id->organisation));
        int ct = (int)p11w_get_u32(b);
        if (ct < P11_CARD_UNKNOWN || ct > P11_CARD_CPA)
                b->bad = true;
        id->card_type = b->bad ? P11_CARD_UNKNOWN : (enum p11_card_type)ct;
        p11w_get_str(b, bad_field, P11W_CODE_MAX);
        id->bad_field = bad_field[0] ? bad_field : NULL;
}

static void put_field(struct p11w_buf *b, const struct p11_field_rule *f) {
        p11w_put_u32(b, f->source);
        p11w_put_str(b, f->oid);
        p11w_put_u32(b, f->occurrence);
}

static void get_field(struct p11w_buf *b, struct p11_field_rule *f) {
        uint32_t s = p11w_get_u32(b);
        if (s > P11_SRC_EXTENSION)
                b->bad = true;
        f->source = b->bad ? P11_SRC_NONE : (enum p11_source)s;
        p11w_get_str(b, f->oid, sizeof(f->oid));
        f->occurrence = p11w_get_u32(b);
}

static void put_role(struct p11w_buf *b, const struct p11_role_rule *r) {
        p11w_put_u32(b, r->by);
        p11w_put_u32(b, r->usage);
        p11w_put_str(b, r->value);
}

static void get_role(struct p11w_buf *b, struct p11_role_rule *r) {
        uint32_t by = p11w_get_u32(b);
        if (by > P11_ROLE_BY_LABEL)
                b->bad = true;
        r->by = b->bad ? P11_ROLE_BY_USAGE : (enum p11_role_by)by;
        r->usage = p11w_get_u32(b);
        p11w_get_str(b, r->value, sizeof(r->value));
}

void p11w_put_map(struct p11w_buf *b, const struct p11_map *m) {
        const struct p11_field_rule *f[] = {&m->national_id, &m->surname,   &m->given_name, &m->profession,
                                            &m->specialty,   &m->card_type, &m->organisation};
        for (size_t i = 0; i < ELEMENTSOF(f); i++)
                put_field(b, f[i]);
        put_role(b, &m->auth_cert);
        put_role(b, &m->sign_cert);
}

void p11w_get_map(struct p11w_buf *b, struct p11_map *m) {
        struct p11_field_rule *f[] = {&m->national_id, &m->surname,   &m->given_name, &m->profession,
                                      &m->specialty,   &m->card_type, &m->organisation};
        for (size_t i = 0; i < ELEMENTSOF(f); i++)
                get_field(b, f[i]);
        get_role(b, &m->auth_cert);
        get_role(b, &m->sign_cert);
}

int p11w_send(int fd, uint16_t type, uint32_t handle, const struct p11w_buf *b) {
        if (b->bad)
                return -EMSGSIZE;
        struct p11w_header h = {.type = type, .handle = handle, .len = (uint32_t)b->len};
        struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)b->data, b->len}};
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
        size_t left = sizeof(h) + b->len;
        while (left) {
                ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return errno == EPIPE ? -ECONNRESET : -errno;
                left -= (size_t)n;
                while (n > 0 && msg.msg_iovlen) {
                        size_t k = (size_t)n < msg.msg_iov->iov_len ? (size_t)n : msg.msg_iov->iov_len;
                        msg.msg_iov->iov_base = (uint8_t *)msg.msg_iov->iov_base + k;
                        msg.msg_iov->iov_len -= k;
                        n -= (ssize_t)k;
                        if (!msg.msg_iov->iov_len) {
                                msg.msg_iov++;
                                msg.msg_iovlen--;
                        }
                }
        }
        return 0;
}

static int64_t mono_ms(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Reads exactly n bytes before the deadline (-1: none). */
static int read_full(int fd, void *p, size_t n, int64_t deadline) {
        uint8_t *q = p;
        while (n) {
                int wait = -1;
                if (deadline >= 0) {
                        int64_t left = deadline - mono_ms();
                        if (left <= 0)
                                return -ETIMEDOUT;
                        wait = (int)left;
                }
                struct pollfd pfd = {.fd = fd, .events = POLLIN};
                int r = poll(&pfd, 1, wait);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        return -ETIMEDOUT;
                ssize_t k = read(fd, q, n);
                if (k < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -ECONNRESET;
                q += k;
                n -= (size_t)k;
        }
        return 0;
}

int p11w_recv(int fd, struct p11w_header *h, struct p11w_buf *b, int timeout_ms) {
        int64_t deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
        p11w_init(b);
        int r = read_full(fd, h, sizeof(*h), deadline);
        if (r < 0)
                return r;
        if (h->len > P11W_PAYLOAD_MAX || h->zero)
                return -EBADMSG;
        r = read_full(fd, b->data, h->len, deadline);
        if (r < 0)
                return r;
        b->len = h->len;
        return 0;
}
