/* engine/wal-checkpoint.c: a thread for the WAL checkpoints; see
 * wal-checkpoint.h. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/macro.h"
#include "store.h"
#include "wal-checkpoint.h"

struct wal_checkpointer {
        sqlite3 *writer;
        char *path;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        pthread_t thread;
        bool started, failed; /* failed: no thread; commits checkpoint inline */
        bool due, stop;
        unsigned long runs;
};

static void *run(void *userdata) {
        struct wal_checkpointer *c = userdata;
        sqlite3 *db = NULL;

        if (sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
                sqlite3_close(db);
                db = NULL;
        } else {
                sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
                /* a first read: until then the connection does not know
                 * the file is in WAL mode, and a checkpoint does nothing */
                if (sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK) {
                        sqlite3_close(db);
                        db = NULL;
                }
        }
        pthread_mutex_lock(&c->lock);
        if (!db)
                c->failed = true;
        while (db && !c->stop) {
                if (!c->due) {
                        pthread_cond_wait(&c->wake, &c->lock);
                        continue;
                }
                c->due = false;
                pthread_mutex_unlock(&c->lock);
                (void) sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
                pthread_mutex_lock(&c->lock);
                c->runs++;
        }
        pthread_mutex_unlock(&c->lock);
        sqlite3_close(db);
        return NULL;
}

/* The writer's commit hook (sqlite3_wal_hook): pages is the -wal file's
 * length in frames after this commit. */
static int committed(void *userdata, sqlite3 *db, const char *name, int pages) {
        struct wal_checkpointer *c = userdata;
        bool inline_ckpt;

        if (pages < WAL_CHECKPOINT_PAGES)
                return SQLITE_OK;
        pthread_mutex_lock(&c->lock);
        if (!c->started && !c->failed) {
                c->started = pthread_create(&c->thread, NULL, run, c) == 0;
                c->failed = !c->started;
        }
        c->due = true;
        pthread_cond_signal(&c->wake);
        inline_ckpt = c->failed || pages >= WAL_CHECKPOINT_INLINE;
        pthread_mutex_unlock(&c->lock);
        if (inline_ckpt)
                (void) sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        return SQLITE_OK;
}

int wal_checkpointer_new(sqlite3 *db, const char *path, struct wal_checkpointer **ret) {
        _cleanup_free_ struct wal_checkpointer *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->path = strdup(path);
        if (!c->path)
                return -ENOMEM;
        c->writer = db;
        pthread_mutex_init(&c->lock, NULL);
        pthread_cond_init(&c->wake, NULL);
        sqlite3_wal_hook(db, committed, c); /* replaces the automatic checkpoints */
        *ret = TAKE_PTR(c);
        return 0;
}

void wal_checkpointer_free(struct wal_checkpointer *c) {
        if (!c)
                return;
        sqlite3_wal_hook(c->writer, NULL, NULL);
        pthread_mutex_lock(&c->lock);
        c->stop = true;
        pthread_cond_signal(&c->wake);
        bool started = c->started;
        pthread_mutex_unlock(&c->lock);
        if (started)
                pthread_join(c->thread, NULL);
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->lock);
        free(c->path);
        free(c);
}

unsigned long wal_checkpointer_runs(struct wal_checkpointer *c) {
        if (!c)
                return 0;
        pthread_mutex_lock(&c->lock);
        unsigned long n = c->runs;
        pthread_mutex_unlock(&c->lock);
        return n;
}
