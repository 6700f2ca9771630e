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
#include "card-cache.h"
#include "nonce.h"
#include "session.h"
#include "session-private.h"
#include "trust.h"

/* A session taken out of the table, to be ended with the table unlocked. */
struct ending {
        struct p11_card *card;
        char *record;
        char id[SESSION_ID_LEN + 1];
        char reader[READER_NAME_MAX];
        const char *why;
        char host_token[SESSION_HOST_TOKEN_LEN + 1];
};

struct endings {
        size_t n;
        struct ending e[SESSIONS_MAX];
};

struct session_manager {
        struct session_config cfg;
        char workstation[128];
        char establishment[128];
        struct p11_map map;
        struct monitor *mon;
        struct event_queue *events;
        struct p11_module *module;
        int module_err;
        struct trust_store *trust;
        int trust_err;
        struct card_cache *cache; /* CPS cards read at insertion (card-cache.h) */
        char crl_path[4096]; /* for reports; the store keeps its own */

        /* one card conversation at a time: an opening, or closing the card
         * handles of ended sessions; taken before `lock`, never under it */
        pthread_mutex_t open_lock;
        pthread_mutex_t lock; /* guards the table; never held over a card call */
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

static int fail(struct session_error *e, int err, const char *code, const char *fmt, ...)
        _printf_(4, 5);
static int fail(struct session_error *e, int err, const char *code, const char *fmt, ...) {
        va_list ap;
        e->err = err;
        (void)strcpy_bounded(e->code, sizeof(e->code), code ? code : "internal");
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof(e->message), fmt, ap);
        va_end(ap);
        return err;
}

/* Is the card this session was opened on still in its reader? */
static bool card_still_there(const struct reader_snapshot *snap, const struct session *s) {
        for (size_t i = 0; i < snap->n; i++)
                if (strcmp(snap->r[i].name, s->info.reader) == 0)
                        return snap->r[i].card_present && snap->r[i].insertion == s->info.insertion;
        return false;
}

/* Why live session s is over (its card left, or it was idle too long), or
 * NULL while it may still be used.  Only looks: ending it is the sweeper's
 * job, so that a lookup never waits on a card. */
static const char *session_over(const struct session_manager *m, const struct session *s,
                                const struct reader_snapshot *snap, time_t now) {
        if (!card_still_there(snap, s))
                return "card_removed";
        /* the PKCS#11 helper that held its card handle died (p11remote/) */
        if (s->card && p11_card_error(s->card)->err == -ECONNRESET)
                return "pkcs11_helper_failed";
        if (m->cfg.idle_timeout_s && now - s->info.last_used >= (time_t)m->cfg.idle_timeout_s)
                return "idle_timeout";
        return NULL;
}

/* Takes live session s out of the table (lock held): what ending it needs
 * goes to *out, the slot is wiped and free again. */
static void session_take(struct session *s, const char *why, struct endings *out) {
        struct ending *e = &out->e[out->n++];
        *e = (struct ending){.card = s->card, .record = s->record, .why = why};
        memcpy(e->id, s->info.id, sizeof(e->id));
        memcpy(e->reader, s->info.reader, sizeof(e->reader));
        memcpy(e->host_token, s->host_token, sizeof(e->host_token));
        secure_zero(s, sizeof(*s));
}

/* Ends the sessions taken out (lock released; open_lock held when any has
 * a card): closes the card handle (logging out) before telling, so that a
 * login that follows the event never meets the old one's logout. */
static void sessions_finish(struct session_manager *m, struct endings *ends) {
        for (size_t i = 0; i < ends->n; i++) {
                struct ending *e = &ends->e[i];
                p11_card_close(e->card);
                free(e->record);
                report(&m->cfg.reporter, &(struct report){.event = "session-ended", .session = e->id,
                                                          .detail = e->why});
                events_push(m->events, EVENT_SESSION_ENDED, e->reader, e->why);
                if (e->host_token[0] && m->cfg.ended)
                        m->cfg.ended(m->cfg.ended_userdata, e->host_token);
                secure_zero(e->host_token, sizeof(e->host_token));
        }
        ends->n = 0;
}

/* Looks for sessions that are over; takes them out into *take when it is
 * not NULL.  Returns how many there are. */
static size_t sessions_over(struct session_manager *m, struct endings *take) {
        struct reader_snapshot snap;
        size_t n = 0;
        monitor_snapshot(m->mon, &snap);
        time_t now = now_of(m);
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < SESSIONS_MAX; i++) {
                struct session *s = &m->sessions[i];
                const char *why = s->live ? session_over(m, s, &snap, now) : NULL;
                if (!why)
                        continue;
                n++;
                if (take)
                        session_take(s, why, take);
        }
        pthread_mutex_unlock(&m->lock);
        return n;
}

/* Ends the sessions that are over (open_lock held). */
static size_t sweep_held(struct session_manager *m) {
        struct endings ends = {0};
        size_t n = sessions_over(m, &ends);
        sessions_finish(m, &ends);
        return n;
}

