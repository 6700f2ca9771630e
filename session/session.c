/* session/session.c: card-signed professional sessions. */
#include <errno.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11/p11-card.h"
#include "pkcs11/p11-module.h"
#include "lib/macro.h"
#include "session.h"
#include "trust.h"

struct session {
        bool live;
        struct session_info info;
        uint8_t token_hash[SHA256_DIGEST_LENGTH]; /* only the hash of the secret is kept */
        struct p11_card *card; /* kept open: the card stays powered, PIN verified */
        char *record;          /* canonical JSON that the card signed */
        uint8_t sig[P11_SIG_MAX];
        size_t sig_len;
};

struct session_manager {
        struct session_config cfg;
        char workstation[128];
        struct p11_map map;
        struct monitor *mon;
        struct event_queue *events;
        struct p11_module *module;
        int module_err;
        struct trust_store *trust;
        int trust_err;

        pthread_mutex_t open_lock; /* one card conversation at a time */
        pthread_mutex_t lock;      /* guards the table */
        struct session sessions[SESSIONS_MAX];

        pthread_t thread;
        atomic_bool stop;
};

static time_t now_of(const struct session_manager *m) {
        return m->cfg.now ? m->cfg.now() : time(NULL);
}

static uint64_t mono_us(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/* CARD(x): runs x (a PKCS#11 call) and adds its duration to card_us. */
#define CARD(x)                                                                                    \
        ({                                                                                         \
                uint64_t _t0 = mono_us();                                                          \
                typeof(x) _r = (x);                                                                \
                card_us += mono_us() - _t0;                                                        \
                _r;                                                                                \
        })

static int fail(struct session_error *e, int err, const char *code, const char *fmt, ...)
        _printf_(4, 5);
static int fail(struct session_error *e, int err, const char *code, const char *fmt, ...) {
        va_list ap;
        e->err = err;
        e->code = code;
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof(e->message), fmt, ap);
        va_end(ap);
        return err;
}

/* Ends session s (lock held): closes the card handle (logging out), wipes
 * the record, tells the event queue.  why is for the log and the event. */
static void session_end(struct session_manager *m, struct session *s, const char *why) {
        if (!s->live)
                return;
        report(&m->cfg.reporter, &(struct report){.event = "session-ended", .session = s->info.id, .detail = why});
        events_push(m->events, EVENT_SESSION_ENDED, s->info.reader, why);
        p11_card_close(s->card);
        free(s->record);
        secure_zero(s, sizeof(*s));
}

/* Is the card this session was opened on still in its reader? */
static bool card_still_there(const struct reader_snapshot *snap, const struct session *s) {
        for (size_t i = 0; i < snap->n; i++)
                if (strcmp(snap->r[i].name, s->info.reader) == 0)
                        return snap->r[i].card_present && snap->r[i].insertion == s->info.insertion;
        return false;
}

size_t sessions_sweep(struct session_manager *m) {
        struct reader_snapshot snap;
        size_t ended = 0;
        time_t now = now_of(m);
        monitor_snapshot(m->mon, &snap);
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < SESSIONS_MAX; i++) {
                struct session *s = &m->sessions[i];
                if (!s->live)
                        continue;
                if (!card_still_there(&snap, s)) {
                        session_end(m, s, "card_removed");
                        ended++;
                } else if (m->cfg.idle_timeout_s && now - s->info.last_used >= (time_t)m->cfg.idle_timeout_s) {
                        session_end(m, s, "idle_timeout");
                        ended++;
                }
        }
        pthread_mutex_unlock(&m->lock);
        return ended;
}

/* Sweeps every second, and at once when a card or pcscd event comes. */
static void *sweeper(void *arg) {
        struct session_manager *m = arg;
        uint64_t seen = events_last_seq(m->events);
        while (!atomic_load(&m->stop)) {
                if (events_wait(m->events, seen, 1000) == 0)
                        seen = events_last_seq(m->events);
                sessions_sweep(m);
        }
        return NULL;
}

