/* tests/unit/test-sessions.c: session/session.c's locking, with the card
 * layers replaced at link time.
 *
 * This file defines monitor_snapshot() and the p11_card_* and p11_module_*
 * functions that session.c calls, so the linker takes them instead of
 * reader/monitor.o and pkcs11/p11-card.o / p11-module.o: readers are a
 * table the test changes, a card is a certificate and key of the test PKI
 * (tests/pki/mkpki.sh) that signs with OpenSSL, and closing a card can be
 * held up for as long as the test likes.  Trust, the event queue and the
 * identity map are the real ones.  What is shown: lookups answer while a
 * card handle is being closed, a session that is over is not found by a
 * lookup, and the sweeper is the one that ends it. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "lib/macro.h"
#include "pkcs11/p11-card.h"
#include "pkcs11/p11-module.h"
#include "session/session.h"
#include "session/trust.h"
#include "pki-fixture.h"

static char pki[64];
static atomic_long offset; /* the sessions' clock: real time + offset */

static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fake_cond = PTHREAD_COND_INITIALIZER;
static struct reader_snapshot readers; /* what monitor_snapshot() says */
static bool hold_close;                /* p11_card_close() waits while set */
static unsigned closing, closed;       /* closes begun, closes done */
static atomic_uint opens;              /* p11_card_open() calls */
static enum { OPEN_CERTS, OPEN_NO_CERTS, OPEN_PULLED } open_mode; /* what p11_card_open finds */
/* what p11_card_login answers: success, or the helper's error (its code
 * in the card's memory, as p11remote/p11-client.c keeps it) */
static const char *login_fail_code;
static const char *lie_national_id; /* what p11_card_identity says instead of the certificate's */
static const char *cert_name; /* the cards' authentication certificate, in the PKI */

/* ---- the reader monitor ---- */

void monitor_snapshot(struct monitor *m, struct reader_snapshot *ret) {
        pthread_mutex_lock(&fake_lock);
        *ret = readers;
        pthread_mutex_unlock(&fake_lock);
}

/* Holds closes up (on) or lets them go. */
static void hold_closes(bool on) {
        pthread_mutex_lock(&fake_lock);
        hold_close = on;
        pthread_cond_broadcast(&fake_cond);
        pthread_mutex_unlock(&fake_lock);
}

static unsigned closes_done(void) {
        pthread_mutex_lock(&fake_lock);
        unsigned n = closed;
        pthread_mutex_unlock(&fake_lock);
        return n;
}

static void set_card(size_t i, bool present) {
        pthread_mutex_lock(&fake_lock);
        readers.r[i].card_present = present;
        pthread_mutex_unlock(&fake_lock);
}

/* ---- the PKCS#11 module and cards ---- */

static int module_dummy;

int p11_module_open_locking(const char *path, enum p11_locking locking, struct p11_module **ret) {
        *ret = (struct p11_module *)&module_dummy;
        return 0;
}

struct p11_module *p11_module_close(struct p11_module *m) {
        return NULL;
}

int p11_module_token_for_reader(struct p11_module *m, const char *pcsc_reader, struct p11_token *ret) {
        memset(ret, 0, sizeof(*ret));
        (void)strcpy_bounded(ret->reader, sizeof(ret->reader), pcsc_reader);
        ret->slot = 10 + (CK_SLOT_ID)(pcsc_reader[strlen(pcsc_reader) - 1] - '0'); /* "Reader N": slot 10 + N */
        (void)strcpy_bounded(ret->serial, sizeof(ret->serial), "0011223344556677");
        ret->pin_state = P11_PIN_OK;
        ret->tries_left = -1;
        return 0;
}

struct p11_card {
        struct p11_token token;
        struct p11_cert cert;
        struct p11_error err;
        char code[32]; /* err.code after a helper's error, as in p11-client.c */
};

