/* engine/dossier-readers.c: the engine's read connections (SQLite): a few
 * more connections to the same file, on which a call that has decided and
 * committed under the engine's mutex reads what takes time (a document's
 * content) after letting the mutex go; see dossier-internal.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dossier-internal.h"

/* (the pool's mutex is set up with the engine's, in dossier_engine_open) */
int de_readers_init(struct dossier_engine *e, const char *path) {
        /* PostgreSQL (the host) has its own engines per connection; an
         * in-memory SQLite database has no second connection */
        if (store_kind(e->store) != STORE_SQLITE || !path || strcmp(path, ":memory:") == 0 ||
            strncmp(path, "file:", 5) == 0)
                return 0;
        e->readers.path = strdup(path);
        return e->readers.path ? 0 : -ENOMEM;
}

void de_readers_free(struct dossier_engine *e) {
        for (size_t i = 0; i < e->readers.n_free; i++)
                store_close(e->readers.free[i]);
        free(e->readers.path);
        pthread_mutex_destroy(&e->readers.lock);
}

struct store *de_reader_take(struct dossier_engine *e) {
        struct de_readers *p = &e->readers;
        struct store *s = NULL;

        if (!p->path)
                return NULL;
        pthread_mutex_lock(&p->lock);
        if (p->n_free > 0)
                s = p->free[--p->n_free];
        else if (p->n_open < DE_READERS_MAX)
                p->n_open++;
        else {
                pthread_mutex_unlock(&p->lock);
                return NULL; /* all in use: the caller reads on the writer */
        }
        pthread_mutex_unlock(&p->lock);
        if (s)
                return s;
        /* a small page cache: what a reader reads (contents, 256 KiB a
         * piece) passes through once; DE_READERS_MAX caches of SQLite's
         * default 2 MiB would be a quarter of carnetd's memory budget */
        if (store_open(p->path, &s) < 0 || store_exec_script(s, "PRAGMA cache_size = -256") < 0) {
                s = store_close(s);
                pthread_mutex_lock(&p->lock);
                p->n_open--;
                pthread_mutex_unlock(&p->lock);
                return NULL;
        }
        return s;
}

void de_reader_put(struct dossier_engine *e, struct store *s) {
        if (!s)
                return;
        store_rollback(s); /* nothing is open; defensive */
        pthread_mutex_lock(&e->readers.lock);
        e->readers.free[e->readers.n_free++] = s;
        pthread_mutex_unlock(&e->readers.lock);
}
