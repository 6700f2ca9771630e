/* engine/dossier-snapshot.c: reads decided off the engine's mutex, on a
 * read connection's snapshot, their trail entries appended together by
 * the trail queue; see dossier-internal.h and docs/dossier-engine.md,
 * "Reads off the mutex".
 *
 * Why the decision still holds when its entry is appended: the generation
 * is read before the snapshot begins, and every call that commits a
 * change moves it after its commit (de_unlock()).  If the generation is
 * still the same under the mutex when the entry is appended, no change
 * was committed since it was read, so the snapshot saw the state as it
 * is at that moment: the access is decided and traced on that state, as
 * if it had been made under the mutex then. */
#include <errno.h>

#include "dossier-internal.h"

int de_snap_begin(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, struct de_snap *sn) {
        int r;

        *sn = (struct de_snap) { .e = e };
        if (!e || !store_group_commit(e->store) || de_actor_check(actor) < 0 || de_ins_check(ins) < 0)
                return -EAGAIN; /* the usual way says what is wrong */
        sn->gen = atomic_load_explicit(&e->generation, memory_order_acquire);
        sn->rd = de_reader_take(e);
        if (!sn->rd)
                return -EAGAIN;
        pthread_rwlock_rdlock(&e->tables);
        sn->tables_held = true;
        sn->now = de_now_of(e);
        /* the snapshot is the one its first statement sees, after the
         * generation was read */
        r = store_begin_read(sn->rd);
        if (r >= 0)
                r = de_professional_noted(e, sn->rd, actor, sn->now, sn->gen);
        if (r == 0)
                r = -EAGAIN; /* the professional's row to write */
        if (r > 0)
                r = de_load_state_on(sn->rd, actor, ins, sn->now, &sn->ds);
        if (r < 0) {
                de_snap_end(sn);
                return -EAGAIN; /* an error there is the usual way's to report */
        }
        return 0;
}

int de_snap_decide(struct de_snap *sn, const struct dossier_actor *actor, const char *ins, enum access_action action,
                   const struct access_doc *doc, const char *doc_uid) {
        struct access_request req;
        int r;

        de_fill_request(sn->e, actor, ins, &sn->ds, action, doc, false, &req);
        r = access_decide(&req, &sn->decision);
        if (r < 0)
                return -EAGAIN;
        /* what de_after_allow() would write: a notice of an emergency
         * access, a first access */
        if (sn->decision.allow && actor->kind == ACCESS_ACTOR_PROFESSIONAL && sn->ds.id != 0 &&
            ((sn->decision.flags & ACCESS_FLAG_EMERGENCY) || !sn->ds.seen))
                return -EAGAIN;
        de_audit_entry(actor, ins, access_action_name(action), doc_uid, &sn->decision, sn->now, &sn->ae);
        return 0;
}

void de_snap_end(struct de_snap *sn) {
        if (sn->tables_held)
                pthread_rwlock_unlock(&sn->e->tables);
        sn->tables_held = false;
        if (sn->rd)
                de_reader_put(sn->e, sn->rd); /* ends the read transaction */
        sn->rd = NULL;
}

void de_snap_submit(struct de_snap *sn) {
        if (!sn->submitted)
                de_trailq_submit(sn->e, &sn->item, &sn->ae, sn->gen, true);
        sn->submitted = true;
}

int de_snap_commit(struct de_snap *sn) {
        de_snap_end(sn);
        if (!sn->submitted)
                de_trailq_submit(sn->e, &sn->item, &sn->ae, sn->gen, false);
        sn->submitted = false;
        int r = de_trailq_wait(sn->e, &sn->item);
        if (r < 0)
                return r;
        de_publish_decision(sn->e, &sn->decision);
        return sn->decision.allow ? 0 : de_denied_errno(&sn->decision);
}
