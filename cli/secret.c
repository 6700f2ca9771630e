/* cli/secret.c: reading a secret line without echo (see secret.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "lib/macro.h"
#include "secret.h"

/* The terminal to restore from a signal handler: only async-signal-safe
 * calls (tcsetattr, signal, raise) touch these. */
static volatile sig_atomic_t tty_fd = -1;
static struct termios tty_saved;

static const int restore_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

/* Puts the echo back, then dies of the signal as if nothing caught it. */
static void on_signal(int sig) {
        if (tty_fd >= 0)
                tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
        signal(sig, SIG_DFL);
        raise(sig);
}

/* Reads bytes up to a newline or the end; returns the length or a
 * negative errno (see secret_read). */
static int read_line(int fd, char *buf, size_t size) {
        size_t n = 0;
        bool overflow = false;
        for (;;) {
                char c;
                ssize_t k = read(fd, &c, 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        int r = negerrno();
                        secure_zero(buf, size);
                        return r;
                }
                if (k == 0 || c == '\n')
                        break;
                if (n + 1 < size)
                        buf[n++] = c;
                else
                        overflow = true;
                secure_zero(&c, sizeof(c));
        }
        if (n > 0 && buf[n - 1] == '\r')
                n--;
        buf[n] = '\0';
        if (overflow) {
                secure_zero(buf, size);
                return -E2BIG;
        }
        return n > 0 ? (int)n : -ENODATA;
}

int secret_read(const char *prompt, bool from_stdin, char *buf, size_t size) {
        if (size < 2)
                return -E2BIG;
        if (from_stdin || !isatty(STDIN_FILENO))
                return read_line(STDIN_FILENO, buf, size);

        _cleanup_close_ int own = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
        int in = own >= 0 ? own : STDIN_FILENO, out = own >= 0 ? own : STDERR_FILENO;
        struct termios t;
        struct sigaction sa = {.sa_handler = on_signal}, old[ELEMENTSOF(restore_signals)];
        sigset_t block, saved_mask;

        if (tcgetattr(in, &tty_saved) < 0)
                return negerrno();
        /* Ctrl-Z would stop us with the echo off: held until the line is read */
        sigemptyset(&block);
        sigaddset(&block, SIGTSTP);
        sigprocmask(SIG_BLOCK, &block, &saved_mask);
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < ELEMENTSOF(restore_signals); i++)
                sigaction(restore_signals[i], &sa, &old[i]);
        tty_fd = in;
        t = tty_saved;
        t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
        t.c_lflag |= ICANON;
        int r = tcsetattr(in, TCSAFLUSH, &t) < 0 ? negerrno() : 0;
        if (r == 0) {
                if (write(out, prompt, strlen(prompt)) < 0) {
                        /* the prompt is a courtesy: read anyway */
                }
                r = read_line(in, buf, size);
                if (write(out, "\n", 1) < 0) {
                        /* the user's Enter was not echoed; nothing to do if this fails */
                }
                tcsetattr(in, TCSAFLUSH, &tty_saved);
        }
        tty_fd = -1;
        for (size_t i = 0; i < ELEMENTSOF(restore_signals); i++)
                sigaction(restore_signals[i], &old[i], NULL);
        sigprocmask(SIG_SETMASK, &saved_mask, NULL);
        return r;
}
