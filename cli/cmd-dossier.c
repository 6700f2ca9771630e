/* cli/cmd-dossier.c: carnetctl dossier create|show|close|reactivate|
 * destroy|consent|options|mode: a dossier's life, and the access mode of
 * the professional's session. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "lib/macro.h"
#include "show.h"

#define INS_OID_TEST "1.2.250.1.213.1.4.10"

/* Parses a sub's options; unknown ones are a usage error. */
#define SUB_USAGE(name)                                                                         \
        do {                                                                                    \
                fprintf(stderr, "carnetctl: see carnetctl dossier --help (%s)\n", name);        \
                return CTL_EXIT_USAGE;                                                          \
        } while (0)

static void print_created(const json_t *j, void *userdata) {
        const json_t *pat = json_object_get(json_object_get(j, "attestation"), "patient");
        printf("dossier opened: %s %s, INS %s (%s)\n", show_str(pat, "birth_name", "?"),
               show_str(pat, "first_names", ""), show_str(j, "ins", "?"),
               json_is_true(json_object_get(j, "consent_recorded")) ? "consent recorded" : "consent NOT recorded");
        printf("patient secret: %s\n", show_str(j, "secret", "?"));
        printf("  %s\n", show_str(json_object_get(j, "attestation"), "notice",
                                  "Give this secret to the patient: it is not shown again."));
}

static int dossier_create(const struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {
                {"index", required_argument, NULL, 'i'},   {"nir", required_argument, NULL, 'n'},
                {"reader", required_argument, NULL, 'r'},  {"consent", no_argument, NULL, 'c'},
                {"no-consent", no_argument, NULL, 'C'},    {"test-ins", no_argument, NULL, 't'},
                {"birth-date", required_argument, NULL, 'b'}, {"own-nir", required_argument, NULL, 'o'},
                {},
        };
        struct ctl_person p = CTL_PERSON_INIT;
        const char *birth_date = NULL;
        int consent = -1, test = 0, c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "i:n:r:cCtb:o:", opts, NULL)) >= 0) {
                switch (c) {
                case 'b': birth_date = optarg; break;
                case 'c': consent = 1; break;
                case 'C': consent = 0; break;
                case 't': test = 1; break;
                default:
                        if ((r = ctl_person_option(c, optarg, &p)) == 1)
                                break;
                        if (r)
                                return r;
                        SUB_USAGE("create");
                }
        }
        if (ctl_operands("dossier create", argc - optind, 0, 0))
                return CTL_EXIT_USAGE;
        if (consent < 0) {
                fprintf(stderr, "carnetctl: dossier create needs --consent (the patient, informed, agreed) "
                                "or --no-consent\n");
                return CTL_EXIT_USAGE;
        }
        if (ctl_person_one(p.nir, p.index))
                return CTL_EXIT_USAGE;
        json_t *body = json_pack("{s:b}", "consent", consent);
        if (!body)
                return CTL_EXIT_REFUSED;
        if (p.nir)
                json_object_set_new(body, "nir", json_string(p.nir));
        else
                json_object_set_new(body, "index", json_integer(p.index >= 0 ? p.index : 0));
        if (p.reader)
                json_object_set_new(body, "reader", json_string(p.reader));
        if (birth_date)
                json_object_set_new(body, "birth_date", json_string(birth_date));
        if (p.own_nir)
                json_object_set_new(body, "own_nir", json_string(p.own_nir));
        if (test)
                json_object_set_new(body, "ins_oid", json_string(INS_OID_TEST));
        return ctl_run(ctl, "POST", "/v1/dossiers", body, print_created, NULL);
}

