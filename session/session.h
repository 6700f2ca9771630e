/* session/session.h: professional sessions opened by a CPS card that has
 * proved itself.
 *
 * Opening a session: find the CPS card (monitor), refuse a second session on
 * the same card, take its token and certificates as read through PKCS#11
 * at its insertion (the manager's thread reads each CPS card the monitor
 * reports, card-cache.h; read now when that has not happened), verify the
 * authentication certificate's chain, dates and key usage against the trust
 * anchors (before any PIN is spent on an untrusted card), take the
 * identity from that verified certificate (refusing a PKCS#11 helper that
 * said another: identity_mismatch), verify the PIN on
 * the card (the caller's buffer is used in place, never copied or logged),
 * build a canonical session record (session id, national id, card serial,
 * certificate fingerprint, workstation, caller uid, time, fresh nonce),
 * have the card sign its SHA-256 with the authentication key, and verify
 * that signature with OpenSSL against the certificate.  Only then is the
 * session live; the signed record is kept for the audit trail.
 *
 * A session is bound to the uid that opened it and to one insertion of one
 * card; it ends when that card leaves, on logout, or after the idle timeout.
 * Callers hold a secret token (64 hex characters) that names the session;
 * the session id itself is public (it appears in the audit trail).
 *
 * A patient session (self-service) is opened by the API once the patient
 * has proved their dossier secret with their Carte Vitale inserted: it is
 * bound to the uid and to that insertion of the Vitale card, and ends like
 * the others (card removed, logout, idle).  Professional sessions carry an
 * access mode (normal, emergency with a stated reason, call centre) that
 * every request made with them records; patient sessions are always in
 * normal mode.
 *
 * Locking: the table has one lock, held only to read or change entries,
 * never over a card or PKCS#11 call.  Card conversations (an opening, and
 * closing the card handle of a session that ends) take an opening-only
 * lock instead, one at a time, so that a logout never meets the next
 * login on the same card; lookups never take it.  The request-path
 * functions (sessions_lookup, sessions_set_mode, sessions_record) only
 * look: a session whose card left or that was idle too long is not found
 * by them, and the sweeper thread ends it (closes its card handle, wipes
 * it, reports "session-ended" and pushes EVENT_SESSION_ENDED). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "reader/events.h"
#include "reader/monitor.h"
#include "pkcs11/p11-identity.h"
#include "reader/readers.h"
#include "lib/report.h"
#include "trust.h"

#define SESSIONS_MAX 32
#define SESSION_ID_LEN 32    /* hex characters */
#define SESSION_TOKEN_LEN 64 /* hex characters */
#define SESSION_REASON_MAX 256 /* stated reason of an emergency access, with NUL */
#define SESSION_INS_SIZE 16    /* a patient's INS (15 characters) and NUL */
#define SESSION_NONCE_MAX 65   /* a record's nonce (64 hex characters) and NUL */
#define SESSION_HOST_TOKEN_LEN 64 /* a dossier host's token (docs/agent.md) */

enum session_kind {
        SESSION_PROFESSIONAL,
        SESSION_PATIENT,
};

/* How a professional session is used; the API hands it to the engine. */
enum session_mode {
        SESSION_MODE_NORMAL,
        SESSION_MODE_EMERGENCY,   /* bris de glace: a reason is stated */
        SESSION_MODE_CALL_CENTRE, /* centre 15 regulating doctor */
        _SESSION_MODE_MAX,
};

/* In what capacity a professional session acts, declared by its user with
 * the mode: care (the default), occupational or fire-service medicine
 * (access only with the patient's express consent), or for an insurer,
 * a complementary insurer, a bank or an employer (never allowed). */
enum session_practice {
        SESSION_PRACTICE_CARE,
        SESSION_PRACTICE_OCCUPATIONAL,
        SESSION_PRACTICE_FIRE_SERVICE,
        SESSION_PRACTICE_INSURER,
        SESSION_PRACTICE_COMPLEMENTARY_INSURER,
        SESSION_PRACTICE_BANK,
        SESSION_PRACTICE_EMPLOYER,
        _SESSION_PRACTICE_MAX,
};

