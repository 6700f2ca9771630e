/* engine/dossier.h: the dossier engine: lifecycle, documents, the
 * patient's controls, notifications and care-coordination alerts.
 *
 * Every public operation that names a dossier runs in one write
 * transaction: it loads the facts, asks access_decide(), appends an audit
 * entry for the decision (allowed or denied), performs the action and the
 * notifications it implies, and commits. A denial is committed too (its
 * trail entry must survive) and returns -EACCES, or -ENOENT when the
 * dossier or document does not exist; dossier_last_decision() then gives
 * the reason code. Malformed input (bad INS, invalid UTF-8, oversized text)
 * is refused with -EINVAL or -E2BIG before any decision and is not audited.
 *
 * The engine owns one mutex: every public function takes it itself, so
 * an engine may be shared by threads with no lock of the caller's. The
 * patient secret's scrypt runs outside it.  dossier_list() and
 * dossier_read() first decide on a read connection's snapshot, off the
 * mutex, their trail entries committed together with others; the rules,
 * the trail and the answers are those of the call under the mutex
 * (docs/dossier-engine.md, "Reads off the mutex").
 *
 * Time comes from the configured clock so that tests of the 2-week,
 * 1-month and 10-year rules do not sleep. No HTTP, no PC/SC in here. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "audit.h"
#include "interactions.h"
#include "rights.h"
#include "store.h"

#define DOSSIER_UID_SIZE 33            /* 32 hex characters */
#define DOSSIER_SECRET_SIZE 20         /* "XXXX-XXXX-XXXX-XXXX" + NUL */
#define DOSSIER_CODE_MAX 64            /* codes, ids: bytes including NUL */
#define DOSSIER_TEXT_MAX 256           /* names, institution, MIME type */
#define DOSSIER_TITLE_MAX 4096         /* a longer title is refused, -E2BIG */
#define DOSSIER_CONTENT_MAX (16u * 1024 * 1024)
#define DOSSIER_MEDICINES_MAX 32       /* substance codes per prescription */
#define DOSSIER_WARNINGS_MAX 16

/* The rules' durations (docs/rules.md §3, §4).  Weeks are fixed; months
 * and years are calendar ones, counted on the civil date in Paris
 * (lib/civil-time.h: the same time of day, the day brought back to the
 * month's last when the month is shorter). */
#define DOSSIER_DAY INT64_C(86400)
#define DOSSIER_HOLD_NOTIFY (14 * DOSSIER_DAY)     /* 2 weeks: patient told to consult */
#define DOSSIER_HOLD_MONTHS 1                      /* 1 calendar month: visible */
#define DOSSIER_RETENTION_MONTHS (10 * 12)         /* 10 calendar years after closure */
#define DOSSIER_FIRST_SEARCH_MONTHS (2 * 12)       /* first search: acts of the last 2 calendar years */

/* Type codes of exams for the duplicate-exam alert, when not configured. */
#define DOSSIER_DEFAULT_EXAM_TYPES { "11502-2", "18748-4" }

/* Told, once the operation committed and is on disk (after the engine's
 * mutex is let go, before the call returns), of each notification it wrote: only
 * its kind ("emergency-access", "first-access", "hold-consult"), never who
 * or what, so that it can go on the workstation's event stream. */
typedef void (*dossier_notification_hook)(void *userdata, const char *kind);

struct dossier_config {
        const char *path;                          /* SQLite file, or a libpq conninfo (store.h) */
        const struct rights_table *rights;         /* borrowed, required */
        const struct interactions *interactions;   /* borrowed, may be NULL */
        int64_t duplicate_window;                  /* seconds; 0: 30 days */
        int64_t treatment_window;                  /* seconds; 0: 90 days */
        const char *const *exam_types;             /* NULL-terminated; NULL: default */
        uint64_t scrypt_n;                         /* 0: 32768 */
        uint32_t scrypt_r;                         /* 0: 8 */
        uint32_t scrypt_p;                         /* 0: 1 */
        int64_t (*clock)(void *userdata);          /* NULL: time(NULL) */
        void *clock_userdata;
        dossier_notification_hook on_notification; /* may be NULL */
        void *on_notification_userdata;
};

