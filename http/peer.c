/* http/peer.c: caller credentials, the caller policy, and the
 * per-uid connection count. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "peer.h"
#include "lib/macro.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

/* The supplementary groups of the caller as the kernel recorded them at
 * connect() (Linux 4.13+).  Without SO_PEERGROUPS, falls back to the
 * groups the group database gives the uid's user name: a caller that
 * dropped groups is then judged on the groups it could have. */
static int peer_groups(int fd, struct peer *p) {
        socklen_t len = sizeof(p->groups);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, p->groups, &len) == 0) {
                p->n_groups = len / sizeof(gid_t);
                return 0;
        }
        if (errno == ERANGE) {
                /* more groups than we keep: the caller is judged on the first
                 * PEER_GROUPS_MAX (it may be refused, never wrongly allowed) */
                size_t n = len / sizeof(gid_t);
                _cleanup_free_ gid_t *all = calloc(n ? n : 1, sizeof(gid_t));
                if (!all)
                        return -ENOMEM;
                if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, all, &len) < 0)
                        return negerrno();
                n = len / sizeof(gid_t);
                p->n_groups = n < PEER_GROUPS_MAX ? n : PEER_GROUPS_MAX;
                memcpy(p->groups, all, p->n_groups * sizeof(gid_t));
                p->groups_truncated = n > PEER_GROUPS_MAX;
                return 0;
        }
        if (errno != ENOPROTOOPT)
                return negerrno();
        struct passwd pw, *pwp = NULL;
        char buf[4096];
        if (getpwuid_r(p->uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp) {
                p->n_groups = 0; /* no such user: the primary group only */
                return 0;
        }
        int ng = PEER_GROUPS_MAX;
        if (getgrouplist(pw.pw_name, p->gid, p->groups, &ng) < 0) {
                p->groups_truncated = true;
                ng = PEER_GROUPS_MAX;
        }
        p->n_groups = (size_t)ng;
        return 0;
}

int peer_read(int fd, struct peer *ret) {
        struct peer p = {0};
        struct ucred uc;
        socklen_t len = sizeof(uc);

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
                return negerrno();
        if (len != sizeof(uc))
                return -EPERM;
        p.uid = uc.uid;
        p.gid = uc.gid;
        p.pid = uc.pid;
        int r = peer_groups(fd, &p);
        if (r < 0)
                return r;
        *ret = p;
        return 0;
}

static bool group_allowed(const struct peer_policy *pol, gid_t g) {
        for (size_t i = 0; i < pol->n_groups; i++)
                if (pol->groups[i] == g)
                        return true;
        return false;
}

bool peer_allowed(const struct peer_policy *pol, const struct peer *p) {
        if (p->uid == 0 || p->uid == pol->self_uid)
                return true;
        if (group_allowed(pol, p->gid))
                return true;
        for (size_t i = 0; i < p->n_groups && i < PEER_GROUPS_MAX; i++)
                if (group_allowed(pol, p->groups[i]))
                        return true;
        return false;
}

int uid_slots_init(struct uid_slots *t, unsigned limit, size_t cap) {
        memset(t, 0, sizeof(*t));
        if (limit == 0 || cap == 0)
                return -EINVAL;
        t->e = calloc(cap, sizeof(*t->e));
        if (!t->e)
                return -ENOMEM;
        t->limit = limit;
        t->cap = cap;
        pthread_mutex_init(&t->lock, NULL);
        return 0;
}

void uid_slots_done(struct uid_slots *t) {
        if (!t->e)
                return;
        pthread_mutex_destroy(&t->lock);
        free(t->e);
        t->e = NULL;
}

int uid_slots_take(struct uid_slots *t, uid_t uid) {
        int r = -EUSERS;
        size_t i;

        pthread_mutex_lock(&t->lock);
        for (i = 0; i < t->n && t->e[i].uid != uid; i++)
                ;
        if (i == t->n) {
                if (t->n == t->cap)
                        goto out; /* more uids than connections: cannot happen */
                t->e[t->n++] = (struct uid_count){.uid = uid};
        }
        if (t->e[i].n < t->limit) {
                t->e[i].n++;
                r = 0;
        }
out:
        pthread_mutex_unlock(&t->lock);
        return r;
}

void uid_slots_give(struct uid_slots *t, uid_t uid) {
        pthread_mutex_lock(&t->lock);
        for (size_t i = 0; i < t->n; i++) {
                if (t->e[i].uid != uid)
                        continue;
                if (t->e[i].n > 0 && --t->e[i].n == 0)
                        t->e[i] = t->e[--t->n]; /* forget idle uids: the table stays small */
                break;
        }
        pthread_mutex_unlock(&t->lock);
}