int p11_card_open(struct p11_module *m, CK_SLOT_ID slot, const struct p11_map *map, struct p11_card **ret) {
        char p[256];
        struct p11_card *c = calloc(1, sizeof(*c));
        assert_non_null(c);
        atomic_fetch_add(&opens, 1);
        c->err.code = "ok";
        c->err.tries_left = -1;
        /* the slot's token, as p11_module_token_for_reader() describes it */
        snprintf(p, sizeof(p), "Reader %d", (int)slot - 10);
        assert_int_equal(p11_module_token_for_reader(m, p, &c->token), 0);
        if (open_mode == OPEN_PULLED) {
                /* OpenSC after a pull: success, and no objects at all */
                pthread_mutex_lock(&fake_lock);
                readers.r[0].card_present = false;
                pthread_mutex_unlock(&fake_lock);
        }
        if (open_mode != OPEN_CERTS) {
                *ret = c;
                return 0;
        }
        snprintf(p, sizeof(p), "%s/pki/%s.pem", pki, cert_name);
        assert_int_equal(trust_pem_to_der(p, &c->cert.der, &c->cert.der_len), 0);
        c->err.tries_left = -1;
        *ret = c;
        return 0;
}

/* The slot of "Reader N" is 10 + N, empty once its card left (readers). */
static atomic_uint slot_asks, known_opens; /* p11_module_slot_state(), p11_card_open_known() calls */

int p11_module_slot_state(struct p11_module *m, CK_SLOT_ID slot, char *ret_description, size_t size) {
        atomic_fetch_add(&slot_asks, 1);
        snprintf(ret_description, size, "Reader %d", (int)slot - 10);
        pthread_mutex_lock(&fake_lock);
        bool present = (size_t)slot - 10 < readers.n && readers.r[slot - 10].card_present;
        pthread_mutex_unlock(&fake_lock);
        return present;
}

int p11_card_open_known(struct p11_module *m, CK_SLOT_ID slot, const char *description, const struct p11_map *map,
                        struct p11_card **ret) {
        char name[32];
        snprintf(name, sizeof(name), "Reader %d", (int)slot - 10);
        assert_string_equal(description, name);
        atomic_fetch_add(&known_opens, 1);
        return p11_card_open(m, slot, map, ret);
}

/* Closes c; while hold_close is set, waits for the test to let it go. */
struct p11_card *p11_card_close(struct p11_card *c) {
        if (!c)
                return NULL;
        pthread_mutex_lock(&fake_lock);
        closing++;
        pthread_cond_broadcast(&fake_cond);
        while (hold_close)
                pthread_cond_wait(&fake_cond, &fake_lock);
        closed++;
        pthread_cond_broadcast(&fake_cond);
        pthread_mutex_unlock(&fake_lock);
        free(c->cert.der);
        secure_zero(c, sizeof(*c)); /* as p11-client.c wipes it */
        free(c);
        return NULL;
}

const struct p11_token *p11_card_token(const struct p11_card *c) {
        return &c->token;
}

const struct p11_cert *p11_card_cert(const struct p11_card *c, enum p11_role role) {
        return c->cert.der ? &c->cert : NULL;
}

/* The identity the PKCS#11 helper says the card's certificate carries:
 * the certificate's, or another professional's when lie_national_id is
 * set (a compromised helper). */
int p11_card_identity(const struct p11_card *c, struct p11_identity *ret) {
        memset(ret, 0, sizeof(*ret));
        if (!c->cert.der)
                return -ENOENT;
        int r = p11_identity_from_cert(NULL, c->cert.der, c->cert.der_len, ret);
        if (r >= 0 && lie_national_id)
                (void)strcpy_bounded(ret->national_id, sizeof(ret->national_id), lie_national_id);
        return r;
}

int p11_card_login(struct p11_card *c, const char *pin, size_t pin_len) {
        if (!login_fail_code)
                return 0;
        (void)strcpy_bounded(c->code, sizeof(c->code), login_fail_code);
        c->err = (struct p11_error){.err = -EINVAL, .code = c->code, .tries_left = -1};
        return -EINVAL;
}