struct dossier_engine;

int dossier_engine_open(const struct dossier_config *cfg, struct dossier_engine **ret);
struct dossier_engine *dossier_engine_close(struct dossier_engine *e);
static inline void dossier_engine_closep(struct dossier_engine **e) {
        if (*e)
                dossier_engine_close(*e);
}
#define _cleanup_dossier_engine_ __attribute__((cleanup(dossier_engine_closep)))

/* The engine's store, for tests and tools: used beside the engine, it is
 * not covered by the engine's lock (the API uses dossier_audit_verify). */
struct store *dossier_engine_store(struct dossier_engine *e);
/* For tests and benchmarks: the writer's group commits so far (SQLite
 * with group commit: the calls writing at once share one transaction),
 * and the calls that waited for one; 0 and 0 elsewhere. */
void dossier_engine_group_counts(struct dossier_engine *e, uint64_t *ret_commits, uint64_t *ret_calls);
/* Verifies the whole trail's hash chain and reads its head, under the
 * engine's lock so that no write lands half-way: returns 0 when intact,
 * -EBADMSG when broken (*ret_bad_seq and msg say where and why), another
 * negative errno when the store fails.  *ret_head_seq and ret_head get
 * the last entry (0 and zeros for an empty trail) whenever the head could
 * be read. */
int dossier_audit_verify(struct dossier_engine *e, int64_t *ret_bad_seq, char *msg, size_t msg_size,
                         int64_t *ret_head_seq, uint8_t ret_head[AUDIT_HASH_LEN]);
/* The engine's clock (the configured one, else time(NULL)): what callers
 * that write trail entries beside the engine must use. */
int64_t dossier_engine_now(struct dossier_engine *e);
/* Swaps the rights and interaction tables (SIGHUP reload); the caller
 * keeps ownership of both and frees the old ones once no call can use
 * them (the swap itself runs under the engine lock, so a call in progress
 * finishes with the old tables). rights is required. */
int dossier_engine_set_tables(struct dossier_engine *e, const struct rights_table *rights,
                              const struct interactions *interactions);

/* Bulk loading (imports, the benchmark generator in bench/): between
 * dossier_batch_begin() and dossier_batch_commit() every operation runs
 * exactly as usual (checks, decision, trail entry, notifications, alerts)
 * but inside a SAVEPOINT of one outer transaction instead of a transaction
 * of its own, so that thousands of operations share one commit and one
 * fsync. An operation that fails is undone alone and the batch goes on.
 * The price is durability: nothing is acknowledged as durable before
 * dossier_batch_commit() returns 0, a crash loses the whole batch, and the
 * write lock is held throughout. Not for interactive use, and not to be
 * mixed with other threads' calls: the engine's mutex is taken per call,
 * so another thread's operation would join the batch, answered before it
 * is durable and undone with it.  No route uses one: what a request needs
 * done all or nothing is one call (dossier_create_with_consent(),
 * dossier_set_access_many()). */
int dossier_batch_begin(struct dossier_engine *e);
int dossier_batch_commit(struct dossier_engine *e);
void dossier_batch_rollback(struct dossier_engine *e);

/* The decision behind the calling thread's last call on e (its
 * -EACCES/-ENOENT, or its success): kept per thread, so other threads'
 * calls in between do not change it, and no outer lock is needed. A call
 * refused before any decision (-EINVAL...) leaves it as it was; a thread
 * that has made no call on e gets an all-zero decision. */
const struct access_decision *dossier_last_decision(const struct dossier_engine *e);

/* Durability.  Every call returns only once what it wrote, and everything
 * it could have read, is on disk (group commit on SQLite, store.h): its
 * trail entry is durable before anything it answers leaves carnetd.  If
 * that last sync fails (a disk error: final, the store then refuses every
 * write), the call's own return value cannot say so: this returns the
 * calling thread's first such error since it last asked (-EIO...), and 0
 * when there was none; a caller about to answer must ask, and answer with
 * an error instead.  api_invoke() does for every route. */