size_t sessions_sweep(struct session_manager *m) {
        /* a quick look first: the sweeper waits for an opening only when
         * there is something to end */
        if (sessions_over(m, NULL) == 0)
                return 0;
        pthread_mutex_lock(&m->open_lock);
        size_t n = sweep_held(m);
        pthread_mutex_unlock(&m->open_lock);
        return n;
}

/* Is a live session open on this insertion of the card in reader?  (lock
 * held) */
static bool card_in_use(const struct session_manager *m, const char *reader, uint64_t insertion) {
        for (size_t i = 0; i < SESSIONS_MAX; i++) {
                const struct session *s = &m->sessions[i];
                if (s->live && strcmp(s->info.reader, reader) == 0 && s->info.insertion == insertion)
                        return true;
        }
        return false;
}

/* Has the card in reader (this insertion) a session?  (card-cache.h) */
static bool card_busy(void *userdata, const char *reader, uint64_t insertion) {
        struct session_manager *m = userdata;
        pthread_mutex_lock(&m->lock);
        bool busy = card_in_use(m, reader, insertion);
        pthread_mutex_unlock(&m->lock);
        return busy;
}

/* Drops the cache entries of cards that left and, when read is set, reads
 * the new ones; takes open_lock only when there is a card call to make. */
static void cards_refresh(struct session_manager *m, bool read) {
        struct reader_snapshot snap;
        if (!read && (monitor_snapshot(m->mon, &snap), card_cache_count_gone(m->cache, &snap) == 0) &&
            !(m->module && card_cache_empty_due(m->cache, &snap)))
                return;
        pthread_mutex_lock(&m->open_lock);
        monitor_snapshot(m->mon, &snap); /* again, under the lock */
        (void)card_cache_drop_gone(m->cache, &snap);
        if (m->module)
                card_cache_note_empty(m->cache, m->module, &snap);
        if (read && m->module)
                card_cache_read_new(m->cache, m->module, &m->map, &snap, card_busy, m);
        pthread_mutex_unlock(&m->open_lock);
}

/* Sweeps every second, and at once when a card, pcscd or session event
 * comes (events.h); reads the CPS cards inserted (from the first event). */
static void *sweeper(void *arg) {
        struct session_manager *m = arg;
        uint64_t seen = 0;
        while (!atomic_load(&m->stop)) {
                bool read = events_wait(m->events, seen, 1000) == 0 && card_events_read(m->events, &seen);
                sessions_sweep(m);
                cards_refresh(m, read);
        }
        return NULL;
}

/* Releases what sessions_new() set up; the sweeper is stopped and the
 * table empty. */
static void manager_release(struct session_manager *m) {
        if (!m)
                return;
        card_cache_free(m->cache);
        p11_module_close(m->module);
        trust_store_free(m->trust);
        pthread_mutex_destroy(&m->lock);
        pthread_mutex_destroy(&m->open_lock);
        free(m);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct session_manager, manager_release);

/* Reports what a (re)load of the revocation lists gave: r is the count of
 * CRLs in use, 0 when nothing changed (not reported unless loaded), or a
 * negative errno. */
static void crl_loaded(struct session_manager *m, int r, bool loaded) {
        if (r < 0)
                report(&m->cfg.reporter, &(struct report){.event = "crl-unavailable", .err = r,
                                                          .detail = m->crl_path});
        else if (loaded || r > 0)
                report(&m->cfg.reporter, &(struct report){.event = "crl-loaded", .detail = m->crl_path,
                                                          .n = (long)trust_store_crl_count(m->trust)});
}

/* The module and the trust anchors; failing to load either is reported,
 * kept in module_err / trust_err, and not fatal. */
static void manager_load(struct session_manager *m, const struct session_config *cfg) {
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
        else if (cfg->crl_path)
                crl_loaded(m, trust_store_load_crls(m->trust, cfg->crl_path, cfg->crl_stale, NULL), true);
}

