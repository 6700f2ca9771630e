/* cli/cmd-session.c: carnetctl login, logout and session: a professional
 * session on a CPS card, its token kept in the session file (token.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "lib/macro.h"
#include "secret.h"
#include "show.h"

#define PIN_MAX 16    /* carnetd's bounds */
#define SECRET_MAX 64

/* A login body, {"<key>":"<secret>",<extra members>}, built by hand into
 * a fixed buffer so that the secret is in no allocation we cannot wipe.
 * The secret's characters are checked to need no JSON escape; extra (the
 * reader, the person: nothing secret) is dumped by jansson. */
static int login_body(const char *key, const char *secret, const json_t *extra, char *buf, size_t size) {
        _cleanup_free_ char *more = NULL;
        for (const char *p = secret; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == '"' || *p == '\\' || (unsigned char)*p >= 0x7f)
                        return -EINVAL;
        if (extra && json_object_size(extra) > 0) {
                more = json_dumps(extra, JSON_COMPACT);
                if (!more)
                        return -EINVAL; /* a reader name that is not UTF-8 */
                more[strlen(more) - 1] = '\0'; /* drop the braces: members only */
        }
        int n = snprintf(buf, size, "{\"%s\":\"%s\"%s%s}", key, secret, more ? "," : "", more ? more + 1 : "");
        return n < 0 || (size_t)n >= size ? -E2BIG : 0;
}

/* "LAMBERT CAMILLE, médecin (10), SM26, CPS card": who a session is. */
static void print_professional(const json_t *pro) {
        const char *sn = show_str(pro, "surname", "?"), *gn = show_str(pro, "given_name", "");
        const char *prof = show_str(pro, "profession", NULL), *spec = show_str(pro, "specialty", NULL);
        printf("%s %s", sn, gn);
        if (prof)
                printf(", %s (%s)", show_profession(prof), prof);
        if (spec)
                printf(", specialty %s", spec);
        printf(", %s card %s\n", show_str(pro, "card_type", "?"), show_str(pro, "national_id", "?"));
}

static void print_session(const json_t *s, void *userdata) {
        char opened[32], used[32];
        json_t *pro = json_object_get(s, "professional");
        const char *reason = show_str(s, "reason", NULL);
        printf("session:      %s\n", show_str(s, "id", "?"));
        if (json_is_object(pro)) {
                printf("professional: ");
                print_professional(pro);
        } else
                printf("patient:      INS %s\n", show_str(json_object_get(s, "patient"), "ins", "?"));
        printf("mode:         %s%s%s%s\n", show_str(s, "mode", "normal"), reason ? " (reason: " : "",
               reason ? reason : "", reason ? ")" : "");
        printf("reader:       %s\n", show_str(s, "reader", "?"));
        printf("opened:       %s\n", show_time(json_integer_value(json_object_get(s, "opened_at")), opened,
                                               sizeof(opened)));
        printf("last call:    %s\n", show_time(json_integer_value(json_object_get(s, "last_used")), used,
                                               sizeof(used)));
}

/* What differs between a professional's login and a patient's. */
struct login_kind {
        enum token_kind token;
        const char *path;    /* POST here */
        const char *key;     /* the secret's member */
        const char *prompt;
        const char *what;    /* "PIN", "secret" */
        size_t max;          /* the secret's bound */
};

static const struct login_kind professional_login = {
        TOKEN_PROFESSIONAL, "/v1/sessions", "pin", "CPS PIN: ", "PIN", PIN_MAX,
};
static const struct login_kind patient_login = {
        TOKEN_PATIENT, "/v1/patient-sessions", "secret", "Patient secret: ", "secret", SECRET_MAX,
};

/* Reads the secret (without echo, or from stdin) into secret; a CTL_EXIT_*
 * code, with the message, when it cannot be had. */
static int read_secret(const struct login_kind *k, bool from_stdin, char *secret) {
        int r = secret_read(k->prompt, from_stdin, secret, k->max + 1);
        if (r == -E2BIG) {
                fprintf(stderr, "carnetctl: %s too long (at most %zu characters)\n", k->what, k->max);
                return CTL_EXIT_USAGE;
        }
        if (r == -ENODATA) {
                fprintf(stderr, "carnetctl: no %s given\n", k->what);
                return CTL_EXIT_USAGE;
        }
        if (r < 0) {
                fprintf(stderr, "carnetctl: cannot read the %s: %s\n", k->what, strerror(-r));
                return CTL_EXIT_USAGE;
        }
        return CTL_EXIT_OK;
}

