/* session/card-cache.c: CPS cards read once, at insertion (card-cache.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "card-cache.h"
#include "lib/cond.h"
#include "lib/macro.h"

struct entry {
        bool used;
        struct card_read r;
};

/* The slot a reader's CPS card was last read from (card_read()), and that
 * slot's description then (the full search matched it to the reader).
 * Once that card left: whether the module said the slot empty, with that
 * description, while PC/SC counted `events` card events in the reader
 * (card_cache_note_empty()); `checked` is the count it last asked at. */
struct slot_hint {
        char reader[READER_NAME_MAX];
        CK_SLOT_ID slot;
        char description[P11_SLOT_DESCRIPTION_MAX];
        bool empty;
        unsigned events;
        bool asked;
        unsigned checked;
        uint64_t arrival; /* the reader's, when its card was read (reader_info.arrival) */
};

struct card_cache {
        pthread_mutex_t lock;
        pthread_cond_t changed; /* an entry was put */
        struct entry e[READERS_MAX];
        struct slot_hint hints[READERS_MAX];
};

static uint64_t mono_us(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/* The hint of reader's card, copied; false when there is none. */
static bool hint_of(struct card_cache *c, const char *reader, struct slot_hint *ret) {
        bool found = false;
        if (!c)
                return false;
        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; !found && i < ELEMENTSOF(c->hints); i++)
                if (strcmp(c->hints[i].reader, reader) == 0) {
                        *ret = c->hints[i];
                        found = true;
                }
        pthread_mutex_unlock(&c->lock);
        return found;
}

/* Remembers the slot of the card read in r (lock held). */
static void hint_set(struct card_cache *c, const struct card_read *r) {
        struct slot_hint *h = NULL;
        for (size_t i = 0; !h && i < ELEMENTSOF(c->hints); i++)
                if (!c->hints[i].reader[0] || strcmp(c->hints[i].reader, r->reader) == 0)
                        h = &c->hints[i];
        if (!h)
                h = &c->hints[0];
        *h = (struct slot_hint){.slot = r->tok.slot, .arrival = r->arrival};
        (void)strcpy_bounded(h->reader, sizeof(h->reader), r->reader);
        memcpy(h->description, r->tok.reader, sizeof(h->description));
}

/* The reader in snap, or NULL. */
static const struct reader_info *reader_in(const struct reader_snapshot *snap, const char *name) {
        for (size_t i = 0; snap && i < snap->n; i++)
                if (strcmp(snap->r[i].name, name) == 0)
                        return &snap->r[i];
        return NULL;
}

/* Is ri the reader the hint's card was read in, not another of its name
 * plugged in since? */
static bool same_reader(const struct slot_hint *h, const struct reader_info *ri) {
        return ri && ri->arrival != 0 && ri->arrival == h->arrival;
}

/* Should the slot of hint h be asked whether it is empty? Its reader is
 * empty, with a count of card events not asked at yet.  Or should what
 * was noted be forgotten: its reader gone, or replaced. (lock held) */
static bool to_ask(const struct slot_hint *h, const struct reader_snapshot *snap) {
        const struct reader_info *ri = h->reader[0] ? reader_in(snap, h->reader) : NULL;
        if (!same_reader(h, ri))
                return h->asked;
        return !ri->card_present && ri->card_events != 0 && !(h->asked && h->checked == ri->card_events);
}

bool card_cache_empty_due(struct card_cache *c, const struct reader_snapshot *snap) {
        bool due = false;
        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; !due && i < ELEMENTSOF(c->hints); i++)
                due = to_ask(&c->hints[i], snap);
        pthread_mutex_unlock(&c->lock);
        return due;
}

