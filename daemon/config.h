/* daemon/config.h: carnetd's settings and the file that sets them.
 *
 * The file has "key = value" lines, '#' comments.  An unknown key or a bad
 * value is an error naming the file, the line and the reason: carnetd does
 * not start on a configuration it does not understand. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "pkcs11/p11-identity.h"

#define CONFIG_DEFAULT_PATH "/etc/carnet/carnetd.conf"
#define CONFIG_DEFAULT_SOCKET "/run/carnet/carnetd.sock"
/* The group allowed to call carnetd when allowed_groups is not set (if it
 * exists; root and carnetd's own uid are always allowed). */
#define CONFIG_DEFAULT_GROUP "carnet"
/* Where carnet's data files (rights.tsv, interactions.tsv) are installed
 * when the build's PREFIX is kept; paths.h says how carnetd looks for them
 * ($CARNET_DATA_DIR, then beside the program, then this). */
#ifndef CARNET_DATADIR
#define CARNET_DATADIR "/usr/local/share/carnet"
#endif
#define CONFIG_DEFAULT_TRUST "/etc/carnet/trust-anchors.pem"
#define CONFIG_DEFAULT_STATE_DIR "/var/lib/carnet"
#define CONFIG_GROUPS_MAX 16
#define CONFIG_GROUP_NAME_MAX 64

struct config {
        char socket_path[108];
        mode_t socket_mode;
        char socket_group[CONFIG_GROUP_NAME_MAX]; /* empty: the daemon's own group */
        unsigned connection_timeout_s;
        size_t body_max;            /* request body, bytes */
        size_t header_max;          /* request line + headers, bytes */
        unsigned max_connections;   /* at once, in all */
        unsigned connections_per_uid;
        unsigned events_keepalive_s; /* SSE keep-alive comment interval */
        bool events_keepalive_set;   /* false: follows connection_timeout */
        bool allowed_groups_set;    /* false: CONFIG_DEFAULT_GROUP */
        size_t n_allowed_groups;    /* may be 0 when set: root only */
        char allowed_groups[CONFIG_GROUPS_MAX][CONFIG_GROUP_NAME_MAX];
        int log_level; /* syslog priority */

        /* professional sessions */
        char pkcs11_module[PATH_MAX];   /* empty: OpenSC's module */
        char trust_anchors[PATH_MAX];   /* PEM file or folder of CA certificates */
        char crl_path[PATH_MAX];        /* revocation lists (file or folder); empty: none */
        int crl_stale;                  /* a CRL past its nextUpdate: 0 refuse, 1 accept */
        unsigned session_idle_timeout_s;
        char workstation[128];          /* in session records; default: host name */
        char establishment[128];        /* sessions whose card names none; default: none */
        struct p11_map identity_map;    /* "identity.FIELD = RULE" lines */

        /* dossiers */
        char database[PATH_MAX];        /* default: $STATE_DIRECTORY/carnet.db */
        char rights_table[PATH_MAX];
        char interactions_table[PATH_MAX];
        /* where large raw uploads are received (paths.h: paths_spool_dir);
         * "": the folder spool beside a database file */
        char spool_dir[PATH_MAX];

        /* the PKCS#11 helper (p11remote/p11-remote.h) */
        char pkcs11_helper[PATH_MAX];   /* empty: carnet-p11-helper beside carnetd */
        char pkcs11_helper_user[64];    /* its user when carnetd runs as root */
        char pkcs11_helper_socket[108]; /* set: connect there (systemd's helper unit) */
        unsigned pkcs11_helper_timeout_s;
        unsigned pkcs11_pinpad_timeout_s;

        /* agent of a dossier host (docs/agent.md); dossier_host "": embedded engine */
        char dossier_host[512];         /* https://HOST:PORT */
        char host_cert[PATH_MAX];       /* the workstation's certificate, PEM */
        char host_key[PATH_MAX];        /* its key, PEM */
        char host_ca[PATH_MAX];         /* the CA of the host's certificate; "": the system's */
        unsigned host_timeout_ms;       /* one call to the host, 1 to 120000 */

        /* the readers this carnetd uses: names or fnmatch patterns separated
         * by commas; "": all of them */
        char readers[1024];
};

void config_defaults(struct config *c);

/* Reads path into *c (which holds defaults first).  On error returns
 * -errno and writes "path:line: reason" into err. */
int config_load(struct config *c, const char *path, char *err, size_t errlen);