/* Tells the user about the session just opened, its token in path. */
static void print_opened(const struct ctl *ctl, const struct login_kind *k, json_t *session, const char *path) {
        if (ctl->json) {
                json_t *out = json_pack("{s:O,s:s}", "session", session, "session_file", path);
                if (out)
                        ctl_print_json(out);
                json_decref(out);
        } else if (k->token == TOKEN_PATIENT) {
                printf("patient session %s opened for INS %s on %s; token in %s\n", show_str(session, "id", "?"),
                       show_str(json_object_get(session, "patient"), "ins", "?"), show_str(session, "reader", "?"),
                       path);
                printf("act as the patient with: carnetctl --patient COMMAND\n");
        } else {
                printf("logged in: ");
                print_professional(json_object_get(session, "professional"));
                printf("session %s on %s; token in %s\n", show_str(session, "id", "?"),
                       show_str(session, "reader", "?"), path);
        }
}

/* Reads the secret, opens the session, stores or prints its token.
 * extra: the body's other members (stolen). */
static int open_session(const struct ctl *ctl, const struct login_kind *k, bool from_stdin, json_t *extra,
                        bool print_token) {
        _cleanup_(json_decrefp) json_t *more = extra;
        char secret[SECRET_MAX + 2], body[SECRET_MAX + 2048];
        int r;

        if (!more)
                return CTL_EXIT_REFUSED;
        /* no PIN asked for nothing: carnetd must at least be there */
        if (access(ctl->socket, F_OK) < 0) {
                char err[512];
                r = negerrno();
                snprintf(err, sizeof(err), "cannot reach carnetd at %s: %s (is carnetd running?)", ctl->socket,
                         strerror(-r));
                return ctl_unreachable(r, err);
        }
        r = read_secret(k, from_stdin, secret);
        if (r != CTL_EXIT_OK)
                return r;
        r = login_body(k->key, secret, more, body, sizeof(body));
        secure_zero(secret, sizeof(secret));
        if (r < 0) {
                secure_zero(body, sizeof(body));
                fprintf(stderr, "carnetctl: the %s or the reader name has characters that cannot be sent\n", k->what);
                return CTL_EXIT_USAGE;
        }
        struct client_reply rep;
        r = ctl_call(ctl, "POST", k->path, body, NULL, &rep);
        secure_zero(body, sizeof(body));
        if (r)
                return r;

        const char *token = NULL;
        json_t *session = NULL;
        if (json_unpack(rep.json, "{s:s,s:o}", "token", &token, "session", &session) < 0 || !token_valid(token)) {
                client_reply_clear(&rep);
                return ctl_unexpected("session");
        }
        char path[4096] = "";
        if (print_token)
                printf("%s\n", token);
        else if ((r = token_save(k->token, token, path, sizeof(path))) < 0) {
                (void)token_path(k->token, path, sizeof(path));
                fprintf(stderr, "carnetctl: the session is open but its token could not be stored in %s: %s\n", path,
                        strerror(-r));
                fprintf(stderr, "carnetctl: take the card out to end it, or log in with --print-token\n");
                r = CTL_EXIT_REFUSED;
        }
        secure_zero((char *)token, strlen(token));
        secure_zero(rep.body, rep.len);
        if (!print_token && r == 0)
                print_opened(ctl, k, session, path);
        client_reply_clear(&rep);
        return r; /* CTL_EXIT_OK, or CTL_EXIT_REFUSED when the token could not be stored */
}

/* A string member for a body; false (after saying so) when it is not
 * UTF-8 text. */
static bool set_text(json_t *o, const char *key, const char *value) {
        if (json_object_set_new(o, key, json_string(value)) == 0)
                return true;
        fprintf(stderr, "carnetctl: the %s is not UTF-8 text\n", key);
        return false;
}

int cmd_login(const struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {
                {"pin-stdin", no_argument, NULL, 'p'},
                {"reader", required_argument, NULL, 'r'},
                {"print-token", no_argument, NULL, 't'},
                {},
        };
        bool pin_stdin = false, print_token = false;
        const char *reader = NULL;
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+pr:t", opts, NULL)) >= 0) {
                switch (c) {
                case 'p': pin_stdin = true; break;
                case 'r': reader = optarg; break;
                case 't': print_token = true; break;
                default:
                        fprintf(stderr, "carnetctl: see carnetctl login --help\n");
                        return CTL_EXIT_USAGE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "carnetctl: login takes no arguments: the PIN is never given on the "
                                "command line (it is asked for, or read from standard input)\n");
                return CTL_EXIT_USAGE;
        }
        json_t *extra = json_object();
        if (extra && reader && !set_text(extra, "reader", reader)) {
                json_decref(extra);
                return CTL_EXIT_USAGE;
        }
        return open_session(ctl, &professional_login, pin_stdin, extra, print_token);
}

