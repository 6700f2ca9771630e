/* cli/cmd-readers.c: carnetctl readers [NAME], the readers and their cards. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

/* One reader in full, for carnetctl readers NAME. */
static int print_reader(const json_t *rd) {
        const char *name = json_string_value(json_object_get(rd, "name"));
        const char *atr = json_string_value(json_object_get(rd, "atr"));
        json_t *card = json_object_get(rd, "card");
        printf("reader:    %s\n", name ? name : "?");
        if (!json_is_object(card)) {
                printf("card:      none\n");
                return CTL_EXIT_OK;
        }
        const char *type = json_string_value(json_object_get(card, "type"));
        const char *driver = json_string_value(json_object_get(card, "driver"));
        const char *err = json_string_value(json_object_get(card, "error"));
        printf("card:      %s\n", type ? type : "?");
        printf("driver:    %s\n", driver ? driver : "-");
        printf("insertion: #%" JSON_INTEGER_FORMAT "\n", json_integer_value(json_object_get(card, "insertion")));
        printf("ATR:       %s\n", atr ? atr : "-");
        if (err)
                printf("error:     %s (the card could not be read)\n", err);
        return CTL_EXIT_OK;
}

/* The table of the readers, for carnetctl readers. */
static int print_readers(const json_t *doc) {
        json_t *readers = json_object_get(doc, "readers");
        json_t *pcscd = json_object_get(doc, "pcscd");
        if (!json_is_array(readers) || !json_is_object(pcscd))
                return ctl_unexpected("readers");
        if (!json_is_true(json_object_get(pcscd, "reachable"))) {
                const char *e = json_string_value(json_object_get(pcscd, "error"));
                printf("pcscd is NOT reachable (%s): no readers to show\n", e ? e : "unknown reason");
        } else if (json_array_size(readers) == 0)
                printf("no readers\n");
        else {
                printf("%-28s %-8s %-11s %s\n", "READER", "CARD", "DRIVER", "INSERTION");
                size_t i;
                json_t *rd;
                json_array_foreach(readers, i, rd) {
                        json_t *card = json_object_get(rd, "card");
                        const char *err = json_is_object(card) ? json_string_value(json_object_get(card, "error")) : NULL;
                        char ins[24] = "-";
                        if (json_is_object(card))
                                snprintf(ins, sizeof(ins), "#%" JSON_INTEGER_FORMAT,
                                         json_integer_value(json_object_get(card, "insertion")));
                        printf("%-28s %-8s %-11s %-9s%s%s\n",
                               json_string_value(json_object_get(rd, "name")) ?: "?",
                               json_is_object(card) ? (json_string_value(json_object_get(card, "type")) ?: "?") : "-",
                               json_is_object(card) ? (json_string_value(json_object_get(card, "driver")) ?: "-") : "-",
                               ins, err ? " READ ERROR: " : "", err ? err : "");
                }
        }
        return CTL_EXIT_OK;
}

int cmd_readers(const struct ctl *ctl, int argc, char **argv) {
        char path[512] = "/v1/readers";

        if (argc > 2) {
                fprintf(stderr, "carnetctl: readers takes at most one reader name (see carnetctl readers --help)\n");
                return CTL_EXIT_USAGE;
        }
        if (argc == 2 && client_path_join(path, sizeof(path), "/v1/readers", argv[1]) < 0) {
                fprintf(stderr, "carnetctl: reader name too long\n");
                return CTL_EXIT_USAGE;
        }
        return ctl_show(ctl, path, argc == 2 ? print_reader : print_readers);
}
