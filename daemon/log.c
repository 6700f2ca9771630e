/* daemon/log.c: carnetd's messages, as structured journal entries when
 * stderr is the journal, as plain lines on stderr otherwise (log.h). */
#define SD_JOURNAL_SUPPRESS_LOCATION /* we pass the caller's location */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "log.h"

enum { TARGET_UNKNOWN = -1, TARGET_STDERR = 0, TARGET_JOURNAL = 1 };

static int max_level = LOG_INFO;
static int target = TARGET_UNKNOWN;

void log_set_max_level(int prio) {
        __atomic_store_n(&max_level, prio, __ATOMIC_RELAXED);
}

/* True when $JOURNAL_STREAM names stderr's device and inode: systemd sets
 * it for a service whose stderr is connected to journald, and a process
 * whose stderr was redirected since (or which inherited the variable from
 * such a service) must not take it for granted. */
static int stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        int n = 0;

        if (!e || sscanf(e, "%llu:%llu%n", &dev, &ino, &n) != 2 || e[n] != '\0')
                return 0;
        if (fstat(STDERR_FILENO, &st) < 0)
                return 0;
        return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* The program's name in every message (carnetd unless told). */
static const char *log_ident = "carnetd";

void log_set_ident(const char *name) {
        log_ident = name;
}

int log_open(void) {
        int t = stderr_is_journal() ? TARGET_JOURNAL : TARGET_STDERR;
        __atomic_store_n(&target, t, __ATOMIC_RELEASE);
        return t;
}

int log_to_journal(void) {
        int t = __atomic_load_n(&target, __ATOMIC_ACQUIRE);
        if (t == TARGET_UNKNOWN)
                t = log_open();
        return t == TARGET_JOURNAL;
}

/* Replaces control characters (newlines above all) with '?', in place, so
 * that text from a card or a reader name stays on its own line. */
static void defang(char *s) {
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        *s = '?';
}

/* One journal entry.  Returns what sd_journal_sendv() returns: 0, or a
 * negative errno when journald cannot be reached. */
static int send_journal(const char *file, int line, const char *func, int prio, const char *event,
                        const char *reader, const char *session, const char *text) {
        char msg[sizeof("MESSAGE=") + LOG_LINE_MAX], pri[16], ev[128], rd[256], ss[128], idf[64];
        char code_file[256], code_line[32];
        struct iovec iov[6];
        int n = 0;

#define ADD(buf, ...)                                                            \
        do {                                                                     \
                int _l = snprintf(buf, sizeof(buf), __VA_ARGS__);                \
                iov[n].iov_base = buf;                                           \
                iov[n].iov_len = _l < (int)sizeof(buf) ? (size_t)_l : sizeof(buf) - 1; \
                n++;                                                             \
        } while (0)
        ADD(msg, "MESSAGE=%s", text);
        ADD(pri, "PRIORITY=%d", prio & 7);
        ADD(idf, "SYSLOG_IDENTIFIER=%s", log_ident);
        if (event)
                ADD(ev, "CARNET_EVENT=%s", event);
        if (reader)
                ADD(rd, "CARNET_READER=%s", reader);
        if (session)
                ADD(ss, "CARNET_SESSION=%s", session);
#undef ADD
        snprintf(code_file, sizeof(code_file), "CODE_FILE=%s", file ? file : "?");
        snprintf(code_line, sizeof(code_line), "CODE_LINE=%d", line);
        return sd_journal_sendv_with_location(code_file, code_line, func ? func : "?", iov, n);
}

/* Appends " key=value" to buf (bounded), quoting the value when asked. */
static void append_field(char *buf, size_t size, const char *key, const char *value, int quote) {
        size_t len = strlen(buf);
        if (!value || len + 1 >= size)
                return;
        snprintf(buf + len, size - len, "%s%s=%s%s%s", len ? " " : "", key, quote ? "\"" : "", value,
                 quote ? "\"" : "");
}

static void send_stderr(int prio, const char *event, const char *reader, const char *session,
                        char *text) {
        static const char *const names[] = {"emerg", "alert", "crit", "error",
                                            "warning", "notice", "info", "debug"};
        char fields[512] = "";

        defang(text);
        append_field(fields, sizeof(fields), "event", event, 0);
        append_field(fields, sizeof(fields), "reader", reader, 1);
        append_field(fields, sizeof(fields), "session", session, 0);
        defang(fields);
        /* "<N>" lets the journal read the priority from a plain stream too. */
        fprintf(stderr, "<%d>%s: %s: %s%s%s%s\n", prio & 7, log_ident, names[prio & 7], text,
                fields[0] ? " (" : "", fields, fields[0] ? ")" : "");
}

static void log_emit(const char *file, int line, const char *func, int prio, const char *event,
                     const char *reader, const char *session, const char *fmt, va_list ap) {
        char text[LOG_LINE_MAX];

        if (prio > __atomic_load_n(&max_level, __ATOMIC_RELAXED))
                return;
        vsnprintf(text, sizeof(text), fmt, ap);
        if (log_to_journal() &&
            send_journal(file, line, func, prio, event, reader, session, text) >= 0)
                return;
        send_stderr(prio, event, reader, session, text);
}

void log_msg(int prio, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        log_emit(NULL, 0, NULL, prio, NULL, NULL, NULL, fmt, ap);
        va_end(ap);
}

void log_msg_at(const char *file, int line, const char *func, int prio, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        log_emit(file, line, func, prio, NULL, NULL, NULL, fmt, ap);
        va_end(ap);
}

void log_struct_at(const char *file, int line, const char *func, int prio, const char *event,
                   const char *reader, const char *session, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        log_emit(file, line, func, prio, event, reader, session, fmt, ap);
        va_end(ap);
}
