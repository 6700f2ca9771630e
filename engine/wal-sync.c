/* engine/wal-sync.c: one fdatasync of the -wal file for every waiter at
 * once; see wal-sync.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/macro.h"
#include "wal-sync.h"

struct wal_sync {
        pthread_mutex_t lock;
        pthread_cond_t done;
        int fd;
        char *path;
        uint64_t published; /* the highest mark written so far */
        uint64_t synced;    /* every change up to it is on disk */
        bool syncing;       /* a leader is in fdatasync */
        int error;          /* sticky */
        uint64_t syncs;
};

static int open_wal(const char *path) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        return fd < 0 ? negerrno() : fd;
}

int wal_sync_open(const char *path, struct wal_sync **ret) {
        _cleanup_free_ struct wal_sync *w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->path = strdup(path);
        if (!w->path)
                return -ENOMEM;
        w->fd = open_wal(path);
        if (w->fd < 0) {
                int r = w->fd;
                free(w->path);
                return r;
        }
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->done, NULL);
        *ret = TAKE_PTR(w);
        return 0;
}

void wal_sync_free(struct wal_sync *w) {
        if (!w)
                return;
        close(w->fd);
        pthread_cond_destroy(&w->done);
        pthread_mutex_destroy(&w->lock);
        free(w->path);
        free(w);
}

void wal_sync_publish(struct wal_sync *w, uint64_t mark) {
        pthread_mutex_lock(&w->lock);
        if (mark > w->published)
                w->published = mark;
        pthread_mutex_unlock(&w->lock);
}

/* The leader's fdatasync, without the lock.  SQLite removes the -wal file
 * only when its last connection closes (not while this store holds one),
 * but if it is gone all the same the file now at path is the one SQLite
 * writes: it is opened again and synced.  Only the link count is asked
 * for: a stat that reads the file's times makes Linux (6.13 on, its
 * multigrain timestamps) give the next write a fine-grained mtime, so
 * that every fdatasync would write the inode too, one more I/O waited
 * for (0.13 ms against 0.21 here, docs/benchmarks.md). */
static int sync_file(struct wal_sync *w) {
        struct statx st;
        if (statx(w->fd, "", AT_EMPTY_PATH, STATX_NLINK, &st) == 0 && (st.stx_mask & STATX_NLINK) &&
            st.stx_nlink == 0) {
                int fd = open_wal(w->path);
                if (fd < 0)
                        return fd == -ENOENT ? 0 : fd; /* no -wal: nothing waits in one */
                close(w->fd);
                w->fd = fd;
        }
        return fdatasync(w->fd) < 0 ? negerrno() : 0;
}

int wal_sync_wait(struct wal_sync *w, uint64_t mark) {
        pthread_mutex_lock(&w->lock);
        if (mark > w->published)
                w->published = mark;
        for (;;) {
                if (w->error || w->synced >= mark)
                        break;
                if (w->syncing) {
                        pthread_cond_wait(&w->done, &w->lock);
                        continue;
                }
                /* lead a round for everything written so far */
                uint64_t target = w->published;
                w->syncing = true;
                pthread_mutex_unlock(&w->lock);
                int r = sync_file(w);
                pthread_mutex_lock(&w->lock);
                w->syncing = false;
                w->syncs++;
                if (r < 0)
                        w->error = r == -EINTR ? -EIO : r;
                else if (target > w->synced)
                        w->synced = target;
                pthread_cond_broadcast(&w->done);
        }
        int r = w->error;
        pthread_mutex_unlock(&w->lock);
        return r;
}

int wal_sync_error(struct wal_sync *w) {
        pthread_mutex_lock(&w->lock);
        int r = w->error;
        pthread_mutex_unlock(&w->lock);
        return r;
}

uint64_t wal_sync_count(struct wal_sync *w) {
        pthread_mutex_lock(&w->lock);
        uint64_t n = w->syncs;
        pthread_mutex_unlock(&w->lock);
        return n;
}
