/* cli/show.c: text for people (see show.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/macro.h"
#include "show.h"

const char *show_str(const json_t *o, const char *key, const char *dflt) {
        const char *s = json_string_value(json_object_get(o, key));
        return s && *s ? s : dflt;
}

const char *show_time(int64_t t, char *buf, size_t size) {
        struct tm tm;
        time_t tt = (time_t)t;
        if (t <= 0 || !localtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M", &tm) == 0)
                snprintf(buf, size, "-");
        return buf;
}

const char *show_size(uint64_t n, char *buf, size_t size) {
        if (n < 1024)
                snprintf(buf, size, "%llu B", (unsigned long long)n);
        else if (n < 1024 * 1024)
                snprintf(buf, size, "%.1f KiB", (double)n / 1024);
        else
                snprintf(buf, size, "%.1f MiB", (double)n / (1024 * 1024));
        return buf;
}

const char *show_lookup(const struct show_pair *table, size_t n, const char *key, const char *dflt) {
        for (size_t i = 0; key && i < n; i++)
                if (strcmp(table[i].key, key) == 0)
                        return table[i].text;
        return dflt;
}

const char *show_profession(const char *code) {
        /* TRE_G15, the professions a CPS card names */
        static const struct show_pair names[] = {
                {"10", "médecin"},
                {"21", "pharmacien"},
                {"26", "audioprothésiste"},
                {"28", "opticien-lunetier"},
                {"40", "chirurgien-dentiste"},
                {"50", "sage-femme"},
                {"60", "infirmier"},
                {"69", "infirmier psychiatrique"},
                {"70", "masseur-kinésithérapeute"},
                {"80", "pédicure-podologue"},
                {"81", "orthoprothésiste"},
                {"82", "podo-orthésiste"},
                {"83", "orthopédiste-orthésiste"},
                {"84", "oculariste"},
                {"85", "épithésiste"},
                {"86", "technicien de laboratoire médical"},
                {"91", "orthophoniste"},
                {"92", "orthoptiste"},
                {"94", "ergothérapeute"},
                {"95", "diététicien"},
                {"96", "psychomotricien"},
                {"98", "manipulateur ERM"},
        };
        return show_lookup(names, ELEMENTSOF(names), code, "profession");
}

void show_cell(const char *s, int width) {
        int cols = 0;
        const char *p = s ? s : "";
        const char *cut = NULL;
        /* count columns as code points; stop one short when it will not fit */
        for (const char *q = p; *q; q++) {
                if (((unsigned char)*q & 0xC0) == 0x80)
                        continue;
                if (cols == width - 1 && !cut)
                        cut = q;
                cols++;
        }
        if (cols <= width) {
                fputs(p, stdout);
                for (; cols < width; cols++)
                        fputc(' ', stdout);
        } else {
                fwrite(p, 1, (size_t)(cut - p), stdout);
                fputs("…", stdout);
        }
        fputc(' ', stdout);
}
