/* engine/dossier-internal.h: private to the engine's dossier-*.c files,
 * never included from outside engine/: the engine structure, what one
 * operation knows of a dossier and a document, and the helpers the files
 * share (prefix de_).
 *
 * Locking: every public dossier_* entry point takes the engine's mutex
 * itself (de_lock(), or the _engine_locked_ cleanup), and never calls
 * another public entry point while holding it; the de_* functions below
 * assume the lock is held, except the de_snap_* and de_trailq_* ones and
 * those that say otherwise (a read decided off the mutex). */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dossier.h"

#define SCRYPT_SALT_LEN 16
#define SCRYPT_KEY_LEN 32
#define SCRYPT_MAXMEM (256u * 1024 * 1024)
#define EXAM_TYPES_MAX 16

#define INS_OID "1.2.250.1.213.1.4.8"
#define INS_OID_TEST "1.2.250.1.213.1.4.10"

/* The read connections (dossier-readers.c): opened when first needed, at
 * most DE_READERS_MAX, each used by one thread at a time. */
#define DE_READERS_MAX 16
struct de_readers {
        pthread_mutex_t lock;
        char *path;                       /* NULL: none (PostgreSQL, in memory) */
        struct store *free[DE_READERS_MAX];
        size_t n_free, n_open;
};

/* The trail entries of calls decided on a snapshot, waiting to be
 * committed together (dossier-trailq.c). */
struct de_trailq_item {
        const struct audit_entry *ae;
        uint64_t gen;
        int r;
        bool unsynced;                    /* appended, committed, but the group's sync failed (final) */
        bool done;
        pthread_cond_t wake;              /* its thread's own: woken alone, no herd */
        struct de_trailq_item *next;
};
struct de_trailq {
        pthread_mutex_t lock;
        struct de_trailq_item *head, **tail;
        bool leading;                     /* a thread is committing a batch */
        pthread_t writer;                 /* leads the batches (dossier-trailq.c) */
        pthread_cond_t writer_wake;
        bool writer_started, writer_failed, writer_idle, stop;
        uint64_t batches, entries;        /* for tests and benchmarks */
};

/* Professionals whose row a snapshot found noted (dossier-seen.c): the
 * row as it was at generation gen, so that a list or a read at the same
 * generation need not ask the store again.  Direct-mapped by a hash of
 * the key: the five fields the row holds, each length-prefixed. */
#define DE_SEEN_WINDOW_S 60 /* a professional seen again within it: their row is not rewritten */
#define DE_SEEN_SLOTS 32
#define DE_SEEN_KEY_MAX 320
struct de_seen_slot {
        uint64_t gen;
        int64_t last_seen;
        size_t len;                       /* 0: empty */
        char key[DE_SEEN_KEY_MAX];
};
struct de_seen {
        pthread_mutex_t lock;
        struct de_seen_slot slot[DE_SEEN_SLOTS];
};

/* The writer's shared transaction (dossier-group.c), under the engine's
 * mutex. */
struct de_group_member;
struct de_group {
        bool enabled;                     /* SQLite with group commit */
        bool open;                        /* the writer's transaction is the group's */
        bool changed;                     /* a member changed more than the trail */
        unsigned committing;              /* members committing and syncing a group */
        bool urgent;                      /* the open one holds a content's piece: commit it now */
        int failed;                       /* a failed commit or sync: final */
        struct de_group_member *head, **tail; /* waiting for the open one's commit */
        uint64_t commits, members;        /* for tests and benchmarks */
};