int dossier_durability_error(void);
/* The same for a commit that failed after the call returned its result
 * (SQLite's group commit: the calls writing at once share one
 * transaction, and a failed COMMIT, or a transaction SQLite rolled back
 * by itself on a full disk or an I/O error, undoes them all): nothing of
 * the call was kept, the store is as it was and takes the next writes.
 * The calling thread's first such error since it last asked, 0 when
 * none; a caller about to answer must ask too (api_invoke() does). */
int dossier_commit_error(void);

/* Who is asking, and in which mode. For a patient, id is their INS and
 * the caller has checked their secret (dossier_verify_secret). */
struct dossier_actor {
        enum access_actor_kind kind;
        const char *id;              /* idNat_PS, or INS for a patient */
        const char *profession;      /* TRE_G15 */
        const char *specialty;
        const char *last_name;
        const char *first_name;
        const char *institution;
        /* the session's establishment (certificate or configuration); a
         * masked document stays visible to its depositor's establishment */
        const char *establishment;
        enum access_card card;
        enum access_practice practice; /* occupational, fire service: express consent, recorded */
        enum access_mode mode;
        const char *reason;          /* mandatory in emergency mode */
        const char *session;
        /* the workstation the request came through (a host's client
         * certificate name); NULL or "": none. Written to the trail. */
        const char *workstation;
};

struct dossier_identity {
        const char *ins;             /* NIR, 15 characters, valid key */
        const char *ins_oid;         /* 1.2.250.1.213.1.4.8, or .10 for test NIRs */
        const char *birth_name;
        const char *first_names;
        const char *birth_date;      /* YYYY-MM-DD */
        const char *sex;             /* M, F or U */
        const char *birth_place;     /* INSEE code */
};

/* Opens a dossier. consent must reflect the patient's recorded consent.
 * On success writes the patient secret (shown once, on the receipt) to
 * ret_secret; only its salted scrypt hash is stored. A destroyed dossier's
 * tombstone is reopened (its trail continues). */
int dossier_create(struct dossier_engine *e, const struct dossier_actor *actor, const struct dossier_identity *id,
                   bool consent, char ret_secret[DOSSIER_SECRET_SIZE]);

/* dossier_create() and dossier_record_consent() by the same professional
 * in one transaction: the dossier is opened with that professional's
 * authorisation, both or neither (POST /v1/dossiers).  One call of the
 * engine like any other (its mutex, the group commit: durable when it
 * returns), never a batch; the secret's scrypt runs before the mutex and
 * any transaction is taken.  A refused creation is committed (its trail
 * entry) and returned as dossier_create() returns it; a refused consent,
 * which the rules never give after an allowed creation, undoes both.
 * The actor must be a professional (-EINVAL). */
int dossier_create_with_consent(struct dossier_engine *e, const struct dossier_actor *actor,
                                const struct dossier_identity *id, bool consent,
                                char ret_secret[DOSSIER_SECRET_SIZE]);

/* 0 when secret is this dossier's, -EACCES when not, -ENOENT without an
 * open or closed dossier. Constant-time comparison. Each check, granted or
 * refused, appends a trail entry (action "verify-secret", actor the
 * patient, code allow-patient, deny-bad-secret or deny-no-dossier) and
 * sets dossier_last_decision(); an error writing it is returned as such
 * and never grants. */
#define DOSSIER_ACTION_VERIFY_SECRET "verify-secret"
int dossier_verify_secret(struct dossier_engine *e, const char *ins, const char *secret);

/* The brake on guessing patient secrets, kept in the store (table
 * attempts) so that every process on one database shares it: after
 * DOSSIER_ATTEMPTS_MAX wrong secrets in a row for a dossier (ins), its
 * secret is not even checked for DOSSIER_ATTEMPTS_LOCK_S seconds. The
 * scrypt cost and the Carte Vitale already slow a guesser down; this makes
 * a long run of guesses impossible. Times are the engine's clock.
 * check: 0 when ins may try now; -EBUSY while locked, with the seconds
 * left in *ret_retry_after (once the lock has run out, the count starts
 * afresh). failed: a wrong secret; 1 when this one locked the dossier.
 * succeeded: a right secret clears the count. Each runs in a write
 * transaction of its own (serialised with every other writer). */