int sessions_new(const struct session_config *cfg, struct monitor *mon, struct event_queue *q,
                 struct session_manager **ret) {
        _cleanup_(manager_releasep) struct session_manager *m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->cfg = *cfg;
        (void)strcpy_bounded(m->workstation, sizeof(m->workstation),
                             cfg->workstation ? cfg->workstation : "");
        m->cfg.workstation = m->workstation;
        (void)strcpy_bounded(m->establishment, sizeof(m->establishment),
                             cfg->establishment ? cfg->establishment : "");
        m->cfg.establishment = m->establishment;
        if (cfg->map)
                m->map = *cfg->map;
        else
                p11_map_default(&m->map);
        m->cfg.map = &m->map;
        m->cfg.trust_path = NULL; /* not kept: loaded now */
        (void)strcpy_bounded(m->crl_path, sizeof(m->crl_path), cfg->crl_path ? cfg->crl_path : "");
        m->cfg.crl_path = NULL;
        m->mon = mon;
        m->events = q;
        pthread_mutex_init(&m->open_lock, NULL);
        pthread_mutex_init(&m->lock, NULL);
        int r = card_cache_new(&m->cache);
        if (r >= 0)
                manager_load(m, cfg);
        if (r < 0 || (r = -pthread_create(&m->thread, NULL, sweeper, m)) < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

void sessions_free(struct session_manager *m) {
        struct endings ends = {0};
        if (!m)
                return;
        atomic_store(&m->stop, true);
        pthread_join(m->thread, NULL);
        pthread_mutex_lock(&m->open_lock);
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < SESSIONS_MAX; i++)
                if (m->sessions[i].live)
                        session_take(&m->sessions[i], "shutdown", &ends);
        pthread_mutex_unlock(&m->lock);
        sessions_finish(m, &ends);
        pthread_mutex_unlock(&m->open_lock);
        manager_release(m);
}

/* The CPS reader: the named one, or the first holding a CPS card.
 * -ENODEV when there is none, -EBUSY when there is none but a card that
 * another program holds (the monitor reads it once released). */
static int find_cps(struct session_manager *m, const char *reader, struct reader_info *ret) {
        struct reader_snapshot snap;
        int r = -ENODEV;
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
                if (ri->card_present && ri->read_error == -EBUSY)
                        r = -EBUSY;
                if (reader)
                        return r;
        }
        return r;
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

/* Did the card in reader leave (or come back as another insertion)?  With
 * wait, for a fault that may be a removal: pcscd notices an absent card on
 * its next presence poll (400 ms with vpcd), so PC/SC gets up to 1.5 s to
 * say before the fault is blamed on the card. */
static bool card_left(struct session_manager *m, const char *reader, uint64_t insertion, bool wait) {
        struct reader_info ri;
        for (int i = 0;; i++) {
                int r = find_cps(m, reader, &ri);
                if (r < 0 || ri.insertion != insertion)
                        return true;
                if (!wait || i == 15)
                        return false;
                struct timespec t = {0, 100 * 1000 * 1000};
                nanosleep(&t, NULL);
        }
}

/* The PKCS#11 helper (p11remote/) died or hung: a fault of that card
 * conversation only; the next one starts a new helper. */
static int helper_failed(struct session_error *e) {
        return fail(e, -ECONNRESET, "pkcs11_helper_failed",
                    "the PKCS#11 helper failed (it is restarted for the next request)");
}

/* Words for the PKCS#11 codes a caller can act on (api/sessions.c gives
 * them their status); NULL for the others. */
static const char *p11_words(const char *code) {
        static const struct {
                const char *code, *words;
        } words[] = {
                {"pin_invalid", "the PIN has a length or characters that the CPS card does not take"},
                {"pin_expired", "the CPS card's PIN has expired: change it with the card's PIN tool, then log in"},
                {"pin_not_initialized", "the CPS card has no PIN set: it must be initialised by its issuer"},
                {"cancelled", "the PIN entry was cancelled on the reader's PIN pad"},
                {"login_required", "the CPS card lost its login during the opening (another program may be "
                                   "using it): log in again"},
                {"already_logged_in", "the CPS card stays logged in for another session, which could not be "
                                      "logged out: log in again"},
        };
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (strcmp(words[i].code, code) == 0)
                        return words[i].words;
        return NULL;
}

/* Translates a PKCS#11 failure, asking PC/SC whether the card left (OpenSC
 * says CKR_GENERAL_ERROR for a card pulled during C_Login). */
static int p11_fail(struct session_manager *m, struct p11_card *card, const char *reader,
                    uint64_t insertion, const char *what, struct session_error *e) {
        const struct p11_error *pe = p11_card_error(card);
        bool ambiguous = pe->check_reader || pe->err == -EIO || pe->err == -EPROTO;
        if (pe->err == -ECONNRESET)
                return helper_failed(e);
        if (pe->err == -ENODEV || card_left(m, reader, insertion, ambiguous))
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
        const char *words = p11_words(pe->code);
        if (words)
                return fail(e, pe->err ? pe->err : -EIO, pe->code, "%s", words);
        return fail(e, pe->err ? pe->err : -EIO, pe->code, "the CPS card failed during %s (%s)", what, pe->code);
}

/* A free slot of the table, or NULL (lock held). */
static struct session *free_slot(struct session_manager *m) {
        for (size_t i = 0; i < SESSIONS_MAX; i++)
                if (!m->sessions[i].live)
                        return &m->sessions[i];
        return NULL;
}

/* An opening in progress: what its steps hand on to each other. */
struct opening {
        struct session s;
        struct reader_info ri;
        struct p11_token tok;
        const struct p11_cert *cert; /* the authentication certificate, in s.card */
        uint8_t secret[32];          /* the token, before it is hex-encoded */
        uint64_t t_start, card_us;
        struct session_error *e;
};

/* CARD(o, x): runs x (a PKCS#11 call) and adds its duration to o->card_us. */
#define CARD(o, x)                                                                                 \
        ({                                                                                         \
                uint64_t _t0 = mono_us();                                                          \
                typeof(x) _r = (x);                                                                \
                (o)->card_us += mono_us() - _t0;                                                   \
                _r;                                                                                \
        })

/* Step 1: the CPS card, in a reader that has no session on it yet. */
static int open_find_card(struct session_manager *m, struct opening *o, const char *reader) {
        int r = find_cps(m, reader, &o->ri);
        if (r == -ESHUTDOWN)
                return fail(o->e, r, "pcscd_unreachable", "pcscd is not reachable");
        if (r == -EBUSY)
                return fail(o->e, r, "card_busy", "another program holds the card in %s: carnet reads it once "
                            "that program lets it go", reader ? reader : "a reader");
        if (r < 0)
                return fail(o->e, r, "no_cps_card", reader ? "no CPS card in reader %s" : "no CPS card in any reader%s",
                            reader ? reader : "");
        pthread_mutex_lock(&m->lock);
        bool busy = card_in_use(m, o->ri.name, o->ri.insertion);
        pthread_mutex_unlock(&m->lock);
        if (busy)
                return fail(o->e, -EBUSY, "session_exists", "a session is already open on the CPS card in %s",
                            o->ri.name);
        return 0;
}

/* The card's token and certificates: those read at its insertion (the
 * cache's handle is tied to this insertion of this reader), or read now
 * when the cache has none (card-cache.h). */
static int open_card_read(struct session_manager *m, struct opening *o, int *ret_open_err) {
        struct card_read cr = {0};
        if (card_cache_take(m->cache, o->ri.name, o->ri.insertion, &cr) < 0 ||
            p11_card_error(cr.card)->err == -ECONNRESET) {
                cr.card = p11_card_close(cr.card); /* its helper died: read again */
                (void)CARD(o, card_read(m->cache, m->module, &m->map, &o->ri, &cr));
        }
        o->tok = cr.tok;
        o->s.card = TAKE_PTR(cr.card);
        *ret_open_err = cr.open_err;
        return cr.token_err;
}

/* Step 2: the card through PKCS#11: its token, its certificates, the
 * identity its authentication certificate carries. */
static int open_read_card(struct session_manager *m, struct opening *o, const char *pin) {
        int open_err, r = open_card_read(m, o, &open_err);
        if (r < 0)
                return r == -ECONNRESET ? helper_failed(o->e)
                                        : fail(o->e, r, r == -ENODEV ? "card_removed" : "pkcs11_error",
                                               "the PKCS#11 module sees no card in %s", o->ri.name);
        if (o->tok.pin_state == P11_PIN_LOCKED) {
                o->e->tries_left = 0;
                return fail(o->e, -EPERM, "pin_locked",
                            "the CPS card's PIN is blocked: it must be unblocked by its issuer");
        }
        if (!pin && !o->tok.protected_auth)
                return fail(o->e, -EINVAL, "pin_required", "this reader has no PIN pad: the PIN is required");
        r = open_err;
        /* OpenSC may report success with no objects for a card pulled while
         * its certificates are read: ask the reader before blaming the card. */
        o->cert = r < 0 ? NULL : p11_card_cert(o->s.card, P11_ROLE_AUTH);
        if (!o->cert && card_left(m, o->ri.name, o->ri.insertion, true))
                return fail(o->e, -ENODEV, "card_removed", "the CPS card left the reader while its certificates "
                            "were read");
        if (r == -ECONNRESET)
                return helper_failed(o->e);
        if (r < 0)
                return fail(o->e, r, "card_unreadable", "the CPS card's certificates could not be read: %s",
                            strerror(-r));
        if (!o->cert)
                return fail(o->e, -ENOENT, "no_auth_certificate", "the CPS card has no authentication certificate");
        /* what the module's side says the certificate carries; the session
         * takes the certificate's own once it verifies (open_check_cert) */
        r = p11_card_identity(o->s.card, &o->s.info.who);
        if (r < 0)
                return fail(o->e, -EBADMSG, "bad_identity",
                            "the CPS certificate does not carry a usable professional identity: field %s: %s",
                            o->s.info.who.bad_field ? o->s.info.who.bad_field : "national_id",
                            r == -ENOENT ? "absent" : "unreadable value");
        return 0;
}

/* What the trail says of the refused certificate (session_error): its
 * fingerprint, and its national id, read here from the DER, only when its
 * chain verified (issued): a self-signed certificate may name anyone. */
static void refused_cert(struct session_manager *m, struct opening *o, bool issued) {
        struct p11_identity who;
        uint8_t fpr[32];
        if (trust_cert_fingerprint(o->cert->der, o->cert->der_len, fpr) == 0)
                hex_encode(fpr, sizeof(fpr), o->e->cert_sha256);
        if (issued && p11_identity_from_cert(&m->map, o->cert->der, o->cert->der_len, &who) == 0)
                (void)strcpy_bounded(o->e->national_id, sizeof(o->e->national_id), who.national_id);
}

static bool identity_equal(const struct p11_identity *a, const struct p11_identity *b) {
        return strcmp(a->national_id, b->national_id) == 0 && strcmp(a->surname, b->surname) == 0 &&
               strcmp(a->given_name, b->given_name) == 0 && strcmp(a->profession, b->profession) == 0 &&
               strcmp(a->specialty, b->specialty) == 0 && strcmp(a->organisation, b->organisation) == 0 &&
               a->card_type == b->card_type;
}

/* The identity of the verified certificate, read here from its DER: with
 * the PKCS#11 helper (p11remote/), what the helper said (o->s.info.who) is
 * only its word, and a helper that names another professional than the
 * certificate (a compromised one) gets no session. */
static int open_verified_identity(struct session_manager *m, struct opening *o) {
        struct p11_identity who;
        int r = p11_identity_from_cert(&m->map, o->cert->der, o->cert->der_len, &who);
        if (r < 0 || !identity_equal(&who, &o->s.info.who)) {
                refused_cert(m, o, true);
                report(&m->cfg.reporter, &(struct report){.event = "pkcs11-identity-mismatch", .reader = o->ri.name});
                return fail(o->e, -EKEYREJECTED, "identity_mismatch",
                            "the PKCS#11 module's side named another identity than the CPS certificate's: refused");
        }
        o->s.info.who = who;
        (void)strcpy_bounded(o->s.info.establishment, sizeof(o->s.info.establishment),
                             who.organisation[0] ? who.organisation : m->establishment);
        return 0;
}

/* Step 3: the certificate's chain, dates and usage, before any PIN is
 * spent on a card we do not trust. */
static int open_check_cert(struct session_manager *m, struct opening *o) {
        struct trust_error te = {0};
        /* CRLs replaced on disk take effect now, without a restart */
        crl_loaded(m, trust_store_refresh_crls(m->trust, false, NULL), false);
        int r = trust_verify_cert(m->trust, o->cert->der, o->cert->der_len, now_of(m), TRUST_USAGE_AUTH, &te);
        if (r < 0) {
                refused_cert(m, o, te.issued);
                return fail(o->e, r, te.code, "the CPS certificate is not trusted: %s%s%s", te.code,
                            te.detail[0] ? ": " : "", te.detail);
        }
        return open_verified_identity(m, o);
}

/* Step 4: the PIN, then the authentication key.  That key must sign
 * without a PIN each time: a key that needs one (CKA_ALWAYS_AUTHENTICATE)
 * is the signature key, picked because no certificate carries the
 * authentication usage. */
static int open_login(struct session_manager *m, struct opening *o, const char *pin, size_t pin_len) {
        enum p11_key_type kt;
        bool always = false;
        int r = CARD(o, p11_card_login(o->s.card, pin, pin_len));
        if (r < 0)
                return p11_fail(m, o->s.card, o->ri.name, o->ri.insertion, "the PIN check", o->e);
        r = CARD(o, p11_card_key_info(o->s.card, P11_ROLE_AUTH, &kt, &always));
        if (r < 0)
                return p11_fail(m, o->s.card, o->ri.name, o->ri.insertion, "reading the authentication key", o->e);
        if (always)
                return fail(o->e, -EKEYREJECTED, "wrong_key_usage",
                            "the CPS card has no authentication certificate (digitalSignature) of its own");
        return 0;
}

/* Fills the session's description: fresh id, card, reader, caller, time. */
static int open_describe(struct session_manager *m, struct opening *o, uid_t uid) {
        struct session_info *si = &o->s.info;
        uint8_t rnd[16], fpr[32];
        if (RAND_bytes(rnd, sizeof(rnd)) != 1 || RAND_bytes(o->secret, sizeof(o->secret)) != 1)
                return fail(o->e, -EIO, "internal", "no randomness available");
        hex_encode(rnd, sizeof(rnd), si->id);
        (void)trust_cert_fingerprint(o->cert->der, o->cert->der_len, fpr);
        hex_encode(fpr, sizeof(fpr), si->cert_sha256);
        (void)strcpy_bounded(si->card_serial, sizeof(si->card_serial), o->tok.serial);
        (void)strcpy_bounded(si->reader, sizeof(si->reader), o->ri.name);
        si->insertion = o->ri.insertion;
        (void)strcpy_bounded(si->workstation, sizeof(si->workstation), m->workstation);
        si->uid = uid;
        si->opened_at = si->last_used = now_of(m);
        return 0;
}

/* The record's nonce (nonce.h); the card is not asked to sign without one. */
static int open_nonce(struct session_manager *m, struct opening *o, char nonce[SESSION_NONCE_MAX]) {
        const char *code = NULL;
        int r = session_nonce(&m->cfg, nonce, &code);
        if (r < 0)
                return fail(o->e, r, code, "no nonce for the session record: %s (%s)", code, strerror(-r));
        return 0;
}

/* Step 5: the record, signed by the card, verified by us. */
static int open_sign(struct session_manager *m, struct opening *o, uid_t uid) {
        struct trust_error te = {0};
        uint8_t digest[32];
        char nonce[SESSION_NONCE_MAX];
        int r = open_describe(m, o, uid);
        if (r < 0 || (r = open_nonce(m, o, nonce)) < 0)
                return r;
        o->s.record = build_record(m, &o->s.info, nonce);
        if (!o->s.record)
                return fail(o->e, -ENOMEM, "internal", "out of memory");
        SHA256((const unsigned char *)o->s.record, strlen(o->s.record), digest);
        r = CARD(o, p11_card_sign(o->s.card, P11_ROLE_AUTH, digest, NULL, 0, o->s.sig, sizeof(o->s.sig)));
        if (r < 0)
                return p11_fail(m, o->s.card, o->ri.name, o->ri.insertion, "the signature", o->e);
        o->s.sig_len = (size_t)r;
        r = trust_verify_signature(o->cert->der, o->cert->der_len, o->s.record, strlen(o->s.record), o->s.sig,
                                   o->s.sig_len, &te);
        if (r < 0)
                return fail(o->e, r, "bad_signature",
                            "the CPS card's signature does not verify with its certificate: the card is not trusted");
        return 0;
}

/* Stores live session s in a free slot unless another session holds its
 * card (-EBUSY) or the table is full (-EUSERS); on success s is moved
 * (wiped here) and *ret describes it.  Professional and patient sessions
 * alike. */
static int session_store(struct session_manager *m, struct session *s, bool check_busy,
                         struct session_info *ret) {
        int r = 0;
        pthread_mutex_lock(&m->lock);
        struct session *slot = free_slot(m);
        if (check_busy && card_in_use(m, s->info.reader, s->info.insertion))
                r = -EBUSY;
        else if (!slot)
                r = -EUSERS;
        else {
                *slot = *s;
                secure_zero(s, sizeof(*s)); /* ownership moved */
                *ret = slot->info;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

/* Step 6: live.  Stored unless the card got another session meanwhile. */
static int open_register(struct session_manager *m, struct opening *o, struct session_info *ret) {
        o->s.info.card_us = (unsigned)o->card_us;
        o->s.info.total_us = (unsigned)(mono_us() - o->t_start);
        SHA256(o->secret, sizeof(o->secret), o->s.token_hash);
        int r = session_store(m, &o->s, true, ret);
        if (r == -EBUSY)
                return fail(o->e, r, "session_exists", "a session is already open on the CPS card in %s", o->ri.name);
        if (r == -EUSERS)
                return fail(o->e, r, "too_many_sessions", "%d sessions are open: close one first", SESSIONS_MAX);
        return r;
}

/* The steps of an opening, in order (open_lock held). */
static int open_steps(struct session_manager *m, struct opening *o, const char *reader, const char *pin,
                      size_t pin_len, uid_t uid, struct session_info *ret) {
        int r = open_find_card(m, o, reader);
        if (r >= 0)
                r = open_read_card(m, o, pin);
        if (r >= 0)
                r = open_check_cert(m, o);
        if (r >= 0)
                r = open_login(m, o, pin, pin_len);
        if (r >= 0)
                r = open_sign(m, o, uid);
        if (r >= 0)
                r = open_register(m, o, ret);
        return r;
}

int sessions_open(struct session_manager *m, const char *reader, const char *pin, size_t pin_len,
                  uid_t uid, struct session_info *ret, char token[SESSION_TOKEN_LEN + 1],
                  struct session_error *e) {
        memset(e, 0, sizeof(*e));
        e->tries_left = -1;
        (void)strcpy_bounded(e->code, sizeof(e->code), "ok");
        if (!m->module)
                return fail(e, -EHOSTDOWN, "pkcs11_unavailable", "the PKCS#11 module could not be loaded: %s",
                            strerror(-m->module_err));
        if (!m->trust)
                return fail(e, -EHOSTDOWN, "trust_unavailable", "no trust anchors are loaded: %s",
                            strerror(-m->trust_err));

        struct opening *o = calloc(1, sizeof(*o));
        if (!o)
                return fail(e, -ENOMEM, "internal", "out of memory");
        *o = (struct opening){.s.live = true, .t_start = mono_us(), .e = e};
        pthread_mutex_lock(&m->open_lock);
        /* sessions that are over end first: their card may be this one */
        (void)sweep_held(m);
        int r = open_steps(m, o, reader, pin, pin_len, uid, ret);
        if (r >= 0) {
                /* the token is the secret; only its hash stays here */
                hex_encode(o->secret, sizeof(o->secret), token);
                report(&m->cfg.reporter, &(struct report){.event = "session-opened", .session = ret->id,
                                                          .reader = ret->reader,
                                                          .detail = p11_card_type_to_string(ret->who.card_type),
                                                          .caller = true, .uid = uid});
                /* wakes the sweeper too: a card that left during the last
                 * steps ends the session at once */
                events_push(m->events, EVENT_SESSION_STARTED, ret->reader, ret->id);
                r = 0;
        }
        p11_card_close(o->s.card);
        free(o->s.record);
        pthread_mutex_unlock(&m->open_lock);
        secure_zero(o, sizeof(*o));
        free(o);
        return r;
}

/* What a lookup compares sessions with: the readers and the time, taken
 * before the table is locked. */
struct lookup_view {
        struct reader_snapshot snap;
        time_t now;
};

static void view_now(struct session_manager *m, struct lookup_view *v) {
        monitor_snapshot(m->mon, &v->snap);
        v->now = now_of(m);
}

/* Is slot s a session that may be used now? */
static bool usable(const struct session_manager *m, const struct session *s, const struct lookup_view *v) {
        return s->live && !session_over(m, s, &v->snap, v->now);
}

/* The usable session whose token hashes to h, or NULL (lock held). */
static struct session *by_token(struct session_manager *m, const char *token, const struct lookup_view *v) {
        uint8_t secret[32], h[32];
        if (!token || strlen(token) != SESSION_TOKEN_LEN)
                return NULL;
        if (hex_parse(token, sizeof(secret), secret) < 0) {
                secure_zero(secret, sizeof(secret));
                return NULL;
        }
        SHA256(secret, sizeof(secret), h);
        secure_zero(secret, sizeof(secret));
        struct session *found = NULL;
        for (size_t i = 0; i < SESSIONS_MAX; i++)
                /* constant-time compare: the token is a secret */
                if (m->sessions[i].live && CRYPTO_memcmp(m->sessions[i].token_hash, h, sizeof(h)) == 0)
                        found = &m->sessions[i];
        return found && usable(m, found, v) ? found : NULL;
}

/* The usable session id, or NULL (lock held).  *r gets -ENOENT when there
 * is none, -EPERM when it belongs to another uid than uid (uid -1: any),
 * 0 otherwise. */
static struct session *by_id(struct session_manager *m, const char *id, uid_t uid, const struct lookup_view *v,
                             int *r) {
        for (size_t i = 0; id && i < SESSIONS_MAX; i++) {
                struct session *s = &m->sessions[i];
                if (!usable(m, s, v) || strcmp(s->info.id, id) != 0)
                        continue;
                *r = uid != (uid_t)-1 && s->info.uid != uid ? -EPERM : 0;
                return *r == 0 ? s : NULL;
        }
        *r = -ENOENT;
        return NULL;
}

int sessions_lookup(struct session_manager *m, const char *token, uid_t uid, struct session_info *ret) {
        struct lookup_view v;
        int r = -ENOENT;
        view_now(m, &v);
        pthread_mutex_lock(&m->lock);
        struct session *s = by_token(m, token, &v);
        if (s && s->info.uid != uid)
                r = -EPERM;
        else if (s) {
                s->info.last_used = v.now;
                *ret = s->info;
                r = 0;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

/* Takes out the patient sessions that a new one for ins replaces: same
 * uid, same card insertion, same INS (lock held). */
static void take_replaced(struct session_manager *m, const struct session *n, struct endings *ends) {
        for (size_t i = 0; i < SESSIONS_MAX; i++) {
                struct session *o = &m->sessions[i];
                if (o->live && o->info.kind == SESSION_PATIENT && o->info.uid == n->info.uid &&
                    o->info.insertion == n->info.insertion && strcmp(o->info.reader, n->info.reader) == 0 &&
                    strcmp(o->info.ins, n->info.ins) == 0)
                        session_take(o, "replaced", ends);
        }
}

/* The patient session is as strong as the secret and the card together:
 * the secret was checked by the caller against the dossier, the card is
 * checked here to still be the same insertion, and the session dies with
 * it.  No card signature: a Vitale card has no key carnet may use. */
int sessions_open_patient(struct session_manager *m, const char *reader, uint64_t insertion, const char *ins,
                          const char *representative, uid_t uid, struct session_info *ret,
                          char token[SESSION_TOKEN_LEN + 1]) {
        struct reader_snapshot snap;
        struct session s = {.live = true};
        struct endings ends = {0};
        uint8_t rnd[16], secret[32];

        if (!reader || !ins || strlen(ins) >= sizeof(s.info.ins) || strlen(reader) >= sizeof(s.info.reader) ||
            (representative && strlen(representative) >= sizeof(s.info.representative)))
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
        if (representative)
                (void)strcpy_bounded(s.info.representative, sizeof(s.info.representative), representative);
        s.info.who.card_type = P11_CARD_UNKNOWN;
        hex_encode(rnd, sizeof(rnd), s.info.id);
        s.info.uid = uid;
        (void)strcpy_bounded(s.info.workstation, sizeof(s.info.workstation), m->workstation);
        s.info.opened_at = s.info.last_used = now_of(m);
        SHA256(secret, sizeof(secret), s.token_hash);

        pthread_mutex_lock(&m->lock);
        take_replaced(m, &s, &ends);
        pthread_mutex_unlock(&m->lock);
        sessions_finish(m, &ends); /* patient sessions hold no card handle */
        int r = session_store(m, &s, false, ret);
        if (r == 0) {
                hex_encode(secret, sizeof(secret), token);
                /* the INS is personal data: the log names the session only */
                report(&m->cfg.reporter, &(struct report){.event = "patient-session-opened", .session = ret->id,
                                                          .reader = ret->reader, .caller = true, .uid = uid});
                /* wakes the sweeper too: the card may have left meanwhile */
                events_push(m->events, EVENT_SESSION_STARTED, ret->reader, ret->id);
        }
        secure_zero(secret, sizeof(secret));
        secure_zero(&s, sizeof(s));
        return r;
}

int sessions_set_mode(struct session_manager *m, const char *id, uid_t uid, enum session_mode mode,
                      enum session_practice practice, const char *reason, struct session_info *ret) {
        struct lookup_view v;
        int r;

        if (!id || (unsigned)mode >= _SESSION_MODE_MAX || (unsigned)practice >= _SESSION_PRACTICE_MAX ||
            (reason && strlen(reason) >= SESSION_REASON_MAX))
                return -EINVAL;
        view_now(m, &v);
        pthread_mutex_lock(&m->lock);
        struct session *s = by_id(m, id, uid, &v, &r);
        if (s && s->info.kind != SESSION_PROFESSIONAL)
                r = -EINVAL;
        else if (s) {
                s->info.mode = mode;
                s->info.practice = practice;
                (void)strcpy_bounded(s->info.reason, sizeof(s->info.reason), reason ? reason : "");
                s->info.last_used = v.now;
                if (ret)
                        *ret = s->info;
        }
        pthread_mutex_unlock(&m->lock);
        return r;
}

int sessions_reload_crls(struct session_manager *m) {
        if (!m->trust || !m->crl_path[0])
                return 0;
        pthread_mutex_lock(&m->open_lock); /* openings use the store */
        int r = trust_store_refresh_crls(m->trust, true, NULL);
        crl_loaded(m, r, true);
        pthread_mutex_unlock(&m->open_lock);
        return r < 0 ? r : 0;
}

/* Ends session id of uid for why; the host's side too when tell_host. */
static int session_end(struct session_manager *m, const char *id, uid_t uid, const char *why, bool tell_host) {
        struct lookup_view v;
        struct endings ends = {0};
        int r;

        /* a card conversation: after the logout no login may meet it */
        pthread_mutex_lock(&m->open_lock);
        view_now(m, &v);
        pthread_mutex_lock(&m->lock);
        struct session *s = by_id(m, id, uid, &v, &r);
        if (s)
                session_take(s, why, &ends);
        if (s && !tell_host)
                secure_zero(ends.e[0].host_token, sizeof(ends.e[0].host_token));
        pthread_mutex_unlock(&m->lock);
        sessions_finish(m, &ends);
        pthread_mutex_unlock(&m->open_lock);
        return r;
}

int sessions_close(struct session_manager *m, const char *id, uid_t uid) {
        return session_end(m, id, uid, "logout", true);
}

int sessions_host_ended(struct session_manager *m, const char *id, uid_t uid) {
        return session_end(m, id, uid, "host_session_ended", false);
}

/* session-private.h */
int sessions_with(struct session_manager *m, const char *id, int (*fn)(struct session *s, void *arg), void *arg) {
        struct lookup_view v;
        int r;
        view_now(m, &v);
        pthread_mutex_lock(&m->lock);
        struct session *s = by_id(m, id, (uid_t)-1, &v, &r);
        if (s)
                r = fn(s, arg);
        pthread_mutex_unlock(&m->lock);
        return r;
}

int sessions_card_ready(struct session_manager *m, const char *reader, unsigned timeout_ms,
                        struct p11_identity *ret_who, uint64_t *ret_insertion, unsigned ret_us[2]) {
        struct reader_snapshot snap;
        monitor_snapshot(m->mon, &snap);
        return card_cache_ready(m->cache, &snap, reader, timeout_ms, ret_who, ret_insertion, ret_us);
}

size_t sessions_cards_read(struct session_manager *m) {
        return card_cache_count(m->cache);
}

size_t sessions_count(struct session_manager *m) {
        size_t n = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < SESSIONS_MAX; i++)
                n += m->sessions[i].live;
        pthread_mutex_unlock(&m->lock);
        return n;
}
