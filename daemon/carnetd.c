/* daemon/carnetd.c: carnetd's entry point.
 *
 * Reads the options and the configuration, starts the API server on its
 * Unix socket (or the one systemd hands over), tells systemd it is ready,
 * then waits for signals: SIGTERM and SIGINT stop it cleanly. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "api.h"
#include "config.h"
#include "events.h"
#include "http_peer.h"
#include "log.h"
#include "monitor.h"
#include "server.h"

static void usage(FILE *f) {
        fprintf(f,
                "usage: carnetd [options]\n"
                "  -c, --config FILE   configuration file (default " CONFIG_DEFAULT_PATH
                ", if present)\n"
                "  -s, --socket PATH   API socket (default " CONFIG_DEFAULT_SOCKET ")\n"
                "  -v, --verbose       debug logging\n"
                "      --list-routes   print the API routes and exit\n"
                "      --version       print the version and exit\n");
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

int main(int argc, char **argv) {
        static const struct option opts[] = {
                {"config", required_argument, NULL, 'c'},
                {"socket", required_argument, NULL, 's'},
                {"verbose", no_argument, NULL, 'v'},
                {"list-routes", no_argument, NULL, 'L'},
                {"version", no_argument, NULL, 'V'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *config_path = NULL, *socket_opt = NULL;
        bool verbose = false;
        struct config cfg;
        char err[512];
        int c, r;

        while ((c = getopt_long(argc, argv, "c:s:vh", opts, NULL)) >= 0) {
                switch (c) {
                case 'c': config_path = optarg; break;
                case 's': socket_opt = optarg; break;
                case 'v': verbose = true; break;
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

        config_defaults(&cfg);
        if (!config_path && access(CONFIG_DEFAULT_PATH, F_OK) == 0)
                config_path = CONFIG_DEFAULT_PATH;
        if (config_path && config_load(&cfg, config_path, err, sizeof(err)) < 0) {
                log_error("configuration: %s", err);
                return 1;
        }
        if (socket_opt && strcpy_bounded(cfg.socket_path, sizeof(cfg.socket_path), socket_opt) < 0) {
                log_error("--socket: path too long (107 bytes at most)");
                return 2;
        }
        log_set_max_level(verbose ? LOG_DEBUG : cfg.log_level);

        struct peer_policy policy;
        if (caller_policy(&cfg, &policy) < 0)
                return 1;
        struct server_config sc = {
                .socket_path = cfg.socket_path,
                .listen_fd = activated_socket(),
                .socket_mode = cfg.socket_mode,
                .socket_group = (gid_t)-1,
                .connection_timeout_s = cfg.connection_timeout_s,
                .body_max = cfg.body_max,
                .header_max = cfg.header_max,
                .max_connections = cfg.max_connections,
                .connections_per_uid = cfg.connections_per_uid,
                .policy = &policy,
        };
        if (sc.listen_fd < -1)
                return 1;
        if (cfg.socket_group[0]) {
                struct group *g = getgrnam(cfg.socket_group);
                if (!g) {
                        log_error("socket_group: no group named '%s'", cfg.socket_group);
                        return 1;
                }
                sc.socket_group = g->gr_gid;
        }

        /* Signals are taken synchronously with sigwait() below; block them
         * before any thread starts so that every thread inherits the mask. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);

        struct event_queue *events = NULL;
        struct monitor *mon = NULL;
        struct monitor_config mc = MONITOR_CONFIG_DEFAULT;
        r = events_new(EVENTS_DEFAULT_CAP, &events);
        if (r == 0)
                r = monitor_start(&mc, events, &mon);
        if (r < 0) {
                log_error("cannot start the reader monitor: %s", strerror(-r));
                events_free(events);
                return 1;
        }
        struct api_context actx = {
                .monitor = mon,
                .events = events,
                .events_keepalive_ms = cfg.events_keepalive_s * 1000,
        };
        sc.ctx = &actx;

        struct server *srv = NULL;
        r = server_start(&sc, &srv);
        if (r < 0) {
                if (r == -EADDRINUSE)
                        log_error("%s: another carnetd is already answering there", cfg.socket_path);
                else
                        log_error("cannot serve on %s: %s", cfg.socket_path, strerror(-r));
                monitor_stop(mon);
                events_free(events);
                return 1;
        }
        log_info("carnetd %s listening on %s", CARNET_VERSION,
                 sc.listen_fd >= 0 ? "the socket passed by systemd" : cfg.socket_path);
        sd_notifyf(0, "READY=1\nSTATUS=Serving the API on %s", cfg.socket_path);

        for (;;) {
                int sig;
                if (sigwait(&set, &sig) != 0)
                        continue;
                if (sig == SIGHUP) {
                        log_info("SIGHUP: nothing to reload in this version");
                        continue;
                }
                log_info("signal %s: stopping", strsignal(sig));
                break;
        }
        sd_notify(0, "STOPPING=1");
        server_stop(srv);
        monitor_stop(mon);
        events_free(events);
        return 0;
}
