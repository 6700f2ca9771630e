/* cli/ctl.c: calling carnetd, the session token, and reporting errors. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "lib/macro.h"

#define CTL_HEADERS_MAX 8

int ctl_unreachable(int r, const char *err) {
        fprintf(stderr, "carnetctl: %s\n", err[0] ? err : strerror(-r));
        if (r == -EACCES)
                return CTL_EXIT_REFUSED; /* carnetd may well run: the caller is not let in */
        return r == -EPROTO || r == -EFBIG || r == -EMSGSIZE ? CTL_EXIT_PROTOCOL : CTL_EXIT_UNREACHABLE;
}

/* What to do about some of carnetd's error codes, after its message. */
static const char *hint_for(const char *code) {
        static const struct {
                const char *code, *hint;
        } hints[] = {
                {"session_exists", "a session is already open on this CPS card: end it with 'carnetctl logout' "
                                   "(or see it with 'carnetctl session'), then log in again"},
                {"no_vitale_card", "insert the patient's Carte Vitale in a reader ('carnetctl readers' lists them)"},
                {"no_cps_card", "insert your CPS card in a reader ('carnetctl readers' lists them)"},
        };
        for (size_t i = 0; code && i < ELEMENTSOF(hints); i++)
                if (strcmp(code, hints[i].code) == 0)
                        return hints[i].hint;
        return NULL;
}

int ctl_exit_for(long status, const char *code) {
        switch (status) {
        case 401:
                return CTL_EXIT_NO_SESSION;
        case 404:
                /* a missing card, like a missing CPS card (503) */
                return code && strcmp(code, "no_vitale_card") == 0 ? CTL_EXIT_UNAVAILABLE : CTL_EXIT_REFUSED;
        case 403:
                /* the socket's caller policy is not a rule about this action */
                if (code && (strcmp(code, "forbidden_caller") == 0 || strcmp(code, "no_credentials") == 0))
                        return CTL_EXIT_REFUSED;
                return CTL_EXIT_DENIED;
        case 500:
                return code && strcmp(code, "integrity_error") == 0 ? CTL_EXIT_INTEGRITY : CTL_EXIT_REFUSED;
        case 503:
                return CTL_EXIT_UNAVAILABLE;
        default:
                return CTL_EXIT_REFUSED;
        }
}

/* One line per member of an error's details ("tries left: 1"). */
static void print_details(const json_t *details) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)details, key, v) {
                char label[64];
                snprintf(label, sizeof(label), "%s", key);
                for (char *p = label; *p; p++)
                        if (*p == '_')
                                *p = ' ';
                if (json_is_string(v))
                        fprintf(stderr, "  %s: %s\n", label, json_string_value(v));
                else {
                        _cleanup_free_ char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                        fprintf(stderr, "  %s: %s\n", label, s ? s : "?");
                }
        }
}

int ctl_refused(const struct ctl *ctl, struct client_reply *rep) {
        const char *code = NULL, *msg = NULL;
        json_t *details = NULL;
        int r;
        if (rep->json && json_unpack(rep->json, "{s:{s:s,s:s,s?o}}", "error", "code", &code, "message", &msg,
                                     "details", &details) == 0) {
                if (ctl->json)
                        ctl_print_json(rep->json);
                fprintf(stderr, "carnetctl: %s (%s)\n", msg, code);
                if (json_is_object(details))
                        print_details(details);
                if (hint_for(code))
                        fprintf(stderr, "carnetctl: %s\n", hint_for(code));
                r = ctl_exit_for(rep->status, code);
        } else {
                fprintf(stderr, "carnetctl: carnetd answered HTTP %ld\n", rep->status);
                r = ctl_exit_for(rep->status, NULL);
        }
        client_reply_clear(rep);
        return r;
}

int ctl_session_token(const struct ctl *ctl, char *buf, size_t size, bool *ret_from_file) {
        *ret_from_file = false;
        if (ctl->session) {
                if (!token_valid(ctl->session) || strlen(ctl->session) >= size) {
                        fprintf(stderr, "carnetctl: the session token given (--session or CARNET_SESSION) "
                                        "is not a token\n");
                        return CTL_EXIT_USAGE;
                }
                memcpy(buf, ctl->session, strlen(ctl->session) + 1);
                return 0;
        }
        char path[4096] = "the session file";
        (void)token_path(ctl_token_kind(ctl), path, sizeof(path));
        int r = token_load(ctl_token_kind(ctl), buf, size);
        switch (r) {
        case 0:
                *ret_from_file = true;
                return 0;
        case -ENOENT:
                if (ctl->patient)
                        fprintf(stderr, "carnetctl: no patient session: open one with 'carnetctl patient login' "
                                        "(or give one with --session or CARNET_SESSION)\n");
                else
                        fprintf(stderr, "carnetctl: not logged in: open a session with 'carnetctl login' "
                                        "(or give one with --session or CARNET_SESSION)\n");
                return CTL_EXIT_NO_SESSION;
        case -EPERM:
                fprintf(stderr, "carnetctl: %s or its folder is not yours alone (owner or mode): "
                                "not used; remove it and log in again\n", path);
                return CTL_EXIT_NO_SESSION;
        case -EBADMSG:
                fprintf(stderr, "carnetctl: %s holds no session token: log in again\n", path);
                return CTL_EXIT_NO_SESSION;
        default:
                fprintf(stderr, "carnetctl: cannot read %s: %s\n", path, strerror(-r));
                return CTL_EXIT_NO_SESSION;
        }
}