static void print_dossier(const json_t *j, void *userdata) {
        char t[32];
        const char *status = show_str(j, "status", "?");
        printf("dossier:  %s, %s", show_str(j, "ins", "?"), status);
        if (strcmp(status, "open") == 0)
                printf(" since %s\n", show_time(json_integer_value(json_object_get(j, "created_at")), t, sizeof(t)));
        else if (strcmp(status, "closed") == 0)
                printf(" on %s\n", show_time(json_integer_value(json_object_get(j, "closed_at")), t, sizeof(t)));
        else if (strcmp(status, "destroyed") == 0)
                printf(" on %s\n", show_time(json_integer_value(json_object_get(j, "destroyed_at")), t, sizeof(t)));
        else
                printf("\n");
        const json_t *id = json_object_get(j, "identity");
        if (json_is_object(id))
                printf("patient:  %s %s, sex %s, born %s (birth place %s)\n", show_str(id, "birth_name", "?"),
                       show_str(id, "first_names", ""), show_str(id, "sex", "?"), show_str(id, "birth_date", "?"),
                       show_str(id, "birth_place", "?"));
        const json_t *o = json_object_get(j, "options");
        if (json_is_object(o))
                printf("options:  emergency access %s, call centre %s, notifications %s\n",
                       json_is_true(json_object_get(o, "optout_emergency")) ? "OPPOSED" : "allowed",
                       json_is_true(json_object_get(o, "optout_call_centre")) ? "OPPOSED" : "allowed",
                       json_is_true(json_object_get(o, "notify")) ? "on" : "off");
        const json_t *a = json_object_get(j, "access");
        if (json_is_object(a))
                printf("access:   %s (%s)\n", json_is_true(json_object_get(a, "allowed")) ? "allowed" : "DENIED",
                       show_str(a, "reason", "?"));
}

static int dossier_show(const struct ctl *ctl, int argc, char **argv) {
        return ctl_run_operands(ctl, "dossier", false, argc, argv, "GET", NULL, NULL, print_dossier, NULL);
}

static void print_status(const json_t *j, void *userdata) {
        printf("dossier %s: %s\n", show_str(j, "ins", "?"), show_str(j, "status", "?"));
}

/* close, reactivate: POST /v1/dossiers/{ins}/<verb> */
static int dossier_verb(const struct ctl *ctl, int argc, char **argv) {
        return ctl_run_operands(ctl, "dossier", false, argc, argv, "POST", argv[0], NULL, print_status, NULL);
}

static int dossier_destroy(const struct ctl *ctl, int argc, char **argv) {
        static const struct option yes_opt = {"yes", no_argument, NULL, 'y'};
        const char *yes = NULL;
        char path[512];
        int r;

        if ((r = ctl_sub_option("dossier", argc, argv, &yes_opt, 1, &yes)))
                return r;
        const char *ins = argv[optind];
        if (!yes) {
                char answer[16] = "";
                if (!isatty(STDIN_FILENO)) {
                        fprintf(stderr, "carnetctl: destroying a dossier cannot be undone: add --yes\n");
                        return CTL_EXIT_USAGE;
                }
                fprintf(stderr, "Destroy the dossier %s and every document in it? This cannot be undone. [y/N] ", ins);
                if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y')) {
                        fprintf(stderr, "carnetctl: not destroyed\n");
                        return CTL_EXIT_REFUSED;
                }
        }
        if ((r = ctl_path(path, sizeof(path), "/v1/dossiers", ins, NULL)))
                return r;
        return ctl_run(ctl, "DELETE", path, NULL, print_status, NULL);
}

static void print_consent(const json_t *j, void *userdata) {
        printf("consent recorded: %s may access the dossier %s\n", show_str(j, "national_id", "?"),
               show_str(j, "ins", "?"));
}

static int dossier_consent(const struct ctl *ctl, int argc, char **argv) {
        return ctl_run_operands(ctl, "dossier", false, argc, argv, "POST", "consent", json_pack("{s:b}", "consent", 1),
                                print_consent, NULL);
}

static int yes_no(const char *opt, const char *v, int *ret) {
        if (strcmp(v, "yes") == 0 || strcmp(v, "on") == 0 || strcmp(v, "true") == 0)
                *ret = 1;
        else if (strcmp(v, "no") == 0 || strcmp(v, "off") == 0 || strcmp(v, "false") == 0)
                *ret = 0;
        else {
                fprintf(stderr, "carnetctl: %s takes yes or no\n", opt);
                return CTL_EXIT_USAGE;
        }
        return 0;
}

static void print_options(const json_t *j, void *userdata) {
        const char *k;
        json_t *v;
        printf("dossier %s:", show_str(j, "ins", "?"));
        json_object_foreach(json_object_get(j, "changed"), k, v)
                printf(" %s=%s", k, json_is_true(v) ? "yes" : "no");
        printf("\n");
}

