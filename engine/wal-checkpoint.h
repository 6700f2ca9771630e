/* engine/wal-checkpoint.h: SQLite's WAL checkpoints in a thread of their
 * own (private to engine/store-sqlite.c).
 *
 * By default SQLite checkpoints inside the COMMIT that takes the -wal file
 * past 1000 pages: that request pays for copying the pages into the
 * database and for two syncs, under the engine's mutex.  Here the writing
 * connection's automatic checkpoints are off; its commit hook only wakes a
 * thread that runs a PASSIVE checkpoint on a connection of its own, beside
 * the writers and readers (a passive checkpoint waits for nobody and
 * copies what no reader still needs).  Should the -wal file reach
 * WAL_CHECKPOINT_INLINE pages all the same (the thread could not start,
 * or readers kept it from finishing), the commit checkpoints itself as
 * SQLite would.  With synchronous=NORMAL a checkpoint syncs the -wal file
 * before it copies and the database file after: durability is SQLite's. */
#pragma once

#include <sqlite3.h>

#define WAL_CHECKPOINT_PAGES 1000
#define WAL_CHECKPOINT_INLINE 16000

struct wal_checkpointer;

/* Takes over db's automatic checkpoints (db: the writing connection of
 * the file at path).  The thread starts at the first checkpoint due. */
int wal_checkpointer_new(sqlite3 *db, const char *path, struct wal_checkpointer **ret);
/* Stops the thread (after the checkpoint it may be running) and frees;
 * call before closing db. */
void wal_checkpointer_free(struct wal_checkpointer *c);
/* How many checkpoints the thread has run (for tests). */
unsigned long wal_checkpointer_runs(struct wal_checkpointer *c);