struct session_config {
        const char *module_path;  /* PKCS#11 module; NULL: OpenSC's */
        const char *trust_path;   /* PEM file or folder of trust anchors */
        /* revocation lists (file or folder); NULL: none checked.  Set, every
         * card's issuing CA needs a current CRL signed by an anchor, read
         * again when the files change and on sessions_reload_crls(). */
        const char *crl_path;
        enum trust_crl_stale crl_stale; /* a CRL past its nextUpdate: refuse (default) or use */
        const struct p11_map *map; /* certificate → identity; NULL: default */
        unsigned idle_timeout_s;  /* a session unused this long ends */
        const char *workstation;  /* this machine's name, in the record */
        /* the establishment of sessions whose certificate names none
         * (identity.organisation); NULL or "": none (docs/rules.md §3) */
        const char *establishment;
        /* the clock; NULL: time(NULL).  Tests move time forward. */
        time_t (*now)(void);
        /* Where the record's "nonce" comes from; NULL: 16 random bytes.  An
         * agent of a dossier host asks the host for a challenge here
         * (docs/agent.md).  Writes at most SESSION_NONCE_MAX bytes with the
         * NUL; a negative errno fails the opening before the card signs
         * (-EHOSTUNREACH host_unreachable, -ETIMEDOUT host_timeout, -EBADMSG
         * host_bad_reply, -EACCES workstation_refused, others
         * nonce_unavailable). */
        int (*nonce)(void *userdata, char ret[SESSION_NONCE_MAX]);
        void *nonce_userdata;
        /* Called for each session that ends (logout, card removed, idle,
         * shutdown) and held a dossier host's token, once its card handle
         * is closed, outside the table lock: an agent ends the host's side
         * there.  NULL: nothing.  The token is wiped afterwards. */
        void (*ended)(void *userdata, const char *host_token);
        void *ended_userdata;
        struct reporter reporter; /* what happened, for the program to log */
};

struct session_info {
        char id[SESSION_ID_LEN + 1];
        char reader[READER_NAME_MAX];
        uint64_t insertion;
        struct p11_identity who;
        char card_serial[17];
        char cert_sha256[65];
        uid_t uid;
        time_t opened_at;
        time_t last_used;
        /* how long the opening took: in PKCS#11 calls (the card), in all */
        unsigned card_us, total_us;
        enum session_kind kind;
        char ins[SESSION_INS_SIZE];        /* patient sessions: whose; "" otherwise */
        /* patient sessions opened by a legal representative: their own
         * INS (docs/rules.md §3); "" when the patient acts */
        char representative[SESSION_INS_SIZE];
        enum session_mode mode;            /* professional sessions; normal by default */
        char reason[SESSION_REASON_MAX];   /* stated with the mode ("" when none) */
        enum session_practice practice;    /* professional sessions; care by default */
        /* the certificate's organisation, else the configured one; "" none */
        char establishment[128];
        /* the workstation the session acts from (the dossier host: the TLS
         * client's CN; carnetd: its configured name); "" none */
        char workstation[64];
};

/* The longest code of a session_error, with its NUL: any code of trust.c,
 * nonce.h and the PKCS#11 layer (a PKCS#11 helper's reply holds at most
 * 31 characters, p11remote/p11-wire.h P11W_CODE_MAX). */
#define SESSION_CODE_MAX 32

/* Why an operation failed, for the API: a stable code, words for people,
 * and the PIN tries left when the card says (-1: unknown).  The code is
 * the error's own copy: what it came from (a card handle holding a PKCS#11
 * helper's reply) is gone once the opening ends. */
struct session_error {
        int err;
        char code[SESSION_CODE_MAX];
        char message[256];
        int tries_left;
        /* for the trail, when the card's certificate was read and refused:
         * its SHA-256 (hex), and its national id when its chain verified
         * (trust_error.issued: expired, revoked, wrong usage, identity
         * mismatch; "" for a certificate that does not lead to an anchor,
         * whose subject anyone could have written); both "" otherwise */
        char cert_sha256[65];
        char national_id[32];
};

struct session_manager;

/* Loads the PKCS#11 module and the trust anchors.  A module or anchor that
 * cannot be loaded is not fatal: opening a session then fails with a clear
 * error (code "pkcs11_unavailable" / "trust_unavailable") until a restart. */
int sessions_new(const struct session_config *cfg, struct monitor *mon, struct event_queue *q,
                 struct session_manager **ret);
void sessions_free(struct session_manager *m);

/* Opens a session on the CPS card in reader (NULL: the first CPS found).
 * pin may be NULL on a PIN pad reader.  On success *ret holds the session
 * and token its secret (NUL-terminated). */
int sessions_open(struct session_manager *m, const char *reader, const char *pin, size_t pin_len,
                  uid_t uid, struct session_info *ret, char token[SESSION_TOKEN_LEN + 1],
                  struct session_error *err);

