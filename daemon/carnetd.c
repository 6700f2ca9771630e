/* daemon/carnetd.c: carnetd's entry point.
 *
 * Reads the options and the configuration, starts the API server on its
 * Unix socket (or the one systemd hands over), tells systemd it is ready,
 * then waits for signals: SIGTERM and SIGINT stop it cleanly. */
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "api/context.h"
#include "api/routes.h"
#include "config.h"
#include "agent/agent.h"
#include "engine/dossier.h"
#include "reader/events.h"
#include "engine/interactions.h"
#include "http/peer.h"
#include "lib/macro.h"
#include "log.h"
#include "reader/monitor.h"
#include "notify.h"
#include "p11remote/p11-remote.h"
#include "paths.h"
#include "reports.h"
#include "signals.h"
#include "engine/rights.h"
#include "http/server.h"
#include "session/session.h"

static void usage(FILE *f) {
        fprintf(f,
                "usage: carnetd [options]\n"
                "  -c, --config FILE   configuration file (default " CONFIG_DEFAULT_PATH
                ", if present)\n"
                "  -s, --socket PATH   API socket (default " CONFIG_DEFAULT_SOCKET ")\n"
                "      --pkcs11-helper-socket PATH\n"
                "                      connect to the PKCS#11 helper there (systemd's\n"
                "                      carnet-p11-helper.socket) instead of starting it\n"
                "  -v, --verbose       debug logging\n"
                "      --check-config  load the configuration and the data tables, say\n"
                "                      whether they are usable, and exit (0: usable)\n"
                "      --list-routes   print the API routes and exit\n"
                "      --version       print the version and exit\n");
}

/* What runs behind the API, started in order and stopped in reverse. */
struct services {
        struct event_queue *events;
        struct monitor *monitor;
        struct session_manager *sessions;
        struct rights_table *rights;
        struct interactions *interactions;
        struct dossier_engine *engine;
        struct agent *agent; /* dossier_host set: the host instead of the engine */
};

static void services_stop(struct services *s) {
        sessions_free(s->sessions);
        agent_free(s->agent);
        monitor_stop(s->monitor);
        dossier_engine_close(s->engine);
        interactions_free(s->interactions);
        rights_free(s->rights);
        events_free(s->events);
}

/* A dossier notification, on the event stream: its kind only. */
static void notification_event(void *userdata, const char *kind) {
        events_push(userdata, EVENT_NOTIFICATION, NULL, kind);
}

/* The embedded engine: the data tables and the dossier store. */
static int engine_start(const struct config *cfg, struct services *s) {
        char err[512];
        int r;

        r = rights_load(cfg->rights_table, &s->rights, err, sizeof(err));
        if (r < 0) {
                log_error("rights table: %s", err);
                return r;
        }
        r = interactions_load(cfg->interactions_table, &s->interactions, err, sizeof(err));
        if (r < 0) {
                log_error("interactions table: %s", err);
                return r;
        }
        struct dossier_config dc = {.path = cfg->database,
                                    .rights = s->rights,
                                    .interactions = s->interactions,
                                    .on_notification = notification_event,
                                    .on_notification_userdata = s->events};
        r = paths_need_folder(cfg->database, 0750, "dossier database", err, sizeof(err));
        if (r < 0) {
                log_error("%s", err);
                return r;
        }
        r = dossier_engine_open(&dc, &s->engine);
        if (r < 0) {
                log_error("dossier database %s: %s", cfg->database, strerror(-r));
                return r;
        }
        log_info("dossiers in %s", cfg->database);
        return 0;
}

/* The dossier host's client, in place of the engine: no local database. */
static int agent_start(const struct config *cfg, struct services *s) {
        struct agent_config ac = {.url = cfg->dossier_host, .cert = cfg->host_cert, .key = cfg->host_key,
                                  .ca = cfg->host_ca, .timeout_ms = cfg->host_timeout_ms};
        int r = agent_new(&ac, &s->agent);
        if (r < 0) {
                log_error("dossier host %s: %s", cfg->dossier_host, strerror(-r));
                return r;
        }
        log_info("dossiers on the host %s (agent mode: no local database)", cfg->dossier_host);
        return 0;
}

/* A session record's nonce in agent mode: the host's challenge. */
static int host_nonce(void *userdata, char ret[SESSION_NONCE_MAX]) {
        return agent_challenge(userdata, ret);
}

