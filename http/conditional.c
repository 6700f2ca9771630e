/* http/conditional.c: conditional GETs; see conditional.h. */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/civil-time.h"
#include "lib/macro.h"
#include "conditional.h"

#define OWS " \t"

/* etagc = %x21 / %x23-7E / obs-text (RFC 9110 8.8.3) */
static bool etagc(unsigned char c) {
        return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

/* The entity-tag at *p ([W/] DQUOTE *etagc DQUOTE): its opaque tag
 * (quotes included) in *ret_tag and *ret_len, *p moved past it; -EINVAL
 * when there is none. */
static int entity_tag(const char **p, const char **ret_tag, size_t *ret_len) {
        const char *t = *p;
        if (strncmp(t, "W/", 2) == 0)
                t += 2;
        if (*t != '"')
                return -EINVAL;
        const char *e = t + 1;
        while (*e && *e != '"' && etagc((unsigned char)*e))
                e++;
        if (*e != '"')
                return -EINVAL;
        *ret_tag = t;
        *ret_len = (size_t)(e + 1 - t);
        *p = e + 1;
        return 0;
}

bool api_etag_listed(const char *list, const char *etag) {
        const char *want, *p = etag ? etag : "", *t;
        size_t want_len, n;

        if (!list || entity_tag(&p, &want, &want_len) < 0 || *p)
                return false;
        p = list + strspn(list, OWS);
        if (*p == '*')
                return p[1 + strspn(p + 1, OWS)] == '\0';
        /* #entity-tag: elements separated by commas, empty ones allowed */
        bool found = false;
        for (;;) {
                p += strspn(p, OWS ",");
                if (!*p)
                        return found;
                if (entity_tag(&p, &t, &n) < 0)
                        return false; /* a malformed list names nothing */
                found |= n == want_len && memcmp(t, want, n) == 0;
                p += strspn(p, OWS);
                if (*p && *p != ',')
                        return false;
        }
}

/* The month (1 to 12) of the three letters at s, or -1. */
static int month_of(const char *s) {
        for (int i = 0; i < 12; i++)
                if (strncmp(s, api_http_months[i], 3) == 0)
                        return i + 1;
        return -1;
}

/* Whether the n bytes at s are a day name: the three letters, or (long)
 * the whole name. */
static bool day_name(const char *s, size_t n, bool long_name) {
        static const char *const days[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                           "Friday", "Saturday", "Sunday"};
        for (size_t i = 0; i < ELEMENTSOF(days); i++)
                if (long_name ? strlen(days[i]) == n && strncmp(s, days[i], n) == 0
                              : n == 3 && strncmp(s, days[i], 3) == 0)
                        return true;
        return false;
}

/* "hh:mm:ss" at s into *ret (seconds of the day): 0 or -EINVAL. */
static int time_of_day(const char *s, int *ret) {
        int h = decimal_digits(s, 2), m = decimal_digits(s + 3, 2), sec = decimal_digits(s + 6, 2);
        if (s[2] != ':' || s[5] != ':' || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60)
                return -EINVAL;
        *ret = h * 3600 + m * 60 + (sec == 60 ? 59 : sec); /* a leap second, as the one before */
        return 0;
}

int api_http_date_parse(const char *s, int64_t *ret) {
        size_t len = s ? strlen(s) : 0;
        int y, mo, d, tod;
        const char *comma = s ? strchr(s, ',') : NULL;

        if (len == 29 && comma == s + 3) {
                /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
                if (!day_name(s, 3, false) || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
                    s[25] != ' ' || strcmp(s + 26, "GMT") != 0 || time_of_day(s + 17, &tod) < 0)
                        return -EINVAL;
                d = decimal_digits(s + 5, 2), mo = month_of(s + 8), y = decimal_digits(s + 12, 4);
        } else if (comma && len == (size_t)(comma - s) + 24) {
                /* rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT" */
                const char *p = comma + 2;
                if (!day_name(s, (size_t)(comma - s), true) || comma[1] != ' ' || p[2] != '-' || p[6] != '-' ||
                    p[9] != ' ' || p[18] != ' ' || strcmp(p + 19, "GMT") != 0 || time_of_day(p + 10, &tod) < 0)
                        return -EINVAL;
                d = decimal_digits(p, 2), mo = month_of(p + 3), y = decimal_digits(p + 7, 2);
                if (y >= 0) {
                        /* RFC 9110 5.6.7: a year that seems more than 50 years
                         * ahead is the last one in the past of those digits */
                        time_t now = time(NULL);
                        struct tm tm;
                        int cur = gmtime_r(&now, &tm) ? tm.tm_year + 1900 : 1970;
                        y += cur - cur % 100;
                        if (y > cur + 50)
                                y -= 100;
                }
        } else if (len == 24 && !comma) {
                /* asctime-date: "Sun Nov  6 08:49:37 1994" */
                if (!day_name(s, 3, false) || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[19] != ' ' ||
                    time_of_day(s + 11, &tod) < 0)
                        return -EINVAL;
                mo = month_of(s + 4), y = decimal_digits(s + 20, 4);
                d = s[8] == ' ' ? decimal_digits(s + 9, 1) : decimal_digits(s + 8, 2);
        } else
                return -EINVAL;
        if (y < 0 || mo < 0 || d < 1 || d > civil_month_days(y, mo))
                return -EINVAL;
        *ret = civil_days_from_date(y, mo, d) * 86400 + tod;
        return 0;
}

bool api_not_modified(const struct api_request *req, const char *etag, int64_t modified) {
        bool none_match = false, listed = false;
        const char *since = NULL;

        if (!etag || !etag[0] || strcmp(req->method, "GET") != 0)
                return false;
        /* If-None-Match as one list, however many fields carry it (RFC
         * 9110 5.3); If-Modified-Since only without it (13.2.2), and only
         * as one field */
        size_t n_since = 0;
        for (size_t i = 0; i < req->n_headers; i++) {
                const struct api_kv *h = &req->headers[i];
                if (strcasecmp(h->name, "If-None-Match") == 0) {
                        none_match = true;
                        listed |= api_etag_listed(h->value, etag);
                } else if (strcasecmp(h->name, "If-Modified-Since") == 0) {
                        since = h->value;
                        n_since++;
                }
        }
        if (none_match)
                return listed;
        int64_t t, now = (int64_t)time(NULL);
        if (modified < 0 || n_since != 1 || api_http_date_parse(since, &t) < 0)
                return false;
        return (modified < now ? modified : now) <= t;
}

int api_reply_not_modified(struct api_reply *ret, const char *etag) {
        char tag[API_ETAG_SIZE];
        (void)strcpy_bounded(tag, sizeof(tag), etag);
        api_reply_clear(ret);
        ret->status = 304;
        (void)strcpy_bounded(ret->etag, sizeof(ret->etag), tag);
        return 0;
}