int p11_card_key_info(struct p11_card *c, enum p11_role role, enum p11_key_type *ret_type,
                      bool *ret_always_auth) {
        *ret_type = P11_KEY_RSA;
        *ret_always_auth = false;
        return 0;
}

/* PKCS#1 v1.5 over the SHA-256 digest, with the PKI's key file. */
int p11_card_sign(struct p11_card *c, enum p11_role role, const uint8_t digest[32], const char *pin,
                  size_t pin_len, uint8_t *sig, size_t sig_max) {
        char p[256];
        snprintf(p, sizeof(p), "%s/pki/cps-rsa-auth.key", pki);
        FILE *f = fopen(p, "re");
        assert_non_null(f);
        EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
        assert_non_null(k);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);
        size_t len = sig_max;
        assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
        assert_int_equal(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()), 1);
        assert_int_equal(EVP_PKEY_sign(ctx, sig, &len, digest, 32), 1);
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(k);
        return (int)len;
}

const struct p11_error *p11_card_error(const struct p11_card *c) {
        return &c->err;
}

/* ---- the tests ---- */

static time_t test_now(void) {
        return time(NULL) + offset;
}

static int setup(void **state) {
        return pki_make(pki, "sessions");
}

static int teardown(void **state) {
        return pki_remove(pki);
}

struct fixture {
        struct event_queue *q;
        struct session_manager *m;
};

/* Two readers with a CPS card each, a manager with a 60 s idle timeout. */
static void start(struct fixture *f) {
        char trust[128];
        snprintf(trust, sizeof(trust), "%s/pki/ca-chain.pem", pki);
        offset = 0;
        open_mode = OPEN_CERTS;
        login_fail_code = lie_national_id = NULL;
        cert_name = "cps-rsa-auth";
        hold_close = false;
        closing = closed = 0;
        opens = slot_asks = known_opens = 0;
        memset(&readers, 0, sizeof(readers));
        readers.pcscd_reachable = true;
        readers.n = 2;
        for (size_t i = 0; i < 2; i++) {
                snprintf(readers.r[i].name, sizeof(readers.r[i].name), "Reader %zu", i);
                readers.r[i].card_present = true;
                readers.r[i].kind = CARD_CPS;
                readers.r[i].insertion = i + 1;
        }
        struct session_config cfg = {.trust_path = trust, .idle_timeout_s = 60, .workstation = "test",
                                     .now = test_now};
        assert_int_equal(events_new(64, &f->q), 0);
        assert_int_equal(sessions_new(&cfg, NULL, f->q, &f->m), 0);
}

static void stop(struct fixture *f) {
        hold_closes(false);
        sessions_free(f->m);
        events_free(f->q);
}

static void open_on(struct fixture *f, size_t reader, struct session_info *si, char token[SESSION_TOKEN_LEN + 1]) {
        struct session_error e;
        int r = sessions_open(f->m, readers.r[reader].name, "1234", 4, getuid(), si, token, &e);
        if (r < 0)
                fail_msg("open: %s: %s", e.code, e.message);
}

/* An opening on the card in reader that fails with want and code; *e
 * says the rest. */
static void open_fails(struct fixture *f, size_t reader, const char *pin, int want, const char *code,
                       struct session_error *e) {
        struct session_info si;
        char token[SESSION_TOKEN_LEN + 1];
        assert_int_equal(sessions_open(f->m, readers.r[reader].name, pin, strlen(pin), getuid(), &si, token, e), want);
        assert_string_equal(e->code, code);
}

/* The manager started, and a session open on the card in the first reader. */
static void start_open(struct fixture *f, struct session_info *si, char token[SESSION_TOKEN_LEN + 1]) {
        start(f);
        open_on(f, 0, si, token);
}