int sessions_new(const struct session_config *cfg, struct monitor *mon, struct event_queue *q,
                 struct session_manager **ret) {
        _cleanup_free_ struct session_manager *m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->cfg = *cfg;
        (void)strcpy_bounded(m->workstation, sizeof(m->workstation),
                             cfg->workstation ? cfg->workstation : "");
        m->cfg.workstation = m->workstation;
        if (cfg->map)
                m->map = *cfg->map;
        else
                p11_map_default(&m->map);
        m->cfg.map = &m->map;
        m->cfg.trust_path = NULL; /* not kept: loaded now */
        m->mon = mon;
        m->events = q;
        /* carnet serialises the module's calls itself: OpenSC 0.23's own
         * locking deadlocks when a card is pulled at the start of a login
         * (docs/pkcs11.md). */
        m->module_err = p11_module_open_locking(cfg->module_path, P11_LOCKING_CARNET, &m->module);
        if (m->module_err < 0)
                report(&cfg->reporter, &(struct report){.event = "pkcs11-unavailable", .err = m->module_err,
                                                        .detail = cfg->module_path ? cfg->module_path
                                                                                   : P11_DEFAULT_MODULE});
        m->trust_err = cfg->trust_path ? trust_store_load(cfg->trust_path, &m->trust) : -ENOENT;
        if (m->trust_err < 0)
                report(&cfg->reporter, &(struct report){.event = "trust-unavailable", .err = m->trust_err,
                                                        .detail = cfg->trust_path ? cfg->trust_path
                                                                                  : "(none configured)"});
        pthread_mutex_init(&m->open_lock, NULL);
        pthread_mutex_init(&m->lock, NULL);
        int r = pthread_create(&m->thread, NULL, sweeper, m);
        if (r) {
                p11_module_close(m->module);
                trust_store_free(m->trust);
                return -r;
        }
        *ret = TAKE_PTR(m);
        return 0;
}

void sessions_free(struct session_manager *m) {
        if (!m)
                return;
        atomic_store(&m->stop, true);
        pthread_join(m->thread, NULL);
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < SESSIONS_MAX; i++)
                session_end(m, &m->sessions[i], "shutdown");
        pthread_mutex_unlock(&m->lock);
        p11_module_close(m->module);
        trust_store_free(m->trust);
        pthread_mutex_destroy(&m->lock);
        pthread_mutex_destroy(&m->open_lock);
        free(m);
}

/* The CPS reader: the named one, or the first holding a CPS card. */
static int find_cps(struct session_manager *m, const char *reader, struct reader_info *ret) {
        struct reader_snapshot snap;
        monitor_snapshot(m->mon, &snap);
        if (!snap.pcscd_reachable)
                return -ESHUTDOWN;
        for (size_t i = 0; i < snap.n; i++) {
                const struct reader_info *ri = &snap.r[i];
                if (reader && strcmp(reader, ri->name) != 0)
                        continue;
                if (ri->card_present && ri->kind == CARD_CPS) {
                        *ret = *ri;
                        return 0;
                }
                if (reader)
                        return -ENODEV;
        }
        return -ENODEV;
}

/* The canonical record: compact JSON, keys sorted, no blank. */
static char *build_record(const struct session_manager *m, const struct session_info *si,
                          const char *nonce) {
        json_t *o = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "version", 1, "session_id",
                              si->id, "national_id", si->who.national_id, "card_serial", si->card_serial,
                              "cert_sha256", si->cert_sha256, "workstation", m->workstation, "reader",
                              si->reader, "nonce", nonce, "card_type",
                              p11_card_type_to_string(si->who.card_type), "uid", (json_int_t)si->uid,
                              "time", (json_int_t)si->opened_at);
        if (!o)
                return NULL;
        char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(o);
        return text;
}

/* Translates a PKCS#11 failure, asking PC/SC whether the card left (OpenSC
 * says CKR_GENERAL_ERROR for a card pulled during C_Login). */
