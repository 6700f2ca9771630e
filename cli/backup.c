/* cli/backup.c: sqlite3_backup both ways. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "lib/macro.h"

#define PAGES_PER_STEP 256

static void db_closep(sqlite3 **db) {
        if (*db)
                sqlite3_close_v2(*db);
}

static int fail(char *err, size_t errlen, int r, const char *fmt, ...) _printf_(4, 5);
static int fail(char *err, size_t errlen, int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        return r;
}

void backup_default_database(char *out, size_t size) {
        const char *env = getenv("CARNET_DATABASE");
        if (env && *env) {
                snprintf(out, size, "%s", env);
                return;
        }
        _cleanup_fclose_ FILE *f = fopen("/etc/carnet/carnetd.conf", "re");
        char line[1024];
        while (f && fgets(line, sizeof(line), f)) {
                char key[64], val[PATH_MAX];
                if (sscanf(line, " %63[a-z_] = %4095s", key, val) == 2 && strcmp(key, "database") == 0) {
                        snprintf(out, size, "%s", val);
                        return;
                }
        }
        const char *state = getenv("STATE_DIRECTORY");
        if (state && state[0] == '/')
                snprintf(out, size, "%.*s/carnet.db", (int)strcspn(state, ":"), state);
        else
                snprintf(out, size, "/var/lib/carnet/carnet.db");
}

/* Runs the backup from src to dst in steps, retrying while busy. */
static int copy(sqlite3 *dst, sqlite3 *src, bool progress) {
        sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
        if (!b)
                return -EIO;
        int rc, busy = 0;
        do {
                rc = sqlite3_backup_step(b, PAGES_PER_STEP);
                if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
                        if (++busy > 200)
                                break; /* 10 s without progress */
                        sqlite3_sleep(50);
                        continue;
                }
                busy = 0;
                int total = sqlite3_backup_pagecount(b), left = sqlite3_backup_remaining(b);
                if (progress && total > 0)
                        fprintf(stderr, "\r%3d%% (%d of %d pages)", (total - left) * 100 / total, total - left,
                                total);
        } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
        if (progress)
                fputc('\n', stderr);
        int fin = sqlite3_backup_finish(b);
        return rc == SQLITE_DONE && fin == SQLITE_OK ? 0 : -EIO;
}

/* integrity_check, and the tables carnet's store always has. */
static int check_copy(sqlite3 *db, const char **why) {
        sqlite3_stmt *st = NULL;
        int ok = 0;
        if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
                ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
        sqlite3_finalize(st);
        if (!ok) {
                *why = "the copy fails SQLite's integrity check";
                return -EBADMSG;
        }
        st = NULL;
        int n = 0;
        if (sqlite3_prepare_v2(db,
                               "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                               "name IN ('dossiers', 'documents', 'audit')",
                               -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
                n = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        if (n != 3) {
                *why = "not a carnet database (its tables are missing)";
                return -EMEDIUMTYPE;
        }
        return 0;
}

static int fsync_path(const char *path, int flags) {
        _cleanup_close_ int fd = open(path, flags | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                return negerrno();
        return 0;
}

static int fsync_dir_of(const char *path) {
        char tmp[PATH_MAX];
        if (strcpy_bounded(tmp, sizeof(tmp), path) < 0)
                return -ENAMETOOLONG;
        return fsync_path(dirname(tmp), O_RDONLY | O_DIRECTORY);
}

/* Copies src_path into a new file tmp (created 0600, never an existing
 * one), self-contained (journal_mode DELETE), checked. */
static int copy_to_new_file(const char *src_path, int src_flags, const char *tmp, bool progress, char *err,
                            size_t errlen) {
        _cleanup_(db_closep) sqlite3 *src = NULL, *dst = NULL;
        const char *why = NULL;
        int r;

        if (sqlite3_open_v2(src_path, &src, src_flags, NULL) != SQLITE_OK)
                return fail(err, errlen, -EIO, "%s: %s", src_path, src ? sqlite3_errmsg(src) : "out of memory");
        sqlite3_busy_timeout(src, 5000);
        /* one read transaction for the whole copy: a consistent snapshot,
         * which writers in WAL mode do not disturb */
        if (sqlite3_exec(src, "BEGIN; SELECT count(*) FROM sqlite_master;", NULL, NULL, NULL) != SQLITE_OK)
                return fail(err, errlen, -EIO, "%s: %s", src_path, sqlite3_errmsg(src));
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = negerrno();
                return fail(err, errlen, r, "%s: %s", tmp, strerror(-r));
        }
        if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
                unlink(tmp);
                return fail(err, errlen, -EIO, "%s: %s", tmp, dst ? sqlite3_errmsg(dst) : "out of memory");
        }
        r = copy(dst, src, progress);
        if (r < 0) {
                snprintf(err, errlen, "copying %s: %s", src_path, sqlite3_errmsg(dst));
                unlink(tmp);
                return r;
        }
        sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
        if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK ||
            (r = check_copy(dst, &why)) < 0) {
                snprintf(err, errlen, "%s: %s", tmp, why ? why : sqlite3_errmsg(dst));
                unlink(tmp);
                return r < 0 ? r : -EIO;
        }
        sqlite3_close_v2(TAKE_PTR(dst));
        if ((r = fsync_path(tmp, O_RDONLY)) < 0) {
                unlink(tmp);
                return fail(err, errlen, r, "%s: %s", tmp, strerror(-r));
        }
        return 0;
}

