/* api/fhir-page.c: the pages of a FHIR searchset; see fhir-page.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/macro.h"
#include "lib/url.h"
#include "fhir-common.h"
#include "fhir-page.h"

#define PAGE_PARAM_MAX 2147483647L /* a FHIR integer */

/* The value of the parameter name: -1 when absent; -EINVAL when it is not
 * a whole number from 0 to PAGE_PARAM_MAX. */
static long page_param(const struct api_request *req, const char *name) {
        const char *s = api_query(req, name);
        long v = 0;
        if (!s)
                return -1;
        if (!s[0] || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
                return -EINVAL;
        for (const char *c = s; *c; c++)
                v = v * 10 + (*c - '0');
        return v > PAGE_PARAM_MAX ? -EINVAL : v;
}

int fhir_page_of(const struct api_request *req, struct fhir_page *p, struct api_reply *ret) {
        static const char *const names[] = {"_count", "_offset"};
        long v[2];
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                v[i] = page_param(req, names[i]);
                if (v[i] == -EINVAL)
                        return api_error_details(ret, 400, "bad_parameter", json_pack("{s:s}", "parameter", names[i]),
                                                 "%s must be a whole number from 0 to 2147483647", names[i]) < 0
                                       ? -ENOMEM
                                       : -EINVAL;
        }
        p->count = v[0] < 0 ? -1 : v[0] > FHIR_PAGE_MAX ? FHIR_PAGE_MAX : v[0];
        p->offset = v[1] < 0 ? 0 : v[1];
        const char *summary = api_query(req, "_summary");
        p->count_only = summary && strcmp(summary, "count") == 0;
        if (summary && !p->count_only && strcmp(summary, "false") != 0)
                return api_error_details(ret, 400, "bad_parameter", json_pack("{s:s}", "parameter", "_summary"),
                                         "_summary is count (the total alone) or false (the whole resources): "
                                         "carnet serves no other summary") < 0 ? -ENOMEM : -EINVAL;
        return 0;
}

/* The URL of the page of count matches from offset (count -1: all) of
 * the search req made: its path, the parameters it applied (params and
 * the common ones, fhir_param_known()) but the page's, then the page's.
 * A new string, or NULL. */
static char *page_url(const struct api_request *req, const char *const params[], long count, long offset) {
        char base[FHIR_BASE_SIZE], page[64] = "";
        size_t size = 512;
        for (size_t i = 0; i < req->n_query; i++)
                size += 3 * (strlen(req->query[i].name) + strlen(req->query[i].value)) + 2;
        _cleanup_free_ char *buf = malloc(size);
        if (!buf)
                return NULL;
        fhir_base(req, base, sizeof(base));
        const char *rest = strncmp(req->path, FHIR_PREFIX, strlen(FHIR_PREFIX)) == 0 ? req->path + strlen(FHIR_PREFIX)
                                                                                     : "";
        int n = snprintf(buf, size, "%s%s", base, rest);
        if (n < 0 || (size_t)n >= size)
                return NULL;
        const char *sep = "?";
        for (size_t i = 0; i < req->n_query; i++) {
                const struct api_kv *q = &req->query[i];
                if (strcmp(q->name, "_count") == 0 || strcmp(q->name, "_offset") == 0 ||
                    !fhir_param_known(q->name, params))
                        continue;
                if (url_append(buf, size, sep, sep) < 0 || url_append(buf, size, q->name, NULL) < 0 ||
                    url_append(buf, size, "=", "=") < 0 || url_append(buf, size, q->value, NULL) < 0)
                        return NULL;
                sep = "&";
        }
        if (count >= 0)
                n = snprintf(page, sizeof(page), "%s_count=%ld&_offset=%ld", sep, count, offset);
        else
                n = offset > 0 ? snprintf(page, sizeof(page), "%s_offset=%ld", sep, offset) : 0;
        if (n < 0 || (size_t)n >= sizeof(page) || url_append(buf, size, page, "?&=") < 0)
                return NULL;
        return TAKE_PTR(buf);
}

static int add_link(json_t *links, const char *relation, const struct api_request *req, const struct fhir_page *p,
                    long count, long offset) {
        _cleanup_free_ char *url = page_url(req, p->params, count, offset);
        return url && json_array_append_new(links, json_pack("{s:s,s:s}", "relation", relation, "url", url)) == 0
                       ? 0
                       : -ENOMEM;
}

struct fhir_page fhir_page_asked(const struct api_request *req, const char *const params[]) {
        struct api_reply ignored = {0};
        struct fhir_page page;

        if (fhir_page_of(req, &page, &ignored) < 0) {
                api_reply_clear(&ignored);
                page = (struct fhir_page){.count = -1};
        }
        page.params = params;
        return page;
}

size_t fhir_page_size(const struct fhir_page *p) {
        return p->count_only ? 0 : p->count < 0 ? FHIR_PAGE_MAX : (size_t)p->count;
}

json_t *fhir_page_links(const struct api_request *req, const struct fhir_page *p, size_t total) {
        json_t *links = json_array();
        int r = links ? add_link(links, "self", req, p, p->count, p->offset) : -ENOMEM;
        /* a page of 0 holds nothing: there is no page after it, nor
         * before (the total alone); nor has a count alone.  The pages
         * after and before one without _count say the size it had. */
        long size = (long)fhir_page_size(p);
        if (r >= 0 && size > 0 && (size_t)p->offset + (size_t)size < total)
                r = add_link(links, "next", req, p, size, p->offset + size);
        if (r >= 0 && size > 0 && p->offset > 0)
                r = add_link(links, "previous", req, p, size, p->offset < size ? 0 : p->offset - size);
        if (r < 0) {
                json_decref(links);
                return NULL;
        }
        return links;
}
