/* cli/ctl.h: what every carnetctl subcommand shares. */
#pragma once

#include <stdbool.h>

#include "client.h"
#include "token.h"

/* carnetctl's exit codes (documented in carnetctl(1)). */
enum {
        CTL_EXIT_OK = 0,
        CTL_EXIT_REFUSED = 1,     /* carnetd answered with an error, or its socket is not for this user */
        CTL_EXIT_USAGE = 2,       /* bad command line */
        CTL_EXIT_UNREACHABLE = 3, /* no carnetd on the socket, or it went away */
        CTL_EXIT_PROTOCOL = 4,    /* a reply carnetctl cannot read */
        CTL_EXIT_NO_SESSION = 5,  /* 401: no session (not logged in, ended), or a wrong PIN or secret */
        CTL_EXIT_DENIED = 6,      /* 403: the rules deny it (their reason is shown), PIN blocked, card untrusted */
        CTL_EXIT_UNAVAILABLE = 7, /* 503 (and 404 no_vitale_card): no card, card removed, pcscd or the
                                     PKCS#11 module unavailable */
        CTL_EXIT_INTEGRITY = 8,   /* the audit chain or stored content failed its check */
};

struct ctl {
        const char *socket;
        bool json;           /* print carnetd's JSON instead of text for people */
        const char *session; /* --session or $CARNET_SESSION; NULL: the session file */
        bool patient;        /* --patient: the patient's session file instead */
};

static inline enum token_kind ctl_token_kind(const struct ctl *ctl) {
        return ctl->patient ? TOKEN_PATIENT : TOKEN_PROFESSIONAL;
}

/* The exit code for an HTTP status that is not 2xx, and carnetd's error
 * code (a caller refused by the socket's policy is 1, not 6). */
int ctl_exit_for(long status, const char *code);

/* Calls carnetd (headers: extra "Name: value" lines, NULL-terminated, or
 * NULL); on success (2xx with a JSON body) returns 0 with *ret filled.
 * Otherwise prints the reason on stderr (carnetd's own message for an
 * error reply) and returns the exit code to use. */
int ctl_call(const struct ctl *ctl, const char *method, const char *path, const char *body,
             const char *const *headers, struct client_reply *ret);

/* The same with the session token as X-Carnet-Session: from --session,
 * $CARNET_SESSION or the session file (exit 5 and a hint to log in when
 * there is none).  A 401 no_session for the file's token removes the file:
 * that session is over for good. */
int ctl_call_session(const struct ctl *ctl, const char *method, const char *path, const char *body,
                     struct client_reply *ret);

/* ctl_call_full()'s flags. */
enum {
        CTL_SESSION = 1 << 0,    /* send the session token (ctl_call_session) */
        CTL_ANY_BODY = 1 << 1,   /* a 2xx reply need not be JSON (a document's content) */
        CTL_QUIET_ENDED = 1 << 2, /* a 401 no_session: no message (the file is still removed) */
};

/* The general form: any body, progress, the flags above. */
int ctl_call_full(const struct ctl *ctl, const struct client_call *call, unsigned flags, struct client_reply *ret);

/* Finds the session token into buf (TOKEN_MAX + 1 bytes); *ret_from_file
 * tells whether it came from the session file.  Returns 0, or an exit
 * code after explaining on stderr. */
int ctl_session_token(const struct ctl *ctl, char *buf, size_t size, bool *ret_from_file);

/* Explains a reply that is not 2xx on stderr (and prints its JSON with
 * --json); returns the exit code to use.  Clears *rep. */
int ctl_refused(const struct ctl *ctl, struct client_reply *rep);

/* Exit code and message for a failed client_*() call. */
int ctl_unreachable(int r, const char *err);

/* Calls carnetd in the session with body (stolen; NULL: none) dumped as
 * JSON; on success prints the reply with print (text for people), or as
 * JSON with --json.  Returns the exit code. */
int ctl_run(const struct ctl *ctl, const char *method, const char *path, json_t *body,
            void (*print)(const json_t *reply, void *userdata), void *userdata);

/* Prints a 2xx reply with print (text for people), or as JSON with --json
 * or without print, then clears *rep; returns CTL_EXIT_OK. */
int ctl_print_reply(const struct ctl *ctl, struct client_reply *rep, void (*print)(const json_t *reply, void *userdata),
                    void *userdata);

/* A sub of group whose operands are exactly an INS, or with doc an INS
 * and a document's id: ctl_run() on /v1/dossiers/INS[/documents/UID]
 * followed by /suffix unless it is NULL.  body is released on a usage
 * error. */
int ctl_run_operands(const struct ctl *ctl, const char *group, bool doc, int argc, char **argv, const char *method,
                     const char *suffix, json_t *body, void (*print)(const json_t *reply, void *userdata),
                     void *userdata);

/* A list carnetd sends in pages: at most limit items a reply, "next" the
 * after of the following page, null on the last. */