/* A session that ended in agent mode: the host's side ends too (best
 * effort: the host also ends idle sessions itself). */
static void host_ended(void *userdata, const char *host_token) {
        (void)agent_close_session(userdata, host_token);
}

/* Loads the data files and opens the dossier store first (a malformed
 * table or an unusable database stops carnetd with the reason), then
 * starts the reader monitor and the session manager. */
static int services_start(const struct config *cfg, struct services *s) {
        int r;

        memset(s, 0, sizeof(*s));
        r = events_new(EVENTS_DEFAULT_CAP, &s->events);
        if (r < 0)
                return r;
        r = cfg->dossier_host[0] ? agent_start(cfg, s) : engine_start(cfg, s);
        if (r < 0)
                return r;
        struct monitor_config mc = MONITOR_CONFIG_DEFAULT;
        mc.reporter = REPORTER_LOG;
        mc.readers = cfg->readers;
        r = monitor_start(&mc, s->events, &s->monitor);
        if (r < 0) {
                log_error("cannot start the reader monitor: %s", strerror(-r));
                return r;
        }
        struct p11_remote_config pc;
        p11_remote_defaults(&pc);
        (void)strcpy_bounded(pc.helper, sizeof(pc.helper), cfg->pkcs11_helper);
        (void)strcpy_bounded(pc.user, sizeof(pc.user), cfg->pkcs11_helper_user);
        (void)strcpy_bounded(pc.socket, sizeof(pc.socket), cfg->pkcs11_helper_socket);
        if (pc.socket[0] && cfg->pkcs11_module[0])
                log_warning("pkcs11_module is not used with pkcs11_helper_socket: the helper's unit names "
                            "its module (docs/pkcs11.md)");
        pc.timeout_s = cfg->pkcs11_helper_timeout_s;
        pc.pinpad_timeout_s = cfg->pkcs11_pinpad_timeout_s;
        p11_remote_configure(&pc);
        struct session_config sc = {
                .module_path = cfg->pkcs11_module[0] ? cfg->pkcs11_module : NULL,
                .trust_path = cfg->trust_anchors,
                .crl_path = cfg->crl_path[0] ? cfg->crl_path : NULL,
                .crl_stale = cfg->crl_stale ? TRUST_CRL_STALE_ACCEPT : TRUST_CRL_STALE_REFUSE,
                .map = &cfg->identity_map,
                .idle_timeout_s = cfg->session_idle_timeout_s,
                .workstation = cfg->workstation,
                .establishment = cfg->establishment,
                .nonce = s->agent ? host_nonce : NULL,
                .nonce_userdata = s->agent,
                .ended = s->agent ? host_ended : NULL,
                .ended_userdata = s->agent,
                .reporter = REPORTER_LOG,
        };
        r = sessions_new(&sc, s->monitor, s->events, &s->sessions);
        if (r < 0) {
                log_error("cannot start the session manager: %s", strerror(-r));
                return r;
        }
        return 0;
}

/* Periodic dossier work: documents held back from patients (notice at two
 * weeks, visible at one month), closed dossiers past their retention. */
static void services_jobs(struct services *s) {
        unsigned notified = 0, released = 0, purged = 0;
        if (!s->engine) /* agent mode: the host does them */
                return;
        int r = dossier_tick(s->engine, &notified, &released);
        int r2 = dossier_purge_expired(s->engine, &purged);
        if (r < 0 || r2 < 0)
                log_warning("dossier jobs failed: %s", strerror(-(r < 0 ? r : r2)));
        else if (notified || released || purged)
                log_info("dossier jobs: %u notice(s), %u document(s) released, %u dossier(s) purged", notified,
                         released, purged);
}

/* Appends ", name" to a bounded list of names. */
static void add_name(char *buf, size_t size, const char *name) {
        size_t n = strlen(buf);
        snprintf(buf + n, size - n, "%s%s", n ? ", " : "", name);
}

