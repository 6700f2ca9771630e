/* daemon/carnet-hostd.c: the dossier host (docs/host.md).
 *
 * Serves the dossier part of carnet's API over HTTPS to the workstations'
 * agents (carnetd with dossier_host set), each known by the client
 * certificate the host's workstation CA issued it.  The host decides who
 * acts: it verifies every professional session's card-signed record
 * itself, against its own trust anchors and revocation lists, and keeps
 * its sessions in the database, so that several carnet-hostd processes
 * serve one database.  No cards, no PC/SC, no PKCS#11 module here.
 * SIGTERM and SIGINT stop it; SIGHUP reads the revocation lists again. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/host-routes.h"
#include "api/host-sessions.h"
#include "engine/dossier.h"
#include "engine/dossier-host.h"
#include "engine/host-sessions.h"
#include "engine/interactions.h"
#include "engine/rights.h"
#include "engine/store.h"
#include "host-config.h"
#include "http/server.h"
#include "http/tls.h"
#include "lib/macro.h"
#include "lib/readall.h"
#include "log.h"
#include "notify.h"
#include "paths.h"
#include "reports.h"
#include "signals.h"

#define PEM_MAX (256u * 1024)

static void usage(FILE *f) {
        fprintf(f, "usage: carnet-hostd [options]\n"
                   "  -c, --config FILE   configuration file (default " HOST_CONFIG_DEFAULT_PATH ")\n"
                   "  -v, --verbose       debug logging\n"
                   "      --check-config  load the configuration, the certificates and the data\n"
                   "                      tables, say whether they are usable, and exit (0: usable)\n"
                   "      --list-routes   print the routes the host serves and exit\n"
                   "      --migrate DB    open the dossier store DB (an SQLite path or a libpq\n"
                   "                      conninfo naming the schema's owner), bring its schema up to\n"
                   "                      date, and exit (0: done)\n"
                   "      --version       print the version and exit\n");
}

struct host {
        struct host_config cfg;
        struct rights_table *rights;
        struct interactions *interactions;
        struct dossier_engine *engine;
        struct api_engines engines; /* engine, then the others (store_connections) */
        struct api_host api;
        char *cert, *key, *ca; /* PEM text */
};

static void host_free(struct host *h) {
        for (size_t i = 1; i < h->engines.n; i++)
                dossier_engine_close(h->engines.e[i]);
        dossier_engine_close(h->engine);
        interactions_free(h->interactions);
        rights_free(h->rights);
        trust_store_free(h->api.trust);
        api_host_done(&h->api);
        free(h->cert);
        if (h->key)
                secure_zero(h->key, strlen(h->key));
        free(h->key);
        free(h->ca);
}

/* The three PEM files of TLS, read whole (NUL-terminated). */
static int read_pems(struct host *h) {
        const char *paths[] = {h->cfg.tls_cert, h->cfg.tls_key, h->cfg.tls_client_ca};
        char **dst[] = {&h->cert, &h->key, &h->ca};
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                size_t len;
                int r = read_all_path(paths[i], PEM_MAX, dst[i], &len);
                if (r < 0) {
                        log_error("%s: %s", paths[i], strerror(-r));
                        return r;
                }
        }
        return 0;
}

/* The CPS trust anchors and revocation lists: without them every card is
 * refused (untrusted_certificate), which is said once here. */
static void load_trust(struct host *h) {
        int r = trust_store_load(h->cfg.trust_path, &h->api.trust);
        if (r < 0) {
                log_warning("trust anchors %s: %s: every professional session will be refused", h->cfg.trust_path,
                            strerror(-r));
                return;
        }
        if (!h->cfg.crl_path[0])
                return;
        unsigned foreign = 0;
        r = trust_store_load_crls(h->api.trust, h->cfg.crl_path,
                                  h->cfg.crl_stale ? TRUST_CRL_STALE_ACCEPT : TRUST_CRL_STALE_REFUSE, &foreign);
        if (r < 0)
                log_warning("revocation lists %s: %s: every card is refused (revocation_unknown)", h->cfg.crl_path,
                            strerror(-r));
        else
                log_info("revocation lists from %s: %d in use", h->cfg.crl_path, r);
}

