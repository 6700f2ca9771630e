/* tests/fuzz/fuzz-tables.c: the data-table readers (engine/tsv.c) through
 * the two tables carnetd loads, rights.tsv and interactions.tsv, on any
 * text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-text.h"
#include "engine/interactions.h"
#include "engine/rights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_cstr(data, size);
        if (!text)
                return 0;
        char err[256];
        struct rights_table *r = NULL;
        if (rights_parse("fuzz", text, &r, err, sizeof(err)) == 0) {
                (void)rights_allows(r, "10", "11488-4");
                rights_free(r);
        }
        struct interactions *t = NULL;
        if (interactions_parse("fuzz", text, &t, err, sizeof(err)) == 0) {
                (void)interactions_find(t, "A", "B");
                interactions_free(t);
        }
        free(text);
        return 0;
}
