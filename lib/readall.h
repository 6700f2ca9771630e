/* lib/readall.h: reading a whole file or stream, bounded.
 *
 * read_all() reads fd to its end into one malloc'ed buffer of at most max
 * bytes (a regular file's size is looked at first, so a file too large is
 * refused before anything is read).  For carnetctl's uploads and the HTTP
 * benchmark's bodies. */
#pragma once

#include <stddef.h>

/* Returns 0 with *ret (NUL-terminated, owned by the caller) and *ret_len,
 * -EFBIG past max, or a negative errno. */
int read_all(int fd, size_t max, char **ret, size_t *ret_len);

/* The same for a path, "-" being standard input. */
int read_all_path(const char *path, size_t max, char **ret, size_t *ret_len);