struct dossier_engine {
        struct store *store;
        struct de_readers readers;
        struct de_trailq trailq;
        struct de_seen seen;
        struct de_group grp;
        /* Bumped (under the mutex, after the commit) by every call that
         * committed a change, so that a decision made on a snapshot taken
         * after reading generation g still holds if the generation is
         * still g when its trail entry is appended (dossier-snapshot.c). */
        _Atomic uint64_t generation;
        /* store_foreign_commits() when last looked at: a commit of another
         * connection to the file moves the generation too (de_begin()) */
        uint64_t foreign_seen;
        uint64_t gen_mark;                /* store_written() when last counted */
        uint64_t trail_changes;           /* rows the running call changed in the trail (de_audit_append()) */
        bool gen_quiet;                   /* the running call's writes decide nothing (pieces) */
        /* held for reading by a decision made off the mutex, for writing
         * by dossier_engine_set_tables() */
        pthread_rwlock_t tables;
        const struct rights_table *rights;
        const struct interactions *interactions;
        int64_t duplicate_window;
        int64_t treatment_window;
        char exam_types[EXAM_TYPES_MAX][DOSSIER_CODE_MAX];
        size_t n_exam_types;
        uint64_t scrypt_n;
        uint32_t scrypt_r, scrypt_p;
        int64_t (*clock)(void *userdata);
        void *clock_userdata;
        pthread_mutex_t lock;             /* taken by every public entry point */
        struct access_decision last;      /* of the running operation */
        /* notifications written by the running operation, told to
         * on_notification once it is committed and on disk (de_unlock) */
        dossier_notification_hook on_notification;
        void *on_notification_userdata;
        char pending[8][32];
        size_t n_pending;
};

/* What one operation knows about the dossier and the actor's standing. */
struct dstate {
        int64_t id;                       /* 0: no dossier row */
        enum access_dossier_status status;
        bool optout_emergency;
        bool optout_call_centre;
        bool notify;
        int64_t closed_at;
        enum access_relation relation;
        bool blocked;
        bool sees_masked;
        bool seen;                        /* actor accessed before */
        bool express_consent;             /* the patient's express consent, recorded for this actor */
        bool under_16;                    /* the person is under 16 as of the operation's time */
        int64_t deceased_at;              /* 0: no death recorded */
        bool optout_heirs;                /* the patient opposed their heirs' access */
        bool heir_access;                 /* the actor recorded an heir's request */
        bool representative;              /* a representative actor, listed on this dossier */
};

/* A document row as the decision needs it. */
struct drow {
        int64_t id;
        int version;
        bool masked;
        int64_t hidden_since;  /* the hold's start, when still held back from the patient */
        bool hold_notified;    /* and whether the patient was told to consult */
        char type_code[DOSSIER_CODE_MAX];
        char class_code[DOSSIER_CODE_MAX];
        char author_id[DOSSIER_CODE_MAX];
        char author_establishment[DOSSIER_TEXT_MAX];
        struct access_doc ad;
};

/* ---- dossier-readers.c ---- */

/* A call that must read much after its decision (a content) decides and
 * ends its savepoint under the mutex, then, still under it, takes a read
 * connection and steps its first statement there: that pins the
 * connection's WAL snapshot to the last commit, which holds every content
 * but those written in the open group (dossier-group.c; a content never
 * changes once written: if the reader has it, it is the writer's).  It
 * lets the mutex go (the trail entry is then durable: de_unlock()) and
 * reads the rest on that snapshot while other calls run;
 * de_reader_put() gives the connection back once its statement is reset.
 * de_reader_take() gives NULL when there are none (PostgreSQL, memory)
 * or all are in use: the caller then reads on the writer, under the mutex,
 * as before. */
int de_readers_init(struct dossier_engine *e, const char *path);
void de_readers_free(struct dossier_engine *e);
struct store *de_reader_take(struct dossier_engine *e);
void de_reader_put(struct dossier_engine *e, struct store *s);

/* ---- dossier-trailq.c ---- */

void de_trailq_init(struct de_trailq *q);
void de_trailq_free(struct de_trailq *q);
/* Stops the writer thread (at the engine's close, before its store). */
void de_trailq_stop(struct dossier_engine *e);
/* Hands ae to the trail, to be appended together with the entries other
 * threads hand in at the same time: one savepoint of the group's
 * transaction, one commit, one sync for them all (de_begin()).  it and
 * ae stay the caller's until de_trailq_wait(it) returns: once ae is
 * durable (0), -EAGAIN when the engine's generation is no longer gen or
 * the open group holds a change (something changed since the snapshot
 * the decision was made on: nothing was appended, decide again under
 * the mutex) or a batch (dossier_batch_begin) is open, or another
 * negative errno (nothing of the batch appended, or not made durable).
 * Called without the mutex.  ahead: the caller has much to read before
 * it waits (a content): the writer thread is woken to commit and sync
 * the entry meanwhile.  Otherwise the entry waits for the writer's next
 * batch, or, the writer asleep, for the caller itself to lead in
 * de_trailq_wait() (no wake-up at all for one connection's lists). */