static int patient_login_cmd(const struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {
                {"secret-stdin", no_argument, NULL, 's'},
                {"index", required_argument, NULL, 'i'},
                {"nir", required_argument, NULL, 'n'},
                {"reader", required_argument, NULL, 'r'},
                {"own-nir", required_argument, NULL, 'o'},
                {"print-token", no_argument, NULL, 't'},
                {},
        };
        bool from_stdin = false, print_token = false;
        struct ctl_person p = CTL_PERSON_INIT;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+si:n:r:o:t", opts, NULL)) >= 0) {
                switch (c) {
                case 's': from_stdin = true; break;
                case 't': print_token = true; break;
                default:
                        if ((r = ctl_person_option(c, optarg, &p)) == 1)
                                break;
                        if (r)
                                return r;
                        fprintf(stderr, "carnetctl: see carnetctl patient --help\n");
                        return CTL_EXIT_USAGE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "carnetctl: patient login takes no arguments: the secret is never given on the "
                                "command line (it is asked for, or read from standard input)\n");
                return CTL_EXIT_USAGE;
        }
        if (ctl_person_one(p.nir, p.index))
                return CTL_EXIT_USAGE;
        json_t *extra = json_object();
        if (!extra)
                return CTL_EXIT_REFUSED;
        if ((p.reader && !set_text(extra, "reader", p.reader)) || (p.nir && !set_text(extra, "nir", p.nir)) ||
            (p.own_nir && !set_text(extra, "own_nir", p.own_nir))) {
                json_decref(extra);
                return CTL_EXIT_USAGE;
        }
        if (!p.nir)
                json_object_set_new(extra, "index", json_integer(p.index >= 0 ? p.index : 0));
        return open_session(ctl, &patient_login, from_stdin, extra, print_token);
}

/* The live session of the token, into *ret (its "session" document). */
static int current(const struct ctl *ctl, struct client_reply *ret) {
        return ctl_call_session(ctl, "GET", "/v1/sessions/current", NULL, ret);
}

static void print_logged_out(const json_t *j, void *userdata) {
        printf("logged out: session %s closed\n", show_str(j, "id", "?"));
}

int cmd_logout(const struct ctl *ctl, int argc, char **argv) {
        char token[TOKEN_MAX + 1], path[256];
        struct client_reply rep;
        bool from_file;
        int r;

        if (argc > 1)
                return ctl_no_args("logout");
        if ((r = ctl_session_token(ctl, token, sizeof(token), &from_file)))
                return r;
        secure_zero(token, sizeof(token));
        const struct client_call get = {.method = "GET", .path = "/v1/sessions/current"};
        r = ctl_call_full(ctl, &get, CTL_SESSION | (from_file ? CTL_QUIET_ENDED : 0), &rep);
        if (r == CTL_EXIT_NO_SESSION && from_file) {
                /* the session file is gone with it: nothing left to end */
                printf("logged out (the session had already ended)\n");
                return CTL_EXIT_OK;
        }
        if (r)
                return r;
        const char *id = show_str(rep.json, "id", NULL);
        if (!id || client_path_join(path, sizeof(path), "/v1/sessions", id) < 0) {
                client_reply_clear(&rep);
                return ctl_unexpected("session");
        }
        client_reply_clear(&rep);
        if ((r = ctl_call_session(ctl, "DELETE", path, NULL, &rep)))
                return r;
        if (from_file && (r = token_remove(ctl_token_kind(ctl), NULL)) < 0)
                fprintf(stderr, "carnetctl: the session is closed but the session file could not be removed: %s\n",
                        strerror(-r));
        return ctl_print_reply(ctl, &rep, print_logged_out, NULL);
}

int cmd_session(const struct ctl *ctl, int argc, char **argv) {
        struct client_reply rep;
        if (argc > 1)
                return ctl_no_args("session");
        int r = current(ctl, &rep);
        if (r)
                return r;
        return ctl_print_reply(ctl, &rep, print_session, NULL);
}

static int patient_logout_cmd(const struct ctl *ctl, int argc, char **argv) {
        struct ctl pc = *ctl;
        pc.patient = true;
        return cmd_logout(&pc, argc, argv);
}

static int patient_session_cmd(const struct ctl *ctl, int argc, char **argv) {
        struct ctl pc = *ctl;
        pc.patient = true;
        return cmd_session(&pc, argc, argv);
}

int cmd_patient(const struct ctl *ctl, int argc, char **argv) {
        static const struct ctl_sub subs[] = {
                {"login", patient_login_cmd},
                {"logout", patient_logout_cmd},
                {"session", patient_session_cmd},
        };
        return ctl_dispatch(ctl, "patient", subs, ELEMENTSOF(subs), argc, argv);
}
