/* cli/cmd-vitale.c: carnetctl vitale, the persons on the Carte Vitale. */
#include <stdio.h>

#include "ctl.h"

/* The persons on the card, the holder first. */
static int print_vitale(const json_t *doc) {
        const char *reader = "?";
        json_t *persons = NULL;

        if (json_unpack((json_t *)doc, "{s:s,s:o}", "reader", &reader, "persons", &persons) < 0 ||
            !json_is_array(persons))
                return ctl_unexpected("Vitale");
        printf("Carte Vitale in %s: %zu person(s)\n", reader, json_array_size(persons));
        printf("  %-2s %-7s %-20s %-16s %-10s %-4s %s\n", "#", "", "SURNAME", "FIRST NAME", "BORN",
               "RANK", "NIR");
        size_t i;
        json_t *p;
        json_array_foreach(persons, i, p) {
                const char *sn = "", *fn = "", *bd = "", *rank = NULL, *nir = NULL, *problem = NULL;
                int holder = 0, valid = 0, date_valid = 1;
                json_t *jr = NULL, *jn = NULL, *jp = NULL, *jsn = NULL, *jfn = NULL;
                json_unpack(p, "{s:b,s:o,s:o,s:s,s:o,s:o,s:b,s:o}", "holder", &holder, "surname", &jsn,
                            "first_name", &jfn, "birth_date", &bd, "birth_rank", &jr, "nir", &jn,
                            "nir_valid", &valid, "nir_problem", &jp);
                sn = json_string_value(jsn) ? json_string_value(jsn) : "";
                fn = json_string_value(jfn) ? json_string_value(jfn) : "";
                rank = json_string_value(jr);
                nir = json_string_value(jn);
                problem = json_string_value(jp);
                json_t *jdv = json_object_get(p, "birth_date_valid");
                if (json_is_boolean(jdv))
                        date_valid = json_is_true(jdv);
                printf("  %-2zu %-7s %-20s %-16s %-10s %-4s %s%s%s%s\n", i, holder ? "holder" : "", sn, fn,
                       bd, rank ? rank : "-", nir ? nir : "(none)", valid ? "" : "  INVALID: ",
                       valid ? "" : (problem ? problem : "?"), valid ? "" : ", cannot open a dossier");
                if (!date_valid)
                        printf("     birth date '%s' is not a calendar date: open the dossier with "
                               "--birth-date YYYY-MM-DD\n", bd);
        }
        return CTL_EXIT_OK;
}

int cmd_vitale(const struct ctl *ctl, int argc, char **argv) {
        if (argc > 1)
                return ctl_no_args("vitale");
        return ctl_show(ctl, "/v1/vitale", print_vitale);
}
