/* http/spool.h: request bodies received into files rather than memory.
 *
 * A spool file is an unlinked file (O_TMPFILE, mode 0600) in the server's
 * spool folder: it has no name from its first moment, so that nothing of
 * a body (a medical document) is left on disk once its descriptor is
 * closed, whatever ends the request (a reply, a pulled connection,
 * carnetd killed).  Its bytes live in the folder's filesystem, as the
 * database's do.  The SHA-256 of the body is taken as it is written. */
#pragma once

#include <stddef.h>

#include "router.h"

struct spool_file {
        int fd;    /* -1: none */
        size_t len;
        void *sha; /* EVP_MD_CTX */
};
#define SPOOL_FILE_NONE ((struct spool_file){.fd = -1})

/* Opens the folder (which must exist) and checks that a spool file can
 * be created in it: 0 with *ret_fd the folder's descriptor, or the
 * error of open(O_TMPFILE) (-EOPNOTSUPP: a filesystem without O_TMPFILE,
 * -EACCES, -ENOENT...). */
int spool_dir_open(const char *dir, int *ret_fd);

/* A new, empty spool file in the folder dir_fd. */
int spool_begin(int dir_fd, struct spool_file *f);
/* Appends n bytes: 0, or -errno (-ENOSPC, -EDQUOT: the disk is full). */
int spool_write(struct spool_file *f, const void *p, size_t n);
/* The body as handlers read it (router.h): the descriptor, the length and
 * the digest of what was written.  The file stays f's. */
int spool_finish(struct spool_file *f, struct api_spool *ret);
/* Closes the file (so frees its blocks) and the digest; f is then none. */
void spool_end(struct spool_file *f);