int ctl_call_full(const struct ctl *ctl, const struct client_call *call, unsigned flags, struct client_reply *ret) {
        char token[TOKEN_MAX + 1] = "", header[TOKEN_MAX + 40] = "";
        const char *headers[CTL_HEADERS_MAX + 2];
        struct client_call c = *call;
        bool from_file = false;
        size_t n = 0;
        int r;

        memset(ret, 0, sizeof(*ret));
        for (size_t i = 0; call->headers && call->headers[i]; i++) {
                if (n >= CTL_HEADERS_MAX) {
                        fprintf(stderr, "carnetctl: too many headers for one request\n");
                        return CTL_EXIT_USAGE;
                }
                headers[n++] = call->headers[i];
        }
        if (flags & CTL_SESSION) {
                if ((r = ctl_session_token(ctl, token, sizeof(token), &from_file)))
                        return r;
                snprintf(header, sizeof(header), "X-Carnet-Session: %s", token);
                headers[n++] = header;
        }
        headers[n] = NULL;
        c.headers = headers;

        char err[512] = "";
        r = client_call(ctl->socket, &c, ret, err, sizeof(err));
        secure_zero(header, sizeof(header));
        if (r < 0) {
                secure_zero(token, sizeof(token));
                return ctl_unreachable(r, err);
        }
        bool ok = ret->status >= 200 && ret->status < 300;
        if (!ret->json && (!(flags & CTL_ANY_BODY) || !ok)) {
                secure_zero(token, sizeof(token));
                fprintf(stderr, "carnetctl: carnetd sent a reply that is not JSON (HTTP %ld)\n", ret->status);
                client_reply_clear(ret);
                return CTL_EXIT_PROTOCOL;
        }
        if (!ok && from_file && ret->status == 401) {
                const char *code = NULL;
                json_unpack(ret->json, "{s:{s:s}}", "error", "code", &code);
                if (code && strcmp(code, "no_session") == 0) {
                        /* that session is over for good: forget its token */
                        (void)token_remove(ctl_token_kind(ctl), token);
                        secure_zero(token, sizeof(token));
                        if (flags & CTL_QUIET_ENDED) {
                                client_reply_clear(ret);
                                return CTL_EXIT_NO_SESSION;
                        }
                        r = ctl_refused(ctl, ret);
                        fprintf(stderr, "carnetctl: the session has ended (logout, card removed, or idle): "
                                        "log in again with 'carnetctl %slogin'\n", ctl->patient ? "patient " : "");
                        return r;
                }
        }
        secure_zero(token, sizeof(token));
        return ok ? 0 : ctl_refused(ctl, ret);
}

int ctl_call(const struct ctl *ctl, const char *method, const char *path, const char *body,
             const char *const *headers, struct client_reply *ret) {
        const struct client_call c = client_text_call(method, path, body, headers);
        return ctl_call_full(ctl, &c, 0, ret);
}

int ctl_call_session(const struct ctl *ctl, const char *method, const char *path, const char *body,
                     struct client_reply *ret) {
        const struct client_call c = client_text_call(method, path, body, NULL);
        return ctl_call_full(ctl, &c, CTL_SESSION, ret);
}

int ctl_print_reply(const struct ctl *ctl, struct client_reply *rep, void (*print)(const json_t *reply, void *userdata),
                    void *userdata) {
        if (ctl->json || !print)
                ctl_print_json(rep->json);
        else
                print(rep->json, userdata);
        client_reply_clear(rep);
        return CTL_EXIT_OK;
}