#define DOSSIER_ATTEMPTS_MAX 5
#define DOSSIER_ATTEMPTS_LOCK_S 900
int dossier_attempts_check(struct dossier_engine *e, const char *ins, unsigned *ret_retry_after);
int dossier_attempts_failed(struct dossier_engine *e, const char *ins);
int dossier_attempts_succeeded(struct dossier_engine *e, const char *ins);

/* A dossier's status and administrative data.  The status and dates are
 * always given (a professional must know whether to open one), the
 * identity traits only when access_decide() lets the actor list the
 * dossier, the options only to the patient.  The decision (action "list")
 * is traced as "read-status"; no notification.  -EINVAL for a bad INS or
 * actor. */
#define DOSSIER_ACTION_READ_STATUS "read-status"
struct dossier_info {
        enum access_dossier_status status;  /* ABSENT when there is no row */
        bool traits_shown;                  /* the decision allowed the traits below */
        char ins_oid[DOSSIER_CODE_MAX];
        char birth_name[DOSSIER_TEXT_MAX];
        char first_names[DOSSIER_TEXT_MAX];
        char birth_date[DOSSIER_CODE_MAX];
        char sex[DOSSIER_CODE_MAX];
        char birth_place[DOSSIER_CODE_MAX];
        int64_t created_at, closed_at, destroyed_at;  /* 0: none */
        bool options_shown;                 /* the patient's own: opt-outs below */
        bool optout_emergency, optout_call_centre, notify;
        bool optout_heirs;                  /* the patient opposed their heirs' access after death */
        int64_t deceased_at;                /* when a doctor recorded the death; 0: none */
        struct access_decision decision;    /* of the "list" action */
};
int dossier_info(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                 struct dossier_info *ret);

int dossier_close(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins);
int dossier_reactivate(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins);
/* Patient's request: content purged, a tombstone (INS, dates) and the
 * trail kept. */
int dossier_destroy(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins);

/* Retention job: destroys dossiers closed for DOSSIER_RETENTION_MONTHS
 * calendar months (10 years). */
int dossier_purge_expired(struct dossier_engine *e, unsigned *ret_purged);

/* Hold job: notifies the patient of documents held back for 2 weeks and
 * releases those held back for 1 calendar month. Reads always apply the
 * 1-month rule even if this job has not run. */
int dossier_tick(struct dossier_engine *e, unsigned *ret_notified, unsigned *ret_released);

struct dossier_doc_meta {
        const char *type_code;       /* LOINC or local code */
        const char *class_code;      /* TRE_A03 */
        const char *format_code;
        const char *mime;
        const char *title;
        const char *institution;     /* author's */
        const char *role;
        const char *specialty;
        int64_t created_at;          /* act / exam time */
        bool hidden_from_patient;    /* held back until the announcement consultation */
        bool hidden_from_representatives; /* the minor's objection (L1111-5): never shown to them */
        const char *medicines;       /* prescriptions: comma-separated ATC codes, or NULL */
};

enum dossier_warning_kind {
        DOSSIER_WARN_DUPLICATE_EXAM,
        DOSSIER_WARN_INTERACTION,
};

struct dossier_warning {
        enum dossier_warning_kind kind;
        char other_uid[DOSSIER_UID_SIZE];   /* the earlier document involved */
        char detail[256];
};

struct dossier_warnings {
        unsigned n;
        bool truncated;
        struct dossier_warning w[DOSSIER_WARNINGS_MAX];
};

/* Deposits a document; ret_warnings (optional) receives the duplicate-exam
 * and interaction alerts, which never prevent the deposit. Returns after
 * the commit: an acknowledged deposit is durable. */
int dossier_deposit(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                    const struct dossier_doc_meta *meta, const void *content, size_t len,
                    char ret_uid[DOSSIER_UID_SIZE], struct dossier_warnings *ret_warnings);

/* New version of old_uid; the old one becomes deprecated. */
int dossier_replace(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                    const char *old_uid, const struct dossier_doc_meta *meta, const void *content, size_t len,
                    char ret_uid[DOSSIER_UID_SIZE], struct dossier_warnings *ret_warnings);

