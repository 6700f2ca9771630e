/* api/context.h: what the resources may use of the running daemon.
 *
 * carnetd fills one struct api_context and hands it to the server, which
 * passes it to every handler as req->ctx; NULL members are absent (a
 * handler then answers 503). */
#pragma once

#include <stdbool.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/report.h"

struct monitor;
struct event_queue;
struct session_manager;
struct dossier_engine;
struct session_info;
struct api_request;
struct agent;

struct api_context {
        struct monitor *monitor;
        struct event_queue *events;
        unsigned events_keepalive_ms; /* SSE comment interval; 0: 15 s */
        struct session_manager *sessions;
        /* Finds the live session of a token for a uid (-ENOENT, -EPERM when
         * none): how the API learns who calls.  carnetd gives
         * api_sessions_find (below), tests a table of their own; NULL: 503. */
        int (*find_session)(const struct api_context *ctx, const char *token, uid_t uid, struct session_info *ret);
        struct dossier_engine *engine; /* takes its own lock in every call */
        /* more engines on the same store (carnet-hostd on PostgreSQL: one
         * database connection each), used in turn by the requests so that
         * one request's round trips to the database do not wait for
         * another's; NULL or empty: engine alone (api_engine) */
        struct api_engines *engines;
        /* carnet-hostd (the dossier host, docs/host.md): the routes that
         * read a Carte Vitale on carnetd take the person from the body's
         * "vitale" object instead (res_vitale_person), and patient sessions
         * are opened by open_patient_session (NULL: sessions_open_patient
         * on the card insertion the person was read from) */
        bool vitale_in_body;
        int (*open_patient_session)(const struct api_request *req, const char *ins, const char *representative,
                                    struct session_info *ret, char token[65]);
        /* Set: carnetd is the agent of a dossier host (docs/agent.md); every
         * route that needs the engine goes there (engine is NULL). */
        struct agent *agent;
        struct reporter reporter; /* what happened, for the program to log */
};

#define API_ENGINES_MAX 16

struct api_engines {
        struct dossier_engine *e[API_ENGINES_MAX];
        size_t n;
        atomic_uint next;
};

/* The engine a request uses: the next of ctx->engines, else ctx->engine. */
struct dossier_engine *api_engine(const struct api_context *ctx);

/* The session finder carnetd puts in find_session: sessions_lookup() on
 * ctx->sessions (-EHOSTDOWN without them). */
int api_sessions_find(const struct api_context *ctx, const char *token, uid_t uid, struct session_info *ret);
