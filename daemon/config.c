/* daemon/config.c: configuration file parser. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "lib/macro.h"

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
        default_path(c->rights_table, sizeof(c->rights_table), "CARNET_DATA_DIR", CARNET_DATADIR, "rights.tsv");
        default_path(c->interactions_table, sizeof(c->interactions_table), "CARNET_DATA_DIR", CARNET_DATADIR,
                     "interactions.tsv");
        snprintf(c->socket_path, sizeof(c->socket_path), "%s", CONFIG_DEFAULT_SOCKET);
        c->socket_mode = 0660;
        c->connection_timeout_s = 30;
        c->body_max = 20u * 1024 * 1024;
        c->header_max = 16u * 1024;
        c->max_connections = 128;
        c->connections_per_uid = 16;
        c->events_keepalive_s = 15;
        c->log_level = LOG_INFO;
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

/* Applies one key; returns 0, or -EINVAL with a reason in why. */
static int config_set(struct config *c, const char *k, const char *v, const char **why) {
        unsigned long n;
        if (strcmp(k, "socket") == 0) {
                if (v[0] != '/') {
                        *why = "socket must be an absolute path";
                        return -EINVAL;
                }
                if (strcpy_bounded(c->socket_path, sizeof(c->socket_path), v) < 0) {
                        *why = "socket path too long (107 bytes at most)";
                        return -EINVAL;
                }
        } else if (strcmp(k, "socket_mode") == 0) {
                if (parse_uint(v, 0777, 8, &n) < 0) {
                        *why = "socket_mode must be an octal mode such as 0660";
                        return -EINVAL;
                }
                c->socket_mode = (mode_t)n;
        } else if (strcmp(k, "socket_group") == 0) {
                if (strcpy_bounded(c->socket_group, sizeof(c->socket_group), v) < 0) {
                        *why = "group name too long";
                        return -EINVAL;
                }
        } else if (strcmp(k, "connection_timeout") == 0) {
                if (parse_uint(v, 3600, 10, &n) < 0 || n == 0) {
                        *why = "connection_timeout must be seconds, 1 to 3600";
                        return -EINVAL;
                }
                c->connection_timeout_s = (unsigned)n;
        } else if (strcmp(k, "body_max") == 0) {
                if (parse_size(v, 1024, 1ull << 30, &c->body_max) < 0) {
                        *why = "body_max must be bytes (K, M, G suffixes), 1K to 1G";
                        return -EINVAL;
                }
        } else if (strcmp(k, "header_max") == 0) {
                if (parse_size(v, 1024, 1ull << 20, &c->header_max) < 0) {
                        *why = "header_max must be bytes (K, M suffixes), 1K to 1M";
                        return -EINVAL;
                }
        } else if (strcmp(k, "max_connections") == 0) {
                if (parse_uint(v, 1024, 10, &n) < 0 || n == 0) {
                        *why = "max_connections must be 1 to 1024";
                        return -EINVAL;
                }
                c->max_connections = (unsigned)n;
        } else if (strcmp(k, "connections_per_uid") == 0) {
                if (parse_uint(v, 1024, 10, &n) < 0 || n == 0) {
                        *why = "connections_per_uid must be 1 to 1024";
                        return -EINVAL;
                }
                c->connections_per_uid = (unsigned)n;
        } else if (strcmp(k, "events_keepalive") == 0) {
                if (parse_uint(v, 3600, 10, &n) < 0 || n == 0) {
                        *why = "events_keepalive must be seconds, 1 to 3600";
                        return -EINVAL;
                }
                c->events_keepalive_s = (unsigned)n;
                c->events_keepalive_set = true;
        } else if (strcmp(k, "allowed_groups") == 0) {
                return parse_groups(c, v, why);
        } else if (strcmp(k, "pkcs11_module") == 0 || strcmp(k, "trust_anchors") == 0 ||
                   strcmp(k, "database") == 0 || strcmp(k, "rights_table") == 0 ||
                   strcmp(k, "interactions_table") == 0) {
                char *dst = strcmp(k, "pkcs11_module") == 0   ? c->pkcs11_module
                            : strcmp(k, "trust_anchors") == 0 ? c->trust_anchors
                            : strcmp(k, "database") == 0      ? c->database
                            : strcmp(k, "rights_table") == 0  ? c->rights_table
                                                              : c->interactions_table;
                if (v[0] != '/') {
                        *why = "must be an absolute path";
                        return -EINVAL;
                }
                if (strcpy_bounded(dst, PATH_MAX, v) < 0) {
                        *why = "path too long";
                        return -EINVAL;
                }
        } else if (strcmp(k, "session_idle_timeout") == 0) {
                if (parse_uint(v, 86400, 10, &n) < 0 || n < 10) {
                        *why = "session_idle_timeout must be seconds, 10 to 86400";
                        return -EINVAL;
                }
                c->session_idle_timeout_s = (unsigned)n;
        } else if (strcmp(k, "workstation") == 0) {
                if (!*v || strcpy_bounded(c->workstation, sizeof(c->workstation), v) < 0) {
                        *why = "workstation must be a name of 1 to 127 bytes";
                        return -EINVAL;
                }
        } else if (strncmp(k, "identity.", 9) == 0) {
                if (p11_map_set(&c->identity_map, k + 9, v) < 0) {
                        *why = "not a known identity field, or not a rule such as subject:CN, "
                               "extension:OID, usage:digitalSignature, id:01, label:TEXT";
                        return -EINVAL;
                }
        } else if (strcmp(k, "log_level") == 0) {
                static const char *const lv[] = {"error", "warning", "info", "debug"};
                static const int pr[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
                for (size_t i = 0; i < ELEMENTSOF(lv); i++)
                        if (strcmp(v, lv[i]) == 0) {
                                c->log_level = pr[i];
                                return 0;
                        }
                *why = "log_level must be error, warning, info or debug";
                return -EINVAL;
        } else {
                *why = "unknown key";
                return -EINVAL;
        }
        return 0;
}

static char *strip(char *s) {
        while (isspace((unsigned char)*s))
                s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
                *--e = '\0';
        return s;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char line[1024];
        unsigned lineno = 0;
        struct config tmp = *c;

        if (!f) {
                int r = negerrno();
                snprintf(err, errlen, "%s: %s", path, strerror(-r));
                return r;
        }
        while (fgets(line, sizeof(line), f)) {
                const char *why = NULL;
                lineno++;
                if (!strchr(line, '\n') && !feof(f)) {
                        snprintf(err, errlen, "%s:%u: line too long", path, lineno);
                        return -EINVAL;
                }
                char *hash = strchr(line, '#');
                if (hash)
                        *hash = '\0';
                char *s = strip(line);
                if (!*s)
                        continue;
                char *eq = strchr(s, '=');
                if (!eq) {
                        snprintf(err, errlen, "%s:%u: expected 'key = value'", path, lineno);
                        return -EINVAL;
                }
                *eq = '\0';
                char *k = strip(s), *v = strip(eq + 1);
                if (config_set(&tmp, k, v, &why) < 0) {
                        snprintf(err, errlen, "%s:%u: %s: %s", path, lineno, k, why);
                        return -EINVAL;
                }
        }
        if (ferror(f)) {
                snprintf(err, errlen, "%s: read error", path);
                return -EIO;
        }
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
        *c = tmp; /* all or nothing */
        return 0;
}
