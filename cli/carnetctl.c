/* cli/carnetctl.c: carnetctl's entry point: global options, then the
 * subcommand table, each with its own help. */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "lib/macro.h"

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
        {"login", cmd_login, "open a professional session on the CPS card", "login [--pin-stdin] [--reader NAME] [--print-token]",
         "Opens a session on the CPS card (the first reader holding one, or --reader).\n"
         "The PIN is asked for without echo on a terminal, or read from the first line\n"
         "of standard input when that is not a terminal; never from the command line.\n"
         "The session token is stored in $XDG_RUNTIME_DIR/carnet/session (mode 0600)\n"
         "for the commands that need a session.  A wrong PIN exits 5 with the tries\n"
         "left when the card says; a blocked PIN or an untrusted card exits 6.\n"
         "\n"
         "  -p, --pin-stdin    read the PIN from standard input even on a terminal\n"
         "  -r, --reader NAME  the reader holding the CPS card\n"
         "  -t, --print-token  print the token on stdout instead of storing it\n"
         "                     (for CARNET_SESSION or --session)\n"},
        {"logout", cmd_logout, "end the session", "logout",
         "Ends the session (carnetd forgets it) and removes the session file.  Taking\n"
         "the CPS card out of the reader ends it too.\n"},
        {"session", cmd_session, "show the current session", "session",
         "The session of the stored token (or --session): who, which card and reader,\n"
         "when it opened and was last used.  Exit 5 when there is none: the session\n"
         "file is then removed.\n"},
        {"dossier", cmd_dossier, "open, show, close, reactivate, destroy a dossier; the access mode",
         "dossier SUBCOMMAND [ARGS]",
         "  create --consent|--no-consent [--index N | --nir NIR] [--reader NAME] [--test-ins]\n"
         "         [--birth-date YYYY-MM-DD] [--own-nir NIR]\n"
         "        open the dossier of a person on the inserted Carte Vitale (--index from\n"
         "        'carnetctl vitale', default 0: the holder); --consent records that the\n"
         "        patient, informed, agreed.  Prints the patient's secret, shown once.\n"
         "        --test-ins: a test NIR (OID ...4.10).\n"
         "        --birth-date: when the card's birth date is not a calendar date.\n"
         "        --own-nir: the person's own NIR, when the card carries none of theirs.\n"
         "  show INS                 status, dates, the patient's identity when you may\n"
         "                           see it, their options (patient only), your access\n"
         "  close INS                the patient closes it\n"
         "  reactivate INS           the patient reopens it\n"
         "  destroy [--yes] INS      the patient has it destroyed (asks on a terminal)\n"
         "  consent INS              record that the patient agreed to your access\n"
         "  options INS [--optout-emergency yes|no] [--optout-call-centre yes|no]\n"
         "          [--notify yes|no]  the patient's choices\n"
         "  mode normal|emergency|call-centre [--reason TEXT] [--practice WORD]\n"
         "        the access mode of your session for every later call (emergency\n"
         "        needs --reason; it is recorded in the patient's trail); --practice:\n"
         "        care (default), occupational, fire_service, insurer, ...\n"},
        {"doc", cmd_doc, "list, read, deposit, replace, archive, mask the documents of a dossier",
         "doc SUBCOMMAND [ARGS]",
         "  list INS [--section S] [--class C] [--type T] [--status S|--all] [--from D] [--to D] [--page N]\n"
         "        the documents you may see; without --status, --from or --to the first\n"
         "        search (approved, deposited in the last 2 years).  Sections: summary,\n"
         "        treatments, reports, imaging, lab, prevention, certificates, personal\n"
         "        (or 1..8); dates: YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or epoch seconds\n"
         "  show INS UID            a document's metadata\n"
         "  get INS UID [-o FILE]   its content (stdout, or FILE created mode 0600)\n"
         "  put INS FILE --type CODE --class CODE --title TEXT [--mime TYPE]\n"
         "      [--created DATE] [--medicine ATC]... [--hold] [--format CODE]\n"
         "      [--institution TEXT] [--role TEXT] [--specialty TEXT]\n"
         "        deposit FILE (- for stdin); the MIME type from the name unless --mime;\n"
         "        --medicine for each substance of a prescription (ATC code);\n"
         "        --hold keeps it from the patient until the announcement consultation.\n"
         "        Prints the new id and any care-coordination ALERT (drug interaction,\n"
         "        duplicate exam).  Progress is shown on a terminal for large files.\n"
         "  replace INS UID FILE [put's options]  a new version of UID\n"
         "  archive INS UID         archive it (its author)\n"
         "  mask INS UID            the patient hides it from professionals (but its\n"
         "                          author, the médecin traitant and those allowed)\n"
         "  unmask INS UID          the patient shows it again\n"
         "  release INS UID         the announcement consultation took place: the patient\n"
         "                          may now see it\n"},
        {"auth", cmd_auth, "the patient's list of professionals: authorise, block, médecin traitant",
         "auth SUBCOMMAND INS NATIONAL_ID",
         "The patient's controls (in a patient session: carnetctl --patient auth ...).\n"
         "NATIONAL_ID is a professional's idNat (8 + RPPS, or 0 + ADELI).\n"
         "\n"
         "  list INS                         the professionals with a relation, a block\n"
         "                                   or a past access\n"
         "  grant [--care-team] INS ID       authorise (or add to the care team)\n"
         "  revoke INS ID                    back to no relation\n"
         "  treating INS ID                  name the médecin traitant\n"
         "  block INS ID                     refuse them, whatever the mode\n"
         "  unblock INS ID\n"
         "  sees-masked INS ID yes|no        the traitant's right to masked documents\n"},
        {"audit", cmd_audit, "a dossier's audit trail, and the check of the hash chain",
         "audit show INS [--page N] | audit verify",
         "  show INS   every trail entry about the dossier, oldest first: who, what,\n"
         "             the mode (EMERGENCY stands out), allowed or denied and the rule\n"
         "             (the patient's, in a patient session); every page of it,\n"
         "             each page a reading of its own (its entry last); --page N:\n"
         "             pages of N entries (2 to 1000; 1000 by default)\n"
         "  verify     walks the whole hash chain; exit 8 when it is broken (root may\n"
         "             run it without a session)\n"},
        {"notifications", cmd_notifications, "notices: yours, or a dossier's (the patient's)", "notifications [INS]",
         "Without INS, the notifications addressed to you, the professional (e.g. an\n"
         "emergency access to a patient whose médecin traitant you are).  With INS,\n"
         "the patient's notifications (in a patient session: carnetctl --patient).\n"},
        {"patient", cmd_patient, "the patient's own session: Carte Vitale and secret",
         "patient login [--secret-stdin] [--index N | --nir NIR] [--own-nir NIR] [--reader NAME] [--print-token]\n"
         "       carnetctl patient logout | patient session",
         "The patient's self-service session: their Carte Vitale in a reader and the\n"
         "secret from the dossier's opening receipt (asked without echo on a terminal,\n"
         "else read from standard input; never on the command line).  The token is\n"
         "kept apart from the professional's ($XDG_RUNTIME_DIR/carnet/patient-session);\n"
         "then act as the patient with 'carnetctl --patient COMMAND' (doc mask, auth,\n"
         "audit show, notifications INS, dossier close...).  Taking the Vitale card out\n"
         "ends the session.\n"},
        {"backup", cmd_backup, "copy the live database to a new file, safely while carnetd runs",
         "backup [--database PATH] FILE",
         "SQLite's online backup of carnetd's database into FILE (which must not\n"
         "exist), as one consistent snapshot while carnetd keeps working, written as a\n"
         "self-contained file (mode 0600), checked with SQLite's integrity check, and\n"
         "moved into place only then.  Progress on a terminal.  Run it as root or as\n"
         "carnetd's user.  The database: --database, else $CARNET_DATABASE, else\n"
         "'database =' in /etc/carnet/carnetd.conf, else /var/lib/carnet/carnet.db.\n"},
        {"restore", cmd_restore, "replace the database by a backup (carnetd stopped)",
         "restore [--database PATH] FILE",
         "Replaces carnetd's database by the backup FILE.  Refused while carnetd\n"
         "answers on its socket (stop carnetd.socket and carnetd.service first), and\n"
         "for a file that fails SQLite's integrity check or is not a carnet database:\n"
         "then nothing changes.  The previous database (and its -wal, -shm) is kept\n"
         "beside it as DATABASE.before-restore-YYYYmmdd-HHMMSS.  After a restore,\n"
         "'carnetctl audit verify' checks the trail's hash chain.\n"},
};

