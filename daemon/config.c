/* daemon/config.c: configuration file parser. */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "lib/kv.h"
#include "lib/macro.h"
#include "paths.h"
#include "p11remote/p11-remote.h"

/* dir/name into out, dir from $env when set (and absolute), else def. */
static void default_path(char *out, size_t size, const char *env, const char *def, const char *name) {
        const char *dir = getenv(env);
        if (!dir || dir[0] != '/')
                dir = def;
        /* systemd may list several folders separated by ':': the first one */
        int len = (int)strcspn(dir, ":");
        snprintf(out, size, "%.*s/%s", len, dir, name);
}

void config_defaults(struct config *c) {
        memset(c, 0, sizeof(*c));
        c->session_idle_timeout_s = 900;
        if (gethostname(c->workstation, sizeof(c->workstation)) < 0)
                snprintf(c->workstation, sizeof(c->workstation), "unknown");
        c->workstation[sizeof(c->workstation) - 1] = '\0';
        snprintf(c->trust_anchors, sizeof(c->trust_anchors), "%s", CONFIG_DEFAULT_TRUST);
        p11_map_default(&c->identity_map);
        default_path(c->database, sizeof(c->database), "STATE_DIRECTORY", CONFIG_DEFAULT_STATE_DIR, "carnet.db");
        char data[PATH_MAX - 32];
        if (paths_data_dir(data, sizeof(data)) < 0)
                snprintf(data, sizeof(data), "%s", CARNET_DATADIR);
        snprintf(c->rights_table, sizeof(c->rights_table), "%s/rights.tsv", data);
        snprintf(c->interactions_table, sizeof(c->interactions_table), "%s/interactions.tsv", data);
        snprintf(c->socket_path, sizeof(c->socket_path), "%s", CONFIG_DEFAULT_SOCKET);
        c->socket_mode = 0660;
        c->connection_timeout_s = 30;
        c->body_max = 20u * 1024 * 1024;
        c->header_max = 16u * 1024;
        c->max_connections = 128;
        c->connections_per_uid = 16;
        c->events_keepalive_s = 15;
        c->log_level = LOG_INFO;
        snprintf(c->pkcs11_helper_user, sizeof(c->pkcs11_helper_user), "%s", P11_REMOTE_DEFAULT_USER);
        c->pkcs11_helper_timeout_s = P11_REMOTE_DEFAULT_TIMEOUT_S;
        c->pkcs11_pinpad_timeout_s = P11_REMOTE_DEFAULT_PINPAD_TIMEOUT_S;
        c->host_timeout_ms = 10000;
}

static int parse_uint(const char *v, unsigned long max, int base, unsigned long *ret) {
        char *end;
        if (!isdigit((unsigned char)*v))
                return -EINVAL;
        errno = 0;
        unsigned long n = strtoul(v, &end, base);
        if (errno || *end || n > max)
                return -ERANGE;
        *ret = n;
        return 0;
}

/* A size in bytes with an optional K, M or G suffix (powers of 1024). */
static int parse_size(const char *v, unsigned long long min, unsigned long long max, size_t *ret) {
        char *end;
        if (!isdigit((unsigned char)*v))
                return -EINVAL;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (errno)
                return -ERANGE;
        unsigned shift = 0;
        if (*end == 'K')
                shift = 10;
        else if (*end == 'M')
                shift = 20;
        else if (*end == 'G')
                shift = 30;
        if (shift)
                end++;
        if (*end || n > (max >> shift))
                return -ERANGE;
        n <<= shift;
        if (n < min)
                return -ERANGE;
        *ret = (size_t)n;
        return 0;
}

/* "a, b c": group names separated by commas or blanks; an empty list is
 * allowed (root only). */
static int parse_groups(struct config *c, const char *v, const char **why) {
        size_t n = 0;
        char buf[1024];
        if (strcpy_bounded(buf, sizeof(buf), v) < 0) {
                *why = "list too long";
                return -EINVAL;
        }
        for (char *save = NULL, *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
                if (n == CONFIG_GROUPS_MAX) {
                        *why = "at most 16 groups";
                        return -EINVAL;
                }
                if (strcpy_bounded(c->allowed_groups[n], sizeof(c->allowed_groups[n]), tok) < 0) {
                        *why = "group name too long";
                        return -EINVAL;
                }
                n++;
        }
        c->n_allowed_groups = n;
        c->allowed_groups_set = true;
        return 0;
}

