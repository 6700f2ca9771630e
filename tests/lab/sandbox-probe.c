/* tests/lab/sandbox-probe.c FILE: confines itself as carnet-p11-helper does
 * (p11remote/p11-sandbox.h) and reports what it may still do: read FILE
 * (outside the allowed folders: must fail), read /etc/hostname, create a
 * file in /tmp, open an AF_INET and an AF_UNIX socket, execute /bin/true.
 * One line each, "name: ok" or "name: refused (errno)".  Run by
 * tests/lab/t-p11-helper.sh. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "p11remote/p11-sandbox.h"

static void say(const char *what, int r) {
        if (r >= 0)
                printf("%s: ok\n", what);
        else
                printf("%s: refused (%s)\n", what, strerror(errno));
        if (r >= 0)
                close(r);
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
        fflush(stdout);
        char *args[] = {"/bin/true", NULL};
        execv(args[0], args);
        printf("execute /bin/true: refused (%s)\n", strerror(errno));
        return 0;
}
