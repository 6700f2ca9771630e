/* tests/unit/db-files.h: removes the files of one SQLite database a test
 * made (the file and its -wal and -shm companions), and nothing else. */
#pragma once

#include <stdio.h>
#include <unistd.h>

#include "lib/macro.h"

static _unused_ void db_files_remove(const char *path) {
        char p[700];

        unlink(path);
        snprintf(p, sizeof(p), "%s-wal", path);
        unlink(p);
        snprintf(p, sizeof(p), "%s-shm", path);
        unlink(p);
}