/* Waits up to 5 s for a session-ended event; returns its detail. */
static const char *wait_ended(struct fixture *f, char detail[EVENT_DETAIL_MAX]) {
        uint64_t after = 0;
        for (int i = 0; i < 50; i++) {
                struct event ev[16];
                size_t n;
                while ((n = events_since(f->q, after, ev, ELEMENTSOF(ev), NULL)) > 0) {
                        after = ev[n - 1].seq;
                        for (size_t j = 0; j < n; j++)
                                if (ev[j].type == EVENT_SESSION_ENDED) {
                                        memcpy(detail, ev[j].detail, EVENT_DETAIL_MAX);
                                        return detail;
                                }
                }
                (void)events_wait(f->q, after, 100);
        }
        return NULL;
}

/* Lets the held close go: the session-ended event comes once it is done,
 * saying why. */
static void release_then_ended(struct fixture *f, const char *why) {
        char detail[EVENT_DETAIL_MAX];
        assert_int_equal(closes_done(), 0);
        hold_closes(false);
        assert_non_null(wait_ended(f, detail));
        assert_string_equal(detail, why);
        assert_int_equal(closes_done(), 1);
}

/* The sweeper closes the card handle of a session whose card left; while
 * that close hangs, lookups, mode changes and records of the other
 * session answer, and the ended session is not found. */
UNIT(test_lookup_during_slow_close) {
        struct fixture f;
        struct session_info a, b, si;
        char ta[SESSION_TOKEN_LEN + 1], tb[SESSION_TOKEN_LEN + 1];
        char *rec;
        uint8_t *sig;
        size_t sig_len;

        start_open(&f, &a, ta);
        open_on(&f, 1, &b, tb);
        assert_int_equal(sessions_count(f.m), 2);

        hold_closes(true);
        set_card(0, false);
        events_push(f.q, EVENT_CARD_REMOVED, a.reader, "cps"); /* as the monitor does */

        /* the sweeper is now stuck closing a's card */
        struct timespec until = timespec_after_ms(CLOCK_REALTIME, 5000);
        pthread_mutex_lock(&fake_lock);
        while (closing == 0)
                assert_int_equal(pthread_cond_timedwait(&fake_cond, &fake_lock, &until), 0);
        pthread_mutex_unlock(&fake_lock);

        assert_int_equal(sessions_lookup(f.m, ta, getuid(), &si), -ENOENT);
        assert_int_equal(sessions_lookup(f.m, tb, getuid(), &si), 0);
        assert_string_equal(si.id, b.id);
        assert_int_equal(sessions_lookup(f.m, tb, getuid() + 1, &si), -EPERM);
        assert_int_equal(sessions_set_mode(f.m, b.id, getuid(), SESSION_MODE_EMERGENCY, SESSION_PRACTICE_CARE, "test", &si), 0);
        assert_int_equal(si.mode, SESSION_MODE_EMERGENCY);
        assert_int_equal(sessions_record(f.m, b.id, &rec, &sig, &sig_len), 0);
        free(rec);
        free(sig);
        assert_int_equal(sessions_record(f.m, a.id, &rec, &sig, &sig_len), -ENOENT);
        assert_int_equal(sessions_count(f.m), 1); /* a is out of the table already */
        release_then_ended(&f, "card_removed");
        stop(&f);
}

/* A session idle past the timeout is not found by a lookup, which closes
 * nothing itself; the sweeper ends it. */
UNIT(test_idle_not_found) {
        struct fixture f;
        struct session_info a, si;
        char ta[SESSION_TOKEN_LEN + 1];

        start_open(&f, &a, ta);
        assert_int_equal(sessions_lookup(f.m, ta, getuid(), &si), 0);
        hold_closes(true); /* the sweeper may begin a close, never end one */
        offset = 61;
        assert_int_equal(sessions_lookup(f.m, ta, getuid(), &si), -ENOENT);
        assert_int_equal(sessions_set_mode(f.m, a.id, getuid(), SESSION_MODE_NORMAL, SESSION_PRACTICE_CARE, NULL, &si), -ENOENT);
        release_then_ended(&f, "idle_timeout");
        stop(&f);
}

