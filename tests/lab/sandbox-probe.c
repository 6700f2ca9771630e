/* tests/lab/sandbox-probe.c FILE: confines itself as carnet-p11-helper does
 * (p11remote/p11-sandbox.h) and reports what it may still do: read FILE
 * (outside the allowed folders: must fail), read /etc/hostname, create a
 * file in /tmp, open an AF_INET and an AF_UNIX socket, clone into a new
 * user or network namespace, call clone3, start a thread and fork (which
 * must still work: glibc falls back from clone3 to clone), execute
 * /bin/true.  One line each, "name: ok" or "name: refused (errno)".  Run
 * by tests/lab/t-p11-helper.sh. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "p11remote/p11-sandbox.h"

static void said(const char *what, bool ok) {
        if (ok)
                printf("%s: ok\n", what);
        else
                printf("%s: refused (%s)\n", what, strerror(errno));
}

/* What a call that gives a descriptor (fd, or -1 and errno) said. */
static void say(const char *what, int fd) {
        said(what, fd >= 0);
        if (fd >= 0)
                close(fd);
}

/* The raw clone(2) with flags (and SIGCHLD), as a fork: the child ends at
 * once.  What it said. */
static void say_clone(const char *what, unsigned long flags) {
        long pid = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid == 0)
                _exit(0);
        if (pid > 0)
                (void)waitpid((pid_t)pid, NULL, 0);
        said(what, pid > 0);
}

static void *nothing(void *arg) {
        return arg;
}

int main(int argc, char **argv) {
        if (argc != 2)
                return 2;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return 1;
        int r = p11_sandbox_landlock(NULL);
        printf("landlock: %s\n", r < 0 ? strerror(-r) : "on");
        r = p11_sandbox_seccomp();
        printf("seccomp: %s\n", r < 0 ? strerror(-r) : "on");
        fflush(stdout);
        say("read state file", open(argv[1], O_RDONLY | O_CLOEXEC));
        say("read /etc/hostname", open("/etc/hostname", O_RDONLY | O_CLOEXEC));
        say("create in /tmp", open("/tmp/carnet-sandbox-probe", O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
        say("AF_INET socket", socket(AF_INET, SOCK_STREAM, 0));
        say("AF_UNIX socket", socket(AF_UNIX, SOCK_STREAM, 0));
        say_clone("clone new user namespace", CLONE_NEWUSER);
        say_clone("clone new network namespace", CLONE_NEWNET);
        say_clone("clone new mount namespace", CLONE_NEWNS);
        said("clone3", syscall(SYS_clone3, NULL, 0) >= 0);
        pthread_t t;
        errno = pthread_create(&t, NULL, nothing, NULL);
        said("thread", errno == 0 && pthread_join(t, NULL) == 0);
        say_clone("fork", 0);
        fflush(stdout);
        char *args[] = {"/bin/true", NULL};
        execv(args[0], args);
        printf("execute /bin/true: refused (%s)\n", strerror(errno));
        return 0;
}
