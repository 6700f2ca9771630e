/* api/call.h: what a route needs, checked once before its handler runs.
 *
 * Every route of the table (routes.c) states what its handler needs as
 * API_NEED_* flags in api_route.needs.  api_invoke(), the table's invoke
 * hook (http/router.h), checks them in one fixed order -- the caller, the
 * session manager, the engine, {ins}, {uid}, the body -- answers the first
 * that fails with its error, and otherwise hands the handler a struct
 * api_call in req->call holding what it resolved.  docs/router.md
 * describes the whole path of a request. */
#pragma once

#include <stdbool.h>

#include "http/router.h"
#include "engine/dossier.h"
#include "lib/nir.h"
#include "session/session.h"

enum {
        /* the caller: at most one of the first three */
        API_NEED_SESSION = 1u << 0,      /* any live session: 503 sessions_unavailable, 401 no_session */
        API_NEED_PROFESSIONAL = 1u << 1, /* a professional session; a patient's: 403 professional_only */
        API_NEED_PATIENT = 1u << 2,      /* a patient session; a professional's: 403 patient_only */
        API_NEED_ROOT_OK = 1u << 3,      /* with a caller need: uid 0 may call without a session */
        API_NEED_SESSIONS = 1u << 4,     /* the session manager: 503 sessions_unavailable */
        API_NEED_ENGINE = 1u << 5,       /* the dossier engine: 503 dossiers_unavailable */
        API_NEED_INS = 1u << 6,          /* {ins}, a NIR with a valid key (canonical spelling): 422 bad_ins */
        API_NEED_DOCUMENT = 1u << 7,     /* {uid}, a document id: 404 no_such_document */
        API_NEED_BODY = 1u << 8,         /* a JSON object body: 400 bad_json */
        /* with API_NEED_BODY: a Content-Type, when given, that is JSON
         * (application/json, .../...+json): 415 unsupported_media_type */
        API_NEED_JSON_TYPE = 1u << 9,
};

/* Who is calling, as the dossier engine sees them: the session and the
 * actor built from it (whose strings point into si). */
struct api_caller {
        bool present; /* false: no caller need, or root without a session */
        struct session_info si;
        struct dossier_actor a;
};

/* What api_invoke() resolved, by need; the rest is zero. */
struct api_call {
        struct api_caller caller;      /* SESSION, PROFESSIONAL, PATIENT */
        struct dossier_engine *engine; /* ENGINE */
        const char *ins;               /* INS: the checked {ins}, as dossiers are keyed (ins_buf) */
        char ins_buf[NIR_LEN + 1];     /* its canonical spelling: "2a" written "2A" (nir_canonical()) */
        const char *document;          /* DOCUMENT: the checked {uid} */
        json_t *body;                  /* BODY: the object, released after the handler */
};

/* The table's invoke hook: checks route->needs, then runs the handler with
 * req->call set.  A failed check fills *ret and returns 0. */
int api_invoke(const struct api_route *route, const struct api_request *req, struct api_reply *ret);

/* Fills c->a from c->si: a professional (national id, profession,
 * specialty, names, card type, the session's mode and reason, the session
 * id) or a patient (their INS). */
void api_caller_from_session(struct api_caller *c);

/* The card type of a session as access.h's enum; an unknown type counts
 * as CPA, which may not read documents. */
enum access_card res_card_of(enum p11_card_type t);