void de_trailq_submit(struct dossier_engine *e, struct de_trailq_item *it, const struct audit_entry *ae,
                      uint64_t gen, bool ahead);
int de_trailq_wait(struct dossier_engine *e, struct de_trailq_item *it);

/* ---- dossier-group.c ---- */

/* Group commit on SQLite: a call that writes while another's commit is
 * on its way to the disk writes into one transaction with the others
 * (each call in a savepoint: its all-or-nothing stays its own), and one
 * COMMIT and one fdatasync serve them all.  de_begin() is store_begin()
 * for the engine's calls: it opens the group's transaction first when
 * none is open (SQLite with group commit, no batch of bulk loading);
 * once the transaction is open, a commit another connection made to the
 * file before it (store_foreign_commits()) moves the generation, so that
 * a decision made on an older snapshot is made again on the writer's.
 * de_group_note() counts the running call's changes (whether they move
 * the generation at the commit); a group is committed once the commit
 * before it is on disk, or at once when it holds a large content's piece
 * (its megabytes written to the -wal while that sync runs, not after
 * it, in front of the small calls of the next group); de_group_wait(),
 * with the mutex held and the call's savepoint ended, returns once the
 * open group is committed and on disk (0), or with the error that failed
 * it: a failed commit undoes the whole group (*ret_final false, may be
 * NULL); a failed sync is final (*ret_final true), and de_begin() then
 * refuses every write.  It may let the mutex go while it waits: other
 * calls write into the next group meanwhile. */
void de_group_init(struct dossier_engine *e);
int de_begin(struct dossier_engine *e);
void de_group_note(struct dossier_engine *e);
int de_group_wait(struct dossier_engine *e, bool *ret_final);

/* ---- dossier-snapshot.c ---- */

/* A read (a list, a document) decided off the mutex, on a read
 * connection's snapshot: de_snap_begin() takes a read connection, begins
 * its read transaction and loads the state there; the caller decides
 * (de_snap_decide()) and reads on sn->rd; de_snap_end() gives the
 * connection back; de_snap_commit() appends the trail entry through the
 * trail queue and publishes the decision.  de_snap_submit(), right after
 * the decision, hands the entry to the queue at once: the caller then
 * reads its content on the snapshot while the entry is committed and
 * synced, and de_snap_commit() only waits for it.  Any of them may return
 * -EAGAIN: the call is then made again the usual way, under the mutex
 * (no read connection free, PostgreSQL, a professional to note, an
 * access to notify or to record as a first access, a change since the
 * snapshot).  Nothing is written on this path but the trail entry. */
struct de_snap {
        struct dossier_engine *e;
        struct store *rd;
        bool tables_held;
        uint64_t gen;
        int64_t now;
        struct dstate ds;
        struct access_decision decision;
        struct audit_entry ae;
        struct de_trailq_item item;
        bool submitted;
};
int de_snap_begin(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, struct de_snap *sn);
/* The decision of action, and its trail entry (to be appended by
 * de_snap_commit()); -EAGAIN when allowing it would write more than the
 * entry (de_after_allow()). */
int de_snap_decide(struct de_snap *sn, const struct dossier_actor *actor, const char *ins, enum access_action action,
                   const struct access_doc *doc, const char *doc_uid);
void de_snap_end(struct de_snap *sn);
/* Hands the entry to the queue ahead of de_snap_commit(): for a call
 * with much to read before it answers (a content). */
void de_snap_submit(struct de_snap *sn);
/* Ends the snapshot if still open, appends the entry (or waits for it,
 * once submitted): 0 when allowed, the denial's errno, -EAGAIN, or an
 * error. */
int de_snap_commit(struct de_snap *sn);

/* ---- dossier-content.c ---- */