static int p11_fail(struct session_manager *m, struct p11_card *card, const char *reader,
                    uint64_t insertion, const char *what, struct session_error *e) {
        const struct p11_error *pe = p11_card_error(card);
        struct reader_info ri;
        bool gone = pe->err == -ENODEV;
        /* A fault that may be a removal: pcscd notices an absent card on its
         * next presence poll (400 ms with vpcd), so give PC/SC up to 1.5 s
         * to say before calling it a card fault. */
        bool ambiguous = pe->check_reader || pe->err == -EIO || pe->err == -EPROTO;
        for (int i = 0; !gone; i++) {
                int r = find_cps(m, reader, &ri);
                gone = r < 0 || ri.insertion != insertion;
                if (gone || !ambiguous || i == 15)
                        break;
                struct timespec t = {0, 100 * 1000 * 1000};
                nanosleep(&t, NULL);
        }
        if (gone)
                return fail(e, -ENODEV, "card_removed", "the CPS card left the reader during %s", what);
        e->tries_left = pe->tries_left;
        if (pe->err == -EACCES) {
                if (pe->tries_left >= 0)
                        return fail(e, -EACCES, "pin_incorrect", "wrong PIN: %d tr%s left", pe->tries_left,
                                    pe->tries_left == 1 ? "y" : "ies");
                return fail(e, -EACCES, "pin_incorrect",
                            "wrong PIN (the card does not tell how many tries are left; it blocks after a few)");
        }
        if (pe->err == -EPERM)
                return fail(e, -EPERM, "pin_locked", "the CPS card's PIN is blocked: it must be unblocked by its issuer");
        return fail(e, pe->err ? pe->err : -EIO, pe->code, "the CPS card failed during %s (%s)", what, pe->code);
}

