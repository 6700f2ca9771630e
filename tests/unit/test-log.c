/* tests/unit/test-log.c: carnetd's log output (daemon/log.c).
 *
 * Stderr lines: format, structured fields, control characters, level
 * filter.  Journal detection: $JOURNAL_STREAM must name stderr's own
 * device and inode.  The journal itself: in a child process with a
 * private mount namespace and a tmpfs on /run (root only, else skipped),
 * a datagram socket at /run/systemd/journal/socket stands in for journald
 * and receives the native-protocol entry sd_journal_sendv() writes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/log.h"

static char path[64];
static int saved_stderr = -1;

/* Sends stderr to a fresh temporary file. */
static int stderr_to_file(void **state) {
        snprintf(path, sizeof(path), "/tmp/carnet-test-log.XXXXXX");
        int fd = mkstemp(path);
        if (fd < 0)
                return -1;
        fflush(stderr);
        saved_stderr = dup(STDERR_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
        return 0;
}

static int stderr_back(void **state) {
        fflush(stderr);
        dup2(saved_stderr, STDERR_FILENO);
        close(saved_stderr);
        unlink(path);
        unsetenv("JOURNAL_STREAM");
        log_open();
        return 0;
}

static char *written(void) {
        static char buf[4096];
        fflush(stderr);
        int fd = open(path, O_RDONLY);
        assert_true(fd >= 0);
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        assert_true(n >= 0);
        buf[n] = '\0';
        return buf;
}

static void set_journal_stream(unsigned long long dev, unsigned long long ino) {
        char v[64];
        snprintf(v, sizeof(v), "%llu:%llu", dev, ino);
        setenv("JOURNAL_STREAM", v, 1);
}

UNIT_FIXTURE(stderr_lines, stderr_to_file, stderr_back) {
        unsetenv("JOURNAL_STREAM");
        assert_int_equal(log_open(), 0);
        assert_int_equal(log_to_journal(), 0);
        log_set_max_level(LOG_INFO);
        log_info("carnetd %s listening", "0.1.0");
        log_debug("not shown");
        log_error("two\nlines\x1b[31m");
        log_struct(LOG_WARNING, "card-inserted", "Virtual PCD 00 00", "s-1", "card in %s", "slot 0");
        log_struct(LOG_INFO, "pcscd-lost", NULL, NULL, "pcscd went away");
        log_struct(LOG_INFO, NULL, NULL, "s-2", "session only");
        log_struct(LOG_NOTICE, "x", "bad\nreader", NULL, "m");
        log_msg(LOG_INFO, "plain %d", 7);
        assert_string_equal(written(),
                            "<6>carnetd: info: carnetd 0.1.0 listening\n"
                            "<3>carnetd: error: two?lines?[31m\n"
                            "<4>carnetd: warning: card in slot 0 (event=card-inserted "
                            "reader=\"Virtual PCD 00 00\" session=s-1)\n"
                            "<6>carnetd: info: pcscd went away (event=pcscd-lost)\n"
                            "<6>carnetd: info: session only (session=s-2)\n"
                            "<5>carnetd: notice: m (event=x reader=\"bad?reader\")\n"
                            "<6>carnetd: info: plain 7\n");
        log_set_max_level(LOG_DEBUG);
        log_debug("now shown");
        assert_non_null(strstr(written(), "<7>carnetd: debug: now shown\n"));
        log_set_max_level(LOG_INFO);
}

UNIT_FIXTURE(long_message_is_cut, stderr_to_file, stderr_back) {
        char big[3 * LOG_LINE_MAX];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        unsetenv("JOURNAL_STREAM");
        log_open();
        log_info("%s", big);
        size_t len = strlen(written());
        assert_true(len < LOG_LINE_MAX + 64);
}

UNIT_FIXTURE(journal_stream_must_be_stderr, stderr_to_file, stderr_back) {
        struct stat st;
        assert_int_equal(fstat(STDERR_FILENO, &st), 0);
        set_journal_stream((unsigned long long)st.st_dev, (unsigned long long)st.st_ino + 1);
        assert_int_equal(log_open(), 0); /* another inode: stderr was moved */
        setenv("JOURNAL_STREAM", "garbage", 1);
        assert_int_equal(log_open(), 0);
        set_journal_stream((unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
        setenv("JOURNAL_STREAM", strcat(strcpy((char[64]){0}, getenv("JOURNAL_STREAM")), "x"), 1);
        assert_int_equal(log_open(), 0); /* trailing junk */
        set_journal_stream((unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
        assert_int_equal(log_open(), 1);
        unsetenv("JOURNAL_STREAM");
        assert_int_equal(log_open(), 0);
}

/* Runs in the child: returns 0 or the number of the step that failed. */
static int journal_child(void) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        char buf[4096];
        struct stat st;

        if (unshare(CLONE_NEWNS) < 0)
                return 100;
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return 101;
        if (mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0)
                return 102;
        if (mkdir("/run/systemd", 0755) < 0 || mkdir("/run/systemd/journal", 0755) < 0)
                return 103;
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/run/systemd/journal/socket");
        int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return 104;

        if (fstat(STDERR_FILENO, &st) < 0)
                return 1;
        set_journal_stream((unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
        if (log_open() != 1 || !log_to_journal())
                return 2;
        log_struct(LOG_INFO, "card-inserted", "Virtual PCD 00 00", "s-42", "card in %s", "slot 0");
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) != 1)
                return 3;
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
                return 4;
        buf[n] = '\0';
        static const char *const want[] = {
                "MESSAGE=card in slot 0\n", "PRIORITY=6\n", "SYSLOG_IDENTIFIER=carnetd\n",
                "CARNET_EVENT=card-inserted\n", "CARNET_READER=Virtual PCD 00 00\n",
                "CARNET_SESSION=s-42\n", "CODE_FILE=tests/unit/test-log.c\n",
                "CODE_FUNC=journal_child\n", "CODE_LINE=",
        };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                if (!strstr(buf, want[i])) {
                        fprintf(stdout, "missing %s in:\n%s\n", want[i], buf);
                        return 10 + (int)i;
                }
        /* plain messages go to the journal too, and never to stderr */
        log_warning("plain %d", 1);
        if (poll(&p, 1, 5000) != 1 || (n = recv(fd, buf, sizeof(buf) - 1, 0)) <= 0)
                return 5;
        buf[n] = '\0';
        if (!strstr(buf, "MESSAGE=plain 1\n") || !strstr(buf, "PRIORITY=4\n") || strstr(buf, "CARNET_"))
                return 6;
        if (written()[0] != '\0')
                return 7;
        /* the journal refuses the entry: the message goes to stderr.
         * (When the socket is missing sd_journal_sendv() drops the entry
         * and says nothing; stderr would go to the missing journald too.) */
        close(fd);
        unlink("/run/systemd/journal/socket");
        fd = socket(AF_UNIX, SOCK_STREAM, 0); /* wrong type: sendmsg fails */
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return 105;
        log_error("journal gone");
        if (!strstr(written(), "<3>carnetd: error: journal gone\n"))
                return 8;
        return 0;
}

UNIT_FIXTURE(journal_entries, stderr_to_file, stderr_back) {
        if (geteuid() != 0)
                skip(); /* needs a private mount namespace */
        fflush(stdout);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(journal_child());
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) >= 100)
                skip(); /* no namespaces here (a container without CAP_SYS_ADMIN) */
        assert_int_equal(WEXITSTATUS(status), 0);
}

UNIT_GROUP("log", NULL, NULL)
