/* cli/cmd-status.c: carnetctl status. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

/* The status document as text: carnetd, pcscd, each reader. */
static int print_status(const json_t *doc) {
        const char *version = "?";
        int reachable = 0;
        json_t *readers = NULL, *error = NULL;

        if (json_unpack((json_t *)doc, "{s:s,s:{s:b,s?o},s:o}", "version", &version, "pcscd", "reachable",
                        &reachable, "error", &error, "readers", &readers) < 0 ||
            !json_is_array(readers))
                return ctl_unexpected("status");
        printf("carnetd %s\n", version);
        if (reachable)
                printf("pcscd:   reachable\n");
        else
                printf("pcscd:   NOT reachable (%s)\n", json_is_string(error) ? json_string_value(error) : "unknown reason");
        printf("readers: %zu\n", json_array_size(readers));
        size_t i;
        json_t *rd;
        json_array_foreach(readers, i, rd) {
                const char *name = "?", *atr = NULL, *type = NULL, *err = NULL;
                int present = 0;
                json_t *jatr = NULL, *card = NULL;
                json_unpack(rd, "{s:s,s:b,s?o,s?o}", "name", &name, "card_present", &present, "atr", &jatr,
                            "card", &card);
                atr = json_string_value(jatr); /* NULL unless a string */
                if (json_is_object(card)) {
                        type = json_string_value(json_object_get(card, "type"));
                        err = json_string_value(json_object_get(card, "error"));
                }
                printf("  %-28s %s%s%s%s%s%s%s\n", name, present ? "card present" : "no card",
                       type ? " (" : "", type ? type : "", type ? ")" : "", err ? " READ ERROR: " : "",
                       err ? err : "", atr ? "" : "");
                if (atr)
                        printf("  %-28s ATR %s\n", "", atr);
        }
        return CTL_EXIT_OK;
}

int cmd_status(const struct ctl *ctl, int argc, char **argv) {
        if (argc > 1)
                return ctl_no_args("status");
        return ctl_show(ctl, "/v1/status", print_status);
}
