/* engine/wal-sync.h: group commit for the SQLite store (private to
 * engine/store-sqlite.c).
 *
 * In WAL mode with synchronous=NORMAL, SQLite's COMMIT writes the
 * transaction's frames to the -wal file without waiting for the disk.  A
 * wal_sync holds a descriptor of that same file and makes the frames
 * durable with fdatasync(2) when a caller asks: every thread that waits
 * at the same time shares one fdatasync (the first becomes the leader,
 * the others wait for its result and one of them leads the next round
 * for what came meanwhile).  Marks are SQLite's total change count of the
 * connection, taken after a transaction ends: waiting for a mark waits
 * until everything written up to it is on disk.
 *
 * A failed fdatasync is sticky (as PostgreSQL panics, nothing is retried:
 * the kernel may have dropped the pages it could not write): every later
 * wait returns that error, and the store refuses new writes. */
#pragma once

#include <stdint.h>

struct wal_sync;

/* Opens path (the database's -wal file, which must exist). */
int wal_sync_open(const char *path, struct wal_sync **ret);
void wal_sync_free(struct wal_sync *w);

/* Records that changes up to mark were written (callers hold the
 * connection); later waits for any mark <= it sync them all at once. */
void wal_sync_publish(struct wal_sync *w, uint64_t mark);
/* Returns once every change up to mark is on disk: 0, or the sticky
 * negative errno of a failed fdatasync.  Thread-safe; never touches the
 * SQLite connection. */
int wal_sync_wait(struct wal_sync *w, uint64_t mark);
/* The sticky error (0: none). */
int wal_sync_error(struct wal_sync *w);
/* How many fdatasync calls were made (for tests and benchmarks). */
uint64_t wal_sync_count(struct wal_sync *w);