/* The rights and interaction tables, read again and swapped in. */
static int reload_tables(const struct config *next, struct services *s, char *applied, size_t size) {
        char err[512];
        struct rights_table *rights = NULL;
        struct interactions *inter = NULL;
        if (rights_load(next->rights_table, &rights, err, sizeof(err)) < 0 ||
            interactions_load(next->interactions_table, &inter, err, sizeof(err)) < 0) {
                log_error("reload refused, the running tables stay: %s", err);
                rights_free(rights);
                return -EINVAL;
        }
        /* the engine takes its own lock for the swap: once it returns, no
         * call uses the old tables any more */
        (void)dossier_engine_set_tables(s->engine, rights, inter);
        rights_free(s->rights);
        interactions_free(s->interactions);
        s->rights = rights;
        s->interactions = inter;
        add_name(applied, size, "rights_table");
        add_name(applied, size, "interactions_table");
        return 0;
}

/* SIGHUP: reads the configuration again and applies what can change
 * safely while running (the log level, the rights and interaction tables,
 * re-read from disk even when their paths did not change); says which
 * changed settings need a restart.  A file that does not parse, or a table
 * that does not load, changes nothing. */
static void reload(const char *config_path, struct config *running, struct services *s, bool verbose) {
        struct config next;
        char err[512], applied[512] = "", restart[512] = "";

        notify_reloading();
        config_defaults(&next);
        if (config_path && config_load(&next, config_path, err, sizeof(err)) < 0) {
                log_error("reload refused, the running configuration stays: %s", err);
                goto done;
        }
        if (s->engine && reload_tables(&next, s, applied, sizeof(applied)) < 0)
                goto done;
        /* the revocation lists are read again from the running crl_path */
        if (running->crl_path[0] && sessions_reload_crls(s->sessions) == 0)
                add_name(applied, sizeof(applied), "revocation lists");
        if (next.log_level != running->log_level) {
                if (!verbose)
                        log_set_max_level(next.log_level);
                add_name(applied, sizeof(applied), "log_level");
        }
        /* the rest is fixed at start */
        static const struct {
                const char *name;
                size_t off, len;
        } fixed[] = {
#define FIELD(f) {#f, offsetof(struct config, f), sizeof(((struct config *)0)->f)}
                FIELD(socket_path),         FIELD(socket_mode),       FIELD(socket_group),
                FIELD(connection_timeout_s), FIELD(body_max),         FIELD(header_max),
                FIELD(max_connections),     FIELD(connections_per_uid), FIELD(events_keepalive_s),
                FIELD(allowed_groups),      FIELD(n_allowed_groups),  FIELD(pkcs11_module),
                FIELD(trust_anchors),       FIELD(session_idle_timeout_s), FIELD(workstation),
                FIELD(identity_map),        FIELD(database),          FIELD(crl_path),
                FIELD(crl_stale),           FIELD(pkcs11_helper),     FIELD(pkcs11_helper_user),
                FIELD(pkcs11_helper_timeout_s), FIELD(pkcs11_pinpad_timeout_s), FIELD(dossier_host),
                FIELD(host_cert),           FIELD(host_key),          FIELD(host_ca),
                FIELD(host_timeout_ms),     FIELD(readers),           FIELD(spool_dir),
#undef FIELD
        };
        for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
                if (memcmp((char *)&next + fixed[i].off, (char *)running + fixed[i].off, fixed[i].len) != 0)
                        add_name(restart, sizeof(restart), fixed[i].name);
        running->log_level = next.log_level;
        snprintf(running->rights_table, sizeof(running->rights_table), "%s", next.rights_table);
        snprintf(running->interactions_table, sizeof(running->interactions_table), "%s",
                 next.interactions_table);
        log_info("reload: applied %s%s%s", applied, restart[0] ? "; changed but needing a restart: " : "",
                 restart);
done:
        notify_ready("Serving the API (configuration reloaded)");
}

static void list_routes(void) {
        size_t n;
        const struct api_route *r = api_routes(&n);
        for (size_t i = 0; i < n; i++)
                printf("%s %s\n", r[i].method, r[i].path);
}

/* Turns allowed_groups into gids.  Unset, it means the group "carnet" if
 * it exists, else nobody but root and carnetd's own uid: the safe default
 * is to refuse, since the socket may be reachable by more users than
 * should read patient cards.  A named group that does not exist stops
 * carnetd, like any configuration it does not understand. */
