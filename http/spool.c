/* http/spool.c: request bodies in unlinked files; see spool.h. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "lib/macro.h"
#include "spool.h"

static int tmpfile_in(int dir_fd) {
        int fd = openat(dir_fd, ".", O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
        return fd < 0 ? negerrno() : fd;
}

int spool_dir_open(const char *dir, int *ret_fd) {
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negerrno();
        int fd = tmpfile_in(dfd);
        if (fd < 0)
                return fd;
        close(fd);
        *ret_fd = TAKE_FD(dfd);
        return 0;
}

int spool_begin(int dir_fd, struct spool_file *f) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        if (!md)
                return -ENOMEM;
        if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
                EVP_MD_CTX_free(md);
                return -EIO;
        }
        int fd = tmpfile_in(dir_fd);
        if (fd < 0) {
                EVP_MD_CTX_free(md);
                return fd;
        }
        *f = (struct spool_file){.fd = fd, .sha = md};
        return 0;
}

int spool_write(struct spool_file *f, const void *p, size_t n) {
        if (f->fd < 0)
                return -EBADF;
        if (EVP_DigestUpdate(f->sha, p, n) != 1)
                return -EIO;
        for (size_t done = 0; done < n;) {
                ssize_t k = write(f->fd, (const char *)p + done, n - done);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negerrno();
                if (k == 0)
                        return -EIO;
                done += (size_t)k;
        }
        f->len += n;
        return 0;
}

int spool_finish(struct spool_file *f, struct api_spool *ret) {
        unsigned int n = 0;
        if (f->fd < 0)
                return -EBADF;
        if (EVP_DigestFinal_ex(f->sha, ret->sha256, &n) != 1 || n != sizeof(ret->sha256))
                return -EIO;
        ret->fd = f->fd;
        ret->len = f->len;
        return 0;
}

void spool_end(struct spool_file *f) {
        if (f->fd >= 0)
                close(f->fd);
        EVP_MD_CTX_free(f->sha);
        *f = SPOOL_FILE_NONE;
}