/* A deposit's content read from a file rather than memory (a body the
 * server spooled): len bytes of fd from offset 0, read with pread() in
 * pieces of 256 KiB, never the file offset moved.  Each piece is stored in
 * a short transaction of its own before the deposit's (other calls run
 * between them), and the deposit then refers to them; a failed or refused
 * deposit leaves none behind.  sha256 is the content's digest, taken as it
 * was received: the engine does not hash it again. */
struct dossier_content_file {
        int fd;
        size_t len;
        const uint8_t *sha256; /* 32 bytes */
};
int dossier_deposit_file(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                         const struct dossier_doc_meta *meta, const struct dossier_content_file *content,
                         char ret_uid[DOSSIER_UID_SIZE], struct dossier_warnings *ret_warnings);
int dossier_replace_file(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                         const char *old_uid, const struct dossier_doc_meta *meta,
                         const struct dossier_content_file *content, char ret_uid[DOSSIER_UID_SIZE],
                         struct dossier_warnings *ret_warnings);

int dossier_archive(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, const char *uid);
int dossier_set_masked(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, const char *uid,
                       bool masked);
/* The announcement consultation took place: visible to the patient. */
int dossier_release_hold(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                         const char *uid);

struct dossier_doc {
        char uid[DOSSIER_UID_SIZE];
        char type_code[DOSSIER_CODE_MAX];
        char class_code[DOSSIER_CODE_MAX];
        char format_code[DOSSIER_CODE_MAX];
        char mime[DOSSIER_TEXT_MAX];
        char title[DOSSIER_TITLE_MAX + 1];
        char author_id[DOSSIER_CODE_MAX];
        char institution[DOSSIER_TEXT_MAX];
        char establishment[DOSSIER_TEXT_MAX]; /* the depositing session's; "" none */
        char role[DOSSIER_TEXT_MAX];
        char specialty[DOSSIER_TEXT_MAX];
        char replaced_by[DOSSIER_UID_SIZE];
        int64_t created_at;
        int64_t deposited_at;
        int64_t size;
        uint8_t sha256[32];
        enum access_doc_status status;
        int version;
        int revision;       /* 1 at deposit, +1 at each change in place (masking, release or lapse of a hold,
                             * deprecation, archiving): a copy of the same revision is current */
        int64_t updated_at; /* the last of those changes, or the deposit */
        bool masked;
        bool hidden_from_patient;        /* effective, after the 1-month rule */
        bool warn_hidden_from_patient;   /* reader must show "not visible to the patient" */
        bool patient_deposit;            /* class 90: must be shown as such */
        bool hidden_from_representatives; /* deposited invisible to legal representatives */
};

#define DOSSIER_LIST_ALL_STATUSES (1u << 0) /* include deprecated and archived */
#define DOSSIER_LIST_FIRST_SEARCH (1u << 1) /* acts (created_at) of the last 2 calendar years, approved only */

/* The documents actor may see, newest first; *ret is malloc'ed. */
int dossier_list(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, unsigned flags,
                 struct dossier_doc **ret, size_t *ret_n);

/* The same list handed one document at a time, so that a caller keeps
 * only what it needs (a page) however large the dossier.  begin() is
 * called before the first document of each attempt: a list decided on a
 * snapshot whose trail entry then finds the state changed is made again
 * under the mutex, and begin() must forget what the earlier attempt
 * gave.  doc() returns 0 for the next document, 1 to stop, or a negative
 * errno that ends the call.  What the sink was given counts only once
 * the call returns 0: the access is then in the trail.
 *
 * after_uid (NULL: from the newest) starts the list after that document
 * of the dossier, in the list's order, whether or not actor may see it:
 * a page's last document is the next page's after_uid.  -ESRCH when the
 * dossier has no such document (the LIST decision is traced all the
 * same). */
struct dossier_list_sink {
        int (*begin)(void *data);
        int (*doc)(const struct dossier_doc *d, void *data);
        void *data;
};
int dossier_list_each(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, unsigned flags,
                      const char *after_uid, const struct dossier_list_sink *sink);

/* One document's metadata and content (checked against its SHA-256:
 * -EBADMSG if the stored content was altered). *ret_content is malloc'ed. */
int dossier_read(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, const char *uid,
                 struct dossier_doc *ret_doc, void **ret_content, size_t *ret_len);