/* Logout closes the card handle before it returns; the card can then be
 * logged in again at once. */
UNIT(test_logout_then_login) {
        struct fixture f;
        struct session_info a, si;
        char ta[SESSION_TOKEN_LEN + 1];

        start_open(&f, &a, ta);
        assert_int_equal(sessions_close(f.m, a.id, getuid() + 1), -EPERM);
        assert_int_equal(sessions_close(f.m, a.id, getuid()), 0);
        assert_int_equal(closes_done(), 1);
        assert_int_equal(sessions_lookup(f.m, ta, getuid(), &si), -ENOENT);
        assert_int_equal(sessions_close(f.m, a.id, getuid()), -ENOENT);
        open_on(&f, 0, &a, ta);
        assert_int_equal(sessions_lookup(f.m, ta, getuid(), &si), 0);
        stop(&f);
}

/* A card pulled while its certificates are read: OpenSC may answer with
 * no objects and success.  The reader says the card left: card_removed,
 * not "no authentication certificate"; a card still there without one is
 * no_auth_certificate. */
UNIT(test_pulled_during_cert_read) {
        struct fixture f;
        struct session_info si;
        struct session_error e;
        char token[SESSION_TOKEN_LEN + 1];
        start(&f);
        open_mode = OPEN_PULLED;
        assert_true(sessions_open(f.m, readers.r[0].name, "1234", 4, getuid(), &si, token, &e) < 0);
        assert_string_equal(e.code, "card_removed");
        open_mode = OPEN_NO_CERTS;
        assert_true(sessions_open(f.m, readers.r[1].name, "1234", 4, getuid(), &si, token, &e) < 0);
        assert_string_equal(e.code, "no_auth_certificate");
        stop(&f);
}

/* A login the helper refuses (CKR_PIN_LEN_RANGE: a 3-digit PIN): its code
 * lives in the card handle, which the failed opening closes; the error
 * the caller gets keeps its own copy. */
UNIT(test_login_error_outlives_card) {
        struct fixture f;
        struct session_info si;
        struct session_error e;
        char token[SESSION_TOKEN_LEN + 1];
        start(&f);
        login_fail_code = "pin_invalid";
        open_fails(&f, 0, "123", -EINVAL, "pin_invalid", &e);
        assert_int_equal(closes_done(), 1); /* the card handle is gone */
        assert_non_null(strstr(e.message, "a length or characters that the CPS card does not take"));
        /* the certificate was trusted: no refusal to trace */
        assert_string_equal(e.national_id, "");
        assert_string_equal(e.cert_sha256, "");
        login_fail_code = NULL;
        open_on(&f, 0, &si, token);
        stop(&f);
}

/* The identity a session gets is its verified certificate's: a PKCS#11
 * helper that names another professional for the card (a compromised
 * one) gets no session, and the refusal names the certificate's. */
UNIT(test_helper_identity_checked) {
        struct fixture f;
        struct session_info si;
        struct session_error e;
        char token[SESSION_TOKEN_LEN + 1];
        start(&f);
        open_on(&f, 0, &si, token);
        assert_string_equal(si.who.national_id, "899700000001");
        assert_string_equal(si.who.surname, "LAMBERT");
        assert_int_equal(si.who.card_type, P11_CARD_CPS);
        lie_national_id = "810012345678";
        open_fails(&f, 1, "1234", -EKEYREJECTED, "identity_mismatch", &e);
        assert_string_equal(e.national_id, "899700000001");
        assert_int_equal(strlen(e.cert_sha256), 64);
        assert_int_equal(sessions_count(f.m), 1);
        stop(&f);
}

/* A refused certificate goes to the trail (session_error) with its
 * fingerprint, and with its national id only when its chain verified:
 * an expired card's names its holder, an unknown CA's names nobody. */