static int dossier_options(const struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {
                {"optout-emergency", required_argument, NULL, 'e'},
                {"optout-call-centre", required_argument, NULL, 'c'},
                {"notify", required_argument, NULL, 'n'},
                {},
        };
        static const char *const keys[] = {"optout_emergency", "optout_call_centre", "notify"};
        int v[3] = {-1, -1, -1}, c, r;
        char path[512];

        optind = 0;
        while ((c = getopt_long(argc, argv, "e:c:n:", opts, NULL)) >= 0) {
                int i = c == 'e' ? 0 : c == 'c' ? 1 : c == 'n' ? 2 : -1;
                if (i < 0)
                        SUB_USAGE("options");
                if ((r = yes_no(opts[i].name, optarg, &v[i])))
                        return r;
        }
        if ((r = ctl_operands("dossier options", argc - optind, 1, 1)))
                return r;
        if (v[0] < 0 && v[1] < 0 && v[2] < 0) {
                fprintf(stderr, "carnetctl: dossier options: give --optout-emergency, --optout-call-centre "
                                "or --notify\n");
                return CTL_EXIT_USAGE;
        }
        json_t *body = json_object();
        for (int i = 0; i < 3; i++)
                if (v[i] >= 0)
                        json_object_set_new(body, keys[i], json_boolean(v[i]));
        if ((r = ctl_path(path, sizeof(path), "/v1/dossiers", argv[optind], "options", NULL))) {
                json_decref(body);
                return r;
        }
        return ctl_run(ctl, "PUT", path, body, print_options, NULL);
}

static void print_mode(const json_t *j, void *userdata) {
        const char *reason = show_str(j, "reason", NULL);
        printf("session %s: mode %s%s%s%s, practice %s\n", show_str(j, "id", "?"), show_str(j, "mode", "?"),
               reason ? " (reason: " : "", reason ? reason : "", reason ? ")" : "", show_str(j, "practice", "care"));
}

/* dossier mode MODE [--reason TEXT] [--practice WORD]: the session's
 * access mode and the capacity it acts in (docs/rules.md §2, §6); carnetd
 * checks the words. */
static int dossier_mode(const struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {
                {"reason", required_argument, NULL, 'r'},
                {"practice", required_argument, NULL, 'p'},
                {},
        };
        const char *reason = NULL, *practice = NULL;
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "r:p:", opts, NULL)) >= 0) {
                if (c == 'r')
                        reason = optarg;
                else if (c == 'p')
                        practice = optarg;
                else
                        SUB_USAGE("mode");
        }
        if (ctl_operands("dossier mode", argc - optind, 1, 1))
                return CTL_EXIT_USAGE;
        const char *m = argv[optind];
        if (strcmp(m, "call-centre") == 0)
                m = "call_centre";
        if (strcmp(m, "normal") != 0 && strcmp(m, "emergency") != 0 && strcmp(m, "call_centre") != 0) {
                fprintf(stderr, "carnetctl: the mode is normal, emergency or call-centre\n");
                return CTL_EXIT_USAGE;
        }
        if (strcmp(m, "emergency") == 0 && (!reason || !*reason)) {
                fprintf(stderr, "carnetctl: an emergency access needs its reason: --reason TEXT\n");
                return CTL_EXIT_USAGE;
        }
        json_t *body = json_pack("{s:s}", "mode", m);
        if (body && reason)
                json_object_set_new(body, "reason", json_string(reason));
        if (body && practice)
                json_object_set_new(body, "practice", json_string(practice));
        return ctl_run(ctl, "PUT", "/v1/sessions/current/mode", body, print_mode, NULL);
}

int cmd_dossier(const struct ctl *ctl, int argc, char **argv) {
        static const struct ctl_sub subs[] = {
                {"create", dossier_create},   {"show", dossier_show},       {"close", dossier_verb},
                {"reactivate", dossier_verb}, {"destroy", dossier_destroy}, {"consent", dossier_consent},
                {"options", dossier_options}, {"mode", dossier_mode},
        };
        return ctl_dispatch(ctl, "dossier", subs, ELEMENTSOF(subs), argc, argv);
}
