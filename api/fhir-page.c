/* api/fhir-page.c: the pages of a FHIR searchset; see fhir-page.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/macro.h"
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
        return 0;
}

/* Appends s to buf (at *len, size bytes), percent-encoded but for the
 * unreserved characters of RFC 3986; false when it does not fit. */
static bool put_encoded(char *buf, size_t size, size_t *len, const char *s) {
        static const char hex[] = "0123456789ABCDEF";
        for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
                bool plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                             strchr("-._~", *c);
                if (size - *len < 4)
                        return false;
                if (plain) {
                        buf[(*len)++] = (char)*c;
                } else {
                        buf[(*len)++] = '%';
                        buf[(*len)++] = hex[*c >> 4];
                        buf[(*len)++] = hex[*c & 15];
                }
        }
        buf[*len] = '\0';
        return true;
}

/* The URL of the page of count matches from offset (count -1: all) of
 * the search req made: its path, its parameters but the page's, then the
 * page's.  A new string, or NULL. */
static char *page_url(const struct api_request *req, long count, long offset) {
        char base[256];
        size_t size = 512, len;
        for (size_t i = 0; i < req->n_query; i++)
                size += 3 * (strlen(req->query[i].name) + strlen(req->query[i].value)) + 2;
        char *buf = malloc(size);
        if (!buf)
                return NULL;
        fhir_base(req, base, sizeof(base));
        const char *rest = strncmp(req->path, FHIR_PREFIX, strlen(FHIR_PREFIX)) == 0 ? req->path + strlen(FHIR_PREFIX)
                                                                                     : "";
        int n = snprintf(buf, size, "%s%s", base, rest);
        if (n < 0 || (size_t)n >= size) {
                free(buf);
                return NULL;
        }
        len = (size_t)n;
        char sep = '?';
        for (size_t i = 0; i < req->n_query; i++) {
                const struct api_kv *q = &req->query[i];
                if (strcmp(q->name, "_count") == 0 || strcmp(q->name, "_offset") == 0)
                        continue;
                buf[len++] = sep;
                sep = '&';
                if (!put_encoded(buf, size, &len, q->name) || size - len < 2)
                        goto too_long;
                buf[len++] = '=';
                if (!put_encoded(buf, size, &len, q->value))
                        goto too_long;
        }
        if (count >= 0)
                n = snprintf(buf + len, size - len, "%c_count=%ld&_offset=%ld", sep, count, offset);
        else
                n = offset > 0 ? snprintf(buf + len, size - len, "%c_offset=%ld", sep, offset) : 0;
        if (n < 0 || (size_t)n >= size - len)
                goto too_long;
        return buf;
too_long:
        free(buf);
        return NULL;
}

static int add_link(json_t *links, const char *relation, const struct api_request *req, long count, long offset) {
        _cleanup_free_ char *url = page_url(req, count, offset);
        return url && json_array_append_new(links, json_pack("{s:s,s:s}", "relation", relation, "url", url)) == 0
                       ? 0
                       : -ENOMEM;
}

json_t *fhir_page_links(const struct api_request *req, const struct fhir_page *p, size_t total) {
        json_t *links = json_array();
        int r = links ? add_link(links, "self", req, p->count, p->offset) : -ENOMEM;
        /* a page of 0 holds nothing: there is no page after it, nor
         * before (the total alone) */
        if (r >= 0 && p->count > 0 && (size_t)p->offset + (size_t)p->count < total)
                r = add_link(links, "next", req, p->count, p->offset + p->count);
        if (r >= 0 && p->offset > 0 && p->count != 0)
                r = add_link(links, "previous", req, p->count,
                             p->count < 0 || p->offset < p->count ? 0 : p->offset - p->count);
        if (r < 0) {
                json_decref(links);
                return NULL;
        }
        return links;
}
