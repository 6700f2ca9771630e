/* daemon/log.h: carnetd's log output, to the journal or to stderr.
 *
 * Only carnetd's own code decides what is logged; modules below it return
 * error codes and leave the wording to their caller.
 *
 * NEVER LOG A PIN, A PATIENT'S IDENTITY OR NIR, A KEY, OR DOCUMENT CONTENT,
 * not even at debug level: the journal is readable by administrators and
 * kept for months.  Name readers, card types, session ids, error codes.
 *
 * Where the lines go is decided the systemd way: when stderr is the
 * journal's stream (the "DEV:INODE" in $JOURNAL_STREAM is stderr's device
 * and inode, which systemd sets for services whose StandardError= is the
 * journal) each message is sent with sd_journal_sendv() as a structured
 * entry: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER=carnetd, CODE_FILE/LINE/FUNC
 * and, from log_struct(), CARNET_EVENT, CARNET_READER, CARNET_SESSION.
 * Otherwise (a terminal, a test, a redirection) one line per message goes
 * to stderr, "<N>carnetd: LEVEL: text", the "<N>" being the syslog
 * priority, with the structured fields appended as "(event=... reader=...
 * session=...)".  Control characters are replaced with '?' on stderr so a
 * reader name cannot forge a log line; the journal keeps values verbatim.
 * If sd_journal_sendv() reports an error the message goes to stderr
 * (when journald's socket is missing altogether it drops the entry
 * silently: stderr leads to the same absent journald). 
 *
 * Every function is safe to call from any thread. */
#pragma once

#include <syslog.h>

#include "lib/macro.h"

/* Longest message text, in bytes; longer ones are cut. */
#define LOG_LINE_MAX 1024

/* The program's name in messages (SYSLOG_IDENTIFIER): "carnetd" unless
 * set, before the first message, to a string that lives as long. */
void log_set_ident(const char *name);

/* Messages above this priority are dropped (LOG_INFO by default). */
void log_set_max_level(int prio);

/* Looks again at $JOURNAL_STREAM and stderr to choose the journal or
 * stderr (done by itself before the first message; call it after moving
 * stderr).  Returns 1 for the journal, 0 for stderr. */
int log_open(void);

/* 1 when messages currently go to the journal. */
int log_to_journal(void);

void log_msg(int prio, const char *fmt, ...) _printf_(2, 3);

/* The same with the caller's location (what the macros below use). */
void log_msg_at(const char *file, int line, const char *func, int prio, const char *fmt, ...)
        _printf_(5, 6);

/* A structured entry: event is a short stable identifier a log reader can
 * match on ("card-inserted", "session-opened", "pcscd-lost"...); reader
 * and session may be NULL.  Same rules as above: no secret, no identity. */
void log_struct_at(const char *file, int line, const char *func, int prio, const char *event,
                   const char *reader, const char *session, const char *fmt, ...) _printf_(8, 9);

#define log_full(prio, ...) log_msg_at(__FILE__, __LINE__, __func__, prio, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)

/* log_struct(LOG_INFO, "card-inserted", reader_name, NULL, "card inserted in %s", reader_name) */
#define log_struct(prio, event, reader, session, ...) \
        log_struct_at(__FILE__, __LINE__, __func__, prio, event, reader, session, __VA_ARGS__)