UNIT(test_refused_cert_trail) {
        struct fixture f;
        struct session_error e;
        start(&f);
        cert_name = "cps-expired-auth";
        open_fails(&f, 0, "1234", -EKEYEXPIRED, "expired", &e);
        assert_string_equal(e.national_id, "899700000007");
        assert_int_equal(strlen(e.cert_sha256), 64);
        cert_name = "cps-unknown-ca-auth";
        open_fails(&f, 1, "1234", -ENOKEY, "unknown_ca", &e);
        assert_string_equal(e.national_id, ""); /* its CN says 899700000005: anyone can write that */
        assert_int_equal(strlen(e.cert_sha256), 64);
        assert_int_equal(sessions_count(f.m), 0);
        stop(&f);
}

/* A card that another program held when the monitor saw it (not
 * identified: read_error -EBUSY) is card_busy, in its reader and when no
 * reader is named, not "no CPS card"; once the monitor has read it, it
 * opens. */
UNIT(test_card_held_elsewhere) {
        struct fixture f;
        struct session_info si;
        struct session_error e;
        char token[SESSION_TOKEN_LEN + 1];
        start(&f);
        pthread_mutex_lock(&fake_lock);
        readers.r[1].card_present = false;
        readers.r[0].kind = CARD_UNKNOWN;
        readers.r[0].read_error = -EBUSY;
        pthread_mutex_unlock(&fake_lock);
        open_fails(&f, 0, "1234", -EBUSY, "card_busy", &e);
        assert_int_equal(sessions_open(f.m, NULL, "1234", 4, getuid(), &si, token, &e), -EBUSY);
        assert_string_equal(e.code, "card_busy");
        open_fails(&f, 1, "1234", -ENODEV, "no_cps_card", &e);
        pthread_mutex_lock(&fake_lock);
        readers.r[0].kind = CARD_CPS;
        readers.r[0].read_error = 0;
        pthread_mutex_unlock(&fake_lock);
        open_on(&f, 0, &si, token);
        stop(&f);
}

/* Waits up to 5 s for closes_done() to reach n. */
static void wait_closes(unsigned n) {
        for (int i = 0; i < 500 && closes_done() < n; i++)
                usleep(10000);
        assert_int_equal(closes_done(), n);
}

/* A CPS card is read when the monitor reports its insertion; the opening
 * then reads nothing, only logs in and signs.  A card swapped in the same
 * reader is read again under its new insertion (the old entry's handle
 * closed); a card that leaves takes its entry with it. */
UNIT(test_card_read_at_insertion) {
        struct fixture f;
        struct session_info a;
        struct p11_identity who;
        uint64_t ins;
        char ta[SESSION_TOKEN_LEN + 1];

        start(&f);
        assert_int_equal(sessions_card_ready(f.m, "Reader 0", 0, &who, &ins, NULL), -ETIMEDOUT);
        events_push(f.q, EVENT_CARD_INSERTED, "Reader 0", "cps"); /* as the monitor does */
        assert_int_equal(sessions_card_ready(f.m, "Reader 0", 5000, &who, &ins, NULL), 0);
        assert_string_equal(who.national_id, "899700000001"); /* the certificate's CN */
        assert_int_equal(ins, 1);
        assert_int_equal(sessions_card_ready(f.m, "Reader 1", 5000, &who, &ins, NULL), 0);
        assert_int_equal(atomic_load(&opens), 2); /* both cards, once each */
        open_on(&f, 0, &a, ta);
        assert_int_equal(atomic_load(&opens), 2); /* the opening used the handle read at insertion */

        pthread_mutex_lock(&fake_lock);
        readers.r[1].insertion = 7; /* another card in reader 1 */
        pthread_mutex_unlock(&fake_lock);
        events_push(f.q, EVENT_CARD_INSERTED, "Reader 1", "cps");
        assert_int_equal(sessions_card_ready(f.m, "Reader 1", 5000, &who, &ins, NULL), 0);
        assert_int_equal(ins, 7);
        assert_int_equal(atomic_load(&opens), 3);
        wait_closes(1); /* the first card's handle */

        set_card(1, false);
        events_push(f.q, EVENT_CARD_REMOVED, "Reader 1", "cps");
        wait_closes(2); /* dropped with its card */
        assert_int_equal(sessions_card_ready(f.m, "Reader 1", 0, &who, &ins, NULL), -ENODEV);
        set_card(1, true); /* back as insertion 7: nothing kept, read at the opening */
        open_on(&f, 1, &a, ta);
        assert_int_equal(atomic_load(&opens), 4);
        stop(&f);
}

