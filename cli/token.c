/* cli/token.c: the session file (see token.h).  Every access goes through
 * a descriptor of the folder, opened without following symbolic links and
 * checked (owner, mode) before anything inside is touched. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/macro.h"
#include "token.h"

static const char *file_name(enum token_kind kind) {
        return kind == TOKEN_PATIENT ? "patient-session" : "session";
}

bool token_valid(const char *s) {
        size_t n = 0;
        for (; s[n]; n++) {
                char c = s[n];
                if (n >= TOKEN_MAX ||
                    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_' || c == '-'))
                        return false;
        }
        return n > 0;
}

/* The folder for the session files (see token.h).  Under /tmp its parent
 * is shared with everyone: open_dir() refuses a folder someone else made
 * there, or a symbolic link. */
static int token_dir(char *buf, size_t size) {
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        struct stat st;
        int n;

        if (xdg && xdg[0] == '/')
                n = snprintf(buf, size, "%s/carnet", xdg);
        else {
                char run[64];
                snprintf(run, sizeof(run), "/run/user/%u", (unsigned)getuid());
                if (lstat(run, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid())
                        n = snprintf(buf, size, "%s/carnet", run);
                else
                        n = snprintf(buf, size, "/tmp/carnet-%u", (unsigned)getuid());
        }
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int token_path(enum token_kind kind, char *buf, size_t size) {
        char dir[4096];
        int r = token_dir(dir, sizeof(dir));
        if (r < 0)
                return r;
        int n = snprintf(buf, size, "%s/%s", dir, file_name(kind));
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Opens the folder (making it when create), refusing anything but a
 * folder of the user's own that nobody else may enter. */
static int open_dir(bool create, int *ret_fd) {
        char dir[4096];
        struct stat st;
        int r = token_dir(dir, sizeof(dir));
        if (r < 0)
                return r;
        if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
                return negerrno();
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP || errno == ENOTDIR ? -EPERM : negerrno();
        if (fstat(fd, &st) < 0)
                return negerrno();
        if (st.st_uid != getuid() || (st.st_mode & 077))
                return -EPERM;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int token_save(enum token_kind kind, const char *token, char *ret_path, size_t path_size) {
        _cleanup_close_ int dfd = -1;
        char tmp[64], line[TOKEN_MAX + 2];
        int r;

        if (!token_valid(token))
                return -EINVAL;
        if ((r = open_dir(true, &dfd)) < 0)
                return r;
        snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", file_name(kind), (long)getpid());
        (void)unlinkat(dfd, tmp, 0); /* a leftover of a carnetctl killed here, same pid */
        _cleanup_close_ int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return negerrno();
        int n = snprintf(line, sizeof(line), "%s\n", token);
        ssize_t w = write(fd, line, (size_t)n);
        secure_zero(line, sizeof(line));
        if (w != n || fsync(fd) < 0) {
                r = w < 0 || w == n ? negerrno() : -EIO;
                (void)unlinkat(dfd, tmp, 0);
                return r;
        }
        if (renameat(dfd, tmp, dfd, file_name(kind)) < 0) {
                r = negerrno();
                (void)unlinkat(dfd, tmp, 0);
                return r;
        }
        if (ret_path && (r = token_path(kind, ret_path, path_size)) < 0)
                return r;
        return 0;
}

/* Opens and checks the session file in dfd: a regular file of the user's
 * that nobody else may read or write. */
static int open_file(int dfd, enum token_kind kind, int *ret_fd) {
        struct stat st;
        _cleanup_close_ int fd = openat(dfd, file_name(kind), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return errno == ELOOP ? -EPERM : negerrno();
        if (fstat(fd, &st) < 0)
                return negerrno();
        if (!S_ISREG(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
                return -EPERM;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int token_load(enum token_kind kind, char *buf, size_t size) {
        _cleanup_close_ int dfd = -1, fd = -1;
        char raw[TOKEN_MAX + 2];
        int r;

        if (size < TOKEN_MAX + 1)
                return -ENOBUFS;
        if ((r = open_dir(false, &dfd)) < 0 || (r = open_file(dfd, kind, &fd)) < 0)
                return r;
        ssize_t n = read(fd, raw, sizeof(raw) - 1);
        if (n < 0)
                return negerrno();
        raw[n] = '\0';
        raw[strcspn(raw, "\r\n")] = '\0';
        r = token_valid(raw) ? 0 : -EBADMSG;
        if (r == 0)
                memcpy(buf, raw, strlen(raw) + 1);
        secure_zero(raw, sizeof(raw));
        return r;
}

int token_remove(enum token_kind kind, const char *expected) {
        _cleanup_close_ int dfd = -1;
        char cur[TOKEN_MAX + 1];
        int r = open_dir(false, &dfd);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (expected) {
                r = token_load(kind, cur, sizeof(cur));
                bool same = r == 0 && strcmp(cur, expected) == 0;
                secure_zero(cur, sizeof(cur));
                if (r == -ENOENT)
                        return 0;
                if (r < 0 && r != -EBADMSG)
                        return r;
                if (r == 0 && !same)
                        return 0; /* a newer login: not ours to remove */
        }
        if (unlinkat(dfd, file_name(kind), 0) < 0 && errno != ENOENT)
                return negerrno();
        return 0;
}