/* A content from a file (a spooled upload) is kept in pieces of DE_CHUNK
 * bytes (content_chunks, keyed by the document's uid), each written in a
 * transaction of its own before the deposit's: other calls take the
 * engine between two pieces, so a list does not wait behind a 16 MiB
 * deposit.  Pieces whose deposit never came are purged at open once older
 * than DE_STAGED_MAX seconds. */
#define DE_CHUNK ((size_t) 256 * 1024)
#define DE_STAGED_MAX 3600
/* Called without the mutex (it takes it for each piece): stages f's len
 * bytes as uid's pieces; *ret_chunks their number.  On failure nothing
 * is left staged. */
int de_stage_content(struct dossier_engine *e, const char *uid, const struct dossier_content_file *f,
                     int64_t *ret_chunks);
/* Without the mutex: drops uid's staged pieces (a deposit that failed). */
void de_drop_staged(struct dossier_engine *e, const char *uid);
/* Without the mutex: at open, the orphans. */
void de_purge_staged(struct dossier_engine *e);
/* A reader of d's content: chunks pieces, or (chunks 0) whole, the
 * malloc'ed and already checked buffer that it takes over. */
int de_content_new(struct dossier_engine *e, const struct dossier_doc *d, int64_t chunks, void *whole,
                   struct dossier_content **ret);

/* ---- dossier.c ---- */

/* The engine's mutex: de_lock() takes it (NULL: nothing, returns NULL),
 * de_unlock() publishes the operation's decision to the calling thread
 * (dossier_last_decision()) and releases it. DE_LOCKED(e) holds it until
 * the end of the enclosing block, so a public entry point begins with it. */
struct dossier_engine *de_lock(struct dossier_engine *e);
void de_unlock(struct dossier_engine *e);
static inline void de_unlockp(struct dossier_engine **e) {
        de_unlock(*e);
}
#define DE_LOCKED(e) __attribute__((cleanup(de_unlockp))) struct dossier_engine *de_locked_ = de_lock(e)

/* What de_unlock() does for a call made off the mutex: the calling
 * thread's last decision, and the first durability error. */
void de_publish_decision(struct dossier_engine *e, const struct access_decision *d);
/* The rule of the generation, for de_unlock() and the group's commit:
 * whether the rows the connection changed since last counted, up to its
 * change count n, can change a decision (not a piece's, more than the
 * running call's own trail rows: the trail decides nothing); counted
 * from then on (gen_mark = n). */
bool de_changes_decide(struct dossier_engine *e, uint64_t n);
void de_note_durability_error(int r);
/* The same for a group whose commit failed (dossier_commit_error()). */
void de_note_commit_error(int r);

int64_t de_now_of(struct dossier_engine *e);

const char *de_nz(const char *s);

void de_copy_column(char *dst, size_t size, struct store_stmt *st, int col);

/* A run of text columns first, first + 1, ... copied into bounded
 * buffers: de_copy_columns(st, 1, DE_COL(d->uid), DE_COL(d->title)). */
struct de_col {
        char *dst;
        size_t size;
};
#define DE_COL(buf) ((struct de_col) {(buf), sizeof(buf)})
#define de_copy_columns(st, first, ...)                                                        \
        de_copy_column_run((st), (first), (const struct de_col[]) {__VA_ARGS__},                \
                           sizeof((const struct de_col[]) {__VA_ARGS__}) / sizeof(struct de_col))
void de_copy_column_run(struct store_stmt *st, int first, const struct de_col *cols, size_t n);

/* A C string field: required ones must be non-empty. */
int de_text_field(const char *s, size_t max, bool required);

/* Codes: printable ASCII without spaces. */
int de_code_field(const char *s, bool required);

int de_actor_check(const struct dossier_actor *a);

int de_ins_check(const char *ins);

int de_uid_check(const char *uid);

/* Makes room for one more element in a growing array: returns the array
 * (reallocated, capacity doubled, first when empty) or NULL when out of
 * memory, the old array then left as it was. */
void *de_grow(void *array, size_t n, size_t *cap, size_t size, size_t first);

int de_sha256(const void *p, size_t n, uint8_t ret[32]);

