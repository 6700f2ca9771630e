/* api/fhir-page.h: the pages of a FHIR searchset (FHIR R4 search,
 * "Paging"; docs/fhir.md).
 *
 * _count bounds the entries of one page (FHIR: a server SHALL NOT return
 * more), _offset (carnet's, in the links it gives) says where the page
 * starts in the search's matches.  Without _count a page holds at most
 * FHIR_PAGE_MAX matches, as with _count=FHIR_PAGE_MAX (its next link
 * says so).  Bundle.total is always the number of matches, and Bundle.link
 * names the page itself (self) and, when there are, the pages before and
 * after it (previous, next), with the search's own parameters.  Each page
 * is a new search: decided and traced as the first was. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "http/router.h"

#define FHIR_PAGE_MAX 1000 /* the most entries a page holds, _count above it or not */

struct fhir_page {
        long count;  /* -1: none asked (a page of FHIR_PAGE_MAX) */
        long offset; /* the first match of the page, from 0 */
        /* _summary=count (R4 search.html, "_summary"): the total alone, no
         * entry and no link but self, whatever the page */
        bool count_only;
        /* the search's own parameters (fhir_check_params()'s allowed, NULL
         * terminated): the links carry those and the common ones alone, not
         * one ignored under Prefer: handling=lenient */
        const char *const *params;
};

/* The page req asks: 0, or -EINVAL with a 400 OperationOutcome in ret
 * (-ENOMEM) when _count or _offset is not a whole number from 0 to
 * 2147483647, or _summary neither count nor false (the whole resources,
 * as without it: carnet serves no other summary). */
int fhir_page_of(const struct api_request *req, struct fhir_page *p, struct api_reply *ret);
/* The page of a search whose parameters (params, as given to
 * fhir_check_params()) were checked before it, lenient or not: a search
 * that skipped the check gets the first page. */
struct fhir_page fhir_page_asked(const struct api_request *req, const char *const params[]);
/* The most matches page p holds: its _count, FHIR_PAGE_MAX without one,
 * 0 for the total alone. */
size_t fhir_page_size(const struct fhir_page *p);
/* Bundle.link of page p of the search req made, total matches in all,
 * with the parameters the search applied (FHIR R4 search: the self link
 * holds those alone); a new array, or NULL. */
json_t *fhir_page_links(const struct api_request *req, const struct fhir_page *p, size_t total);