void card_cache_note_empty(struct card_cache *c, struct p11_module *mod, const struct reader_snapshot *snap) {
        for (size_t i = 0; i < ELEMENTSOF(c->hints); i++) {
                pthread_mutex_lock(&c->lock);
                struct slot_hint h = c->hints[i];
                bool ask = to_ask(&h, snap);
                pthread_mutex_unlock(&c->lock);
                if (!ask)
                        continue;
                const struct reader_info *ri = reader_in(snap, h.reader);
                bool here = same_reader(&h, ri);
                char description[sizeof(h.description)] = "";
                int r = here ? p11_module_slot_state(mod, h.slot, description, sizeof(description)) : 0;
                pthread_mutex_lock(&c->lock);
                struct slot_hint *now = &c->hints[i];
                /* unless the hint changed meanwhile (a card read into it) */
                if (strcmp(now->reader, h.reader) == 0 && now->slot == h.slot && now->asked == h.asked &&
                    now->checked == h.checked && now->arrival == h.arrival) {
                        now->asked = here;
                        now->checked = now->events = here ? ri->card_events : 0;
                        now->empty = here && r == 0 && strcmp(description, h.description) == 0;
                }
                pthread_mutex_unlock(&c->lock);
        }
}

/* The read at insertion without C_GetSlotInfo, on the slot of hint h:
 * when the module said it empty (with the description that matched the
 * reader) and PC/SC has counted exactly one card event in the reader
 * since, this card's insertion.  The module then binds no card in the
 * slot but this one: the slot holds no token, or this card's, and
 * C_GetTokenInfo looks at the reader when it holds none.  0, or -ENOENT. */
static int read_fresh(const struct slot_hint *h, const struct reader_info *ri, struct p11_module *mod,
                      const struct p11_map *map, struct card_read *ret) {
        if (!h->empty || !same_reader(h, ri) || !ri->card_present ||
            ri->card_events != ((h->events + 1) & 0xFFFFu) ||
            p11_card_open_known(mod, h->slot, h->description, map, &ret->card) < 0)
                return -ENOENT;
        ret->tok = *p11_card_token(ret->card);
        return 0;
}

/* p11_card_open() on the slot reader's card was last read from, kept when
 * that slot still has the description the full search matched to reader.
 * 0, or -ENOENT to search every slot. */
static int read_by_hint(struct card_cache *c, struct p11_module *mod, const struct p11_map *map,
                        const char *reader, const struct reader_info *ri, struct card_read *ret) {
        struct slot_hint h;
        if (!hint_of(c, reader, &h))
                return -ENOENT;
        if (read_fresh(&h, ri, mod, map, ret) == 0)
                return 0;
        if (p11_card_open(mod, h.slot, map, &ret->card) < 0)
                return -ENOENT;
        const struct p11_token *t = p11_card_token(ret->card);
        if (t->slot != h.slot || strcmp(t->reader, h.description) != 0) {
                ret->card = p11_card_close(ret->card);
                return -ENOENT;
        }
        ret->tok = *t;
        return 0;
}

int card_read(struct card_cache *c, struct p11_module *mod, const struct p11_map *map, const struct reader_info *ri,
              struct card_read *ret) {
        const char *reader = ri->name;
        uint64_t t0 = mono_us();
        *ret = (struct card_read){.arrival = ri->arrival};
        (void)strcpy_bounded(ret->reader, sizeof(ret->reader), reader);
        if (read_by_hint(c, mod, map, reader, ri, ret) == 0) {
                ret->read_us = (unsigned)(mono_us() - t0);
                return 0;
        }
        int r = ret->token_err = p11_module_token_for_reader(mod, reader, &ret->tok);
        ret->token_us = (unsigned)(mono_us() - t0);
        if (r >= 0)
                r = ret->open_err = p11_card_open(mod, ret->tok.slot, map, &ret->card);
        if (r < 0)
                ret->card = p11_card_close(ret->card);
        ret->read_us = (unsigned)(mono_us() - t0);
        return r < 0 ? r : 0;
}