/* The same decision and trail entry, the content then read piece by piece
 * rather than copied whole: a content deposited from a file is fetched
 * 256 KiB at a time, each piece in a short read of its own.
 * dossier_content_read() copies up to max bytes into buf and returns how
 * many, 0 at the end, or a negative errno: -EBADMSG when the content does
 * not match its size and SHA-256, which is known only as the last piece
 * is fetched (its bytes are then never given), so a caller that streams
 * the bytes on must not take them as good before the end.  A content
 * stored whole is copied and checked at the opening, as dossier_read()
 * does.  The reader holds no lock nor snapshot between calls; free it
 * with dossier_content_free(). */
struct dossier_content;
int dossier_read_open(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, const char *uid,
                      struct dossier_doc *ret_doc, struct dossier_content **ret);
long dossier_content_read(struct dossier_content *c, void *buf, size_t max);
int64_t dossier_content_size(const struct dossier_content *c);
/* Instead of dossier_content_read(): the whole content, read to its end
 * and checked, in one malloc'ed buffer (a content stored whole is handed
 * over, not copied). */
int dossier_content_take(struct dossier_content *c, void **ret, size_t *ret_len);
struct dossier_content *dossier_content_free(struct dossier_content *c);
static inline void dossier_content_freep(struct dossier_content **c) {
        dossier_content_free(*c);
}
#define _cleanup_dossier_content_ __attribute__((cleanup(dossier_content_freep)))

/* A professional records that the patient, informed, agreed: a user action
 * of that professional, never done by carnet on its own.  An actor whose
 * practice is occupational or fire-service medicine records the patient's
 * express consent instead (its sole basis of access, docs/rules.md §2),
 * traced as DOSSIER_ACTION_RECORD_EXPRESS_CONSENT; the patient's revocation
 * of that professional ends it. */
#define DOSSIER_ACTION_RECORD_EXPRESS_CONSENT "record-express-consent"
int dossier_record_consent(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins);

enum dossier_access_change {
        DOSSIER_ACCESS_AUTHORISE,
        DOSSIER_ACCESS_CARE_TEAM,
        DOSSIER_ACCESS_TRAITANT,
        DOSSIER_ACCESS_REVOKE,        /* back to no relation */
        DOSSIER_ACCESS_BLOCK,
        DOSSIER_ACCESS_UNBLOCK,
        DOSSIER_ACCESS_GRANT_MASKED,  /* the traitant's right to see masked documents */
        DOSSIER_ACCESS_REVOKE_MASKED,
        _DOSSIER_ACCESS_CHANGE_MAX,
};

/* Patient edits the list of professionals (authorise, block...). A
 * dossier has one médecin traitant: naming one makes the previous one an
 * authorised professional, in the same transaction. */
int dossier_set_access(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                       const char *id_nat, enum dossier_access_change change);

/* n changes (1 to _DOSSIER_ACCESS_CHANGE_MAX) of id_nat's line in one
 * transaction, in that order, each decided and traced as a
 * dossier_set_access() of its own: all of them, or none.  A refusal of
 * the first is committed (its trail entry) and returned; a later refusal
 * or an error undoes every change.  One call of the engine (its mutex,
 * the group commit), never a batch (PUT /v1/dossiers/{ins}/access/...). */
int dossier_set_access_many(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                            const char *id_nat, const enum dossier_access_change *changes, size_t n);

struct dossier_access_entry {
        char id_nat[DOSSIER_CODE_MAX];
        char last_name[DOSSIER_TEXT_MAX];
        char first_name[DOSSIER_TEXT_MAX];
        char profession[DOSSIER_CODE_MAX];
        enum access_relation relation;
        bool blocked;
        bool sees_masked;
        int64_t first_access_at;          /* 0: never accessed */
};

/* Patient: the professionals with a relation, a block or a past access. */
int dossier_list_access(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                        struct dossier_access_entry **ret, size_t *ret_n);

/* After death (docs/rules.md §3): a doctor (CPS/CPF card, profession 10)
 * with a relation to the patient records the death; the dossier closes
 * (its closure date kept if it was closed already), so the 10-year
 * retention runs, and nobody acts as the patient any more
 * (deny-deceased). Trail action "mark-deceased". */