static int caller_policy(const struct config *cfg, struct peer_policy *ret) {
        struct peer_policy p = {.self_uid = geteuid()};
        char names[512] = "";

        if (!cfg->allowed_groups_set) {
                struct group *g = getgrnam(CONFIG_DEFAULT_GROUP);
                if (g) {
                        p.groups[p.n_groups++] = g->gr_gid;
                        snprintf(names, sizeof(names), " and group %s (the default)", CONFIG_DEFAULT_GROUP);
                } else
                        snprintf(names, sizeof(names), " (allowed_groups is not set and there is no group %s)",
                                 CONFIG_DEFAULT_GROUP);
        }
        for (size_t i = 0; i < cfg->n_allowed_groups && i < PEER_POLICY_GROUPS_MAX; i++) {
                struct group *g = getgrnam(cfg->allowed_groups[i]);
                if (!g) {
                        log_error("allowed_groups: no group named '%s'", cfg->allowed_groups[i]);
                        return -ENOENT;
                }
                p.groups[p.n_groups++] = g->gr_gid;
                size_t len = strlen(names);
                snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : " and groups ",
                         cfg->allowed_groups[i]);
        }
        log_info("callers allowed: root, uid %u%s", (unsigned)p.self_uid, names);
        if (cfg->socket_group[0]) {
                bool listed = !cfg->allowed_groups_set && strcmp(cfg->socket_group, CONFIG_DEFAULT_GROUP) == 0;
                for (size_t i = 0; i < cfg->n_allowed_groups; i++)
                        listed = listed || strcmp(cfg->allowed_groups[i], cfg->socket_group) == 0;
                if (!listed)
                        log_warning("members of socket_group %s can reach the socket but are not in "
                                    "allowed_groups: they will be refused", cfg->socket_group);
        }
        *ret = p;
        return 0;
}

/* The watchdog's liveness check (notify.h): carnetd's own API answers
 * GET /v1/status within 5 s.  userdata is the socket's path. */
static int api_alive(void *userdata) {
        return notify_probe_api(userdata, 5000);
}

/* The listening socket from systemd socket activation, or -1. */
static int activated_socket(void) {
        int n = sd_listen_fds(1);
        if (n > 1) {
                log_error("systemd passed %d sockets, expected one", n);
                return -EINVAL;
        }
        if (n == 1 && sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0) {
                log_error("the socket systemd passed is not a listening Unix stream socket");
                return -EINVAL;
        }
        return n == 1 ? SD_LISTEN_FDS_START : -1;
}

struct options {
        const char *config_path, *socket, *p11_socket;
        bool verbose, check_config;
};

/* Reads the command line into *o.  Returns -1 to go on, or the exit code
 * when carnetd is done (--version, --help, a usage error). */
