/* cli/carnetctl.c: carnetctl's entry point: global options, then the
 * subcommand table. */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "macro.h"

static const struct {
        const char *name;
        int (*run)(const struct ctl *ctl, int argc, char **argv);
        const char *help;
} commands[] = {
        {"status", cmd_status, "show carnetd's version, pcscd and the readers"},
        {"vitale", cmd_vitale, "show every person on the inserted Carte Vitale"},
};

static void usage(FILE *f) {
        fprintf(f, "usage: carnetctl [--socket PATH] [--json] COMMAND [ARGS]\n\ncommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
        fprintf(f, "\noptions:\n"
                   "  -s, --socket PATH  carnetd's socket (default $CARNET_SOCKET, else "
                   CLIENT_DEFAULT_SOCKET ")\n"
                   "  -j, --json         print carnetd's JSON as is, for scripts\n"
                   "  -h, --help         this help\n"
                   "      --version      carnetctl's version\n");
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
        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                if (strcmp(argv[optind], commands[i].name) != 0)
                        continue;
                curl_global_init(CURL_GLOBAL_DEFAULT);
                int r = commands[i].run(&ctl, argc - optind, argv + optind);
                curl_global_cleanup();
                return r;
        }
        fprintf(stderr, "carnetctl: unknown command '%s' (see carnetctl --help)\n", argv[optind]);
        return CTL_EXIT_USAGE;
}