/* The database as messages name it: an SQLite path, but never a libpq
 * conninfo (it may hold a password). */
static const char *database_shown(const char *db) {
        return store_is_conninfo(db) ? "(PostgreSQL, conninfo not shown)" : db;
}

/* The data tables and the database (a missing SQLite folder is made). */
static int open_engine(struct host *h) {
        char err[512];
        int r = rights_load(h->cfg.rights_table, &h->rights, err, sizeof(err));
        if (r < 0 || (r = interactions_load(h->cfg.interactions_table, &h->interactions, err, sizeof(err))) < 0) {
                log_error("data tables: %s", err);
                return r;
        }
        if (h->cfg.database[0] == '/' &&
            (r = paths_need_folder(h->cfg.database, 0750, "dossier database", err, sizeof(err))) < 0) {
                log_error("%s", err);
                return r;
        }
        struct dossier_config dc = {.path = h->cfg.database, .rights = h->rights, .interactions = h->interactions};
        r = dossier_engine_open(&dc, &h->engine);
        if (r < 0) {
                log_error("dossier database %s: %s%s", database_shown(h->cfg.database), strerror(-r),
                          r == -EACCES ? " (a schema that needs migrating: carnet-hostd --migrate as its owner)" : "");
                return r;
        }
        /* on PostgreSQL, more connections, used in turn by the requests
         * (api_engine): the writers' lock still orders every write */
        h->engines.e[h->engines.n++] = h->engine;
        unsigned want = store_is_conninfo(h->cfg.database) ? h->cfg.store_connections : 1;
        while (h->engines.n < want) {
                r = dossier_engine_open(&dc, &h->engines.e[h->engines.n]);
                if (r < 0) {
                        log_error("dossier database %s, connection %zu: %s", database_shown(h->cfg.database),
                                  h->engines.n + 1, strerror(-r));
                        return r;
                }
                h->engines.n++;
        }
        return 0;
}

/* A connection whose client certificate does not verify, in the trail. */
static void workstation_refused(void *userdata, const char *cn) {
        struct host *h = userdata;
        int r = dossier_host_refused(h->engine, "workstation", cn, cn, "host-connect", "untrusted-workstation");
        if (r < 0)
                log_warning("the trail did not take a workstation's refusal: %s", strerror(-r));
}

static int start(struct host *h, struct server **ret) {
        api_host_init(&h->api);
        int r = read_pems(h);
        if (r < 0 || (r = open_engine(h)) < 0)
                return r;
        load_trust(h);
        h->api.ctx.engine = h->engine;
        h->api.ctx.engines = &h->engines;
        h->api.ctx.reporter = REPORTER_LOG;
        h->api.map = &h->cfg.identity_map;
        h->api.idle_s = h->cfg.session_idle_s;
        struct server_config sc = {
                .listen_fd = -1,
                .listen_address = h->cfg.listen,
                .tls_cert_pem = h->cert,
                .tls_key_pem = h->key,
                .tls_client_ca_pem = h->ca,
                .tls_peer = http_tls_peer,
                .on_workstation_refused = workstation_refused,
                .refused_userdata = h,
                .connection_timeout_s = h->cfg.connection_timeout_s,
                .body_max = h->cfg.body_max,
                .header_max = 16u * 1024,
                .max_connections = h->cfg.max_connections,
                .connections_per_uid = h->cfg.max_connections,
                .table = api_host_table(),
                .ctx = &h->api.ctx,
                .reporter = REPORTER_LOG,
        };
        r = server_start(&sc, ret);
        if (r < 0)
                log_error("cannot serve on %s: %s", h->cfg.listen, strerror(-r));
        return r;
}

/* Periodic dossier work, as carnetd does it; every process may run it:
 * each step is a transaction of the engine's. */
