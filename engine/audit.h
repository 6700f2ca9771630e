/* engine/audit.h: the append-only, hash-chained audit trail.
 *
 * Entry n stores hash(n) = SHA-256(hash(n-1) || canonical(n)), with
 * hash(0) = 32 zero bytes, and a one-row head table holds the last sequence
 * number and hash. canonical(n) is, in order: the 16 bytes
 * "carnet-audit-v1\n", seq and at as 8-byte big-endian integers, then each
 * text field (actor_kind, actor, session, action, dossier, document, mode,
 * reason, outcome, code) as a 4-byte big-endian length followed by its bytes,
 * then the optional fields the same way, the workstation (schema version
 * 5) and the establishment (version 7), up to the last one that is not
 * empty: entries written before them, or without them, hash as they
 * always did, so old chains still verify, and a value cannot move from
 * one optional field to the other unseen.
 * docs/dossier-engine.md describes the format and its limits. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define AUDIT_HASH_LEN 32

struct audit_entry {
        int64_t seq;             /* set by audit_append, read by audit_list */
        int64_t at;              /* seconds since the epoch */
        const char *actor_kind;  /* "professional", "patient", "system", ... */
        const char *actor;       /* idNat_PS or INS; "" for the system */
        const char *session;
        const char *action;
        const char *dossier;     /* INS, "" when none */
        const char *document;    /* document uid, "" when none */
        const char *mode;
        const char *reason;      /* the reason the actor stated ("" if none) */
        const char *outcome;     /* "allow" or "deny" */
        const char *code;        /* access_reason_name() */
        const char *workstation; /* the host's workstation, "" when none (local) */
        const char *establishment; /* the actor's session's, "" when none (a patient, the system) */
};

/* Appends e (NULL fields count as "") and returns its sequence number.
 * Must run inside the caller's write transaction (store_begin) so that the
 * entry commits or rolls back with the action it records. */
int audit_append(struct store *s, const struct audit_entry *e, int64_t *ret_seq);

/* Appends the n entries in order, the head read and written once; the
 * last one's sequence number in *ret_last_seq, and in *ret_changes the
 * rows its statements changed (store_changes() summed: n + 1, or 0 when n
 * is 0), so that a caller can tell the trail's writes from others (NULL:
 * not wanted).  The same transaction rule; on error the caller rolls
 * back. */
int audit_append_many(struct store *s, const struct audit_entry *const *entries, size_t n, int64_t *ret_last_seq,
                      int64_t *ret_changes);

/* Walks the whole chain. Returns 0 when intact; -EBADMSG when not, with the
 * first bad entry's sequence number in *ret_bad_seq and a sentence in msg
 * (e.g. "entry 7 was altered"). Other negative errnos are I/O errors. */
int audit_verify(struct store *s, int64_t *ret_bad_seq, char *msg, size_t msg_size);

/* The last sequence number and hash: publish them elsewhere to detect a
 * rewrite of the whole file. Empty trail: 0 and zeros. */
int audit_head(struct store *s, int64_t *ret_seq, uint8_t ret_hash[AUDIT_HASH_LEN]);

/* Calls cb for each entry about dossier (an INS), oldest first; cb
 * returns 0 for the next entry, a positive value to stop (the call then
 * returns 0), or a negative errno that stops the walk and is returned.
 * Strings are valid during the call only.  The walk reads the entries in
 * statements of a bounded number of rows, each after the last entry of
 * the one before: outside a transaction, an entry appended meanwhile is
 * seen when its seq comes. */
typedef int (*audit_cb)(const struct audit_entry *e, void *userdata);
int audit_list(struct store *s, const char *dossier, audit_cb cb, void *userdata);

/* The same from the entry after seq after (0: from the first), the first
 * statement asking for first rows (a caller that shows a page asks for
 * one more than it shows), the others for as many as audit_list()'s. */
int audit_list_from(struct store *s, const char *dossier, int64_t after, size_t first, audit_cb cb,
                    void *userdata);

/* One such statement: the entries about dossier whose seq is greater than
 * after (0: from the first), at most max (at least 1), to cb as above;
 * *ret_n (NULL: not wanted) the entries read, so that fewer than max
 * tells the end of the trail (unless cb stopped). */
int audit_list_after(struct store *s, const char *dossier, int64_t after, size_t max, audit_cb cb, void *userdata,
                     size_t *ret_n);