/* ---- dossier-representatives.c ---- */

/* Whether rep_ins is listed as a legal representative of the dossier,
 * and still one at now for a patient born on birth_date (a parent's
 * authority ends at 18, docs/rules.md §3): 1, 0, or a negative errno. */
int de_representative_listed(struct store *s, int64_t dossier_id, const char *rep_ins, const char *birth_date,
                             int64_t now);

/* ---- dossier-frame.c ---- */

/* Runs the query sql with text bound to ?1 and steps once: 1 with the row
 * in *st, 0 when none, a negative errno. The caller resets *st. */
int de_query_by_text(struct store *s, const char *sql, const char *text, struct store_stmt **st);

/* Loads the dossier row for ins and the actor's line in its access list,
 * and whether the person is under 16 at now.  An absent dossier leaves
 * ds->id at 0 and status ABSENT. */
int de_load_state(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, int64_t now,
                  struct dstate *ds);
/* The same on the store s (a read connection). */
int de_load_state_on(struct store *s, const struct dossier_actor *actor, const char *ins, int64_t now,
                     struct dstate *ds);
/* 1 when noting the professional (de_begin_op()) would write nothing on
 * s, a snapshot taken after reading generation gen: their row is
 * unchanged and was seen within the last minute; 0 when it would write;
 * a negative errno.  A row found so is remembered for that generation
 * (dossier-seen.c). */
int de_professional_noted(struct dossier_engine *e, struct store *s, const struct dossier_actor *actor, int64_t now,
                          uint64_t gen);
/* Binds the professional's row fields to ?1 to ?5 (national id, last and
 * first names, profession, specialty), as the table of professionals
 * holds them: the UPSERT that notes them and the check above share it. */
int de_bind_professional(struct store_stmt *st, const struct dossier_actor *actor);
/* The trail entry of decision d (strings point into actor, ins, doc_uid). */
void de_audit_entry(const struct dossier_actor *actor, const char *ins, const char *trail_action,
                    const char *doc_uid, const struct access_decision *d, int64_t now, struct audit_entry *ae);
/* The errno a denial maps to (-ENOENT, -EACCES). */
int de_denied_errno(const struct access_decision *d);

/* Whether months calendar months (lib/civil-time.h) have passed from
 * since to now; never for an instant out of the calendar's range.  The
 * one test of the hold and the retention, by reads and jobs alike. */
bool de_months_elapsed(int64_t since, int months, int64_t now);
/* For a job's SQL: a bound that no instant de_months_elapsed() finds
 * months old by now lies above (months > 0).  Calendar months have no
 * exact inverse (29, 30 and 31 January are all a month old on
 * 28 February at the same hour, while "28 February minus a month" is
 * 28 January), so a job selects the rows up to this bound and tests each
 * with de_months_elapsed(): now minus the months, plus 4 days (3 for the
 * shorter months, an hour for summer time, and margin). */
int64_t de_months_candidates(int64_t now, int months);

/* True when the document is still held back from the patient as of now:
 * columns col (hidden_from_patient) and col + 1 (hidden_since); the
 * 1-month rule applies even if dossier_tick() has not run. */
bool de_held_back(struct store_stmt *st, int col, int64_t now);
/* When a hold that began at since lapses (1 calendar month). */
int64_t de_hold_end(int64_t since);

/* The access_doc of a row whose columns 1..7 are type, class, author,
 * status, masked, hidden_from_patient, hidden_since, 9 the author's
 * establishment and 10 hidden_from_representatives. The strings point
 * into the row: valid until the statement moves on. */
struct access_doc de_row_access_doc(struct store_stmt *st, int64_t now);

/* Fills a drow for the document uid of the dossier; -ENOENT if none. The
 * hold is applied as of now (1-month rule). */
int de_load_doc(struct dossier_engine *e, int64_t dossier_id, const char *uid, int64_t now, struct drow *d);

void de_fill_request(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                     const struct dstate *ds, enum access_action action, const struct access_doc *doc,
                     bool consent, struct access_request *req);

/* Decides, and appends the trail entry for the decision under the name
 * trail_action. *ret_seq gets the entry's number (to link notifications). */
