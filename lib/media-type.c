/* lib/media-type.c: media types and Accept lists; see media-type.h. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "media-type.h"

/* RFC 9110 5.6.2: tchar. */
static size_t token_len(const char *s, const char *end) {
        static const char extra[] = "!#$%&'*+-.^_`|~";
        const char *p = s;
        while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                           (*p && strchr(extra, *p))))
                p++;
        return (size_t)(p - s);
}

static const char *skip_ows(const char *p, const char *end) {
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        return p;
}

/* A quoted string from its opening quote: the byte after its closing
 * quote, or NULL when it does not close before end. */
static const char *quoted_end(const char *p, const char *end) {
        for (p++; p < end; p++)
                if (*p == '\\' && p + 1 < end)
                        p++;
                else if (*p == '"')
                        return p + 1;
        return NULL;
}

/* RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ),
 * in thousandths; -1 otherwise. */
static int qvalue(const char *s, size_t n) {
        if (n == 0 || (s[0] != '0' && s[0] != '1') || (n > 1 && (s[1] != '.' || n > 5)))
                return -1;
        int v = (s[0] - '0') * MEDIA_Q_MAX, scale = 100;
        for (size_t i = 2; i < n; i++, scale /= 10) {
                if (s[i] < '0' || s[i] > '9' || (s[0] == '1' && s[i] != '0'))
                        return -1;
                v += (s[i] - '0') * scale;
        }
        return v;
}

int media_type_parse(const char *s, size_t len, struct media_type *ret) {
        const char *end = s + len, *p = skip_ows(s, end);
        struct media_type m = {.type = p, .subtype = "", .q = MEDIA_Q_MAX};

        m.type_len = token_len(p, end);
        if (m.type_len == 0)
                return -EINVAL;
        p += m.type_len;
        if (p < end && *p == '/') {
                m.subtype = ++p;
                m.subtype_len = token_len(p, end);
                if (m.subtype_len == 0)
                        return -EINVAL;
                p += m.subtype_len;
        }
        for (;;) {
                p = skip_ows(p, end);
                if (p == end)
                        break;
                if (*p != ';')
                        return -EINVAL;
                p = skip_ows(p + 1, end);
                if (p == end) /* a trailing ';' */
                        break;
                size_t nl = token_len(p, end);
                const char *name = p, *value;
                if (nl == 0 || p + nl >= end || p[nl] != '=')
                        return -EINVAL;
                value = p += nl + 1;
                if (p < end && *p == '"')
                        p = quoted_end(p, end);
                else
                        p += token_len(p, end);
                if (!p || p == value)
                        return -EINVAL;
                if (nl == 1 && (name[0] == 'q' || name[0] == 'Q')) {
                        int q = qvalue(value, (size_t)(p - value));
                        if (q < 0)
                                return -EINVAL;
                        m.q = (unsigned)q;
                }
        }
        *ret = m;
        return 0;
}

int media_list_next(const char **pp, struct media_type *ret) {
        const char *p = *pp;
        while (p && *p) {
                /* the element ends at a ',' outside a quoted string */
                const char *e = p;
                while (*e && *e != ',')
                        if (*e == '"') {
                                const char *q = quoted_end(e, e + strlen(e));
                                e = q ? q : e + strlen(e);
                        } else
                                e++;
                int r = media_type_parse(p, (size_t)(e - p), ret);
                p = *e ? e + 1 : e;
                if (r == 0) {
                        *pp = p;
                        return 1;
                }
        }
        *pp = p;
        return 0;
}

static bool span_is(const char *s, size_t n, const char *name, size_t nn) {
        return n == nn && strncasecmp(s, name, n) == 0;
}

bool media_type_is(const struct media_type *m, const char *name) {
        const char *slash = strchr(name, '/');
        if (!slash)
                return m->subtype_len == 0 && span_is(m->type, m->type_len, name, strlen(name));
        return span_is(m->type, m->type_len, name, (size_t)(slash - name)) &&
               span_is(m->subtype, m->subtype_len, slash + 1, strlen(slash + 1));
}

bool media_type_json(const struct media_type *m) {
        return media_type_is(m, "application/json") ||
               (m->subtype_len > 5 && strncasecmp(m->subtype + m->subtype_len - 5, "+json", 5) == 0);
}

int media_accept_q(const char *accept, const char *name, bool exact) {
        const char *slash = strchr(name, '/');
        size_t tl = slash ? (size_t)(slash - name) : strlen(name);
        struct media_type m;
        int best = 0, q = -1; /* best: the specificity of the range q came from */

        for (const char *p = accept; media_list_next(&p, &m) > 0;) {
                bool any_type = span_is(m.type, m.type_len, "*", 1), any_sub = span_is(m.subtype, m.subtype_len, "*", 1);
                int spec = media_type_is(&m, name)                                  ? 3
                           : exact                                                  ? 0
                           : any_sub && span_is(m.type, m.type_len, name, tl)        ? 2
                           : any_type && any_sub                                    ? 1
                                                                                    : 0;
                if (spec == 0 || spec < best)
                        continue;
                if (spec > best || (int)m.q > q)
                        q = (int)m.q;
                best = spec;
        }
        return q;
}
