/* http/router.c: route dispatch, the error shape, and the helpers handlers
 * use to read a request. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/readall.h"
#include "lib/utf8.h"
#include "router.h"

/* Wipes and frees a body of bytes. */
static void drop_data(struct api_reply *r) {
        if (r->data)
                secure_zero(r->data, r->data_len);
        free(r->data);
        r->data = NULL;
        r->data_len = 0;
        r->data_type[0] = '\0';
}

int api_ok(struct api_reply *ret, unsigned status, json_t *body) {
        if (!body)
                return -ENOMEM;
        json_decref(ret->body);
        drop_data(ret); /* an error after a body of bytes: the error is the reply */
        ret->status = status;
        ret->body = body;
        return 0;
}

int api_ok_data(struct api_reply *ret, unsigned status, const char *media_type, char *data, size_t len) {
        if (!data)
                return -ENOMEM;
        api_reply_clear(ret);
        ret->status = status;
        ret->data = data;
        ret->data_len = len;
        (void)strcpy_bounded(ret->data_type, sizeof(ret->data_type),
                             media_type && media_type[0] ? media_type : "application/octet-stream");
        return 0;
}

int api_ok_stream(struct api_reply *ret, const struct api_stream *stream) {
        if (!stream || !stream->read || !stream->content_type) {
                if (stream && stream->free)
                        stream->free(stream->userdata);
                return -EINVAL;
        }
        api_reply_clear(ret);
        ret->status = 200;
        ret->stream = *stream;
        return 0;
}

size_t api_text_clean(char *s, size_t max) {
        size_t len = strlen(s), in = 0, out = 0;
        while (in < len) {
                size_t k = utf8_seq((const unsigned char *)s + in, len - in);
                if (k == 0) {
                        in++; /* a cut or invalid sequence: dropped */
                        continue;
                }
                if (out + k > max)
                        break;
                memmove(s + out, s + in, k);
                out += k;
                in += k;
        }
        s[out] = '\0';
        return out;
}

const char *api_quote(char *buf, size_t size, const char *s, size_t max) {
        if (size == 0)
                return "";
        snprintf(buf, size, "%s", s ? s : "");
        api_text_clean(buf, max < size ? max : size - 1);
        return buf;
}

static int api_errorv(struct api_reply *ret, unsigned status, const char *code, json_t *details,
                      const char *fmt, va_list ap) {
        char msg[512];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        /* a message quoting the caller's input, cut by a precision or by
         * msg's size, may end inside a character: jansson would refuse it */
        api_text_clean(msg, sizeof(msg) - 1);
        json_t *e = json_pack("{s:s,s:s}", "code", code, "message", msg);
        if (e && details && json_object_set(e, "details", details) < 0) {
                json_decref(e);
                e = NULL;
        }
        json_decref(details);
        return api_ok(ret, status, e ? json_pack("{s:o}", "error", e) : NULL);
}

int api_error(struct api_reply *ret, unsigned status, const char *code, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = api_errorv(ret, status, code, NULL, fmt, ap);
        va_end(ap);
        return r;
}

int api_error_details(struct api_reply *ret, unsigned status, const char *code, json_t *details,
                      const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = api_errorv(ret, status, code, details, fmt, ap);
        va_end(ap);
        return r;
}

void api_reply_clear(struct api_reply *r) {
        json_decref(r->body);
        r->body = NULL;
        r->status = 0;
        r->allow[0] = '\0';
        r->warning[0] = '\0';
        r->etag[0] = '\0';
        r->last_modified[0] = '\0';
        r->content_type = NULL;
        r->vary[0] = '\0';
        if (r->stream.free)
                r->stream.free(r->stream.userdata);
        memset(&r->stream, 0, sizeof(r->stream));
        drop_data(r);
}

const char api_http_months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