int ctl_run(const struct ctl *ctl, const char *method, const char *path, json_t *body,
            void (*print)(const json_t *reply, void *userdata), void *userdata) {
        _cleanup_free_ char *text = NULL;
        struct client_reply rep;
        if (body) {
                text = json_dumps(body, JSON_COMPACT);
                json_decref(body);
                if (!text) {
                        fprintf(stderr, "carnetctl: out of memory\n");
                        return CTL_EXIT_REFUSED;
                }
        }
        int r = ctl_call_session(ctl, method, path, text, &rep);
        if (r)
                return r;
        return ctl_print_reply(ctl, &rep, print, userdata);
}

int ctl_run_operands(const struct ctl *ctl, const char *group, bool doc, int argc, char **argv, const char *method,
                     const char *suffix, json_t *body, void (*print)(const json_t *reply, void *userdata),
                     void *userdata) {
        char what[64], path[1024];
        int n = doc ? 2 : 1, r;

        snprintf(what, sizeof(what), "%s %s", group, argv[0]);
        if (argc != n + 1)
                r = ctl_operands(what, argc - 1, n, n);
        else if (doc)
                r = ctl_path(path, sizeof(path), "/v1/dossiers", argv[1], "documents", argv[2], suffix, NULL);
        else /* a dossier's paths were bounded to 512 bytes */
                r = ctl_path(path, 512, "/v1/dossiers", argv[1], suffix, NULL);
        if (r) {
                json_decref(body);
                return r;
        }
        return ctl_run(ctl, method, path, body, print, userdata);
}

/* A document id: 32 lower-case hexadecimal characters; a seq's digits. */
#define CTL_CURSOR_MAX 32

/* The "next" of a page as the following page's after, into next (the
 * current after, "" for the first page): 1 when there is one, 0 on the
 * last page, -EBADMSG for a cursor that is not one or would not move on. */
static int next_cursor(const struct ctl_pages *pages, const json_t *nx, size_t n_items,
                       char next[CTL_CURSOR_MAX + 1]) {
        if (!nx || json_is_null(nx))
                return 0;
        if (n_items == 0)
                return -EBADMSG;
        if (pages->seq) {
                json_int_t v = json_integer_value(nx);
                if (!json_is_integer(nx) || v < 1 || (next[0] && v <= strtoll(next, NULL, 10)))
                        return -EBADMSG;
                snprintf(next, CTL_CURSOR_MAX + 1, "%" JSON_INTEGER_FORMAT, v);
                return 1;
        }
        const char *c = json_string_value(nx);
        if (!c || strlen(c) != CTL_CURSOR_MAX || strspn(c, "0123456789abcdef") != CTL_CURSOR_MAX ||
            strcmp(c, next) == 0)
                return -EBADMSG;
        memcpy(next, c, CTL_CURSOR_MAX + 1);
        return 1;
}

int ctl_pages(const struct ctl *ctl, const char *path, char sep, const struct ctl_pages *pages,
              void (*print)(const json_t *reply, void *userdata)) {
        _cleanup_(json_decrefp) json_t *all = NULL;
        char next[CTL_CURSOR_MAX + 1] = "";

        for (;;) {
                char page[2200];
                struct client_reply rep;
                if (snprintf(page, sizeof(page), "%s%s%s", path, next[0] ? (sep == '?' ? "?after=" : "&after=") : "",
                             next) >= (int)sizeof(page)) {
                        fprintf(stderr, "carnetctl: the list's path is too long\n");
                        return CTL_EXIT_USAGE;
                }
                int r = ctl_call_session(ctl, "GET", page, NULL, &rep);
                if (r)
                        return r;
                json_t *items = json_object_get(rep.json, pages->member);
                int more = json_is_array(items) ? next_cursor(pages, json_object_get(rep.json, "next"),
                                                              json_array_size(items), next)
                                                : -EBADMSG;
                if (more >= 0 && !all)
                        all = json_incref(rep.json);
                else if (more >= 0 && json_array_extend(json_object_get(all, pages->member), items) < 0)
                        more = -EBADMSG;
                client_reply_clear(&rep);
                if (more < 0)
                        return ctl_unexpected(pages->what);
                if (!more)
                        break;
        }
        json_int_t n = (json_int_t)json_array_size(json_object_get(all, pages->member));
        if (json_object_set_new(all, "count", json_integer(n)) < 0 ||
            json_object_set_new(all, "next", json_null()) < 0) {
                fprintf(stderr, "carnetctl: out of memory\n");
                return CTL_EXIT_REFUSED;
        }
        if (ctl->json)
                ctl_print_json(all);
        else
                print(all, NULL);
        return CTL_EXIT_OK;
}

int ctl_page_option(const char *arg, int min, const char *items) {
        size_t n = strlen(arg);
        if (n == 0 || n > 4 || strspn(arg, "0123456789") != n || atoi(arg) < min || atoi(arg) > 1000) {
                fprintf(stderr, "carnetctl: --page takes a number of %s from %d to 1000\n", items, min);
                return CTL_EXIT_USAGE;
        }
        return 0;
}