int de_decide_audited_as(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                         const struct dstate *ds, enum access_action action, const char *trail_action,
                         const struct access_doc *doc, const char *doc_uid, bool consent, int64_t now,
                         int64_t *ret_seq);

/* audit_append() on the writer, its rows counted as the trail's: a call
 * that wrote nothing else does not move the generation (de_unlock()). */
int de_audit_append(struct dossier_engine *e, const struct audit_entry *ae, int64_t *ret_seq);

/* The same, the trail naming the action as access.h does. */
int de_decide_audited(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                      const struct dstate *ds, enum access_action action, const struct access_doc *doc,
                      const char *doc_uid, bool consent, int64_t now, int64_t *ret_seq);

/* Ends the transaction: commits when r >= 0, rolls back on an error (r,
 * or a failed commit). Returns 0 or the error. */
int de_end_tx(struct dossier_engine *e, int r);

/* Ends an operation: a denial is committed (its trail entry must stay) and
 * mapped to an errno; an error rolls everything back. An error from
 * begin_op() may come with no transaction (nor engine) at all. */
int de_finish(struct dossier_engine *e, int r);

int de_notify(struct dossier_engine *e, int64_t dossier_id, const char *recipient, int64_t now,
              const char *kind, const char *message, const char *doc_uid, const struct dossier_actor *actor,
              int64_t seq);

/* After an allowed access by a professional: an emergency access is told
 * to the patient and to each médecin traitant (once per session), and the
 * first access of a professional new to this dossier is told to the
 * patient if they chose to be notified (docs/rules.md §2, 3, 7). */
int de_after_allow(struct dossier_engine *e, const struct dossier_actor *actor, const struct dstate *ds,
                   int64_t now, int64_t seq);

/* The common prologue of an operation on one dossier: validate the actor
 * and the INS (-EINVAL, nothing begun), read the clock into *ret_now,
 * begin, note the professional, load the state. On error nothing is left
 * open. */
int de_begin_op(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                struct dstate *ds, int64_t *ret_now);

/* The prologue, then the audited decision of an action on the dossier as
 * a whole (no document). */
int de_dossier_op(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                  enum access_action action, struct dstate *ds, int64_t *ret_now, int64_t *ret_seq);

/* For an operation with no document: the prologue, then decide, audit and
 * notify. The caller performs the action if allowed and ends with
 * finish(), which also copes with a failed prologue. */
int de_simple_op(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                 enum access_action action, struct dstate *ds, int64_t *ret_now);

/* Ends an allowed operation on a document or a list: the notifications
 * of the access, then finish(). */
int de_finish_allowed(struct dossier_engine *e, const struct dossier_actor *actor, const struct dstate *ds,
                      int64_t now, int64_t seq, int r);

int de_exec_id(struct dossier_engine *e, const char *sql, int64_t id);
/* Inside the operation's transaction: the secret-guessing brake's row of
 * ins is dropped (a new secret, a dossier destroyed: the failures counted
 * no longer count; dossier-attempts.c). */
int de_attempts_forget(struct dossier_engine *e, const char *ins);

/* Runs a statement whose parameters are a row id and one integer. */
int de_exec_id_int(struct dossier_engine *e, const char *sql, int64_t id, int64_t v);
/* ... a row id and two integers. */
int de_exec_id_int2(struct dossier_engine *e, const char *sql, int64_t id, int64_t v, int64_t w);

/* ---- dossier-access-lists.c ---- */

/* Inside the operation's transaction, the dossier's state in ds: the
 * decision of the actor's recording of the consent, its trail entry, and
 * the access line it writes when allowed (dossier_record_consent()). */
int de_record_consent(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                      const struct dstate *ds, int64_t now);

/* ---- dossier-documents.c ---- */

/* Ends a document's hold (the hold job and dossier_release_hold()). */
extern const char de_sql_release[];

/* ---- dossier-lifecycle.c ---- */

/* Content, documents, access list and notifications go; the dossier row
 * stays as a tombstone (INS and dates), and the trail stays. */
int de_purge_dossier(struct dossier_engine *e, int64_t id, int64_t now);
