/* session/card-cache.h: CPS cards read once, at insertion.
 *
 * The session manager reads a CPS card through PKCS#11 when the monitor
 * reports its insertion (the token, its certificates, the identity), so
 * that an opening only verifies the PIN and signs.  An entry is a card
 * handle tied to one insertion of one reader (reader name + the monitor's
 * insertion count, which follows PC/SC's event counter); it is moved out
 * by the opening that uses it, and dropped (its handle closed) as soon as
 * the snapshot no longer shows that insertion.  What is kept is card data
 * only: every opening still verifies the certificate against the anchors
 * and CRLs of the moment.
 *
 * Locking: the cache has its own lock, held only over the table, never
 * over a card call.  Reading a card and closing handles are card
 * conversations: the caller holds the manager's opening-only lock. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "pkcs11/p11-card.h"
#include "pkcs11/p11-identity.h"
#include "pkcs11/p11-module.h"
#include "reader/events.h"
#include "reader/readers.h"

/* One card read through PKCS#11. */
struct card_read {
        char reader[READER_NAME_MAX];
        uint64_t insertion;
        uint64_t arrival; /* the reader's (reader_info.arrival), 0: not known */
        struct p11_token tok;
        struct p11_card *card; /* owned; NULL when the read failed */
        /* 0, or which call failed: -errno of p11_module_token_for_reader()
         * (token_err) or of p11_card_open() (open_err) */
        int token_err, open_err;
        unsigned read_us;  /* PKCS#11 time of the read */
        unsigned token_us; /* of which finding the token (C_GetSlotList ... C_GetTokenInfo) */
};

struct card_cache;

/* Reads the card in reader: its token, then its certificates (the
 * caller holds the card-conversation lock).  Returns 0 or the failing
 * call's -errno; ret->card is set when p11_card_open() succeeded.
 *
 * Finding the token asks the module about every slot
 * (p11_module_token_for_reader(): C_GetSlotList, then each slot's
 * C_GetSlotInfo and C_GetTokenInfo), and OpenSC then tries to bind every
 * card it does not know yet, again at each call: a Carte Vitale in the
 * next reader gets some 50 APDUs each time.  So the slot a reader's CPS
 * was last found in is remembered (c, when not NULL) and tried first:
 * p11_card_open() on that slot alone, kept when the token it describes is
 * in reader; otherwise, or when that fails, the full search.
 *
 * ri is the reader (ri->name) as the monitor saw it for this read.  The
 * remembered slot is read without C_GetSlotInfo (p11_card_open_known())
 * when ri is the same reader (reader_info.arrival) and shows a single
 * card event since the module said the slot empty
 * (card_cache_note_empty()): OpenSC's C_GetSlotInfo looks at every
 * reader, probing every card it cannot bind, a Carte Vitale among them
 * (some 50 APDUs). */
int card_read(struct card_cache *c, struct p11_module *mod, const struct p11_map *map, const struct reader_info *ri,
              struct card_read *ret);

/* After a CPS left: asks the module about the remembered slot of each
 * reader that snap shows empty, once per count of card events (the
 * caller holds the card-conversation lock); card_cache_empty_due() says
 * whether there is any to ask. */
void card_cache_note_empty(struct card_cache *c, struct p11_module *mod, const struct reader_snapshot *snap);
bool card_cache_empty_due(struct card_cache *c, const struct reader_snapshot *snap);

int card_cache_new(struct card_cache **ret);
/* Closes every handle it still holds.  NULL is fine. */
void card_cache_free(struct card_cache *c);

/* Is there an entry (read, or tried and failed) for this insertion? */
bool card_cache_has(struct card_cache *c, const char *reader, uint64_t insertion);

/* Keeps *r (its handle moves in; *r is wiped) for r->reader/insertion,
 * replacing an older entry of the reader (whose handle is closed).  A
 * failed read is kept too, without a handle, so that the insertion is
 * not read again in the background. */
void card_cache_put(struct card_cache *c, struct card_read *r);

/* Moves the entry of (reader, insertion) out into *ret: 0, or -ENOENT
 * when there is none with a handle (a failed one is forgotten). */
int card_cache_take(struct card_cache *c, const char *reader, uint64_t insertion, struct card_read *ret);

/* Drops the entries whose insertion is not a card present in snap, and
 * those whose handle died with the PKCS#11 helper, closing their handles
 * (card-conversation lock held when any has one).  Returns how many. */
size_t card_cache_drop_gone(struct card_cache *c, const struct reader_snapshot *snap);

/* How many entries hold a card handle. */
size_t card_cache_count(struct card_cache *c);

/* How many entries snap would make card_cache_drop_gone() drop. */
size_t card_cache_count_gone(struct card_cache *c, const struct reader_snapshot *snap);

/* Waits up to timeout_ms for the entry of the card now in reader, as
 * identified by insertion: 0 with its identity in *ret_who and, when
 * ret_us is not NULL, its PKCS#11 times (read_us, token_us), the read's
 * -errno when it failed,
 * -ETIMEDOUT. */
int card_cache_wait(struct card_cache *c, const char *reader, uint64_t insertion, unsigned timeout_ms,
                    struct p11_identity *ret_who, unsigned ret_us[2]);

/* Reads (card_read()) and puts every CPS card present in snap that has no
 * entry yet and that busy() does not say has a session (the
 * card-conversation lock held). */
void card_cache_read_new(struct card_cache *c, struct p11_module *mod, const struct p11_map *map,
                         const struct reader_snapshot *snap,
                         bool (*busy)(void *userdata, const char *reader, uint64_t insertion), void *userdata);

/* Reads q's events after *seen (and moves *seen on): true when a card was
 * inserted or a session ended (its card, still there, is read again), or
 * when events were missed. */
bool card_events_read(struct event_queue *q, uint64_t *seen);

/* card_cache_wait() for the CPS card that snap shows in reader, whose
 * insertion goes to *ret_insertion; -ENODEV when reader holds none. */
int card_cache_ready(struct card_cache *c, const struct reader_snapshot *snap, const char *reader,
                     unsigned timeout_ms, struct p11_identity *ret_who, uint64_t *ret_insertion,
                     unsigned ret_us[2]);
