/* api/replies.c: engine failures as replies, and the values every
 * resource writes or reads the same way (replies.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "context.h"
#include "lib/macro.h"
#include "call.h"
#include "replies.h"

unsigned res_denial_status(enum access_reason reason, const char **ret_code) {
        static const struct {
                enum access_reason reason;
                unsigned status;
                const char *code;
        } map[] = {
                {ACCESS_DENY_NO_DOSSIER, 404, "no_dossier"},
                {ACCESS_DENY_NO_DOCUMENT, 404, "no_such_document"},
                {ACCESS_DENY_HIDDEN_FROM_PATIENT, 404, "no_such_document"},
                {ACCESS_DENY_HIDDEN_FROM_REPRESENTATIVES, 404, "no_such_document"},
                {ACCESS_DENY_DOSSIER_EXISTS, 409, "dossier_exists"},
                {ACCESS_DENY_CLOSED, 409, "dossier_closed"},
                {ACCESS_DENY_DESTROYED, 409, "dossier_destroyed"},
                {ACCESS_DENY_DOC_NOT_CURRENT, 409, "document_not_current"},
                {ACCESS_DENY_BAD_SECRET, 401, "bad_secret"},
                {ACCESS_DENY_UNDER_16, 403, "under_16"},
                {ACCESS_DENY_DECEASED, 409, "patient_deceased"},
                {ACCESS_DENY_NOT_DECEASED, 409, "not_deceased"},
        };
        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (map[i].reason == reason) {
                        *ret_code = map[i].code;
                        return map[i].status;
                }
        *ret_code = "access_denied";
        return 403;
}

int res_engine_fail(struct api_reply *ret, const struct dossier_engine *e, int r) {
        if (r == -EACCES || r == -ENOENT) {
                const struct access_decision *d = dossier_last_decision(e);
                enum access_reason reason = d ? d->reason : ACCESS_DENY_INVALID;
                const char *code;
                unsigned status = res_denial_status(reason, &code);
                /* a document held back does not exist for the patient: say so
                 * without the reason that would reveal it; so is one a minor
                 * withheld from their legal representatives (L1111-5) */
                if (reason == ACCESS_DENY_HIDDEN_FROM_PATIENT || reason == ACCESS_DENY_HIDDEN_FROM_REPRESENTATIVES)
                        reason = ACCESS_DENY_NO_DOCUMENT;
                if (reason == ACCESS_DENY_UNDER_16)
                        return api_error_details(ret, status, code,
                                                 json_pack("{s:s}", "reason", access_reason_name(reason)),
                                                 "self-access to the dossier starts at 16 (docs/rules.md §3): "
                                                 "until then a professional or a legal representative acts");
                return api_error_details(ret, status, code, json_pack("{s:s}", "reason", access_reason_name(reason)),
                                         "%s: %s", status == 403 ? "refused by the access rules" : "not possible",
                                         access_reason_name(reason));
        }
        switch (r) {
        case -EINVAL:
                return api_error(ret, 400, "bad_field",
                                 "a value is not valid (empty, control characters, invalid UTF-8 or a malformed code)");
        case -E2BIG:
                return api_error(ret, 413, "too_large", "a value or the content is larger than carnet accepts");
        case -EBADMSG:
                return api_error(ret, 500, "integrity_error",
                                 "the stored data failed its integrity check; nothing was changed");
        case -EBUSY:
                return api_error(ret, 503, "database_busy", "the dossier store is busy; try again");
        case -ENOTCONN:
        case -ECONNREFUSED:
                return api_error(ret, 503, "store_unavailable",
                                 "the dossier store (database) cannot be reached; nothing was changed: try again");
        default:
                return api_error(ret, 500, "internal", "internal error (%s); nothing was changed", strerror(-r));
        }
}

int res_page_limit(const struct api_request *req, size_t *ret, struct api_reply *err) {
        const char *q = api_query(req, "limit");
        size_t n = q ? strlen(q) : 0;
        long v = n && n <= 4 && strspn(q, "0123456789") == n ? strtol(q, NULL, 10) : 0;

        *ret = RES_PAGE_MAX;
        if (!q)
                return 0;
        if (v < 1 || v > RES_PAGE_MAX) {
                int r = api_error_details(err, 400, "bad_parameter", json_pack("{s:s}", "parameter", "limit"),
                                          "limit must be a whole number from 1 to %d", RES_PAGE_MAX);
                return r < 0 ? r : -EINVAL;
        }
        *ret = (size_t)v;
        return 0;
}

static bool all_digits(const char *s, size_t n) {
        return strlen(s) >= n && strspn(s, "0123456789") >= n;
}

int res_parse_time(const char *s, int64_t *ret) {
        struct tm tm = {0};
        size_t n = s ? strlen(s) : 0;

        if (n == 0)
                return -EINVAL;
        if (strspn(s, "0123456789") == n) {
                if (n > 12)
                        return -EINVAL;
                *ret = strtoll(s, NULL, 10);
                return 0;
        }
        if ((n != 10 && n != 20) || !all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2) || s[7] != '-' ||
            !all_digits(s + 8, 2))
                return -EINVAL;
        tm.tm_year = atoi(s) - 1900;
        tm.tm_mon = atoi(s + 5) - 1;
        tm.tm_mday = atoi(s + 8);
        if (n == 20) {
                if (s[10] != 'T' || !all_digits(s + 11, 2) || s[13] != ':' || !all_digits(s + 14, 2) || s[16] != ':' ||
                    !all_digits(s + 17, 2) || s[19] != 'Z')
                        return -EINVAL;
                tm.tm_hour = atoi(s + 11);
                tm.tm_min = atoi(s + 14);
                tm.tm_sec = atoi(s + 17);
        }
        if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
                return -EINVAL;
        int mday = tm.tm_mday;
        time_t t = timegm(&tm);
        if (tm.tm_mday != mday) /* 31 February and the like */
                return -EINVAL;
        *ret = (int64_t)t;
        return 0;
}


json_t *res_str_or_null(const char *s) {
        return s && *s ? json_string(s) : json_null();
}

json_t *res_time_or_null(int64_t t) {
        return t ? json_integer((json_int_t)t) : json_null();
}

int res_bad_field(struct api_reply *ret, unsigned status, const char *code, const char *field, const char *fmt, ...) {
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return api_error_details(ret, status, code, json_pack("{s:s}", "field", field), "%s", msg);
}

int res_list(const struct api_request *req, struct api_reply *ret, res_walk walk, const char *key,
             const char *value, const char *member, bool count) {
        const struct api_call *c = req->call;
        json_t *list = json_array();

        if (!list)
                return -ENOMEM;
        int r = walk(c, list);
        if (r < 0) {
                json_decref(list);
                return res_engine_fail(ret, c->engine, r);
        }
        if (count)
                return api_ok(ret, 200, json_pack("{s:s,s:I,s:o}", key, value, "count",
                                                  (json_int_t)json_array_size(list), member, list));
        return api_ok(ret, 200, json_pack("{s:s,s:o}", key, value, member, list));
}

int res_ok_bytes(struct api_reply *ret, unsigned status, const char *content_type, uint8_t *buf, size_t len) {
        /* a content of length 0 still needs a buffer to hand over */
        if (!buf && len == 0)
                buf = malloc(1);
        return api_ok_data(ret, status, content_type, (char *)buf, len);
}