int sessions_open(struct session_manager *m, const char *reader, const char *pin, size_t pin_len,
                  uid_t uid, struct session_info *ret, char token[SESSION_TOKEN_LEN + 1],
                  struct session_error *e) {
        struct session s = {.live = true};
        struct reader_info ri;
        struct p11_token tok;
        uint8_t rnd[16], nonce_b[16], secret[32], fpr[32], digest[32];
        char nonce[33];
        uint64_t t_start = mono_us(), card_us = 0;
        int r;

        memset(e, 0, sizeof(*e));
        e->tries_left = -1;
        e->code = "ok";
        if (!m->module)
                return fail(e, -EHOSTDOWN, "pkcs11_unavailable", "the PKCS#11 module could not be loaded: %s",
                            strerror(-m->module_err));
        if (!m->trust)
                return fail(e, -EHOSTDOWN, "trust_unavailable", "no trust anchors are loaded: %s",
                            strerror(-m->trust_err));

        pthread_mutex_lock(&m->open_lock);
        r = find_cps(m, reader, &ri);
        if (r == -ESHUTDOWN) {
                r = fail(e, r, "pcscd_unreachable", "pcscd is not reachable");
                goto out;
        }
        if (r < 0) {
                r = fail(e, r, "no_cps_card", reader ? "no CPS card in reader %s" : "no CPS card in any reader%s",
                         reader ? reader : "");
                goto out;
        }
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < SESSIONS_MAX; i++)
                if (m->sessions[i].live && strcmp(m->sessions[i].info.reader, ri.name) == 0 &&
                    m->sessions[i].info.insertion == ri.insertion)
                        r = -EBUSY;
        pthread_mutex_unlock(&m->lock);
        if (r < 0) {
                r = fail(e, r, "session_exists", "a session is already open on the CPS card in %s", ri.name);
                goto out;
        }

        r = CARD(p11_module_token_for_reader(m->module, ri.name, &tok));
        if (r < 0) {
                r = fail(e, r == -ENODEV ? -ENODEV : r, r == -ENODEV ? "card_removed" : "pkcs11_error",
                         "the PKCS#11 module sees no card in %s", ri.name);
                goto out;
        }
        if (tok.pin_state == P11_PIN_LOCKED) {
                e->tries_left = 0;
                r = fail(e, -EPERM, "pin_locked", "the CPS card's PIN is blocked: it must be unblocked by its issuer");
                goto out;
        }
        if (!pin && !tok.protected_auth) {
                r = fail(e, -EINVAL, "pin_required", "this reader has no PIN pad: the PIN is required");
                goto out;
        }
        r = CARD(p11_card_open(m->module, tok.slot, &m->map, &s.card));
        if (r < 0) {
                r = fail(e, r, "card_unreadable", "the CPS card's certificates could not be read: %s", strerror(-r));
                goto out;
        }
        const struct p11_cert *cert = p11_card_cert(s.card, P11_ROLE_AUTH);
        if (!cert) {
                r = fail(e, -ENOENT, "no_auth_certificate", "the CPS card has no authentication certificate");
                goto out;
        }
        r = p11_card_identity(s.card, &s.info.who);
        if (r < 0) {
                r = fail(e, -EBADMSG, "bad_identity",
                         "the CPS certificate does not carry a usable professional identity: %s", strerror(-r));
                goto out;
        }
        /* The certificate first: no PIN is spent on a card we do not trust. */
        struct trust_error te = {0};
        r = trust_verify_cert(m->trust, cert->der, cert->der_len, now_of(m), TRUST_USAGE_AUTH, &te);
        if (r < 0) {
                r = fail(e, r, te.code, "the CPS certificate is not trusted: %s%s%s", te.code,
                         te.detail[0] ? ": " : "", te.detail);
                goto out;
        }

        r = CARD(p11_card_login(s.card, pin, pin_len));
        if (r < 0) {
                r = p11_fail(m, s.card, ri.name, ri.insertion, "the PIN check", e);
                goto out;
        }

        /* The authentication key must sign without a PIN each time: a key
         * that needs one (CKA_ALWAYS_AUTHENTICATE) is the signature key,
         * picked because no certificate carries the authentication usage. */
        enum p11_key_type kt;
        bool always = false;
        r = CARD(p11_card_key_info(s.card, P11_ROLE_AUTH, &kt, &always));
        if (r < 0) {
                r = p11_fail(m, s.card, ri.name, ri.insertion, "reading the authentication key", e);
                goto out;
        }
        if (always) {
                r = fail(e, -EKEYREJECTED, "wrong_key_usage",
                         "the CPS card has no authentication certificate (digitalSignature) of its own");
                goto out;
        }

        /* The record, signed by the card, verified by us. */
        if (RAND_bytes(rnd, sizeof(rnd)) != 1 || RAND_bytes(nonce_b, sizeof(nonce_b)) != 1 ||
            RAND_bytes(secret, sizeof(secret)) != 1) {
                r = fail(e, -EIO, "internal", "no randomness available");
                goto out;
        }
        hex_encode(rnd, sizeof(rnd), s.info.id);
        hex_encode(nonce_b, sizeof(nonce_b), nonce);
        (void)trust_cert_fingerprint(cert->der, cert->der_len, fpr);
        hex_encode(fpr, sizeof(fpr), s.info.cert_sha256);
        (void)strcpy_bounded(s.info.card_serial, sizeof(s.info.card_serial), tok.serial);
        (void)strcpy_bounded(s.info.reader, sizeof(s.info.reader), ri.name);
        s.info.insertion = ri.insertion;
        s.info.uid = uid;
        s.info.opened_at = s.info.last_used = now_of(m);
        s.record = build_record(m, &s.info, nonce);
        if (!s.record) {
                r = fail(e, -ENOMEM, "internal", "out of memory");
                goto out;
        }
        SHA256((const unsigned char *)s.record, strlen(s.record), digest);
        r = CARD(p11_card_sign(s.card, P11_ROLE_AUTH, digest, NULL, 0, s.sig, sizeof(s.sig)));
        if (r < 0) {
                r = p11_fail(m, s.card, ri.name, ri.insertion, "the signature", e);
                goto out;
        }
        s.sig_len = (size_t)r;
        r = trust_verify_signature(cert->der, cert->der_len, s.record, strlen(s.record), s.sig, s.sig_len, &te);
        if (r < 0) {
                r = fail(e, r, "bad_signature",
                         "the CPS card's signature does not verify with its certificate: the card is not trusted");
                goto out;
        }

        s.info.card_us = (unsigned)card_us;
        s.info.total_us = (unsigned)(mono_us() - t_start);

        /* Live: store it, unless the card left or another session won meanwhile. */
        SHA256(secret, sizeof(secret), s.token_hash);
        pthread_mutex_lock(&m->lock);
        struct session *slot = NULL;
        for (size_t i = 0; i < SESSIONS_MAX; i++) {
                if (!m->sessions[i].live && !slot)
                        slot = &m->sessions[i];
                if (m->sessions[i].live && strcmp(m->sessions[i].info.reader, ri.name) == 0 &&
                    m->sessions[i].info.insertion == ri.insertion)
                        r = -EBUSY;
        }
        if (r == 0 && !slot)
                r = -EUSERS;
        if (r == 0) {
                *slot = s;
                memset(&s, 0, sizeof(s)); /* ownership moved */
                *ret = slot->info;
        }
        pthread_mutex_unlock(&m->lock);
        if (r == -EBUSY) {
                r = fail(e, r, "session_exists", "a session is already open on the CPS card in %s", ri.name);
                goto out;
        }
        if (r == -EUSERS) {
                r = fail(e, r, "too_many_sessions", "%d sessions are open: close one first", SESSIONS_MAX);
                goto out;
        }
        /* the token is the secret; only its hash stays here */
        hex_encode(secret, sizeof(secret), token);
        report(&m->cfg.reporter, &(struct report){.event = "session-opened", .session = ret->id, .reader = ret->reader,
                                                  .detail = p11_card_type_to_string(ret->who.card_type),
                                                  .caller = true, .uid = uid});
        events_push(m->events, EVENT_SESSION_STARTED, ret->reader, ret->id);
        r = 0;