int card_cache_new(struct card_cache **ret) {
        struct card_cache *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        int r = cond_init_monotonic(&c->changed);
        if (r < 0) {
                free(c);
                return r;
        }
        pthread_mutex_init(&c->lock, NULL);
        *ret = c;
        return 0;
}

void card_cache_free(struct card_cache *c) {
        if (!c)
                return;
        for (size_t i = 0; i < ELEMENTSOF(c->e); i++)
                p11_card_close(c->e[i].r.card);
        pthread_cond_destroy(&c->changed);
        pthread_mutex_destroy(&c->lock);
        secure_zero(c, sizeof(*c));
        free(c);
}

/* The entry of reader, or NULL (lock held). */
static struct entry *entry_of(struct card_cache *c, const char *reader) {
        for (size_t i = 0; i < ELEMENTSOF(c->e); i++)
                if (c->e[i].used && strcmp(c->e[i].r.reader, reader) == 0)
                        return &c->e[i];
        return NULL;
}

bool card_cache_has(struct card_cache *c, const char *reader, uint64_t insertion) {
        pthread_mutex_lock(&c->lock);
        const struct entry *e = entry_of(c, reader);
        bool has = e && e->r.insertion == insertion;
        pthread_mutex_unlock(&c->lock);
        return has;
}

void card_cache_put(struct card_cache *c, struct card_read *r) {
        struct p11_card *old = NULL;
        pthread_mutex_lock(&c->lock);
        struct entry *e = entry_of(c, r->reader);
        for (size_t i = 0; !e && i < ELEMENTSOF(c->e); i++)
                if (!c->e[i].used)
                        e = &c->e[i];
        if (r->card)
                hint_set(c, r);
        if (e) {
                old = e->used ? e->r.card : NULL;
                *e = (struct entry){.used = true, .r = *r};
        } else
                old = r->card; /* more readers than READERS_MAX: not kept */
        secure_zero(r, sizeof(*r)); /* ownership moved */
        pthread_cond_broadcast(&c->changed);
        pthread_mutex_unlock(&c->lock);
        p11_card_close(old);
}

int card_cache_take(struct card_cache *c, const char *reader, uint64_t insertion, struct card_read *ret) {
        int r = -ENOENT;
        pthread_mutex_lock(&c->lock);
        struct entry *e = entry_of(c, reader);
        if (e && e->r.insertion == insertion && e->r.card) {
                *ret = e->r;
                r = 0;
        }
        if (e && e->r.insertion == insertion)
                secure_zero(e, sizeof(*e)); /* moved out, or a failed read forgotten */
        pthread_mutex_unlock(&c->lock);
        return r;
}

/* Is entry e stale: its card left, came back as another insertion, or its
 * handle died with the PKCS#11 helper? (lock held) */
static bool stale(const struct entry *e, const struct reader_snapshot *snap) {
        if (e->r.card && p11_card_error(e->r.card)->err == -ECONNRESET)
                return true;
        for (size_t i = 0; i < snap->n; i++)
                if (strcmp(snap->r[i].name, e->r.reader) == 0)
                        return !snap->r[i].card_present || snap->r[i].insertion != e->r.insertion;
        return true;
}

size_t card_cache_count(struct card_cache *c) {
        size_t n = 0;
        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; i < ELEMENTSOF(c->e); i++)
                n += c->e[i].used && c->e[i].r.card;
        pthread_mutex_unlock(&c->lock);
        return n;
}

size_t card_cache_count_gone(struct card_cache *c, const struct reader_snapshot *snap) {
        size_t n = 0;
        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; i < ELEMENTSOF(c->e); i++)
                n += c->e[i].used && stale(&c->e[i], snap);
        pthread_mutex_unlock(&c->lock);
        return n;
}