/* Waits up to 5 s for the sweeper to have asked about n slots. */
static void wait_asks(unsigned n) {
        for (int i = 0; i < 500 && atomic_load(&slot_asks) < n; i++)
                usleep(10000);
        assert_int_equal(atomic_load(&slot_asks), n);
}

/* Reader 1's card goes (events: its count of card events then), the
 * sweeper told. */
static void card_leaves(struct fixture *f, unsigned events) {
        pthread_mutex_lock(&fake_lock);
        readers.r[1].card_present = false;
        readers.r[1].card_events = events;
        pthread_mutex_unlock(&fake_lock);
        events_push(f->q, EVENT_CARD_REMOVED, "Reader 1", "cps");
}

/* Another card comes into reader 1, read at its insertion. */
static void card_comes(struct fixture *f, uint64_t insertion, unsigned events) {
        struct p11_identity who;
        uint64_t ins;
        pthread_mutex_lock(&fake_lock);
        readers.r[1].card_present = true;
        readers.r[1].insertion = insertion;
        readers.r[1].card_events = events;
        pthread_mutex_unlock(&fake_lock);
        events_push(f->q, EVENT_CARD_INSERTED, "Reader 1", "cps");
        assert_int_equal(sessions_card_ready(f->m, "Reader 1", 5000, &who, &ins, NULL), 0);
        assert_int_equal(ins, insertion);
}

/* The read at insertion skips C_GetSlotInfo (p11_card_open_known()) only
 * when the slot was found empty after the last card left and PC/SC has
 * counted exactly one card event in the same reader since: not after two
 * events (a card came and went unread), not in another reader of the
 * same name, not without PC/SC's count. */
UNIT(test_card_read_after_empty_slot) {
        struct fixture f;
        struct p11_identity who;
        uint64_t ins;

        start(&f);
        for (size_t i = 0; i < 2; i++) {
                readers.r[i].card_events = 1;
                readers.r[i].arrival = i + 1;
        }
        events_push(f.q, EVENT_CARD_INSERTED, "Reader 1", "cps");
        assert_int_equal(sessions_card_ready(f.m, "Reader 1", 5000, &who, &ins, NULL), 0);
        assert_int_equal(atomic_load(&known_opens), 0); /* its first card: the full search */

        card_leaves(&f, 2);
        wait_asks(1);
        card_comes(&f, 10, 3);
        assert_int_equal(atomic_load(&known_opens), 1);

        card_leaves(&f, 4);
        wait_asks(2);
        card_comes(&f, 11, 6); /* a card came and went meanwhile */
        assert_int_equal(atomic_load(&known_opens), 1);

        card_leaves(&f, 7);
        wait_asks(3);
        pthread_mutex_lock(&fake_lock);
        readers.r[1].arrival = 9; /* another reader of that name */
        pthread_mutex_unlock(&fake_lock);
        card_comes(&f, 12, 8);
        assert_int_equal(atomic_load(&known_opens), 1);

        card_leaves(&f, 9); /* asked once the read in the new reader set the slot */
        wait_asks(4);
        card_comes(&f, 13, 10);
        assert_int_equal(atomic_load(&known_opens), 2);

        card_leaves(&f, 0); /* no count from PC/SC: nothing asked, nothing skipped */
        usleep(300000);
        assert_int_equal(atomic_load(&slot_asks), 4);
        card_comes(&f, 14, 0);
        assert_int_equal(atomic_load(&known_opens), 2);
        stop(&f);
}

UNIT_GROUP("sessions", setup, teardown)
