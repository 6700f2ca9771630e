/* engine/rights.h: the profession x document-type table ("matrice
 * d'habilitation", arrêté of 26 October 2023; docs/rules.md §2).
 *
 * The national table is not public here, so carnet ships a documented
 * default (data/rights.tsv, explained in docs/rights.md) that the
 * administrator may replace. The file is loaded and validated once at start;
 * a malformed file is an error naming the file and line.
 *
 * File format: UTF-8 text, one rule per line, three fields separated by a
 * single TAB:
 *     <profession code or *>  <document type code or *>  allow|deny
 * '#' starts a comment line; blank lines are ignored. The most specific rule
 * wins: (profession, type) over (profession, *) over (*, type) over (*, *).
 * Two rules with the same key are an error. No matching rule means deny. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/macro.h"

#define RIGHTS_CODE_MAX 64     /* longest profession or type code */
#define RIGHTS_RULES_MAX 4096  /* a bigger file is refused */

struct rights_table;

/* Parses the file at path. On error returns a negative errno and, when
 * err/err_size are given, a message "path:line: what" in err. */
int rights_load(const char *path, struct rights_table **ret, char *err, size_t err_size);

/* Same, from a NUL-terminated buffer; name is used in messages. */
int rights_parse(const char *name, const char *text, struct rights_table **ret, char *err, size_t err_size);

struct rights_table *rights_free(struct rights_table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rights_table, rights_free);
#define _cleanup_rights_ __attribute__((cleanup(rights_freep)))

/* True when the table lets profession (TRE_G15 code, e.g. "10") see
 * documents of type type_code (LOINC or local code). NULL table: false. */
bool rights_allows(const struct rights_table *t, const char *profession, const char *type_code);

/* Number of rules loaded (for diagnostics and tests). */
size_t rights_count(const struct rights_table *t);