/* Finds the live session of token for uid and marks it used.  -ENOENT: no
 * such session (never opened, or ended: logout, card removed, idle);
 * -EPERM: it belongs to another uid.  Never ends a session, never calls
 * the card: one that is over is simply not found. */
int sessions_lookup(struct session_manager *m, const char *token, uid_t uid,
                    struct session_info *ret);

/* Opens a patient session for the holder of ins, whose secret the caller
 * has just verified, bound to uid and to the Vitale card that is in reader
 * as insertion number `insertion` (-ENODEV when that card is no longer
 * there).  A patient session of the same uid on the same card insertion
 * for the same INS is replaced (its token is lost to the client that asks
 * again).  -EUSERS when SESSIONS_MAX sessions are open.  representative,
 * when not NULL, is the INS of the legal representative who opened it for
 * ins (the caller has checked their standing). */
int sessions_open_patient(struct session_manager *m, const char *reader, uint64_t insertion, const char *ins,
                          const char *representative, uid_t uid, struct session_info *ret,
                          char token[SESSION_TOKEN_LEN + 1]);

/* Sets the access mode and the practice of professional session id for
 * uid; reason is copied (NULL: none).  -ENOENT, -EPERM as for
 * sessions_lookup; -EINVAL for a patient session, a mode or practice out of
 * range or a reason too long. */
int sessions_set_mode(struct session_manager *m, const char *id, uid_t uid, enum session_mode mode,
                      enum session_practice practice, const char *reason, struct session_info *ret);

/* Reads the revocation lists again (SIGHUP); the lists in use stay when
 * the new ones do not read.  0 or a negative errno; 0 without a CRL path. */
int sessions_reload_crls(struct session_manager *m);

/* Ends session id for uid (logout): closes its card handle before it
 * returns (under the opening-only lock).  -ENOENT, -EPERM as above. */
int sessions_close(struct session_manager *m, const char *id, uid_t uid);

/* Ends session id for uid as sessions_close() does, because the dossier
 * host already ended its side (agent mode: the host answered 401
 * no_session, the session idle there past its session_idle_s): reported
 * and pushed with the reason "host_session_ended", and the host is not
 * told (session_config.ended is not called).  -ENOENT, -EPERM as above. */
int sessions_host_ended(struct session_manager *m, const char *id, uid_t uid);

/* The signed record of a live professional session (malloc'ed copies);
 * -ENOENT as for sessions_lookup, -ENODATA for a patient session, which
 * has none. */
int sessions_record(struct session_manager *m, const char *id, char **ret_record,
                    uint8_t **ret_sig, size_t *ret_sig_len);

/* The authentication certificate (DER, a malloc'ed copy) of live
 * professional session id; -ENOENT, -ENODATA as for sessions_record. */
int sessions_auth_cert(struct session_manager *m, const char *id, uint8_t **ret_der, size_t *ret_len);

/* The dossier host's token that live session id maps to (agent mode,
 * docs/agent.md): set once the host opened its side, kept with the session
 * and wiped when it ends.  set: -ENOENT, -EINVAL (not 64 characters).
 * get: -ENOENT, -ENODATA when none was set. */
int sessions_set_host_token(struct session_manager *m, const char *id, const char *token);
int sessions_host_token(struct session_manager *m, const char *id, char ret[SESSION_HOST_TOKEN_LEN + 1]);

/* Ends the sessions whose card left or that were idle too long; called by
 * the manager's own thread every second and on every event (events.h).
 * Takes them out of the table under its lock, then closes their card
 * handles with only the opening-only lock held.  Returns how many ended. */
size_t sessions_sweep(struct session_manager *m);

size_t sessions_count(struct session_manager *m);

/* The identity of the CPS card now in reader, as read through PKCS#11 at
 * its insertion (session/card-cache.h): waits up to timeout_ms for that
 * read.  0 with the identity, the insertion it belongs to and, when
 * ret_us is not NULL, the read's PKCS#11 time and the part of it spent
 * finding the token (C_GetSlotList ... C_GetTokenInfo); -ENODEV when the reader holds no CPS card, -ETIMEDOUT, or
 * the read's -errno.  Card data only: an opening still verifies the
 * certificate against the anchors and CRLs of the moment. */
int sessions_card_ready(struct session_manager *m, const char *reader, unsigned timeout_ms,
                        struct p11_identity *ret_who, uint64_t *ret_insertion, unsigned ret_us[2]);
/* How many CPS cards are held read at insertion (card handles kept for
 * the next opening; dropped when their card leaves). */
size_t sessions_cards_read(struct session_manager *m);
