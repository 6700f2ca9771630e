/* lib/readall.c: bounded whole-file reads (readall.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "readall.h"

int read_all(int fd, size_t max, char **ret, size_t *ret_len) {
        struct stat st;
        size_t cap = 64 * 1024, len = 0;

        if (fd < 0 || !ret || !ret_len || max > SIZE_MAX / 4)
                return -EINVAL;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
                if ((uint64_t)st.st_size > max)
                        return -EFBIG;
                cap = (size_t)st.st_size + 2; /* the data, a look at the end, the NUL */
        }
        if (cap > max + 2)
                cap = max + 2;
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len + 1 >= cap) { /* room for one more byte and the NUL */
                        if (cap >= max + 2)
                                return -EFBIG;
                        size_t ncap = cap * 2 < max + 2 ? cap * 2 : max + 2;
                        char *b = realloc(buf, ncap);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        cap = ncap;
                }
                ssize_t n = read(fd, buf + len, cap - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negerrno();
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int read_all_path(const char *path, size_t max, char **ret, size_t *ret_len) {
        if (!path)
                return -EINVAL;
        if (strcmp(path, "-") == 0)
                return read_all(STDIN_FILENO, max, ret, ret_len);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negerrno();
        return read_all(fd, max, ret, ret_len);
}

long pread_some(int fd, void *buf, size_t n, size_t off) {
        for (;;) {
                ssize_t k = pread(fd, buf, n, (off_t)off);
                if (k >= 0)
                        return (long)k;
                if (errno != EINTR)
                        return negerrno();
        }
}

int pread_exact(int fd, void *buf, size_t n, size_t off) {
        for (size_t got = 0; got < n;) {
                long k = pread_some(fd, (char *)buf + got, n - got, off + got);
                if (k <= 0) {
                        secure_zero(buf, got);
                        return k < 0 ? (int)k : -EIO;
                }
                got += (size_t)k;
        }
        return 0;
}

int pread_whole(int fd, size_t len, char **ret) {
        if (len == SIZE_MAX)
                return -ENOMEM;
        _cleanup_free_ char *buf = malloc(len + 1);
        if (!buf)
                return -ENOMEM;
        int r = pread_exact(fd, buf, len, 0);
        if (r < 0)
                return r;
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}
