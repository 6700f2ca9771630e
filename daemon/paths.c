/* daemon/paths.c: the data folder and the folders carnetd writes into. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "engine/store.h"
#include "lib/macro.h"
#include "paths.h"

/* EXE/../share/carnet when it holds rights.tsv: 1 and the folder in out,
 * else 0. */
static int beside_program(char *out, size_t size) {
        char exe[PATH_MAX], probe[PATH_MAX + 32];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0)
                return 0;
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (!slash)
                return 0;
        *slash = '\0'; /* PREFIX/sbin */
        slash = strrchr(exe, '/');
        if (!slash)
                return 0;
        *slash = '\0'; /* PREFIX ("" for /sbin) */
        snprintf(probe, sizeof(probe), "%s/share/carnet/rights.tsv", exe);
        if (access(probe, R_OK) < 0)
                return 0;
        return snprintf(out, size, "%s/share/carnet", exe) < (int)size;
}

int paths_data_dir(char *out, size_t size) {
        const char *env = getenv("CARNET_DATA_DIR");
        if (env && env[0] == '/')
                return strcpy_bounded(out, size, env);
        if (beside_program(out, size))
                return 0;
        return strcpy_bounded(out, size, CARNET_DATADIR);
}

int paths_need_folder(const char *file, mode_t mode, const char *what, char *err, size_t errlen) {
        char dir[PATH_MAX];
        struct stat st;

        if (strcpy_bounded(dir, sizeof(dir), file) < 0)
                return -ENAMETOOLONG;
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0; /* in / or relative: nothing to create */
        *slash = '\0';
        if (stat(dir, &st) < 0) {
                int r = negerrno();
                if (r != -ENOENT || mkdir(dir, mode) < 0) {
                        if (r == -ENOENT)
                                r = negerrno();
                        snprintf(err, errlen,
                                 "%s %s: the folder %s is missing and carnetd (uid %u) cannot create it: %s; "
                                 "create it for that user (systemd-tmpfiles --create carnet.conf, or mkdir and "
                                 "chown), or choose another path in carnetd.conf",
                                 what, file, dir, (unsigned)geteuid(), strerror(-r));
                        return r;
                }
                return 0;
        }
        if (!S_ISDIR(st.st_mode)) {
                snprintf(err, errlen, "%s %s: %s is not a folder", what, file, dir);
                return -ENOTDIR;
        }
        if (access(dir, W_OK | X_OK) < 0) {
                int r = negerrno();
                snprintf(err, errlen,
                         "%s %s: carnetd (uid %u) may not write in the folder %s: %s; give that user the "
                         "folder (chown), or choose another path in carnetd.conf",
                         what, file, (unsigned)geteuid(), dir, strerror(-r));
                return r;
        }
        return 0;
}

/* The folder exists (created 0700), is a folder of ours, 0700, and takes
 * an unlinked file. */
static int spool_ready(const char *dir, char *err, size_t errlen) {
        struct stat st;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                int r = negerrno();
                snprintf(err, errlen, "spool_dir %s: carnetd (uid %u) cannot create it: %s; create its parent folder, "
                         "or choose another spool_dir in carnetd.conf", dir, (unsigned)geteuid(), strerror(-r));
                return r;
        }
        if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
                snprintf(err, errlen, "spool_dir %s: not a folder that carnetd (uid %u) owns", dir,
                         (unsigned)geteuid());
                return -ENOTDIR;
        }
        if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) < 0) {
                int r = negerrno();
                snprintf(err, errlen, "spool_dir %s: cannot make it 0700: %s", dir, strerror(-r));
                return r;
        }
        int fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
                int r = negerrno();
                snprintf(err, errlen, "spool_dir %s: cannot create an unlinked file (O_TMPFILE) there: %s; choose a "
                         "folder on a local filesystem that carnetd may write (ext4, xfs, btrfs, tmpfs)", dir,
                         strerror(-r));
                return r;
        }
        close(fd);
        return 0;
}

int paths_spool_dir(const struct config *cfg, char *out, size_t size, char *err, size_t errlen) {
        out[0] = '\0';
        if (cfg->spool_dir[0]) {
                if (strcpy_bounded(out, size, cfg->spool_dir) < 0)
                        return -ENAMETOOLONG;
        } else if (!cfg->dossier_host[0] && !store_is_conninfo(cfg->database)) {
                const char *slash = strrchr(cfg->database, '/');
                if (!slash)
                        return 0;
                int n = snprintf(out, size, "%.*s/spool", (int)(slash - cfg->database), cfg->database);
                if (n < 0 || (size_t)n >= size)
                        return -ENAMETOOLONG;
        } else
                return 0;
        return spool_ready(out, err, errlen);
}
