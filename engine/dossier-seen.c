/* engine/dossier-seen.c: whether noting a professional would write
 * nothing, asked of a snapshot once per generation; see
 * de_professional_noted() in dossier-internal.h.
 *
 * Why a remembered row still holds: it is the row a snapshot saw, taken
 * after reading generation gen, and it is used only by snapshots taken
 * after reading that same generation.  The row changes only by a commit
 * (de_begin_op()'s UPSERT), and every commit that changes more than the
 * trail moves the generation after it: a snapshot that reads gen again
 * therefore sees the row as it was.  Should a commit land between the
 * two reads of the generation, the trail queue finds the generation
 * moved and the call is made again under the mutex (dossier-snapshot.c),
 * as without this cache. */
#include <errno.h>
#include <string.h>

#include "dossier-internal.h"
#include "lib/macro.h"

/* The row with the actor's five fields, whatever its time: noting them
 * would write nothing when its last_seen >= now - DE_SEEN_WINDOW_S (the
 * negation of sql_professional's WHERE, dossier-frame.c), which is
 * checked here, so that the row can be remembered with its time. */
static const char sql_professional_seen[] =
        "SELECT last_seen FROM professionals WHERE id_nat = ?1 AND last_name = ?2 AND first_name = ?3 "
        "AND profession = ?4 AND specialty = ?5";

/* The key of the actor's row in buf: each field as its length (two
 * bytes) and its bytes, so that no two actors share one.  0 when it does
 * not fit: then nothing is remembered. */
static size_t seen_key(const struct dossier_actor *actor, char *buf, size_t size) {
        const char *f[] = {actor->id, de_nz(actor->last_name), de_nz(actor->first_name), de_nz(actor->profession),
                           de_nz(actor->specialty)};
        size_t len = 0;

        for (size_t i = 0; i < ELEMENTSOF(f); i++) {
                size_t n = strlen(f[i]);
                if (n > size - len || size - len - n < 2)
                        return 0;
                buf[len++] = (char) (n >> 8);
                buf[len++] = (char) (n & 0xff);
                memcpy(buf + len, f[i], n);
                len += n;
        }
        return len;
}

/* FNV-1a */
static size_t seen_slot(const char *key, size_t len) {
        uint32_t h = 2166136261u;
        for (size_t i = 0; i < len; i++)
                h = (h ^ (unsigned char) key[i]) * 16777619u;
        return h % DE_SEEN_SLOTS;
}

static bool seen_recall(struct de_seen *c, const char *key, size_t len, int64_t now, uint64_t gen) {
        struct de_seen_slot *sl = &c->slot[seen_slot(key, len)];
        bool hit;

        pthread_mutex_lock(&c->lock);
        hit = sl->len == len && sl->gen == gen && sl->last_seen >= now - DE_SEEN_WINDOW_S &&
              memcmp(sl->key, key, len) == 0;
        pthread_mutex_unlock(&c->lock);
        return hit;
}

static void seen_remember(struct de_seen *c, const char *key, size_t len, int64_t last_seen, uint64_t gen) {
        struct de_seen_slot *sl = &c->slot[seen_slot(key, len)];

        pthread_mutex_lock(&c->lock);
        /* an older generation's answer never replaces a newer one */
        if (sl->len == 0 || sl->gen <= gen) {
                sl->gen = gen;
                sl->last_seen = last_seen;
                sl->len = len;
                memcpy(sl->key, key, len);
        }
        pthread_mutex_unlock(&c->lock);
}

int de_professional_noted(struct dossier_engine *e, struct store *s, const struct dossier_actor *actor, int64_t now,
                          uint64_t gen) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        char key[DE_SEEN_KEY_MAX];
        size_t len;
        int64_t last_seen;
        int r;

        if (actor->kind != ACCESS_ACTOR_PROFESSIONAL)
                return 1;
        if (!actor->id)
                return -EINVAL;
        len = seen_key(actor, key, sizeof(key));
        if (len > 0 && seen_recall(&e->seen, key, len, now, gen))
                return 1;
        r = store_prepare(s, sql_professional_seen, &st);
        if (r >= 0)
                r = de_bind_professional(st, actor);
        if (r < 0)
                return r;
        r = store_step(s, st);
        if (r <= 0)
                return r;
        last_seen = store_col_int64(st, 0);
        if (last_seen < now - DE_SEEN_WINDOW_S)
                return 0;
        if (len > 0)
                seen_remember(&e->seen, key, len, last_seen, gen);
        return 1;
}
