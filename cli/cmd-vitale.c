/* cli/cmd-vitale.c: carnetctl vitale, the persons on the Carte Vitale. */
#include <stdio.h>

#include "ctl.h"

int cmd_vitale(const struct ctl *ctl, int argc, char **argv) {
        struct client_reply rep;
        const char *reader = "?";
        json_t *persons = NULL;

        if (argc > 1) {
                fprintf(stderr, "carnetctl: vitale takes no arguments\n");
                return CTL_EXIT_USAGE;
        }
        int r = ctl_call(ctl, "GET", "/v1/vitale", NULL, NULL, &rep);
        if (r)
                return r;
        if (ctl->json) {
                ctl_print_json(rep.json);
                client_reply_clear(&rep);
                return CTL_EXIT_OK;
        }
        if (json_unpack(rep.json, "{s:s,s:o}", "reader", &reader, "persons", &persons) < 0 ||
            !json_is_array(persons)) {
                fprintf(stderr, "carnetctl: unexpected Vitale document\n");
                client_reply_clear(&rep);
                return CTL_EXIT_PROTOCOL;
        }
        printf("Carte Vitale in %s: %zu person(s)\n", reader, json_array_size(persons));
        printf("  %-2s %-7s %-20s %-16s %-10s %-4s %s\n", "#", "", "SURNAME", "FIRST NAME", "BORN",
               "RANK", "NIR");
        size_t i;
        json_t *p;
        json_array_foreach(persons, i, p) {
                const char *sn = "", *fn = "", *bd = "", *rank = NULL, *nir = NULL, *problem = NULL;
                int holder = 0, valid = 0;
                json_t *jr = NULL, *jn = NULL, *jp = NULL, *jsn = NULL, *jfn = NULL;
                json_unpack(p, "{s:b,s:o,s:o,s:s,s:o,s:o,s:b,s:o}", "holder", &holder, "surname", &jsn,
                            "first_name", &jfn, "birth_date", &bd, "birth_rank", &jr, "nir", &jn,
                            "nir_valid", &valid, "nir_problem", &jp);
                sn = json_string_value(jsn) ? json_string_value(jsn) : "";
                fn = json_string_value(jfn) ? json_string_value(jfn) : "";
                rank = json_string_value(jr);
                nir = json_string_value(jn);
                problem = json_string_value(jp);
                printf("  %-2zu %-7s %-20s %-16s %-10s %-4s %s%s%s%s\n", i, holder ? "holder" : "", sn, fn,
                       bd, rank ? rank : "-", nir ? nir : "(none)", valid ? "" : "  INVALID: ",
                       valid ? "" : (problem ? problem : "?"), valid ? "" : ", cannot open a dossier");
        }
        client_reply_clear(&rep);
        return CTL_EXIT_OK;
}
