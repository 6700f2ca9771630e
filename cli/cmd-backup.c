/* cli/cmd-backup.c: carnetctl backup and restore. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backup.h"
#include "ctl.h"

/* Options common to both: --database PATH.  Returns optind's new value
 * or -1 on a usage error. */
static int parse(int argc, char **argv, char *db, size_t dbsize) {
        static const struct option opts[] = {{"database", required_argument, NULL, 'd'}, {}};
        int c;
        backup_default_database(db, dbsize);
        optind = 0;
        while ((c = getopt_long(argc, argv, "+d:", opts, NULL)) >= 0) {
                if (c != 'd')
                        return -1;
                snprintf(db, dbsize, "%s", optarg);
        }
        return optind;
}

int cmd_backup(const struct ctl *ctl, int argc, char **argv) {
        char db[PATH_MAX], err[PATH_MAX + 256];
        int i = parse(argc, argv, db, sizeof(db));
        if (i < 0 || i != argc - 1) {
                fprintf(stderr, "usage: carnetctl backup [--database PATH] FILE\n");
                return CTL_EXIT_USAGE;
        }
        const char *file = argv[i];
        if (access(file, F_OK) == 0) {
                fprintf(stderr, "carnetctl: %s exists: choose a new file name (nothing is overwritten)\n", file);
                return CTL_EXIT_USAGE;
        }
        if (backup_database(db, file, isatty(STDERR_FILENO), err, sizeof(err)) < 0) {
                fprintf(stderr, "carnetctl: backup failed, nothing written: %s\n", err);
                return CTL_EXIT_REFUSED;
        }
        if (ctl->json) {
                json_t *j = json_pack("{s:s,s:s,s:s}", "database", db, "backup", file, "integrity", "ok");
                ctl_print_json(j);
                json_decref(j);
        } else
                printf("backup of %s written to %s (integrity checked)\n", db, file);
        return CTL_EXIT_OK;
}

int cmd_restore(const struct ctl *ctl, int argc, char **argv) {
        char db[PATH_MAX], err[PATH_MAX + 256], kept[PATH_MAX + 48];
        struct client_reply rep;
        int i = parse(argc, argv, db, sizeof(db));
        if (i < 0 || i != argc - 1) {
                fprintf(stderr, "usage: carnetctl restore [--database PATH] FILE\n");
                return CTL_EXIT_USAGE;
        }
        /* never under a running carnetd: its open database would be swapped
         * beneath it */
        if (client_request(ctl->socket, "GET", "/v1/status", NULL, NULL, &rep, err, sizeof(err)) == 0) {
                client_reply_clear(&rep);
                fprintf(stderr,
                        "carnetctl: carnetd is running (it answers on %s): stop it first, e.g.\n"
                        "  systemctl stop carnetd.socket carnetd.service\n",
                        ctl->socket);
                return CTL_EXIT_REFUSED;
        }
        if (restore_database(db, argv[i], isatty(STDERR_FILENO), kept, sizeof(kept), err, sizeof(err)) < 0) {
                fprintf(stderr, "carnetctl: restore failed, %s is unchanged: %s\n", db, err);
                return CTL_EXIT_REFUSED;
        }
        if (ctl->json) {
                json_t *j = json_pack("{s:s,s:s,s:s?}", "database", db, "restored_from", argv[i], "previous",
                                      kept[0] ? kept : NULL);
                ctl_print_json(j);
                json_decref(j);
        } else
                printf("%s restored from %s%s%s\n", db, argv[i], kept[0] ? "; the previous database is kept as " : "",
                       kept);
        return CTL_EXIT_OK;
}
