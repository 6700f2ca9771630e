/* daemon/reports.c: the words and priorities of carnetd's log (reports.h). */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "reports.h"

/* In a format, {reader} {session} {detail} {err} {n} {uid} {pid} stand for
 * the report's fields; nothing else is substituted. */
static const struct {
        const char *event;
        int prio;
        const char *format;
} table[] = {
        {"pcscd-connected", LOG_INFO, "connected to pcscd"},
        {"pcscd-lost", LOG_WARNING, "pcscd is gone ({detail}); reconnecting"},
        {"pcsc-error", LOG_WARNING, "PC/SC: {detail}"},
        {"reader-added", LOG_INFO, "reader added: {reader}"},
        {"reader-removed", LOG_INFO, "reader removed: {reader}"},
        {"card-inserted", LOG_INFO, "card inserted in {reader}: {detail} ({n} APDUs)"},
        {"card-read-failed", LOG_WARNING, "card in {reader} ({detail}): read failed: {err}"},
        {"card-removed", LOG_INFO, "card removed from {reader} ({detail})"},
        {"pkcs11-unavailable", LOG_WARNING, "PKCS#11 module {detail}: {err}: professional sessions unavailable"},
        {"trust-unavailable", LOG_WARNING, "trust anchors {detail}: {err}: professional sessions unavailable"},
        {"crl-loaded", LOG_INFO, "revocation lists from {detail}: {n} in use"},
        {"crl-unavailable", LOG_WARNING,
         "revocation lists {detail}: {err}: the lists in use stay (with none, every card is refused: revocation_unknown)"},
        {"pkcs11-identity-mismatch", LOG_WARNING,
         "the PKCS#11 helper named another identity than the certificate of the CPS card in {reader}: refused"},
        {"session-opened", LOG_INFO, "session {session} opened by uid {uid}: {detail} card in {reader}"},
        {"patient-session-opened", LOG_INFO, "patient session {session} opened by uid {uid} in {reader}"},
        {"session-ended", LOG_INFO, "session {session} ended: {detail}"},
        {"caller-refused", LOG_INFO, "refusing uid {uid} (pid {pid}): not in an allowed group"},
        {"caller-over-limit", LOG_INFO, "refusing uid {uid} (pid {pid}): too many connections"},
        {"http-request", LOG_DEBUG, "{detail} uid={uid} pid={pid} -> {n}"},
        {"http-error", LOG_WARNING, "http: {detail}"},
        {"workstation-refused", LOG_WARNING, "refusing a workstation: {detail}"},
        {"host-session-refused", LOG_NOTICE, "host session refused: {detail}"},
        {"secret-brake", LOG_WARNING,
         "patient secret: {n} wrong secrets in a row for one dossier (uid {uid}): its secret is refused for a while"},
};

static void put(char *buf, size_t size, size_t *len, const char *s, size_t n) {
        if (*len >= size)
                return;
        size_t room = size - *len - 1;
        if (n > room)
                n = room;
        memcpy(buf + *len, s, n);
        *len += n;
        buf[*len] = '\0';
}

/* Fills buf from format and r's fields. */
static void render(const char *format, const struct report *r, char *buf, size_t size) {
        size_t len = 0;
        buf[0] = '\0';
        for (const char *p = format; *p;) {
                const char *open = strchr(p, '{');
                if (!open) {
                        put(buf, size, &len, p, strlen(p));
                        break;
                }
                put(buf, size, &len, p, (size_t)(open - p));
                const char *close = strchr(open, '}');
                if (!close) {
                        put(buf, size, &len, open, strlen(open));
                        break;
                }
                char v[256];
                size_t k = (size_t)(close - open - 1);
                const char *name = open + 1;
#define IS(x) (k == strlen(x) && strncmp(name, x, k) == 0)
                if (IS("reader"))
                        snprintf(v, sizeof(v), "%s", r->reader ? r->reader : "-");
                else if (IS("session"))
                        snprintf(v, sizeof(v), "%s", r->session ? r->session : "-");
                else if (IS("detail"))
                        snprintf(v, sizeof(v), "%s", r->detail ? r->detail : "-");
                else if (IS("err"))
                        snprintf(v, sizeof(v), "%s", r->err ? strerror(-r->err) : "no error");
                else if (IS("n"))
                        snprintf(v, sizeof(v), "%ld", r->n);
                else if (IS("uid"))
                        snprintf(v, sizeof(v), "%u", (unsigned)r->uid);
                else if (IS("pid"))
                        snprintf(v, sizeof(v), "%u", (unsigned)r->pid);
                else
                        snprintf(v, sizeof(v), "{%.*s}", (int)k, name);
#undef IS
                put(buf, size, &len, v, strlen(v));
                p = close + 1;
        }
}

void reports_log(void *userdata, const struct report *r) {
        char text[LOG_LINE_MAX];
        int prio = LOG_DEBUG;
        const char *format = NULL;

        if (!r || !r->event)
                return;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcmp(table[i].event, r->event) == 0) {
                        prio = table[i].prio;
                        format = table[i].format;
                        break;
                }
        if (format)
                render(format, r, text, sizeof(text));
        else
                snprintf(text, sizeof(text), "%s", r->event);
        log_struct(prio, r->event, r->reader, r->session, "%s", text);
}