int dossier_mark_deceased(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins);

/* A doctor records an heir's request for the deceased patient's dossier,
 * its purpose (cause of death, the deceased's memory, the heir's rights)
 * as actor->reason, traced as "heir-request": refused before a recorded
 * death (deny-not-deceased), when the patient opposed it while alive
 * (deny-heirs-opposed) or without a purpose (deny-heir-no-purpose). Once
 * allowed, that doctor lists and reads the closed dossier under the usual
 * document rules (allow-heir-request), to tell the heir what the law lets
 * them know. */
int dossier_heir_request(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins);

/* Legal representatives (docs/rules.md §3): a minor's holders of parental
 * authority, a protected adult's guardian, each known by their own INS.
 * A professional records one (again: its kind is updated) or removes one,
 * a user action decided and traced as "manage-representatives"; removing
 * one not listed is -ENOENT after the decision.  The trail entry does not
 * name the representative.  rep_ins must be a valid INS other than ins. */
enum dossier_representative_kind {
        DOSSIER_REP_PARENTAL_AUTHORITY,
        DOSSIER_REP_GUARDIAN,
        _DOSSIER_REP_MAX,
};
int dossier_set_representative(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                               const char *rep_ins, enum dossier_representative_kind kind);
int dossier_remove_representative(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                                  const char *rep_ins);
/* "parental-authority", "guardian"; NULL out of range. */
const char *dossier_representative_kind_name(enum dossier_representative_kind kind);
/* The kind of a name, or -EINVAL. */
int dossier_representative_kind_from_name(const char *name);

/* Like dossier_verify_secret(), for the legal representative rep_ins
 * acting for the dossier of ins: 0 when the secret is the dossier's and
 * rep_ins is listed as its representative, -EACCES when not (code
 * deny-bad-secret or deny-not-representative), -ENOENT without an open or
 * closed dossier. Traced as "verify-secret" with actor kind
 * "representative", the representative's INS as the actor. */
int dossier_verify_representative(struct dossier_engine *e, const char *ins, const char *rep_ins,
                                  const char *secret);

/* Patient options; a negative value leaves the option unchanged. */
int dossier_set_options(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                        int optout_emergency, int optout_call_centre, int notify, int optout_heirs);

/* Patient: every trail entry about their dossier, oldest first.  The
 * reading is decided and its entry committed first, so that the entry
 * recording it is the last one read.  The patient's view (and a legal
 * representative's) leaves out the entries about documents still held
 * back from them. */
int dossier_trail(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, audit_cb cb,
                  void *userdata);

/* The same in pages: at most max (at least 1) entries actor sees, those
 * after the entry whose seq is after_seq (0: from the first), oldest
 * first; *ret_more (NULL: not wanted) says whether one follows the page,
 * so that the page's last seq is the next page's after_seq.  Each page is
 * a reading of its own, decided and traced first: its entry is the
 * trail's newest, so it shows on the last page, and a walk of k pages
 * finds the k entries of its own readings there.  -ESRCH when after_seq
 * is not an entry of this dossier's trail that actor sees (the reading is
 * traced all the same); the held-back documents, the cursor and the
 * entries are read on one snapshot. */
int dossier_trail_page(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                       int64_t after_seq, size_t max, audit_cb cb, void *userdata, bool *ret_more);

struct dossier_notification {
        int64_t id;
        int64_t at;
        const char *recipient;   /* "patient" or a professional's idNat */
        const char *kind;        /* "emergency-access", "first-access", "hold-consult" */
        const char *message;
        const char *document;
};
typedef int (*dossier_notification_cb)(const struct dossier_notification *n, void *userdata);

/* Patient: their notifications, oldest first. */
int dossier_notifications(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                          dossier_notification_cb cb, void *userdata);

/* Notifications addressed to a professional (e.g. the médecin traitant told
 * of an emergency access); no access decision, the front authenticates. */
int dossier_notifications_for(struct dossier_engine *e, const char *id_nat, dossier_notification_cb cb,
                              void *userdata);

/* Validates untrusted text: -EINVAL for NUL, control characters or invalid
 * UTF-8, -E2BIG when len >= max. */
int dossier_text_check(const char *s, size_t len, size_t max);