int ctl_show(const struct ctl *ctl, const char *path, int (*print)(const json_t *doc)) {
        struct client_reply rep;
        int r = ctl_call(ctl, "GET", path, NULL, NULL, &rep);
        if (r)
                return r;
        if (ctl->json)
                ctl_print_json(rep.json);
        else
                r = print(rep.json);
        client_reply_clear(&rep);
        return r;
}

int ctl_unexpected(const char *what) {
        fprintf(stderr, "carnetctl: unexpected %s document\n", what);
        return CTL_EXIT_PROTOCOL;
}

int ctl_no_args(const char *command) {
        fprintf(stderr, "carnetctl: %s takes no arguments\n", command);
        return CTL_EXIT_USAGE;
}

int ctl_path(char *buf, size_t size, const char *prefix, ...) {
        va_list ap;
        const char *seg;
        int r = strcpy_bounded(buf, size, prefix);
        va_start(ap, prefix);
        while (r == 0 && (seg = va_arg(ap, const char *))) {
                char tmp[2048];
                r = client_path_join(tmp, sizeof(tmp), buf, seg);
                if (r == 0)
                        r = strcpy_bounded(buf, size, tmp);
        }
        va_end(ap);
        if (r < 0) {
                fprintf(stderr, "carnetctl: an argument is too long for a path\n");
                return CTL_EXIT_USAGE;
        }
        return 0;
}

int ctl_person_index(const char *arg, long *ret) {
        char *end;
        long v = strtol(arg, &end, 10);
        if (!*arg || *end || v < 0 || v > 64) {
                fprintf(stderr, "carnetctl: --index takes a person's number from 'carnetctl vitale'\n");
                return CTL_EXIT_USAGE;
        }
        *ret = v;
        return 0;
}

int ctl_person_option(int c, const char *arg, struct ctl_person *p) {
        switch (c) {
        case 'i': return ctl_person_index(arg, &p->index) ? CTL_EXIT_USAGE : 1;
        case 'n': p->nir = arg; return 1;
        case 'o': p->own_nir = arg; return 1;
        case 'r': p->reader = arg; return 1;
        default: return 0;
        }
}

int ctl_person_one(const char *nir, long index) {
        if (nir && index >= 0) {
                fprintf(stderr, "carnetctl: --index and --nir both name the person: give one\n");
                return CTL_EXIT_USAGE;
        }
        return 0;
}

int ctl_operands(const char *what, int n, int min, int max) {
        int group = (int)strcspn(what, " "); /* "doc put": help is the group's */
        if (n < min || (max >= 0 && n > max)) {
                fprintf(stderr, "carnetctl: %s: %s (see carnetctl help %.*s)\n", what,
                        n < min ? "missing argument" : "too many arguments", group, what);
                return CTL_EXIT_USAGE;
        }
        return 0;
}

int ctl_sub_option(const char *group, int argc, char **argv, const struct option *opt, int operands,
                   const char **ret) {
        const struct option opts[] = {*opt, {}};
        const char optstring[] = {(char)opt->val, opt->has_arg == required_argument ? ':' : '\0', '\0'};
        char what[64];
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, optstring, opts, NULL)) >= 0) {
                if (c != opt->val) {
                        fprintf(stderr, "carnetctl: see carnetctl %s --help (%s)\n", group, argv[0]);
                        return CTL_EXIT_USAGE;
                }
                *ret = opt->has_arg == no_argument ? "" : optarg;
        }
        snprintf(what, sizeof(what), "%s %s", group, argv[0]);
        return ctl_operands(what, argc - optind, operands, operands);
}

int ctl_dispatch(const struct ctl *ctl, const char *group, const struct ctl_sub *subs, size_t n, int argc,
                 char **argv) {
        if (argc >= 2)
                for (size_t i = 0; i < n; i++)
                        if (strcmp(argv[1], subs[i].name) == 0)
                                return subs[i].run(ctl, argc - 1, argv + 1);
        if (argc >= 2)
                fprintf(stderr, "carnetctl: %s: unknown subcommand '%s'; one of:", group, argv[1]);
        else
                fprintf(stderr, "carnetctl: %s needs a subcommand, one of:", group);
        for (size_t i = 0; i < n; i++)
                fprintf(stderr, " %s", subs[i].name);
        fprintf(stderr, " (see carnetctl %s --help)\n", group);
        return CTL_EXIT_USAGE;
}

void ctl_print_json(const json_t *j) {
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
}
