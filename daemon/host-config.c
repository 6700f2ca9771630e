/* daemon/host-config.c: carnet-hostd.conf; see host-config.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "api/context.h"
#include "host-config.h"
#include "lib/kv.h"
#include "lib/macro.h"
#include "paths.h"

void host_config_defaults(struct host_config *c) {
        char data[PATH_MAX - 32];
        memset(c, 0, sizeof(*c));
        if (paths_data_dir(data, sizeof(data)) < 0)
                snprintf(data, sizeof(data), "%s", CARNET_DATADIR);
        snprintf(c->rights_table, sizeof(c->rights_table), "%s/rights.tsv", data);
        snprintf(c->interactions_table, sizeof(c->interactions_table), "%s/interactions.tsv", data);
        snprintf(c->trust_path, sizeof(c->trust_path), "/etc/carnet/trust-anchors.pem");
        snprintf(c->database, sizeof(c->database), "/var/lib/carnet/carnet-host.db");
        c->session_idle_s = 900;
        c->connection_timeout_s = 30;
        c->body_max = 20u * 1024 * 1024;
        c->max_connections = 256;
        c->store_connections = 4;
        c->log_level = LOG_INFO;
        p11_map_default(&c->identity_map);
}

enum hk { HK_TEXT, HK_PATH, HK_UINT, HK_CRL_STALE, HK_LOG };

#define AT(f) offsetof(struct host_config, f), sizeof(((struct host_config *)0)->f)
static const struct hkey {
        const char *name;
        enum hk kind;
        size_t off, size;
        unsigned min, max;
        const char *why;
} hkeys[] = {
        {"listen", HK_TEXT, AT(listen), 3, 0, "listen must be ADDRESS:PORT, e.g. 127.0.0.1:8443"},
        {"tls_cert", HK_PATH, AT(tls_cert), 0, 0, "tls_cert must be an absolute path"},
        {"tls_key", HK_PATH, AT(tls_key), 0, 0, "tls_key must be an absolute path"},
        {"tls_client_ca", HK_PATH, AT(tls_client_ca), 0, 0, "tls_client_ca must be an absolute path"},
        {"trust_path", HK_PATH, AT(trust_path), 0, 0, "trust_path must be an absolute path"},
        {"crl_path", HK_PATH, AT(crl_path), 0, 0, "crl_path must be an absolute path"},
        {"crl_stale", HK_CRL_STALE, AT(crl_stale), 0, 0, "crl_stale must be refuse or accept"},
        {"database", HK_TEXT, AT(database), 1, 0, "database must be a path (or a PostgreSQL conninfo)"},
        {"rights_table", HK_PATH, AT(rights_table), 0, 0, "rights_table must be an absolute path"},
        {"interactions_table", HK_PATH, AT(interactions_table), 0, 0, "interactions_table must be an absolute path"},
        {"session_idle_s", HK_UINT, AT(session_idle_s), 10, 86400, "session_idle_s must be seconds, 10 to 86400"},
        {"connection_timeout", HK_UINT, AT(connection_timeout_s), 1, 3600,
         "connection_timeout must be seconds, 1 to 3600"},
        {"body_max", HK_UINT, AT(body_max), 1024, 1u << 30, "body_max must be bytes, 1024 to 1073741824"},
        {"max_connections", HK_UINT, AT(max_connections), 1, 4096, "max_connections must be 1 to 4096"},
        {"store_connections", HK_UINT, AT(store_connections), 1, API_ENGINES_MAX,
         "store_connections must be 1 to 16"},
        {"log_level", HK_LOG, AT(log_level), 0, 0, "log_level must be error, warning, info or debug"},
};
#undef AT

static int hk_parse(const struct hkey *k, const char *v, void *dst) {
        static const char *const levels[] = {"error", "warning", "info", "debug"};
        static const int prios[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
        char *end;
        switch (k->kind) {
        case HK_PATH:
                if (v[0] != '/')
                        return -EINVAL;
                return strcpy_bounded(dst, k->size, v);
        case HK_TEXT:
                return strlen(v) < k->min ? -EINVAL : strcpy_bounded(dst, k->size, v);
        case HK_UINT: {
                errno = 0;
                unsigned long n = strtoul(v, &end, 10);
                if (v[0] < '0' || v[0] > '9' || errno || *end || n < k->min || n > k->max)
                        return -EINVAL;
                *(unsigned *)dst = (unsigned)n;
                return 0;
        }
        case HK_CRL_STALE:
                if (strcmp(v, "refuse") != 0 && strcmp(v, "accept") != 0)
                        return -EINVAL;
                *(int *)dst = strcmp(v, "accept") == 0;
                return 0;
        case HK_LOG:
                for (size_t i = 0; i < ELEMENTSOF(levels); i++)
                        if (strcmp(v, levels[i]) == 0)
                                return *(int *)dst = prios[i], 0;
                return -EINVAL;
        }
        return -EINVAL;
}

/* One line: a key of the table or identity.FIELD. */
static const char *host_config_set(struct host_config *c, const char *k, const char *v) {
        if (strncmp(k, "identity.", 9) == 0)
                return p11_map_set(&c->identity_map, k + 9, v) < 0
                               ? "not a known identity field, or not a rule such as subject:CN"
                               : NULL;
        for (size_t i = 0; i < ELEMENTSOF(hkeys); i++)
                if (strcmp(k, hkeys[i].name) == 0)
                        return hk_parse(&hkeys[i], v, (char *)c + hkeys[i].off) < 0 ? hkeys[i].why : NULL;
        return "unknown key";
}

int host_config_load(struct host_config *c, const char *path, char *err, size_t errlen) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        struct host_config tmp = *c;
        char line[1024], *k, *v;
        struct kv_reader kr;
        int r;

        if (!f) {
                r = negerrno();
                snprintf(err, errlen, "%s: %s", path, strerror(-r));
                return r;
        }
        kv_reader_init(&kr, f, line, sizeof(line));
        while ((r = kv_next(&kr, &k, &v)) > 0) {
                const char *why = host_config_set(&tmp, k, v);
                if (why) {
                        snprintf(err, errlen, "%s:%u: %s: %s", path, kr.lineno, k, why);
                        return -EINVAL;
                }
        }
        if (r < 0) {
                snprintf(err, errlen, "%s:%u: %s", path, kr.lineno, r == -EIO ? "read error" : kv_strerror(r));
                return r == -EIO ? -EIO : -EINVAL;
        }
        if (!tmp.listen[0] || !tmp.tls_cert[0] || !tmp.tls_key[0] || !tmp.tls_client_ca[0]) {
                snprintf(err, errlen, "%s: listen, tls_cert, tls_key and tls_client_ca are required", path);
                return -EINVAL;
        }
        *c = tmp;
        return 0;
}
