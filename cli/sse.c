/* cli/sse.c: the text/event-stream format, as the WHATWG HTML standard
 * ("Server-sent events") describes it: "field: value" lines, a blank
 * line ends an event, lines starting with ':' are comments. */
#include <errno.h>
#include <string.h>

#include "lib/macro.h"
#include "sse.h"

void sse_init(struct sse_parser *p, sse_handler handler, void *userdata) {
        memset(p, 0, sizeof(*p));
        p->handler = handler;
        p->userdata = userdata;
}

static int dispatch(struct sse_parser *p) {
        int r = 0;
        if (p->has_data) {
                p->data[p->data_len] = '\0';
                struct sse_event ev = {.id = p->id, .event = p->event[0] ? p->event : "message", .data = p->data};
                r = p->handler(p->userdata, &ev);
        }
        /* the id persists between events (the last event id); the rest does not */
        p->event[0] = '\0';
        p->data_len = 0;
        p->has_data = false;
        return r;
}

/* One complete line, without its end. */
static int line(struct sse_parser *p, char *l, size_t len) {
        l[len] = '\0';
        if (len == 0)
                return dispatch(p);
        if (l[0] == ':') {
                const char *c = l + 1 + (l[1] == ' ');
                (void)strcpy_bounded(p->last_comment, sizeof(p->last_comment), c);
                return 0;
        }
        char *colon = strchr(l, ':');
        const char *value = "";
        if (colon) {
                *colon = '\0';
                value = colon + 1 + (colon[1] == ' ');
        }
        if (strcmp(l, "data") == 0) {
                size_t vl = strlen(value);
                if (p->data_len + vl + 2 > sizeof(p->data))
                        return -EMSGSIZE;
                if (p->has_data)
                        p->data[p->data_len++] = '\n';
                memcpy(p->data + p->data_len, value, vl);
                p->data_len += vl;
                p->has_data = true;
        } else if (strcmp(l, "event") == 0)
                (void)strcpy_bounded(p->event, sizeof(p->event), value);
        else if (strcmp(l, "id") == 0)
                (void)strcpy_bounded(p->id, sizeof(p->id), value);
        /* retry and unknown fields: ignored */
        return 0;
}

int sse_feed(struct sse_parser *p, const char *buf, size_t len) {
        for (size_t i = 0; i < len; i++) {
                char c = buf[i];
                if (p->skip_lf) {
                        p->skip_lf = false;
                        if (c == '\n')
                                continue;
                }
                if (c == '\r' || c == '\n') {
                        p->skip_lf = c == '\r';
                        int r = line(p, p->line, p->line_len);
                        p->line_len = 0;
                        if (r < 0)
                                return r;
                        continue;
                }
                if (p->line_len + 1 >= sizeof(p->line))
                        return -EMSGSIZE;
                p->line[p->line_len++] = c;
        }
        return 0;
}