static void usage(FILE *f) {
        fprintf(f, "usage: carnetctl [--socket PATH] [--json] [--session TOKEN | --patient] COMMAND [ARGS]\n\ncommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "  %-13s %s\n", "help", "help on a command: carnetctl help COMMAND");
        fprintf(f, "\noptions:\n"
                   "  -s, --socket PATH  carnetd's socket (default $CARNET_SOCKET, else "
                   CLIENT_DEFAULT_SOCKET ")\n"
                   "  -j, --json         print carnetd's JSON as is, for scripts\n"
                   "  -S, --session TOKEN  use this session token (default $CARNET_SESSION,\n"
                   "                     else the one 'carnetctl login' stored)\n"
                   "  -P, --patient      act in the patient's session ('carnetctl patient login')\n"
                   "  -h, --help         this help\n"
                   "      --version      carnetctl's version\n"
                   "\nexit status: 0 done, 1 carnetd refused (or its socket is not yours to\n"
                   "open), 2 bad command line, 3 carnetd unreachable (not running, stale\n"
                   "socket), 4 a reply carnetctl cannot read, 5 no session or wrong PIN (401),\n"
                   "6 denied by the rules (403), 7 no Carte Vitale, no CPS card, or a service\n"
                   "unavailable (503),\n"
                   "8 the audit chain or a stored document failed its integrity check.\n"
                   "See carnetctl(1).\n");
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
                {"session", required_argument, NULL, 'S'},
                {"patient", no_argument, NULL, 'P'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {},
        };
        struct ctl ctl = {.socket = getenv("CARNET_SOCKET"), .session = getenv("CARNET_SESSION")};
        int c;

        if (!ctl.socket || !*ctl.socket)
                ctl.socket = CLIENT_DEFAULT_SOCKET;
        if (ctl.session && !*ctl.session)
                ctl.session = NULL;
        /* '+': stop at the subcommand, whose options are its own */
        while ((c = getopt_long(argc, argv, "+s:jS:Ph", opts, NULL)) >= 0) {
                switch (c) {
                case 's': ctl.socket = optarg; break;
                case 'j': ctl.json = true; break;
                case 'S': ctl.session = optarg; break;
                case 'P': ctl.patient = true; break;
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
                if (strcmp(argv[optind + 1], "help") == 0) {
                        printf("usage: carnetctl help [COMMAND]\n\n"
                               "Without COMMAND, the list of commands and the global options; with\n"
                               "COMMAND, what it does and its options (the same as carnetctl COMMAND\n"
                               "--help).  See carnetctl(1).\n");
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
