/* http/peer.h: who is calling, and whether they may.
 *
 * Each connection's caller is read from the socket when it connects
 * (SO_PEERCRED for uid, gid and pid, SO_PEERGROUPS for the supplementary
 * groups: both are fixed by the kernel at connect(), so no /proc race).
 * The caller policy allows root, carnetd's own uid, and any caller whose
 * primary or supplementary groups include an allowed group.  A table
 * counts the open connections of each uid against a limit. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PEER_GROUPS_MAX 64      /* supplementary groups read per caller */
#define PEER_POLICY_GROUPS_MAX 16

struct peer {
        uid_t uid;
        gid_t gid;
        pid_t pid;
        size_t n_groups;
        gid_t groups[PEER_GROUPS_MAX];
        bool groups_truncated; /* the caller has more groups than PEER_GROUPS_MAX */
};

struct peer_policy {
        uid_t self_uid; /* carnetd's own uid, always allowed */
        size_t n_groups;
        gid_t groups[PEER_POLICY_GROUPS_MAX];
};

/* Reads the caller on a connected Unix socket.  Returns 0, or -errno when
 * the kernel gives no credentials. */
int peer_read(int fd, struct peer *ret);

/* Whether the policy lets this caller use the API. */
bool peer_allowed(const struct peer_policy *pol, const struct peer *p);

/* Open connections per uid, at most `limit` each. */
struct uid_slots {
        pthread_mutex_t lock;
        unsigned limit;
        size_t cap, n;
        struct uid_count {
                uid_t uid;
                unsigned n;
        } *e;
};

/* cap: how many different uids can hold connections at once (the total
 * connection limit is enough). */
int uid_slots_init(struct uid_slots *t, unsigned limit, size_t cap);
void uid_slots_done(struct uid_slots *t);
/* Takes one of uid's slots: 0, or -EUSERS when uid has `limit` already. */
int uid_slots_take(struct uid_slots *t, uid_t uid);
/* Gives back a slot taken by uid_slots_take(). */
void uid_slots_give(struct uid_slots *t, uid_t uid);