const char *api_http_date(int64_t t, char buf[API_HTTP_DATE_SIZE]) {
        static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        time_t tt = (time_t)t;
        struct tm tm;
        if (!gmtime_r(&tt, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
                tt = 0;
                gmtime_r(&tt, &tm);
        }
        /* not strftime(): %a and %b follow the locale */
        snprintf(buf, API_HTTP_DATE_SIZE, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
                 api_http_months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        return buf;
}

void api_set_last_modified(struct api_reply *ret, int64_t t) {
        int64_t now = (int64_t)time(NULL);
        api_http_date(t < now ? t : now, ret->last_modified);
}

static bool is_template(const char *seg, size_t len) {
        return len >= 3 && seg[0] == '{' && seg[len - 1] == '}';
}

int api_route_match(const char *template, const char *path, char *buf, size_t buf_size,
                    struct api_kv *params, size_t max) {
        size_t n = 0;
        const char *t = template, *p = path;

        /* matched on the path itself: most routes fail at once, and copy nothing */
        for (;;) {
                /* both at the start of a segment, just after a '/' (or at the start) */
                size_t tl = strcspn(t, "/"), pl = strcspn(p, "/");
                if (is_template(t, tl)) {
                        if (pl == 0 || n >= max)
                                return -ENOENT;
                        /* the name inside the template, ended by '}' rather than NUL */
                        params[n].name = t + 1;
                        params[n].value = p; /* into path until the copy below */
                        n++;
                } else if (tl != pl || memcmp(t, p, tl) != 0)
                        return -ENOENT;
                bool t_end = t[tl] == '\0', p_end = p[pl] == '\0';
                if (t_end || p_end) {
                        if (!t_end || !p_end)
                                return -ENOENT;
                        break;
                }
                t += tl + 1;
                p += pl + 1;
        }
        /* the values: NUL-terminated segments of a copy of the path */
        if (strcpy_bounded(buf, buf_size, path) < 0)
                return -ENOENT;
        for (char *c = buf; *c; c++)
                if (*c == '/')
                        *c = '\0';
        for (size_t i = 0; i < n; i++)
                params[i].value = buf + (params[i].value - path);
        return (int)n;
}

const char *api_path_param(const struct api_request *req, const char *name) {
        for (size_t i = 0; i < req->n_params; i++)
                if (strcmp(req->params[i].name, name) == 0)
                        return req->params[i].value;
        return NULL;
}

const char *api_query(const struct api_request *req, const char *name) {
        for (size_t i = 0; i < req->n_query; i++)
                if (strcmp(req->query[i].name, name) == 0)
                        return req->query[i].value ? req->query[i].value : "";
        return NULL;
}

const char *api_header(const struct api_request *req, const char *name) {
        for (size_t i = 0; i < req->n_headers; i++)
                if (strcasecmp(req->headers[i].name, name) == 0)
                        return req->headers[i].value;
        return NULL;
}

static bool name_in(const char *name, const char *const allowed[]) {
        for (size_t i = 0; allowed && allowed[i]; i++)
                if (strcmp(name, allowed[i]) == 0)
                        return true;
        return false;
}

int api_check_query(const struct api_request *req, const char *const allowed[], struct api_reply *err) {
        char q[API_QUOTE_MAX + 1];
        for (size_t i = 0; i < req->n_query; i++) {
                if (name_in(req->query[i].name, allowed))
                        continue;
                int r = api_error_details(err, 400, "unknown_parameter",
                                          json_pack("{s:s}", "parameter", req->query[i].name),
                                          "unknown query parameter '%s' for %s %s",
                                          api_quote(q, sizeof(q), req->query[i].name, API_QUOTE_MAX),
                                          req->method, req->path);
                return r < 0 ? r : -EINVAL;
        }
        return 0;
}

int api_body_json(const struct api_request *req, json_t **ret, struct api_reply *err) {
        json_error_t je;
        int r;

        if (!req->body || req->body_len == 0) {
                r = api_error(err, 400, "bad_json", "a JSON object is expected in the request body");
                return r < 0 ? r : -EINVAL;
        }
        /* jansson refuses invalid UTF-8 and, without JSON_ALLOW_NUL, "\u0000" */
        json_t *j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
        if (!j) {
                r = api_error_details(err, 400, "bad_json",
                                      json_pack("{s:i,s:i}", "line", je.line, "column", je.column),
                                      "the body is not valid JSON: %s (line %d, column %d)", je.text,
                                      je.line, je.column);
                return r < 0 ? r : -EINVAL;
        }
        if (!json_is_object(j)) {
                json_decref(j);
                r = api_error(err, 400, "bad_json", "the body must be a JSON object");
                return r < 0 ? r : -EINVAL;
        }
        *ret = j;
        return 0;
}

int api_check_fields(const json_t *obj, const char *const allowed[], struct api_reply *err) {
        const char *key;
        json_t *v;
        char q[API_QUOTE_MAX + 1];

        json_object_foreach((json_t *)obj, key, v) {
                if (name_in(key, allowed))
                        continue;
                int r = api_error_details(err, 400, "unknown_field", json_pack("{s:s}", "field", key),
                                          "unknown field '%s'", api_quote(q, sizeof(q), key, API_QUOTE_MAX));
                return r < 0 ? r : -EINVAL;
        }
        return 0;
}

/* Whether route a is more specific than route b for the same path: at the
 * first segment where one is literal and the other a template, the literal
 * wins. */
static bool more_specific(const char *a, const char *b) {
        for (;;) {
                size_t al = strcspn(a, "/"), bl = strcspn(b, "/");
                bool at = is_template(a, al), bt = is_template(b, bl);
                if (at != bt)
                        return !at;
                if (!a[al] || !b[bl])
                        return false;
                a += al + 1;
                b += bl + 1;
        }
}

static void allow_add(struct api_reply *ret, const char *method) {
        size_t len = strlen(ret->allow);
        if (strstr(ret->allow, method))
                return;
        snprintf(ret->allow + len, sizeof(ret->allow) - len, "%s%s", len ? ", " : "", method);
        if (strcmp(method, "GET") == 0)
                allow_add(ret, "HEAD");
}

/* Whether a route of method rt_method answers a request's method: HEAD
 * is GET without the body (RFC 9110 9.3.2), which libmicrohttpd leaves
 * out of the reply. */
static bool method_matches(const char *rt_method, const char *method) {
        return strcmp(rt_method, method) == 0 || (strcmp(method, "HEAD") == 0 && strcmp(rt_method, "GET") == 0);
}

/* Whether some route of the table answers method, on any path (HEAD with
 * the GET routes): RFC 9110 9.1 and 15.6.2, a method the server
 * implements for no resource is 501 rather than 405.  Methods are
 * case-sensitive (9.1): "get" is not GET. */
static bool method_implemented(const struct api_table *t, const char *method) {
        for (size_t i = 0; i < t->n; i++)
                if (method_matches(t->routes[i].method, method))
                        return true;
        return false;
}

/* The most specific route of the request's method whose template matches
 * req->path: its index, with the captured params (values in buf, a copy of
 * the path of len bytes); -ENOENT with ret->allow listing the methods of
 * the routes that match with another method. */
static int find_route(const struct api_table *t, const struct api_request *req, char **buf, size_t len,
                      struct api_kv params[API_PARAMS_MAX], int *n_params, struct api_reply *ret) {
        struct api_kv scratch[API_PARAMS_MAX];
        _cleanup_free_ char *tmp = malloc(len);
        int best = -ENOENT;

        if (!tmp)
                return -ENOMEM;
        for (size_t i = 0; i < t->n; i++) {
                const struct api_route *rt = &t->routes[i];
                /* match into the scratch copy first: the best match so far stays intact */
                int k = api_route_match(rt->path, req->path, tmp, len, scratch, API_PARAMS_MAX);
                if (k < 0)
                        continue;
                if (!method_matches(rt->method, req->method)) {
                        allow_add(ret, rt->method);
                        continue;
                }
                if (best >= 0 && !more_specific(rt->path, t->routes[best].path))
                        continue;
                best = (int)i;
                *n_params = k;
                char *swap = *buf;
                *buf = tmp;
                tmp = swap;
                memcpy(params, scratch, sizeof(scratch));
        }
        return best;
}

/* 400 bad_parameter for a query parameter given twice: two layers could
 * read different values. */
static int check_query_unique(const struct api_request *req, struct api_reply *ret) {
        char q[API_QUOTE_MAX + 1];
        for (size_t i = 0; i < req->n_query; i++)
                for (size_t j = i + 1; j < req->n_query; j++)
                        if (strcmp(req->query[i].name, req->query[j].name) == 0)
                                return api_error_details(ret, 400, "bad_parameter",
                                                         json_pack("{s:s}", "parameter", req->query[i].name),
                                                         "query parameter '%s' given more than once",
                                                         api_quote(q, sizeof(q), req->query[i].name,
                                                                   API_QUOTE_MAX)) < 0 ? -ENOMEM : -EINVAL;
        return 0;
}

/* 400 bad_encoding for a path or a query parameter (name or value) that
 * is not UTF-8 once percent-decoded: no handler ever sees one, and no
 * error message quotes one. */
static int check_encoding(const struct api_request *req, struct api_reply *ret) {
        if (!utf8_valid(req->path, strlen(req->path)))
                return api_error(ret, 400, "bad_encoding", "the path is not valid UTF-8") < 0 ? -ENOMEM : -EINVAL;
        for (size_t i = 0; i < req->n_query; i++) {
                const char *n = req->query[i].name, *v = req->query[i].value ? req->query[i].value : "";
                if (!utf8_valid(n, strlen(n)) || !utf8_valid(v, strlen(v)))
                        return api_error(ret, 400, "bad_encoding",
                                         "query parameter %zu is not valid UTF-8", i + 1) < 0 ? -ENOMEM : -EINVAL;
        }
        return 0;
}

static int dispatch(const struct api_table *t, const struct api_request *req, struct api_reply *ret) {
        struct api_kv params[API_PARAMS_MAX];
        int n_params = 0;

        memset(ret, 0, sizeof(*ret));
        int e = check_encoding(req, ret);
        if (e < 0)
                return e == -ENOMEM ? e : 0;
        if (!method_implemented(t, req->method)) {
                char m[API_QUOTE_MAX + 1];
                return api_error_details(ret, 501, "not_implemented",
                                         json_pack("{s:s}", "method", api_quote(m, sizeof(m), req->method,
                                                                                  API_QUOTE_MAX)),
                                         "the method %s is not implemented by this server, on any resource",
                                         m);
        }
        size_t len = strlen(req->path) + 1;
        _cleanup_free_ char *buf = malloc(len);
        if (!buf)
                return -ENOMEM;
        int i = find_route(t, req, &buf, len, params, &n_params, ret);
        if (i == -ENOMEM)
                return i;
        if (i < 0) {
                if (ret->allow[0])
                        return api_error(ret, 405, "method_not_allowed", "%s is not allowed on %s (allowed: %s)",
                                         req->method, req->path, ret->allow);
                char q[257];
                return api_error(ret, 404, "not_found", "no such resource: %s %s", req->method,
                                 api_quote(q, sizeof(q), req->path, sizeof(q) - 1));
        }
        const struct api_route *best = &t->routes[i];
        ret->allow[0] = '\0';
        int q = check_query_unique(req, ret);
        if (q < 0)
                return q == -ENOMEM ? q : 0;

        /* NUL-terminated copies of the template names for the handler */
        char names[API_PARAMS_MAX][32];
        for (int k = 0; k < n_params; k++) {
                size_t nl = strcspn(params[k].name, "}");
                snprintf(names[k], sizeof(names[k]), "%.*s", (int)nl, params[k].name);
                params[k].name = names[k];
        }
        struct api_request r = *req;
        r.method = best->method; /* GET for a HEAD */
        r.params = params;
        r.n_params = (size_t)n_params;
        int rc = t->invoke ? t->invoke(best, &r, ret) : best->handler(&r, ret);
        ret->route = best->path;
        if (rc < 0 && !ret->body && !ret->stream.read && !ret->data)
                return api_error(ret, 500, "internal", "internal error: %s", strerror(-rc));
        return 0;
}

const struct api_route *api_route_find(const struct api_table *t, const char *method, const char *path) {
        struct api_request req = {.method = method, .path = path};
        struct api_kv params[API_PARAMS_MAX];
        struct api_reply scratch = {0};
        int n_params = 0;
        size_t len = strlen(path) + 1;
        _cleanup_free_ char *buf = malloc(len);
        if (!buf)
                return NULL;
        int i = find_route(t, &req, &buf, len, params, &n_params, &scratch);
        return i >= 0 ? &t->routes[i] : NULL;
}

int api_spool_read(const struct api_spool *sp, char **ret) {
        return pread_whole(sp->fd, sp->len, ret);
}

int api_dispatch(const struct api_table *t, const struct api_request *req, struct api_reply *ret) {
        int r = dispatch(t, req, ret);
        if (r == 0 && t->finish)
                return t->finish(req, ret);
        return r;
}
