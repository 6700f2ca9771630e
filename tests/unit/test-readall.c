/* tests/unit/test-readall.c: lib/readall.c, bounded whole-file reads, on
 * regular files and on a pipe (whose size is not known in advance). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "unit.h"
#include "lib/macro.h"
#include "lib/readall.h"

/* A temporary file holding n bytes 'x'; its path in path (64 bytes). */
static void make_file(char path[64], size_t n) {
        snprintf(path, 64, "/tmp/carnet-test-readall.XXXXXX");
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        char *b = malloc(n + 1);
        assert_non_null(b);
        memset(b, 'x', n);
        assert_int_equal(write(fd, b, n), (ssize_t)n);
        free(b);
        close(fd);
}

UNIT(regular_files_up_to_the_bound) {
        char path[64];
        char *buf = NULL;
        size_t len = 0;
        make_file(path, 100000);
        assert_int_equal(read_all_path(path, 100000, &buf, &len), 0);
        assert_int_equal(len, 100000);
        assert_int_equal(buf[len], '\0');
        free(buf);
        assert_int_equal(read_all_path(path, 99999, &buf, &len), -EFBIG);
        unlink(path);
        make_file(path, 0);
        assert_int_equal(read_all_path(path, 10, &buf, &len), 0);
        assert_int_equal(len, 0);
        free(buf);
        unlink(path);
        assert_int_equal(read_all_path("/nonexistent/file", 10, &buf, &len), -ENOENT);
}

/* A pipe's size is unknown: the buffer grows, and stops at the bound. */
UNIT(streams_grow_and_stop_at_the_bound) {
        int p[2];
        char *buf = NULL;
        size_t len = 0;
        static char chunk[70000];
        memset(chunk, 'y', sizeof(chunk));
        for (int round = 0; round < 2; round++) {
                assert_int_equal(pipe(p), 0);
                pid_t pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        close(p[0]);
                        for (int i = 0; i < 3; i++)
                                if (write(p[1], chunk, sizeof(chunk)) < 0)
                                        _exit(1);
                        _exit(0);
                }
                close(p[1]);
                size_t max = round == 0 ? 3 * sizeof(chunk) : 3 * sizeof(chunk) - 1;
                int r = read_all(p[0], max, &buf, &len);
                close(p[0]);
                waitpid(pid, NULL, 0);
                if (round == 0) {
                        assert_int_equal(r, 0);
                        assert_int_equal(len, 3 * sizeof(chunk));
                        assert_int_equal(buf[len - 1], 'y');
                        free(buf);
                } else
                        assert_int_equal(r, -EFBIG);
        }
}

UNIT_GROUP("readall", NULL, NULL)
