/* cli/backup.h: online backup and restore of carnetd's SQLite database.
 *
 * carnetctl works on the database file itself (it must run as root or as
 * carnetd's user), not through the API: a backup is an administrator's
 * act, and the file must land where the administrator says, outside
 * carnetd's sandbox. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The database carnetd uses: $CARNET_DATABASE, else "database =" in
 * /etc/carnet/carnetd.conf, else $STATE_DIRECTORY/carnet.db, else
 * /var/lib/carnet/carnet.db. */
void backup_default_database(char *out, size_t size);

/* Copies the live database db to file with SQLite's online backup, inside
 * one read transaction (a consistent snapshot while carnetd keeps
 * writing), as a self-contained file (no WAL), checks its integrity, and
 * moves it into place only then (mode 0600).  progress: print a
 * percentage on stderr.  Returns 0 or -errno; err says why. */
int backup_database(const char *db, const char *file, bool progress, char *err, size_t errlen);

/* Replaces db by the backup file: the file must pass an integrity check
 * and hold carnet's tables; the current database (and its -wal/-shm) is
 * kept beside it as DB.before-restore-YYYYmmdd-HHMMSS, whose name goes to
 * kept.  The caller makes sure carnetd is stopped. */
int restore_database(const char *db, const char *file, bool progress, char *kept, size_t keptlen,
                     char *err, size_t errlen);
