/* cli/sse.h: a Server-Sent Events parser for carnetctl events --follow.
 *
 * Fed the stream in pieces of any size, it calls back once per complete
 * event (at the blank line that ends it).  Lines are bounded: a line
 * longer than SSE_LINE_MAX is an error, not a reason to grow. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SSE_LINE_MAX (64u * 1024)

struct sse_event {
        const char *id;    /* "" when the event had no id */
        const char *event; /* "message" when it had no type */
        const char *data;  /* data lines joined with '\n' */
};

/* Returns 0 to go on, or a negative errno to stop the parse with. */
typedef int (*sse_handler)(void *userdata, const struct sse_event *ev);

struct sse_parser {
        sse_handler handler;
        void *userdata;
        size_t line_len;
        bool skip_lf;            /* the last line ended with CR: a following LF is part of it */
        bool has_data;
        char last_comment[128];  /* the last ": comment" seen, for people */
        char id[64];
        char event[64];
        char line[SSE_LINE_MAX];
        char data[SSE_LINE_MAX];
        size_t data_len;
};

void sse_init(struct sse_parser *p, sse_handler handler, void *userdata);
/* Parses len bytes; returns 0, -EMSGSIZE for a line or data over the
 * bounds, or what the handler returned. */
int sse_feed(struct sse_parser *p, const char *buf, size_t len);