static int parse_options(int argc, char **argv, struct options *o) {
        static const struct option opts[] = {
                {"config", required_argument, NULL, 'c'},
                {"socket", required_argument, NULL, 's'},
                {"pkcs11-helper-socket", required_argument, NULL, 'P'},
                {"verbose", no_argument, NULL, 'v'},
                {"list-routes", no_argument, NULL, 'L'},
                {"check-config", no_argument, NULL, 'C'},
                {"version", no_argument, NULL, 'V'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        int c;

        *o = (struct options){0};
        while ((c = getopt_long(argc, argv, "c:s:vh", opts, NULL)) >= 0) {
                switch (c) {
                case 'c': o->config_path = optarg; break;
                case 's': o->socket = optarg; break;
                case 'P': o->p11_socket = optarg; break;
                case 'v': o->verbose = true; break;
                case 'C': o->check_config = true; break;
                case 'L': list_routes(); return 0;
                case 'V': printf("carnetd %s\n", CARNET_VERSION); return 0;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        }
        if (optind < argc) {
                usage(stderr);
                return 2;
        }
        return -1;
}

/* The defaults, the file (--config, else the default path if present),
 * then --socket and --pkcs11-helper-socket; sets the log level.  Returns 0 or the exit code. */
static int load_configuration(struct options *o, struct config *cfg) {
        char err[512];

        config_defaults(cfg);
        if (!o->config_path && access(CONFIG_DEFAULT_PATH, F_OK) == 0)
                o->config_path = CONFIG_DEFAULT_PATH;
        if (o->config_path && config_load(cfg, o->config_path, err, sizeof(err)) < 0) {
                log_error("configuration: %s", err);
                return 1;
        }
        if (o->socket && strcpy_bounded(cfg->socket_path, sizeof(cfg->socket_path), o->socket) < 0) {
                log_error("--socket: path too long (107 bytes at most)");
                return 2;
        }
        if (o->p11_socket && (o->p11_socket[0] != '/' ||
                              strcpy_bounded(cfg->pkcs11_helper_socket, sizeof(cfg->pkcs11_helper_socket),
                                             o->p11_socket) < 0)) {
                log_error("--pkcs11-helper-socket: an absolute path of 107 bytes at most");
                return 2;
        }
        log_set_max_level(o->verbose ? LOG_DEBUG : cfg->log_level);
        return 0;
}

/* The server's settings from the configuration: the socket (or the one
 * systemd passed), its group, the limits.  Returns 0 or -errno (logged). */
static int server_settings(const struct config *cfg, const struct peer_policy *policy,
                           struct server_config *ret) {
        struct server_config sc = {
                .socket_path = cfg->socket_path,
                .listen_fd = activated_socket(),
                .socket_mode = cfg->socket_mode,
                .socket_group = (gid_t)-1,
                .connection_timeout_s = cfg->connection_timeout_s,
                .body_max = cfg->body_max,
                .header_max = cfg->header_max,
                .max_connections = cfg->max_connections,
                .connections_per_uid = cfg->connections_per_uid,
                .policy = policy,
        };
        if (sc.listen_fd < -1)
                return sc.listen_fd;
        if (cfg->socket_group[0]) {
                struct group *g = getgrnam(cfg->socket_group);
                if (!g) {
                        log_error("socket_group: no group named '%s'", cfg->socket_group);
                        return -ENOENT;
                }
                sc.socket_group = g->gr_gid;
        }
        *ret = sc;
        return 0;
}

/* Starts the API server; returns 0 or -errno (logged).  main() says it
 * listens: the journal's start entry names main (t-systemd-journal). */
static int serve(const struct server_config *sc, const struct config *cfg, struct server **ret) {
        char err[512];
        int r;
        /* the socket's folder is searched by callers: 0755, the socket's
         * own mode and the caller policy decide who gets in */
        if (sc->listen_fd < 0 && (r = paths_need_folder(cfg->socket_path, 0755, "socket", err, sizeof(err))) < 0) {
                log_error("%s", err);
                return r;
        }
        char spool[PATH_MAX];
        struct server_config c = *sc;
        if ((r = paths_spool_dir(cfg, spool, sizeof(spool), err, sizeof(err))) < 0) {
                log_error("%s", err);
                return r;
        }
        c.spool_dir = spool[0] ? spool : NULL;
        r = server_start(&c, ret);
        if (r < 0) {
                if (r == -EADDRINUSE)
                        log_error("%s: another carnetd is already answering there", cfg->socket_path);
                else
                        log_error("cannot serve on %s: %s", cfg->socket_path, strerror(-r));
                return r;
        }
        return 0;
}

/* Tells systemd carnetd is ready and starts the watchdog, which probes
 * api_path (size 108): the passed socket's own path when systemd handed
 * one over, the path callers reach.  Returns the watchdog, or NULL. */
static struct notify_watchdog *announce(const struct server_config *sc, const struct config *cfg,
                                        char *api_path, size_t size) {
        char status[160];
        if (sc->listen_fd < 0 || notify_socket_path(sc->listen_fd, api_path, size) < 0)
                snprintf(api_path, size, "%s", cfg->socket_path);
        snprintf(status, sizeof(status), "Serving the API on %s", api_path);
        notify_ready(status);
        struct notify_watchdog *wd = NULL;
        uint64_t wd_usec = 0;
        int r = notify_watchdog_start(api_alive, api_path, &wd, &wd_usec);
        if (r < 0)
                log_warning("watchdog: cannot start: %s (systemd will restart carnetd)", strerror(-r));
        else if (r > 0)
                log_info("watchdog: pinging systemd every %llu ms while the API answers",
                         (unsigned long long)(wd_usec / 2000));
        return wd;
}

/* What signals_loop() runs: the dossier jobs every minute, the reload on
 * SIGHUP. */
struct loop {
        const struct options *o;
        struct config *cfg;
        struct services *svc;
};

static void loop_tick(void *userdata) {
        services_jobs(((struct loop *)userdata)->svc);
}

static void loop_reload(void *userdata) {
        struct loop *l = userdata;
        reload(l->o->config_path, l->cfg, l->svc, l->o->verbose);
}

/* --check-config: the file has been read; the tables must load too.
 * Prints what was checked on standard output; returns the exit code. */
/* --check-config in agent mode: the certificate, key and CA files are
 * there and readable (what they hold is seen at the first call). */
static int check_agent_config(const struct options *o, const struct config *cfg) {
        const char *files[][2] = {{"host_cert", cfg->host_cert}, {"host_key", cfg->host_key}, {"host_ca", cfg->host_ca}};
        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                if (files[i][1][0] && access(files[i][1], R_OK) < 0) {
                        log_error("%s %s: %s", files[i][0], files[i][1], strerror(errno));
                        return 1;
                }
        printf("configuration: %s\ndossier host: %s\nhost_cert: %s\nhost_key: %s\nhost_ca: %s\nsocket: %s\n"
               "usable\n",
               o->config_path ? o->config_path : "(none: the defaults)", cfg->dossier_host, cfg->host_cert,
               cfg->host_key, cfg->host_ca[0] ? cfg->host_ca : "(the system's)", cfg->socket_path);
        return 0;
}

static int check_config(const struct options *o, const struct config *cfg) {
        if (cfg->dossier_host[0])
                return check_agent_config(o, cfg);
        struct rights_table *rights = NULL;
        struct interactions *inter = NULL;
        char err[512];
        int r = rights_load(cfg->rights_table, &rights, err, sizeof(err));
        if (r < 0)
                log_error("rights table: %s", err);
        else if ((r = interactions_load(cfg->interactions_table, &inter, err, sizeof(err))) < 0)
                log_error("interactions table: %s", err);
        rights_free(rights);
        interactions_free(inter);
        if (r < 0)
                return 1;
        printf("configuration: %s\nrights table: %s\ninteractions table: %s\ndatabase: %s\nsocket: %s\n"
               "usable\n",
               o->config_path ? o->config_path : "(none: the defaults)", cfg->rights_table,
               cfg->interactions_table, cfg->database, cfg->socket_path);
        return 0;
}

/* Two malloc arenas, not glibc's eight per core: each of the connections'
 * threads would otherwise keep its own, and what one freed (a page of a
 * thousand documents' JSON) stays in it.  In bench/run-mixed.sh's large
 * list (16 connections, pages of 1000) carnetd's peak RSS was 56.6 MiB
 * with glibc's default and 44.8 MiB with two, and the HTTP benchmark's
 * 31.5 against 26.3, its requests a second within the runs' spread
 * (docs/benchmarks.md, session 10).  MALLOC_ARENA_MAX in the environment
 * still decides. */
static void malloc_arenas(void) {
        if (!getenv("MALLOC_ARENA_MAX"))
                (void)mallopt(M_ARENA_MAX, 2);
}

int main(int argc, char **argv) {
        struct options o;
        struct config cfg;
        int r;

        malloc_arenas();
        if ((r = parse_options(argc, argv, &o)) >= 0)
                return r;
        if ((r = load_configuration(&o, &cfg)) != 0)
                return r;
        struct peer_policy policy;
        struct server_config sc;
        if (caller_policy(&cfg, &policy) < 0 || server_settings(&cfg, &policy, &sc) < 0)
                return 1;
        if (o.check_config)
                return check_config(&o, &cfg);
        sigset_t set;
        signals_block(&set);

        struct services svc;
        if (services_start(&cfg, &svc) < 0) {
                services_stop(&svc);
                return 1;
        }
        struct api_context actx = {
                .monitor = svc.monitor,
                .events = svc.events,
                .events_keepalive_ms = cfg.events_keepalive_s * 1000,
                .sessions = svc.sessions,
                .find_session = api_sessions_find,
                .engine = svc.engine,
                .agent = svc.agent,
                .reporter = REPORTER_LOG,
        };
        sc.ctx = &actx;
        sc.table = api_table();
        sc.reporter = REPORTER_LOG;

        struct server *srv = NULL;
        if (serve(&sc, &cfg, &srv) < 0) {
                services_stop(&svc);
                return 1;
        }
        log_info("carnetd %s listening on %s", CARNET_VERSION,
                 sc.listen_fd >= 0 ? "the socket passed by systemd" : cfg.socket_path);
        char api_path[108];
        struct notify_watchdog *wd = announce(&sc, &cfg, api_path, sizeof(api_path));
        struct loop loop = {&o, &cfg, &svc};
        signals_loop(&set, loop_tick, loop_reload, &loop);
        notify_stopping();
        notify_watchdog_stop(wd);
        server_stop(srv);
        services_stop(&svc);
        return 0;
}