size_t card_cache_drop_gone(struct card_cache *c, const struct reader_snapshot *snap) {
        struct p11_card *close[READERS_MAX];
        size_t n = 0;
        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; i < ELEMENTSOF(c->e); i++) {
                if (!c->e[i].used || !stale(&c->e[i], snap))
                        continue;
                close[n++] = c->e[i].r.card;
                secure_zero(&c->e[i], sizeof(c->e[i]));
        }
        pthread_mutex_unlock(&c->lock);
        for (size_t i = 0; i < n; i++)
                p11_card_close(close[i]);
        return n;
}

/* The result of entry e for card_cache_wait() (lock held). */
static int entry_result(const struct entry *e, struct p11_identity *ret_who, unsigned ret_us[2]) {
        if (ret_us) {
                ret_us[0] = e->r.read_us;
                ret_us[1] = e->r.token_us;
        }
        if (!e->r.card)
                return e->r.token_err < 0 ? e->r.token_err : e->r.open_err < 0 ? e->r.open_err : -EIO;
        if (!p11_card_cert(e->r.card, P11_ROLE_AUTH))
                return -ENOENT;
        struct p11_identity who;
        int r = p11_card_identity(e->r.card, &who);
        if (r >= 0 && ret_who)
                *ret_who = who;
        return r < 0 ? r : 0;
}

int card_cache_wait(struct card_cache *c, const char *reader, uint64_t insertion, unsigned timeout_ms,
                    struct p11_identity *ret_who, unsigned ret_us[2]) {
        struct timespec until = timespec_after_ms(CLOCK_MONOTONIC, timeout_ms);
        int r = 0;
        pthread_mutex_lock(&c->lock);
        for (;;) {
                const struct entry *e = entry_of(c, reader);
                if (e && e->r.insertion == insertion) {
                        r = entry_result(e, ret_who, ret_us);
                        break;
                }
                if (pthread_cond_timedwait(&c->changed, &c->lock, &until) == ETIMEDOUT) {
                        r = -ETIMEDOUT;
                        break;
                }
        }
        pthread_mutex_unlock(&c->lock);
        return r;
}

void card_cache_read_new(struct card_cache *c, struct p11_module *mod, const struct p11_map *map,
                         const struct reader_snapshot *snap,
                         bool (*busy)(void *userdata, const char *reader, uint64_t insertion), void *userdata) {
        for (size_t i = 0; i < snap->n; i++) {
                const struct reader_info *ri = &snap->r[i];
                if (!ri->card_present || ri->kind != CARD_CPS || card_cache_has(c, ri->name, ri->insertion) ||
                    busy(userdata, ri->name, ri->insertion))
                        continue;
                struct card_read cr;
                (void)card_read(c, mod, map, ri, &cr);
                cr.insertion = ri->insertion;
                card_cache_put(c, &cr);
        }
}

bool card_events_read(struct event_queue *q, uint64_t *seen) {
        struct event ev[16];
        uint64_t missed = 0, m = 0;
        bool read = false;
        size_t n;
        while ((n = events_since(q, *seen, ev, ELEMENTSOF(ev), &m)) > 0) {
                *seen = ev[n - 1].seq;
                missed += m;
                for (size_t i = 0; i < n; i++)
                        read |= ev[i].type == EVENT_CARD_INSERTED || ev[i].type == EVENT_SESSION_ENDED;
        }
        return read || missed > 0;
}

int card_cache_ready(struct card_cache *c, const struct reader_snapshot *snap, const char *reader,
                     unsigned timeout_ms, struct p11_identity *ret_who, uint64_t *ret_insertion,
                     unsigned ret_us[2]) {
        for (size_t i = 0; reader && i < snap->n; i++) {
                const struct reader_info *ri = &snap->r[i];
                if (strcmp(ri->name, reader) != 0)
                        continue;
                if (!ri->card_present || ri->kind != CARD_CPS)
                        return -ENODEV;
                if (ret_insertion)
                        *ret_insertion = ri->insertion;
                return card_cache_wait(c, ri->name, ri->insertion, timeout_ms, ret_who, ret_us);
        }
        return -ENODEV;
}
