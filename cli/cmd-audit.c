/* cli/cmd-audit.c: carnetctl audit show|verify and carnetctl
 * notifications: a dossier's trail, the hash chain, the notices. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "lib/macro.h"
#include "show.h"

static void print_trail(const json_t *j, void *userdata) {
        json_t *list = json_object_get(j, "entries"), *x;
        size_t i;
        printf("dossier %s: %zu trail entr%s, oldest first\n", show_str(j, "ins", "?"), json_array_size(list),
               json_array_size(list) == 1 ? "y" : "ies");
        printf("%-6s %-16s %-26s %-15s %-10s %-6s %-28s %s\n", "SEQ", "TIME", "WHO", "ACTION", "MODE", "", "CODE",
               "DOCUMENT / REASON / ESTABLISHMENT");
        json_array_foreach(list, i, x) {
                char t[32], who[96];
                snprintf(who, sizeof(who), "%s %s", show_str(x, "actor_kind", "?"), show_str(x, "actor", "-"));
                printf("%-6" JSON_INTEGER_FORMAT " %-16s ", json_integer_value(json_object_get(x, "seq")),
                       show_time(json_integer_value(json_object_get(x, "at")), t, sizeof(t)));
                show_cell(who, 26);
                show_cell(show_str(x, "action", "?"), 15);
                show_cell(json_is_true(json_object_get(x, "emergency")) ? "EMERGENCY" : show_str(x, "mode", "normal"),
                          10);
                show_cell(strcmp(show_str(x, "outcome", ""), "allow") == 0 ? "allow" : "DENY", 6);
                show_cell(show_str(x, "code", "?"), 28);
                const char *doc = show_str(x, "document", NULL), *reason = show_str(x, "reason", NULL),
                           *est = show_str(x, "establishment", NULL);
                printf("%s%s%s%s%s%s%s\n", doc ? doc : "", doc && reason ? " " : "", reason ? "reason: " : "",
                       reason ? reason : "", (doc || reason) && est ? " " : "", est ? "at: " : "", est ? est : "");
        }
}

/* Every page of the trail (carnetd sends at most 1000 entries a page),
 * printed as one; --page N asks for pages of N, from 2: each page is a
 * reading of its own, whose entry is the trail's newest, so that pages of
 * one would never reach the end. */
static int audit_show(const struct ctl *ctl, int argc, char **argv) {
        static const struct option page_opt = {"page", required_argument, NULL, 'p'};
        static const struct ctl_pages pages = {"trail", "entries", true};
        const char *page = NULL;
        char path[512];
        int r;

        if ((r = ctl_sub_option("audit", argc, argv, &page_opt, 1, &page)) ||
            (page && (r = ctl_page_option(page, 2, "entries"))))
                return r;
        if ((r = ctl_path(path, sizeof(path) - 16, "/v1/dossiers", argv[optind], "audit", NULL)))
                return r;
        if (page)
                snprintf(path + strlen(path), sizeof(path) - strlen(path), "?limit=%s", page);
        return ctl_pages(ctl, path, page ? '&' : '?', &pages, print_trail);
}

static int audit_verify(const struct ctl *ctl, int argc, char **argv) {
        struct client_reply rep;
        int r;
        if (argc != 1)
                return ctl_operands("audit verify", argc - 1, 0, 0);
        /* root may verify without a session: send the token only when there is one */
        char token[TOKEN_MAX + 1];
        bool have = ctl->session || token_load(ctl_token_kind(ctl), token, sizeof(token)) == 0;
        secure_zero(token, sizeof(token));
        if (have)
                r = ctl_call_session(ctl, "GET", "/v1/audit/verify", NULL, &rep);
        else
                r = ctl_call(ctl, "GET", "/v1/audit/verify", NULL, NULL, &rep);
        if (r)
                return r;
        bool intact = json_is_true(json_object_get(rep.json, "intact"));
        if (ctl->json)
                ctl_print_json(rep.json);
        else if (intact)
                printf("audit chain intact: %" JSON_INTEGER_FORMAT " entries, head SHA-256 %s\n",
                       json_integer_value(json_object_get(rep.json, "head_seq")), show_str(rep.json, "head_sha256", "?"));
        else
                printf("audit chain BROKEN at entry %" JSON_INTEGER_FORMAT ": %s\n",
                       json_integer_value(json_object_get(rep.json, "bad_seq")), show_str(rep.json, "problem", "?"));
        client_reply_clear(&rep);
        return intact ? CTL_EXIT_OK : CTL_EXIT_INTEGRITY;
}

int cmd_audit(const struct ctl *ctl, int argc, char **argv) {
        static const struct ctl_sub subs[] = {{"show", audit_show}, {"verify", audit_verify}};
        return ctl_dispatch(ctl, "audit", subs, ELEMENTSOF(subs), argc, argv);
}

static void print_notifications(const json_t *j, void *userdata) {
        json_t *list = json_object_get(j, "notifications"), *n;
        size_t i;
        if (show_str(j, "ins", NULL))
                printf("dossier %s: %zu notification(s)\n", show_str(j, "ins", "?"), json_array_size(list));
        else
                printf("for %s: %zu notification(s)\n", show_str(j, "national_id", "you"), json_array_size(list));
        json_array_foreach(list, i, n) {
                char t[32];
                const char *doc = show_str(n, "document", NULL);
                printf("%-16s %-17s %s%s%s%s\n", show_time(json_integer_value(json_object_get(n, "at")), t, sizeof(t)),
                       show_str(n, "kind", "?"), show_str(n, "message", ""), doc ? " (document " : "", doc ? doc : "",
                       doc ? ")" : "");
        }
}

int cmd_notifications(const struct ctl *ctl, int argc, char **argv) {
        char path[512] = "/v1/notifications";
        int r;
        if (argc > 2)
                return ctl_operands("notifications", argc - 1, 0, 1);
        if (argc == 2 && (r = ctl_path(path, sizeof(path), "/v1/dossiers", argv[1], "notifications", NULL)))
                return r;
        return ctl_run(ctl, "GET", path, NULL, print_notifications, NULL);
}
