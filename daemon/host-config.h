/* daemon/host-config.h: carnet-hostd's settings and carnet-hostd.conf.
 *
 * The same "key = value" file format as carnetd.conf (lib/kv.h), its own
 * keys (man/carnet-hostd.8): an unknown key or a bad value is an error
 * naming the file, the line and the reason, and carnet-hostd does not
 * start. */
#pragma once

#include <limits.h>
#include <stddef.h>

#include "pkcs11/p11-identity.h"

#define HOST_CONFIG_DEFAULT_PATH "/etc/carnet/carnet-hostd.conf"

struct host_config {
        char listen[128];             /* ADDRESS:PORT */
        char tls_cert[PATH_MAX];      /* the host's certificate, PEM */
        char tls_key[PATH_MAX];       /* its key, PEM */
        char tls_client_ca[PATH_MAX]; /* the workstation CA, PEM */
        char trust_path[PATH_MAX];    /* CPS trust anchors: PEM file or folder */
        char crl_path[PATH_MAX];      /* revocation lists; empty: none */
        int crl_stale;                /* 0 refuse, 1 accept */
        char database[PATH_MAX];      /* SQLite path (or, with the PostgreSQL store, a conninfo) */
        char rights_table[PATH_MAX];
        char interactions_table[PATH_MAX];
        unsigned session_idle_s;
        unsigned connection_timeout_s;
        unsigned body_max;            /* bytes */
        unsigned max_connections;
        /* dossier engines (database connections) of this process, used in
         * turn by the requests; SQLite: always 1 */
        unsigned store_connections;
        int log_level;                /* syslog priority */
        struct p11_map identity_map;  /* identity.FIELD = RULE */
};

void host_config_defaults(struct host_config *c);
/* Reads path into *c (defaults first); all or nothing.  On error returns
 * -errno with "path:line: key: reason" in err.  Without listen, tls_cert,
 * tls_key and tls_client_ca the file is refused (-EINVAL). */
int host_config_load(struct host_config *c, const char *path, char *err, size_t errlen);
