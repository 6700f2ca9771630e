/* lib/report.h: how a layer tells the program what happened.
 *
 * Layers never log.  When something happens that an administrator may want
 * to see (a card inserted, pcscd lost, a caller refused, a session ended),
 * a layer fills a struct report and hands it to the reporter it was given
 * in its configuration (none: nobody listens).  The program
 * (daemon/reports.c) decides whether it is logged, at which priority and in
 * which words, as systemd's libraries leave logging to the program.
 *
 * A report never carries personal data: no PIN, no NIR or INS, no
 * patient's name, no document content, not even a request path (it may
 * hold an INS).  Readers, card types, route templates, session ids, error
 * codes and uids only. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct report {
        const char *event;   /* stable identifier: "card-inserted", "pcscd-lost", ... */
        const char *reader;  /* NULL when none */
        const char *session; /* a session id (public), or NULL */
        const char *detail;  /* a card type, a driver, an error text, a route; NULL when none */
        int err;             /* 0 or a negative errno */
        long n;              /* a count or a status: APDUs, HTTP status, wrong tries */
        bool caller;         /* uid and pid below are set */
        uid_t uid;
        pid_t pid;
};

struct reporter {
        void (*fn)(void *userdata, const struct report *r);
        void *userdata;
};

/* Hands r to the reporter; nothing happens when there is none. */
static inline void report(const struct reporter *to, const struct report *r) {
        if (to && to->fn)
                to->fn(to->userdata, r);
}
