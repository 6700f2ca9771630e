/* lib/jsonw.c: JSON text written straight into a buffer; see jsonw.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "macro.h"
#include "utf8.h"

void jw_init(struct jw *w, size_t max) {
        *w = (struct jw){.max = max, .first = true};
}

/* Room for n more bytes (and the final newline and NUL), or the error set. */
static bool room(struct jw *w, size_t n) {
        if (w->error)
                return false;
        if (n > w->max || w->len + 2 > w->max - n) {
                w->error = -E2BIG;
                return false;
        }
        if (w->len + n + 2 <= w->cap)
                return true;
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n + 2)
                cap = cap > w->max / 2 ? w->max : cap * 2;
        int r = secure_grow(&w->buf, w->len, &w->cap, cap);
        if (r < 0)
                w->error = r;
        return r == 0;
}

static void put(struct jw *w, const char *s, size_t n) {
        if (!room(w, n))
                return;
        memcpy(w->buf + w->len, s, n);
        w->len += n;
}

/* The separator before a value: none after a key or first in its container. */
static void sep(struct jw *w) {
        if (w->after_key)
                w->after_key = false;
        else if (!w->first)
                put(w, ",", 1);
        w->first = false;
}

static void open_with(struct jw *w, char c) {
        sep(w);
        put(w, &c, 1);
        w->first = true;
}

static void close_with(struct jw *w, char c) {
        put(w, &c, 1);
        w->first = false;
}

void jw_object_begin(struct jw *w) {
        open_with(w, '{');
}

void jw_object_end(struct jw *w) {
        close_with(w, '}');
}

void jw_array_begin(struct jw *w) {
        open_with(w, '[');
}

void jw_array_end(struct jw *w) {
        close_with(w, ']');
}

/* The letter of c's two-byte escape (\n...), or 0: \u00XX. */
static char short_escape(unsigned char c) {
        switch (c) {
        case '"': return '"';
        case '\\': return '\\';
        case '\b': return 'b';
        case '\f': return 'f';
        case '\n': return 'n';
        case '\r': return 'r';
        case '\t': return 't';
        default: return 0;
        }
}

static bool needs_escape(unsigned char c) {
        return c < 0x20 || c == '"' || c == '\\';
}

/* s as a JSON string, quotes included, escaped as jansson does; -EINVAL
 * when it is not valid UTF-8 (checked only when it is not all ASCII). */
static void quoted(struct jw *w, const char *s, size_t n) {
        static const char hex[] = "0123456789ABCDEF";
        size_t need = n + 2;
        unsigned char high = 0;

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                high |= c;
                if (needs_escape(c))
                        need += short_escape(c) ? 1 : 5;
        }
        if ((high & 0x80) && !w->error && !utf8_valid(s, n))
                w->error = -EINVAL;
        if (!room(w, need))
                return;
        char *o = w->buf + w->len;
        *o++ = '"';
        if (need == n + 2) { /* nothing to escape: the common case */
                memcpy(o, s, n);
                o[n] = '"';
                w->len += n + 2;
                return;
        }
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (!needs_escape(c)) {
                        *o++ = (char)c;
                        continue;
                }
                *o++ = '\\';
                char e = short_escape(c);
                if (e) {
                        *o++ = e;
                        continue;
                }
                *o++ = 'u';
                *o++ = '0';
                *o++ = '0';
                *o++ = hex[c >> 4];
                *o++ = hex[c & 0xf];
        }
        *o++ = '"';
        w->len = (size_t)(o - w->buf);
}

void jw_key(struct jw *w, const char *name) {
        size_t n = strlen(name);
        sep(w);
        /* a literal of the caller's: copied as it is, no escaping */
        if (room(w, n + 3)) {
                char *o = w->buf + w->len;
                o[0] = '"';
                memcpy(o + 1, name, n);
                o[n + 1] = '"';
                o[n + 2] = ':';
                w->len += n + 3;
        }
        w->after_key = true;
}

void jw_string(struct jw *w, const char *s) {
        if (!s) {
                jw_null(w);
                return;
        }
        sep(w);
        quoted(w, s, strlen(s));
}

void jw_reserve_front(struct jw *w, size_t n) {
        if (w->len || w->front) {
                if (!w->error)
                        w->error = -EINVAL;
                return;
        }
        if (!room(w, n))
                return;
        memset(w->buf, ' ', n);
        w->len = w->front = n;
}

void jw_front(struct jw *w, struct jw *head) {
        if (head->error && !w->error)
                w->error = head->error;
        if (!w->error && head->len > w->front)
                w->error = -E2BIG;
        if (!w->error) {
                size_t gap = w->front - head->len;
                if (head->len)
                        memcpy(w->buf + gap, head->buf, head->len);
                memmove(w->buf, w->buf + gap, w->len - gap);
                secure_zero(w->buf + w->len - gap, gap);
                w->len -= gap;
                w->front = 0;
        }
        jw_done(head);
}

void jw_int(struct jw *w, int64_t v) {
        char d[24], *p = d + sizeof(d);
        /* in unsigned arithmetic, so that INT64_MIN has its digits too */
        uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
        do {
                *--p = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (v < 0)
                *--p = '-';
        sep(w);
        put(w, p, (size_t)(d + sizeof(d) - p));
}

void jw_bool(struct jw *w, bool v) {
        sep(w);
        put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w) {
        sep(w);
        put(w, "null", 4);
}

void jw_kstr(struct jw *w, const char *key, const char *s) {
        jw_key(w, key);
        jw_string(w, s);
}

void jw_kstr_or_null(struct jw *w, const char *key, const char *s) {
        jw_key(w, key);
        jw_string(w, s && *s ? s : NULL);
}

void jw_kint(struct jw *w, const char *key, int64_t v) {
        jw_key(w, key);
        jw_int(w, v);
}

void jw_kbool(struct jw *w, const char *key, bool v) {
        jw_key(w, key);
        jw_bool(w, v);
}

void jw_done(struct jw *w) {
        if (w->buf)
                secure_zero(w->buf, w->cap);
        free(w->buf);
        w->buf = NULL;
        w->len = w->cap = w->front = 0;
}

int jw_finish(struct jw *w, char **ret, size_t *ret_len) {
        if (!w->error && (!w->buf || w->front))
                w->error = -EINVAL; /* nothing written, or a front never filled */
        if (!w->error && room(w, 0)) {
                /* room() kept two bytes past len for these */
                w->buf[w->len++] = '\n';
                w->buf[w->len] = '\0';
        }
        if (w->error) {
                int r = w->error;
                jw_done(w);
                return r;
        }
        *ret = TAKE_PTR(w->buf);
        *ret_len = w->len;
        w->len = w->cap = 0;
        return 0;
}