/* The keys of carnetd.conf: each names where its value goes and how it
 * is checked; why is the message for a bad value (the table is the list
 * of keys: anything else is "unknown key"). */
enum key_kind {
        KEY_PATH,      /* absolute path; too_long when it does not fit */
        KEY_STRING,    /* text of at least min bytes that fits the field */
        KEY_UINT,      /* decimal, min to max */
        KEY_MODE,      /* octal file mode, at most max */
        KEY_SIZE,      /* bytes with K, M, G suffixes, min to max */
        KEY_GROUPS,    /* allowed_groups */
        KEY_IDENTITY,  /* identity.FIELD = RULE: key is the prefix */
        KEY_LOG_LEVEL, /* error, warning, info, debug */
        KEY_CHOICE,    /* one of the words in choices: its index, as an int */
};

struct key {
        const char *name;
        enum key_kind kind;
        size_t off, size; /* the field in struct config */
        unsigned long long min, max;
        size_t flag; /* 1 + offset of a bool set along with the value; 0: none */
        const char *why, *too_long;
        const char *const *choices; /* KEY_CHOICE: NULL-terminated */
};

static const char *const crl_stale_words[] = {"refuse", "accept", NULL};

#define FIELD(f) .off = offsetof(struct config, f), .size = sizeof(((struct config *)0)->f)
#define FLAG(f) .flag = offsetof(struct config, f) + 1

static const struct key keys[] = {
        {"socket", KEY_PATH, FIELD(socket_path), .why = "socket must be an absolute path",
         .too_long = "socket path too long (107 bytes at most)"},
        {"socket_mode", KEY_MODE, FIELD(socket_mode), .max = 0777,
         .why = "socket_mode must be an octal mode such as 0660"},
        {"socket_group", KEY_STRING, FIELD(socket_group), .why = "group name too long"},
        {"connection_timeout", KEY_UINT, FIELD(connection_timeout_s), 1, 3600,
         .why = "connection_timeout must be seconds, 1 to 3600"},
        {"body_max", KEY_SIZE, FIELD(body_max), 1024, 1ull << 30,
         .why = "body_max must be bytes (K, M, G suffixes), 1K to 1G"},
        {"header_max", KEY_SIZE, FIELD(header_max), 1024, 1ull << 20,
         .why = "header_max must be bytes (K, M suffixes), 1K to 1M"},
        {"max_connections", KEY_UINT, FIELD(max_connections), 1, 1024, .why = "max_connections must be 1 to 1024"},
        {"connections_per_uid", KEY_UINT, FIELD(connections_per_uid), 1, 1024,
         .why = "connections_per_uid must be 1 to 1024"},
        {"events_keepalive", KEY_UINT, FIELD(events_keepalive_s), 1, 3600, FLAG(events_keepalive_set),
         .why = "events_keepalive must be seconds, 1 to 3600"},
        {"allowed_groups", KEY_GROUPS, .why = NULL},
        {"pkcs11_module", KEY_PATH, FIELD(pkcs11_module), .why = "must be an absolute path", .too_long = "path too long"},
        {"pkcs11_helper", KEY_PATH, FIELD(pkcs11_helper), .why = "must be an absolute path", .too_long = "path too long"},
        {"pkcs11_helper_user", KEY_STRING, FIELD(pkcs11_helper_user), .min = 1,
         .why = "pkcs11_helper_user must be a user name of 1 to 63 bytes"},
        {"pkcs11_helper_socket", KEY_PATH, FIELD(pkcs11_helper_socket), .why = "must be an absolute path",
         .too_long = "pkcs11_helper_socket path too long (107 bytes at most)"},
        {"pkcs11_helper_timeout", KEY_UINT, FIELD(pkcs11_helper_timeout_s), 1, 600,
         .why = "pkcs11_helper_timeout must be seconds, 1 to 600"},
        {"pkcs11_pinpad_timeout", KEY_UINT, FIELD(pkcs11_pinpad_timeout_s), 1, 600,
         .why = "pkcs11_pinpad_timeout must be seconds, 1 to 600"},
        {"trust_anchors", KEY_PATH, FIELD(trust_anchors), .why = "must be an absolute path", .too_long = "path too long"},
        {"crl_path", KEY_PATH, FIELD(crl_path), .why = "must be an absolute path", .too_long = "path too long"},
        {"crl_stale", KEY_CHOICE, FIELD(crl_stale), .choices = crl_stale_words,
         .why = "crl_stale must be refuse or accept"},
        {"database", KEY_PATH, FIELD(database), .why = "must be an absolute path", .too_long = "path too long"},
        {"spool_dir", KEY_PATH, FIELD(spool_dir), .why = "must be an absolute path", .too_long = "path too long"},
        {"rights_table", KEY_PATH, FIELD(rights_table), .why = "must be an absolute path", .too_long = "path too long"},
        {"interactions_table", KEY_PATH, FIELD(interactions_table), .why = "must be an absolute path",
         .too_long = "path too long"},
        {"session_idle_timeout", KEY_UINT, FIELD(session_idle_timeout_s), 10, 86400,
         .why = "session_idle_timeout must be seconds, 10 to 86400"},
        {"workstation", KEY_STRING, FIELD(workstation), .min = 1,
         .why = "workstation must be a name of 1 to 127 bytes"},
        {"establishment", KEY_STRING, FIELD(establishment), .min = 1,
         .why = "establishment must be a name of 1 to 127 bytes"},
        {"identity.", KEY_IDENTITY, FIELD(identity_map),
         .why = "not a known identity field, or not a rule such as subject:CN, "
                "extension:OID, usage:digitalSignature, id:01, label:TEXT"},
        {"dossier_host", KEY_STRING, FIELD(dossier_host), .min = 9,
         .why = "dossier_host must be https://HOST:PORT (or several, separated by spaces)", .too_long = "dossier_host too long (511 bytes at most)"},
        {"host_cert", KEY_PATH, FIELD(host_cert), .why = "must be an absolute path", .too_long = "path too long"},
        {"host_key", KEY_PATH, FIELD(host_key), .why = "must be an absolute path", .too_long = "path too long"},
        {"host_ca", KEY_PATH, FIELD(host_ca), .why = "must be an absolute path", .too_long = "path too long"},
        {"host_timeout_ms", KEY_UINT, FIELD(host_timeout_ms), 1, 120000,
         .why = "host_timeout_ms must be milliseconds, 1 to 120000"},
        {"readers", KEY_STRING, FIELD(readers), .min = 1,
         .why = "readers must be reader names or patterns separated by commas",
         .too_long = "readers too long (1023 bytes at most)"},
        {"log_level", KEY_LOG_LEVEL, FIELD(log_level), .why = "log_level must be error, warning, info or debug"},
};