int backup_database(const char *db, const char *file, bool progress, char *err, size_t errlen) {
        char tmp[PATH_MAX];
        struct stat st;
        if (stat(db, &st) < 0)
                return fail(err, errlen, negerrno(), "%s: %s", db, strerror(errno));
        if (snprintf(tmp, sizeof(tmp), "%s.partial", file) >= (int)sizeof(tmp))
                return fail(err, errlen, -ENAMETOOLONG, "%s: path too long", file);
        int r = copy_to_new_file(db, SQLITE_OPEN_READONLY, tmp, progress, err, errlen);
        if (r < 0)
                return r;
        if (rename(tmp, file) < 0) {
                r = negerrno();
                unlink(tmp);
                return fail(err, errlen, r, "%s: %s", file, strerror(-r));
        }
        (void)fsync_dir_of(file);
        return 0;
}

int restore_database(const char *db, const char *file, bool progress, char *kept, size_t keptlen, char *err,
                     size_t errlen) {
        char tmp[PATH_MAX], stamp[32], from[PATH_MAX + 8], to[PATH_MAX + 48];
        struct stat old;
        bool had_old = stat(db, &old) == 0;
        int r;

        kept[0] = '\0';
        if (snprintf(tmp, sizeof(tmp), "%s.restore-partial", db) >= (int)sizeof(tmp))
                return fail(err, errlen, -ENAMETOOLONG, "%s: path too long", db);
        (void)unlink(tmp); /* left by an interrupted restore */
        /* the backup is checked as it is copied: a bad file never lands */
        r = copy_to_new_file(file, SQLITE_OPEN_READONLY, tmp, progress, err, errlen);
        if (r < 0)
                return r;
        if (had_old) {
                if (chown(tmp, old.st_uid, old.st_gid) < 0) {
                        /* best effort: a non-root restore keeps its own uid */
                }
                (void)chmod(tmp, old.st_mode & 07777);
                time_t now = time(NULL);
                strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
                snprintf(to, sizeof(to), "%s.before-restore-%s", db, stamp);
                snprintf(kept, keptlen, "%s", to);
                static const char *const sfx[] = {"", "-wal", "-shm"};
                for (size_t i = 0; i < ELEMENTSOF(sfx); i++) {
                        snprintf(from, sizeof(from), "%s%s", db, sfx[i]);
                        snprintf(to, sizeof(to), "%s%s", kept, sfx[i]);
                        /* the WAL must go with its database, or SQLite would
                         * replay it into the restored one */
                        if (rename(from, to) < 0 && errno != ENOENT) {
                                r = negerrno();
                                unlink(tmp);
                                return fail(err, errlen, r, "%s: %s", from, strerror(-r));
                        }
                }
        }
        if (rename(tmp, db) < 0) {
                r = negerrno();
                /* put the previous database back where it was */
                if (had_old && rename(kept, db) < 0)
                        return fail(err, errlen, r, "%s is now at %s: move it back by hand", db, kept);
                unlink(tmp);
                return fail(err, errlen, r, "%s: %s", db, strerror(-r));
        }
        (void)fsync_dir_of(db);
        return 0;
}
