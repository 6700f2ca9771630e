/* daemon/paths.h: where carnetd finds its data files and keeps its state.
 *
 * The data folder (rights.tsv, interactions.tsv) is $CARNET_DATA_DIR when
 * set, else PREFIX/share/carnet next to the running carnetd (sbin/carnetd
 * -> ../share/carnet) when it holds rights.tsv, else the folder baked in at
 * build time (CARNET_DATADIR): so 'make install PREFIX=/usr' and a Debian
 * package find their tables whatever prefix the build used.
 *
 * A folder carnetd writes into (the database's, the socket's) is created
 * when missing; when it cannot be, the message names the folder, the
 * reason and the fix, instead of SQLite's "unable to open". */
#pragma once

#include <stddef.h>

/* The data folder as above into out; returns 0 or -ENAMETOOLONG. */
int paths_data_dir(char *out, size_t size);

/* Makes sure the folder holding file exists and that carnetd may write in
 * it, creating it with mode when missing.  what names the file for the
 * message ("dossier database").  Returns 0, or -errno with a sentence in
 * err naming the folder and what to do. */
#include <sys/types.h>
int paths_need_folder(const char *file, mode_t mode, const char *what, char *err, size_t errlen);

/* The spool folder, where the server receives large raw uploads into
 * unlinked files (http/server.h: spool_dir), into out: spool_dir when
 * set, else the folder "spool" beside the database when it is a file
 * (STATE/spool), else "" (agent mode, a PostgreSQL database: uploads in
 * memory, within the body budgets).  The folder is created 0700 when
 * missing, made 0700 when it is not, and must take an O_TMPFILE file:
 * otherwise -errno with a sentence in err (carnetd does not start). */
struct config;
int paths_spool_dir(const struct config *cfg, char *out, size_t size, char *err, size_t errlen);