out:
        secure_zero(secret, sizeof(secret));
        if (s.card)
                p11_card_close(s.card);
        free(s.record);
        pthread_mutex_unlock(&m->open_lock);
        /* a live session whose card left during the last steps ends now */
        if (r == 0)
                sessions_sweep(m);
        return r;
}

/* The live session whose token hashes to h, or NULL (lock held). */
static struct session *by_token(struct session_manager *m, const char *token) {
        uint8_t secret[32], h[32];
        if (!token || strlen(token) != SESSION_TOKEN_LEN)
                return NULL;
        for (size_t i = 0; i < sizeof(secret); i++) {
                unsigned v;
                if (sscanf(token + 2 * i, "%2x", &v) != 1)
                        return NULL;
                secret[i] = (uint8_t)v;
        }
        SHA256(secret, sizeof(secret), h);
        secure_zero(secret, sizeof(secret));
        struct session *found = NULL;
        for (size_t i = 0; i < SESSIONS_MAX; i++)
                /* constant-time compare: the token is a secret */
                if (m->sessions[i].live && CRYPTO_memcmp(m->sessions[i].token_hash, h, sizeof(h)) == 0)
                        found = &m->sessions[i];
        return found;
}

int sessions_lookup(struct session_manager *m, const char *token, uid_t uid, struct session_info *ret) {
        int r = -ENOENT;
        sessions_sweep(m); /* never hand out a session whose card just left */
        pthread_mutex_lock(&m->lock);
        struct session *s = by_token(m, token);
        if (s && s->info.uid != uid)
                r = -EPERM;
        else if (s) {
                s->info.last_used = now_of(m);
                *ret = s->info;
                r = 0;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

/* The patient session is as strong as the secret and the card together:
 * the secret was checked by the caller against the dossier, the card is
 * checked here to still be the same insertion, and the session dies with
 * it.  No card signature: a Vitale card has no key carnet may use. */
int sessions_open_patient(struct session_manager *m, const char *reader, uint64_t insertion, const char *ins,
                          uid_t uid, struct session_info *ret, char token[SESSION_TOKEN_LEN + 1]) {
        struct reader_snapshot snap;
        struct session s = {.live = true};
        uint8_t rnd[16], secret[32];
        int r = 0;

        if (!reader || !ins || strlen(ins) >= sizeof(s.info.ins) || strlen(reader) >= sizeof(s.info.reader))
                return -EINVAL;
        (void)strcpy_bounded(s.info.reader, sizeof(s.info.reader), reader);
        s.info.insertion = insertion;
        monitor_snapshot(m->mon, &snap);
        if (!card_still_there(&snap, &s))
                return -ENODEV;
        if (RAND_bytes(rnd, sizeof(rnd)) != 1 || RAND_bytes(secret, sizeof(secret)) != 1)
                return -EIO;
        s.info.kind = SESSION_PATIENT;
        s.info.mode = SESSION_MODE_NORMAL;
        (void)strcpy_bounded(s.info.ins, sizeof(s.info.ins), ins);
        s.info.who.card_type = P11_CARD_UNKNOWN;
        hex_encode(rnd, sizeof(rnd), s.info.id);
        s.info.uid = uid;
        s.info.opened_at = s.info.last_used = now_of(m);
        SHA256(secret, sizeof(secret), s.token_hash);

        pthread_mutex_lock(&m->lock);
        struct session *slot = NULL;
        for (size_t i = 0; i < SESSIONS_MAX; i++) {
                struct session *o = &m->sessions[i];
                if (o->live && o->info.kind == SESSION_PATIENT && o->info.uid == uid &&
                    o->info.insertion == insertion && strcmp(o->info.reader, reader) == 0 &&
                    strcmp(o->info.ins, ins) == 0)
                        session_end(m, o, "replaced");
                if (!o->live && !slot)
                        slot = o;
        }
        if (slot) {
                *slot = s;
                *ret = slot->info;
        } else
                r = -EUSERS;
        pthread_mutex_unlock(&m->lock);
        if (r == 0) {
                hex_encode(secret, sizeof(secret), token);
                /* the INS is personal data: the log names the session only */
                report(&m->cfg.reporter, &(struct report){.event = "patient-session-opened", .session = ret->id,
                                                          .reader = ret->reader, .caller = true, .uid = uid});
                events_push(m->events, EVENT_SESSION_STARTED, ret->reader, ret->id);
        }
        secure_zero(secret, sizeof(secret));
        secure_zero(&s, sizeof(s));
        if (r == 0)
                sessions_sweep(m); /* the card may have left meanwhile */
        return r;
}

int sessions_set_mode(struct session_manager *m, const char *id, uid_t uid, enum session_mode mode,
                      const char *reason, struct session_info *ret) {
        int r = -ENOENT;

        if (!id || (unsigned)mode >= _SESSION_MODE_MAX || (reason && strlen(reason) >= SESSION_REASON_MAX))
                return -EINVAL;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < SESSIONS_MAX; i++) {
                struct session *s = &m->sessions[i];
                if (!s->live || strcmp(s->info.id, id) != 0)
                        continue;
                if (s->info.uid != uid)
                        r = -EPERM;
                else if (s->info.kind != SESSION_PROFESSIONAL)
                        r = -EINVAL;
                else {
                        s->info.mode = mode;
                        (void)strcpy_bounded(s->info.reason, sizeof(s->info.reason), reason ? reason : "");
                        s->info.last_used = now_of(m);
                        if (ret)
                                *ret = s->info;
                        r = 0;
                }
                break;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

int sessions_close(struct session_manager *m, const char *id, uid_t uid) {
        int r = -ENOENT;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < SESSIONS_MAX; i++) {
                struct session *s = &m->sessions[i];
                if (!s->live || strcmp(s->info.id, id) != 0)
                        continue;
                if (s->info.uid != uid)
                        r = -EPERM;
                else {
                        session_end(m, s, "logout");
                        r = 0;
                }
                break;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

int sessions_record(struct session_manager *m, const char *id, char **ret_record, uint8_t **ret_sig,
                    size_t *ret_sig_len) {
        int r = -ENOENT;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < SESSIONS_MAX; i++) {
                struct session *s = &m->sessions[i];
                if (!s->live || strcmp(s->info.id, id) != 0)
                        continue;
                if (!s->record) {
                        r = -ENODATA;
                        break;
                }
                char *rec = strdup(s->record);
                uint8_t *sig = malloc(s->sig_len);
                if (!rec || !sig) {
                        free(rec);
                        free(sig);
                        r = -ENOMEM;
                        break;
                }
                memcpy(sig, s->sig, s->sig_len);
                *ret_record = rec;
                *ret_sig = sig;
                *ret_sig_len = s->sig_len;
                r = 0;
                break;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

size_t sessions_count(struct session_manager *m) {
        size_t n = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < SESSIONS_MAX; i++)
                n += m->sessions[i].live;
        pthread_mutex_unlock(&m->lock);
        return n;
}