static void jobs(struct host *h) {
        unsigned notified = 0, released = 0, purged = 0;
        if (dossier_tick(h->engine, &notified, &released) < 0 || dossier_purge_expired(h->engine, &purged) < 0)
                log_warning("dossier jobs failed");
}

static void host_tick(void *userdata) {
        jobs(userdata);
}

/* SIGHUP: the revocation lists again (nothing else is reloaded). */
static void host_reload(void *userdata) {
        struct host *h = userdata;
        pthread_mutex_lock(&h->api.trust_lock);
        int r = h->api.trust ? trust_store_refresh_crls(h->api.trust, true, NULL) : 0;
        pthread_mutex_unlock(&h->api.trust_lock);
        log_info("reload: revocation lists %s", r < 0 ? "kept (the new ones do not read)" : "read again");
        notify_ready("Serving the dossier host (revocation lists read again)");
}

/* --migrate: opening a store brings its schema up to date (store.h). */
static int migrate_store(const char *db) {
        _cleanup_store_ struct store *s = NULL;
        int version = 0;
        int r = store_open(db, &s);

        if (r >= 0)
                r = store_schema_version(s, &version);
        if (r < 0) {
                log_error("dossier store %s: %s", database_shown(db), strerror(-r));
                return 1;
        }
        printf("dossier store %s: schema version %d\n", database_shown(db), version);
        return 0;
}

static int parse_options(int argc, char **argv, const char **config, bool *verbose, bool *check,
                         const char **migrate) {
        static const struct option opts[] = {
                {"config", required_argument, NULL, 'c'}, {"verbose", no_argument, NULL, 'v'},
                {"check-config", no_argument, NULL, 'C'}, {"list-routes", no_argument, NULL, 'L'},
                {"migrate", required_argument, NULL, 'M'},
                {"version", no_argument, NULL, 'V'},      {"help", no_argument, NULL, 'h'},
                {},
        };
        size_t n;
        int c;
        while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) >= 0)
                switch (c) {
                case 'c': *config = optarg; break;
                case 'v': *verbose = true; break;
                case 'C': *check = true; break;
                case 'M': *migrate = optarg; break;
                case 'L':
                        for (const struct api_route *r = api_host_routes(&n), *end = r + n; r < end; r++)
                                printf("%s %s\n", r->method, r->path);
                        return 0;
                case 'V': printf("carnet-hostd %s\n", CARNET_VERSION); return 0;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        if (optind < argc) {
                usage(stderr);
                return 2;
        }
        return -1;
}

int main(int argc, char **argv) {
        const char *config = HOST_CONFIG_DEFAULT_PATH;
        bool verbose = false, check = false;
        const char *migrate = NULL;
        struct host h = {0};
        char err[512];
        int r;

        log_set_ident("carnet-hostd");
        if ((r = parse_options(argc, argv, &config, &verbose, &check, &migrate)) >= 0)
                return r;
        if (migrate)
                return migrate_store(migrate);
        host_config_defaults(&h.cfg);
        if (host_config_load(&h.cfg, config, err, sizeof(err)) < 0) {
                log_error("configuration: %s", err);
                return 1;
        }
        log_set_max_level(verbose ? LOG_DEBUG : h.cfg.log_level);
        sigset_t set;
        signals_block(&set);
        if (check) {
                api_host_init(&h.api);
                r = read_pems(&h) < 0 || open_engine(&h) < 0 ? 1 : 0;
                if (r == 0)
                        printf("configuration: %s\ndatabase: %s\nlisten: %s\nusable\n", config,
                               database_shown(h.cfg.database), h.cfg.listen);
                host_free(&h);
                return r;
        }
        struct server *srv = NULL;
        if (start(&h, &srv) < 0) {
                host_free(&h);
                return 1;
        }
        log_info("carnet-hostd %s listening on %s (HTTPS, workstation certificates)", CARNET_VERSION, h.cfg.listen);
        notify_ready("Serving the dossier host");
        signals_loop(&set, host_tick, host_reload, &h);
        notify_stopping();
        server_stop(srv);
        host_free(&h);
        return 0;
}
