/* cli/secret.h: reading a PIN or a patient secret, never from argv.
 *
 * On a terminal: a prompt, and the typed line read with echo off (termios),
 * the terminal restored afterwards even when a signal (Ctrl-C) interrupts
 * the prompt.  Otherwise, or when asked: the first line of standard input.
 * Bytes are read one at a time with read(2), so that no stdio buffer keeps
 * a copy; the caller wipes buf (secure_zero) when done. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Reads one line (without its end) into buf.  Returns its length, or
 * -ENODATA for an empty line or end of input, -E2BIG when the line does
 * not fit in buf (what was read is wiped), -EINTR when interrupted. */
int secret_read(const char *prompt, bool from_stdin, char *buf, size_t size);
