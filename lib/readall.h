/* lib/readall.h: reading a whole file or stream, bounded.
 *
 * read_all() reads fd to its end into one malloc'ed buffer of at most max
 * bytes (a regular file's size is looked at first, so a file too large is
 * refused before anything is read).  For carnetctl's uploads and the HTTP
 * benchmark's bodies.
 *
 * pread_some() and pread_whole() read a file of known length at an offset
 * (a spooled request body): the one place that retries EINTR. */
#pragma once

#include <stddef.h>

/* Returns 0 with *ret (NUL-terminated, owned by the caller) and *ret_len,
 * -EFBIG past max, or a negative errno. */
int read_all(int fd, size_t max, char **ret, size_t *ret_len);

/* The same for a path, "-" being standard input. */
int read_all_path(const char *path, size_t max, char **ret, size_t *ret_len);

/* One pread(2) of at most n bytes at off, EINTR retried: the count read,
 * 0 at the end of the file, or a negative errno. */
long pread_some(int fd, void *buf, size_t n, size_t off);

/* Exactly n bytes of fd at off into buf: 0, -EIO when the file is
 * shorter, or a negative errno; what was read is wiped on a failure. */
int pread_exact(int fd, void *buf, size_t n, size_t off);

/* The first len bytes of fd into one malloc'ed buffer, NUL-terminated
 * after them: 0, -EIO when the file is shorter, or a negative errno.  The
 * part read is wiped before a failure frees it; the caller wipes *ret. */
int pread_whole(int fd, size_t len, char **ret);
