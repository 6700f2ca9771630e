/* engine/interactions.h: drug-interaction table for care-coordination
 * alerts (docs/rules.md §1: "prevent drug interactions").
 *
 * ILLUSTRATIVE DEFAULT, NOT CLINICAL TRUTH: carnet ships a handful of
 * widely known pairs (data/interactions.tsv, docs/interactions.md) so that
 * the mechanism can be exercised; a site must install a table from an
 * authoritative source (e.g. the ANSM "Thésaurus des interactions
 * médicamenteuses") before relying on it. Alerts are warnings, never
 * refusals.
 *
 * File format: one pair per line, four TAB-separated fields:
 *     <ATC code> <ATC code> <contraindicated|avoid|caution> <short note>
 * '#' starts a comment line. Codes are 1 to 15 characters of [A-Z0-9]. A
 * pair is symmetric; listing it twice (in either order) is an error. */
#pragma once

#include <stddef.h>

#include "lib/macro.h"

#define INTERACTIONS_CODE_MAX 16
#define INTERACTIONS_NOTE_MAX 160
#define INTERACTIONS_MAX 8192

struct interaction {
        char a[INTERACTIONS_CODE_MAX];
        char b[INTERACTIONS_CODE_MAX];
        char severity[16];
        char note[INTERACTIONS_NOTE_MAX];
};

struct interactions;

int interactions_load(const char *path, struct interactions **ret, char *err, size_t err_size);
int interactions_parse(const char *name, const char *text, struct interactions **ret, char *err, size_t err_size);
struct interactions *interactions_free(struct interactions *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct interactions, interactions_free);
#define _cleanup_interactions_ __attribute__((cleanup(interactions_freep)))

/* The rule for the pair (a, b) in either order, or NULL. */
const struct interaction *interactions_find(const struct interactions *t, const char *a, const char *b);

/* True when code is a syntactically valid code for this table. */
int interactions_code_valid(const char *code, size_t n);
