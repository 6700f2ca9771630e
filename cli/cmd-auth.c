/* cli/cmd-auth.c: carnetctl auth list|grant|revoke|block|unblock|treating|
 * sees-masked: the patient's list of professionals with access. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "lib/macro.h"
#include "show.h"

static void print_access(const json_t *j, void *userdata) {
        json_t *list = json_object_get(j, "professionals"), *p;
        size_t i;
        printf("dossier %s: %zu professional(s)\n", show_str(j, "ins", "?"), json_array_size(list));
        if (json_array_size(list) == 0)
                return;
        printf("%-13s %-28s %-22s %-11s %-8s %-11s %s\n", "NATIONAL ID", "NAME", "PROFESSION", "RELATION", "BLOCKED",
               "SEES MASKED", "FIRST ACCESS");
        json_array_foreach(list, i, p) {
                char name[256], prof[64], t[32];
                snprintf(name, sizeof(name), "%s %s", show_str(p, "surname", "?"), show_str(p, "given_name", ""));
                snprintf(prof, sizeof(prof), "%s (%s)", show_profession(show_str(p, "profession", NULL)),
                         show_str(p, "profession", "?"));
                show_cell(show_str(p, "national_id", "?"), 13);
                show_cell(name, 28);
                show_cell(prof, 22);
                show_cell(show_str(p, "relation", "none"), 11);
                show_cell(json_is_true(json_object_get(p, "blocked")) ? "BLOCKED" : "-", 8);
                show_cell(json_is_true(json_object_get(p, "sees_masked")) ? "yes" : "-", 11);
                printf("%s\n", show_time(json_integer_value(json_object_get(p, "first_access_at")), t, sizeof(t)));
        }
}

static int auth_list(const struct ctl *ctl, int argc, char **argv) {
        return ctl_run_operands(ctl, "auth", false, argc, argv, "GET", "access", NULL, print_access, NULL);
}

static void print_change(const json_t *j, void *userdata) {
        printf("dossier %s: %s %s\n", show_str(j, "ins", "?"), show_str(j, "national_id", "?"),
               (const char *)userdata);
}

/* revoke: whether nid holds a relation on ins's dossier (the patient's
 * list, GET .../access): 0 when it does; else says there is nothing to
 * revoke and returns CTL_EXIT_REFUSED, or the call's exit code. */
static int revoke_check(const struct ctl *ctl, const char *ins, const char *nid) {
        char path[512];
        struct client_reply rep;
        int r;
        if ((r = ctl_path(path, sizeof(path), "/v1/dossiers", ins, "access", NULL)) ||
            (r = ctl_call_session(ctl, "GET", path, NULL, &rep)))
                return r;
        json_t *p;
        size_t i;
        const char *relation = NULL;
        json_array_foreach(json_object_get(rep.json, "professionals"), i, p)
                if (strcmp(show_str(p, "national_id", ""), nid) == 0)
                        relation = show_str(p, "relation", "none");
        r = relation && strcmp(relation, "none") != 0 ? 0 : CTL_EXIT_REFUSED;
        if (r)
                fprintf(stderr, "carnetctl: %s was never authorised on dossier %s (%s): nothing to revoke; "
                                "'carnetctl --patient auth list %s' shows who is\n",
                        nid, ins, relation ? "listed, relation none" : "not on its list", ins);
        client_reply_clear(&rep);
        return r;
}

/* grant [--care-team], revoke, block, unblock, treating, sees-masked yes|no:
 * one PUT of the professional's line. */
static int auth_change(const struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {{"care-team", no_argument, NULL, 'c'}, {}};
        const char *sub = argv[0], *done;
        bool care_team = false, sees_masked = strcmp(sub, "sees-masked") == 0;
        char what[32], path[512];
        int c, r;

        snprintf(what, sizeof(what), "auth %s", sub);
        optind = 0;
        while ((c = getopt_long(argc, argv, "c", opts, NULL)) >= 0) {
                if (c != 'c' || strcmp(sub, "grant") != 0) {
                        fprintf(stderr, "carnetctl: see carnetctl auth --help (%s)\n", sub);
                        return CTL_EXIT_USAGE;
                }
                care_team = true;
        }
        if ((r = ctl_operands(what, argc - optind, sees_masked ? 3 : 2, sees_masked ? 3 : 2)))
                return r;
        const char *ins = argv[optind], *nid = argv[optind + 1];
        json_t *body;
        if (strcmp(sub, "grant") == 0) {
                body = json_pack("{s:s}", "relation", care_team ? "care_team" : "authorised");
                done = care_team ? "is in the care team" : "is authorised";
        } else if (strcmp(sub, "revoke") == 0) {
                if ((r = revoke_check(ctl, ins, nid)))
                        return r;
                body = json_pack("{s:s}", "relation", "none");
                done = "is no longer authorised";
        } else if (strcmp(sub, "treating") == 0) {
                body = json_pack("{s:s}", "relation", "traitant");
                done = "is the médecin traitant";
        } else if (strcmp(sub, "block") == 0 || strcmp(sub, "unblock") == 0) {
                body = json_pack("{s:b}", "blocked", strcmp(sub, "block") == 0);
                done = strcmp(sub, "block") == 0 ? "is BLOCKED: refused whatever the mode" : "is no longer blocked";
        } else {
                const char *v = argv[optind + 2];
                bool yes = strcmp(v, "yes") == 0;
                if (!yes && strcmp(v, "no") != 0) {
                        fprintf(stderr, "carnetctl: auth sees-masked INS NATIONAL_ID yes|no\n");
                        return CTL_EXIT_USAGE;
                }
                body = json_pack("{s:b}", "sees_masked", yes);
                done = yes ? "may see masked documents" : "may no longer see masked documents";
        }
        if ((r = ctl_path(path, sizeof(path), "/v1/dossiers", ins, "access", nid, NULL))) {
                json_decref(body);
                return r;
        }
        return ctl_run(ctl, "PUT", path, body, print_change, (void *)done);
}

int cmd_auth(const struct ctl *ctl, int argc, char **argv) {
        static const struct ctl_sub subs[] = {
                {"list", auth_list},        {"grant", auth_change},   {"revoke", auth_change},
                {"block", auth_change},     {"unblock", auth_change}, {"treating", auth_change},
                {"sees-masked", auth_change},
        };
        return ctl_dispatch(ctl, "auth", subs, ELEMENTSOF(subs), argc, argv);
}