struct ctl_pages {
        const char *what;   /* for ctl_unexpected(): "document list" */
        const char *member; /* the reply's array of items: "documents" */
        bool seq;           /* the cursor is a seq (a growing integer), else a document id */
};
/* GETs every page of the list path names (sep: the character before
 * another query parameter, '?' or '&'), each with the "next" of the one
 * before as its after, in the session, and prints them as one list with
 * print: the first page's reply with every page's items, "count" their
 * number and "next" null (so with --json).  Returns the exit code. */
int ctl_pages(const struct ctl *ctl, const char *path, char sep, const struct ctl_pages *pages,
              void (*print)(const json_t *reply, void *userdata));
/* --page N: N items a page, from min to 1000; CTL_EXIT_USAGE (said)
 * otherwise, naming items ("documents"). */
int ctl_page_option(const char *arg, int min, const char *items);

/* GETs path (no session needed) and prints its document with print, or
 * as JSON with --json.  print returns the exit code: CTL_EXIT_PROTOCOL,
 * after ctl_unexpected(), for a document it cannot read. */
int ctl_show(const struct ctl *ctl, const char *path, int (*print)(const json_t *doc));

/* Says that carnetd's WHAT document is not what was expected; returns
 * CTL_EXIT_PROTOCOL. */
int ctl_unexpected(const char *what);

/* A command that takes no arguments got some: says so, returns
 * CTL_EXIT_USAGE. */
int ctl_no_args(const char *command);

/* prefix + "/" + each segment percent-encoded, the list ending with NULL:
 * ctl_path(buf, size, "/v1/dossiers", ins, "documents", NULL).  Prints the
 * problem and returns CTL_EXIT_USAGE when it does not fit. */
int ctl_path(char *buf, size_t size, const char *prefix, ...) __attribute__((sentinel));

/* A group's subcommands (dossier create, dossier show...). */
struct ctl_sub {
        const char *name;
        int (*run)(const struct ctl *ctl, int argc, char **argv); /* argv[0]: the sub's name */
};
/* Runs the sub named by argv[1]; a missing or unknown one is a usage
 * error naming the group's subs. */
int ctl_dispatch(const struct ctl *ctl, const char *group, const struct ctl_sub *subs, size_t n, int argc,
                 char **argv);
/* --index N: a person's number as 'carnetctl vitale' shows it, into *ret;
 * or CTL_EXIT_USAGE after saying why. */
int ctl_person_index(const char *arg, long *ret);
/* --index and --nir name the same person: CTL_EXIT_USAGE (said) if both
 * are given, else 0. */
int ctl_person_one(const char *nir, long index);

/* The options that name a person on a Carte Vitale, shared by the
 * commands that act for one: --index N, --nir NIR, --reader NAME. */
struct ctl_person {
        const char *nir, *reader;
        const char *own_nir; /* --own-nir: the person's own NIR, when the card has none of theirs */
        long index; /* -1: not given */
};
#define CTL_PERSON_INIT {.index = -1}
/* Takes getopt's option c into p: 1 when it was 'i', 'n', 'o' or 'r', 0 when
 * it is another option, CTL_EXIT_USAGE (said) for a bad --index. */
int ctl_person_option(int c, const char *arg, struct ctl_person *p);

struct option;
/* Parses the arguments of a sub of group with one option, opt: *ret is
 * set to its argument ("" for a flag) when given.  Then exactly operands
 * must be left, from argv[optind].  Returns 0, or CTL_EXIT_USAGE after
 * saying why. */
int ctl_sub_option(const char *group, int argc, char **argv, const struct option *opt, int operands,
                   const char **ret);

/* Checks the operand count left after getopt (argc - optind) for a sub. */
int ctl_operands(const char *what, int n, int min, int max);

/* Prints a JSON value on stdout, indented, for --json. */
void ctl_print_json(const json_t *j);

/* Each subcommand: argv[0] is its name; -h/--help never reaches it
 * (carnetctl.c prints the usage). */
int cmd_status(const struct ctl *ctl, int argc, char **argv);
int cmd_readers(const struct ctl *ctl, int argc, char **argv);
int cmd_events(const struct ctl *ctl, int argc, char **argv);
int cmd_vitale(const struct ctl *ctl, int argc, char **argv);
int cmd_login(const struct ctl *ctl, int argc, char **argv);
int cmd_logout(const struct ctl *ctl, int argc, char **argv);
int cmd_session(const struct ctl *ctl, int argc, char **argv);
int cmd_dossier(const struct ctl *ctl, int argc, char **argv);
int cmd_doc(const struct ctl *ctl, int argc, char **argv);
int cmd_auth(const struct ctl *ctl, int argc, char **argv);
int cmd_audit(const struct ctl *ctl, int argc, char **argv);
int cmd_notifications(const struct ctl *ctl, int argc, char **argv);
int cmd_patient(const struct ctl *ctl, int argc, char **argv);
int cmd_backup(const struct ctl *ctl, int argc, char **argv);
int cmd_restore(const struct ctl *ctl, int argc, char **argv);