#undef FIELD
#undef FLAG

static const struct key *key_find(const char *k) {
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                if (keys[i].kind == KEY_IDENTITY ? strncmp(k, keys[i].name, strlen(keys[i].name)) == 0
                                                 : strcmp(k, keys[i].name) == 0)
                        return &keys[i];
        }
        return NULL;
}

static int parse_log_level(const char *v, int *ret) {
        static const char *const lv[] = {"error", "warning", "info", "debug"};
        static const int pr[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
        for (size_t i = 0; i < ELEMENTSOF(lv); i++)
                if (strcmp(v, lv[i]) == 0) {
                        *ret = pr[i];
                        return 0;
                }
        return -EINVAL;
}

/* Parses v as key kd says into dst (the field); -EINVAL, or -ENAMETOOLONG
 * for a string that does not fit. */
static int key_parse(struct config *c, const struct key *kd, const char *k, const char *v, void *dst,
                     const char **why) {
        unsigned long n;
        switch (kd->kind) {
        case KEY_PATH:
                if (v[0] != '/')
                        return -EINVAL;
                return strcpy_bounded(dst, kd->size, v) < 0 ? -ENAMETOOLONG : 0;
        case KEY_STRING:
                if (strlen(v) < kd->min)
                        return -EINVAL;
                return strcpy_bounded(dst, kd->size, v) < 0 ? -ENAMETOOLONG : 0;
        case KEY_UINT:
                if (parse_uint(v, (unsigned long)kd->max, 10, &n) < 0 || n < kd->min)
                        return -EINVAL;
                *(unsigned *)dst = (unsigned)n;
                return 0;
        case KEY_MODE:
                if (parse_uint(v, (unsigned long)kd->max, 8, &n) < 0)
                        return -EINVAL;
                *(mode_t *)dst = (mode_t)n;
                return 0;
        case KEY_SIZE:
                return parse_size(v, kd->min, kd->max, dst) < 0 ? -EINVAL : 0;
        case KEY_GROUPS:
                return parse_groups(c, v, why);
        case KEY_IDENTITY:
                return p11_map_set(dst, k + strlen(kd->name), v) < 0 ? -EINVAL : 0;
        case KEY_LOG_LEVEL:
                return parse_log_level(v, dst);
        case KEY_CHOICE:
                for (int i = 0; kd->choices[i]; i++)
                        if (strcmp(v, kd->choices[i]) == 0) {
                                *(int *)dst = i;
                                return 0;
                        }
                return -EINVAL;
        }
        return -EINVAL;
}

/* Applies one key; returns 0, or -EINVAL with a reason in why. */
static int config_set(struct config *c, const char *k, const char *v, const char **why) {
        const struct key *kd = key_find(k);
        if (!kd) {
                *why = "unknown key";
                return -EINVAL;
        }
        int r = key_parse(c, kd, k, v, (char *)c + kd->off, why);
        if (r < 0) {
                if (kd->kind != KEY_GROUPS) /* parse_groups names its own reasons */
                        *why = r == -ENAMETOOLONG && kd->too_long ? kd->too_long : kd->why;
                return -EINVAL;
        }
        if (kd->flag)
                *(bool *)((char *)c + kd->flag - 1) = true;
        return 0;
}

/* Reads the pairs of f into c; on error writes "path:line: reason". */
static int config_read(struct config *c, FILE *f, const char *path, char *err, size_t errlen) {
        char line[1024], *k, *v;
        struct kv_reader kr;
        int r;

        kv_reader_init(&kr, f, line, sizeof(line));
        while ((r = kv_next(&kr, &k, &v)) > 0) {
                const char *why = NULL;
                if (config_set(c, k, v, &why) < 0) {
                        snprintf(err, errlen, "%s:%u: %s: %s", path, kr.lineno, k, why);
                        return -EINVAL;
                }
        }
        if (r == -EIO) {
                snprintf(err, errlen, "%s: read error", path);
                return -EIO;
        }
        if (r < 0) {
                snprintf(err, errlen, "%s:%u: %s", path, kr.lineno, kv_strerror(r));
                return -EINVAL;
        }
        return 0;
}

/* dossier_host: one or more https URLs (the host processes, separated by
 * spaces or commas), with the workstation's certificate and key. */
static int agent_check(const struct config *c, const char *path, char *err, size_t errlen) {
        const char *sep = " \t,";
        unsigned n = 0;

        if (!c->dossier_host[0])
                return 0;
        for (const char *p = c->dossier_host + strspn(c->dossier_host, sep); *p; p += strspn(p, sep)) {
                size_t len = strcspn(p, sep);
                if (++n > 8 || len < 9 || strncmp(p, "https://", 8) != 0 || memchr(p, '?', len) ||
                    memchr(p, '#', len)) {
                        snprintf(err, errlen, "%s: dossier_host must be https://HOST:PORT, or up to 8 of them "
                                 "separated by spaces", path);
                        return -EINVAL;
                }
                p += len;
        }
        if (n == 0) {
                snprintf(err, errlen, "%s: dossier_host must be https://HOST:PORT", path);
                return -EINVAL;
        }
        if (!c->host_cert[0] || !c->host_key[0]) {
                snprintf(err, errlen, "%s: dossier_host needs host_cert and host_key (the workstation's "
                         "certificate and key)", path);
                return -EINVAL;
        }
        return 0;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        struct config tmp = *c;
        int r;

        if (!f) {
                r = negerrno();
                snprintf(err, errlen, "%s: %s", path, strerror(-r));
                return r;
        }
        if ((r = config_read(&tmp, f, path, err, errlen)) < 0)
                return r;
        /* an event stream idle for connection_timeout would be closed: unless
         * set, the keep-alive follows the timeout */
        if (!tmp.events_keepalive_set) {
                unsigned k = tmp.connection_timeout_s / 2;
                tmp.events_keepalive_s = k < 1 ? 1 : k > 15 ? 15 : k;
        } else if (tmp.events_keepalive_s >= tmp.connection_timeout_s) {
                snprintf(err, errlen, "%s: events_keepalive (%us) must be shorter than connection_timeout (%us)",
                         path, tmp.events_keepalive_s, tmp.connection_timeout_s);
                return -EINVAL;
        }
        if (agent_check(&tmp, path, err, errlen) < 0)
                return -EINVAL;
        *c = tmp; /* all or nothing */
        return 0;
}
