/* cli/carnetctl.c: carnetctl's entry point: global options, then the
 * subcommand table, each with its own help. */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "macro.h"

static const struct command {
        const char *name;
        int (*run)(const struct ctl *ctl, int argc, char **argv);
        const char *summary;
        const char *usage; /* after "usage: carnetctl [OPTIONS] " */
        const char *help;  /* what it does, its options */
} commands[] = {
        {"status", cmd_status, "show carnetd's version, pcscd and the readers", "status",
         "carnetd's version, whether pcscd answers, and each reader with the card it\n"
         "holds (type, ATR, read error).\n"},
        {"readers", cmd_readers, "list the readers and their cards, or show one", "readers [NAME]",
         "Without NAME, a table of the readers: the card in each (vitale, cps, unknown),\n"
         "the driver that recognised it and its insertion number (a new number each\n"
         "time a card arrives).  With NAME (quote it: reader names have spaces), that\n"
         "reader in full; exit 1 if there is no such reader.\n"},
        {"events", cmd_events, "show reader and card events, or follow them", "events [--follow [--new]] [--after ID]",
         "Without --follow, the events carnetd still holds (its queue keeps the last\n"
         "256), then exit.  With --follow, those and then each new event as it comes,\n"
         "until interrupted or carnetd stops (exit 3).  A line says when events were\n"
         "missed.  With --json, one JSON object per line.\n"
         "\n"
         "  -f, --follow     keep printing events as they come\n"
         "  -n, --new        with --follow: only events from now on\n"
         "  -a, --after ID   only events after this id (ids are in the output)\n"},
        {"vitale", cmd_vitale, "show every person on the inserted Carte Vitale", "vitale",
         "Every person on the Carte Vitale: the holder first, then the beneficiaries,\n"
         "with birth date, rank and NIR; a NIR that does not check is marked INVALID.\n"},
};

static void usage(FILE *f) {
        fprintf(f, "usage: carnetctl [--socket PATH] [--json] COMMAND [ARGS]\n\ncommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "  %-10s %s\n", "help", "help on a command: carnetctl help COMMAND");
        fprintf(f, "\noptions:\n"
                   "  -s, --socket PATH  carnetd's socket (default $CARNET_SOCKET, else "
                   CLIENT_DEFAULT_SOCKET ")\n"
                   "  -j, --json         print carnetd's JSON as is, for scripts\n"
                   "  -h, --help         this help\n"
                   "      --version      carnetctl's version\n"
                   "\nexit status: 0 done, 1 carnetd refused, 2 bad command line, 3 carnetd\n"
                   "unreachable, 4 a reply carnetctl cannot read.  See carnetctl(1).\n");
}

static void command_usage(const struct command *c, FILE *f) {
        fprintf(f, "usage: carnetctl [--socket PATH] [--json] %s\n\n%s", c->usage, c->help);
}

static const struct command *find_command(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (strcmp(name, commands[i].name) == 0)
                        return &commands[i];
        return NULL;
}

/* Whether the subcommand's arguments ask for help (before any "--"). */
static bool wants_help(int argc, char **argv) {
        for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
                if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
                        return true;
        return false;
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
                {"socket", required_argument, NULL, 's'},
                {"json", no_argument, NULL, 'j'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {},
        };
        struct ctl ctl = {.socket = getenv("CARNET_SOCKET")};
        int c;

        if (!ctl.socket || !*ctl.socket)
                ctl.socket = CLIENT_DEFAULT_SOCKET;
        /* '+': stop at the subcommand, whose options are its own */
        while ((c = getopt_long(argc, argv, "+s:jh", opts, NULL)) >= 0) {
                switch (c) {
                case 's': ctl.socket = optarg; break;
                case 'j': ctl.json = true; break;
                case 'h': usage(stdout); return CTL_EXIT_OK;
                case 'V': printf("carnetctl %s\n", CARNET_VERSION); return CTL_EXIT_OK;
                default: usage(stderr); return CTL_EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return CTL_EXIT_USAGE;
        }
        const char *name = argv[optind];
        if (strcmp(name, "help") == 0) {
                if (optind + 1 >= argc) {
                        usage(stdout);
                        return CTL_EXIT_OK;
                }
                const struct command *cmd = find_command(argv[optind + 1]);
                if (!cmd) {
                        fprintf(stderr, "carnetctl: unknown command '%s' (see carnetctl --help)\n", argv[optind + 1]);
                        return CTL_EXIT_USAGE;
                }
                command_usage(cmd, stdout);
                return CTL_EXIT_OK;
        }
        const struct command *cmd = find_command(name);
        if (!cmd) {
                fprintf(stderr, "carnetctl: unknown command '%s' (see carnetctl --help)\n", name);
                return CTL_EXIT_USAGE;
        }
        if (wants_help(argc - optind, argv + optind)) {
                command_usage(cmd, stdout);
                return CTL_EXIT_OK;
        }
        curl_global_init(CURL_GLOBAL_DEFAULT);
        int r = cmd->run(&ctl, argc - optind, argv + optind);
        curl_global_cleanup();
        return r;
}
