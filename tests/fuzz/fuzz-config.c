/* tests/fuzz/fuzz-config.c: the configuration readers on any text:
 * lib/kv.c's key = value reader over the bytes, then daemon/config.c's
 * config_load() on the same bytes as a file (a memfd). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/config.h"
#include "lib/kv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FILE *f = fmemopen((void *)data, size, "r");
        if (f) {
                char line[256];
                struct kv_reader r;
                char *k, *v;
                kv_reader_init(&r, f, line, sizeof(line));
                for (int i = 0; i < 4096; i++) {
                        int n = kv_next(&r, &k, &v);
                        if (n == 0)
                                break;
                        if (n > 0 && (k < line || k >= line + sizeof(line) || v < line || v >= line + sizeof(line)))
                                __builtin_trap();
                        if (n == -EIO)
                                break;
                }
                fclose(f);
        }
        int fd = memfd_create("carnetd.conf", MFD_CLOEXEC);
        if (fd < 0)
                return 0;
        if (write(fd, data, size) == (ssize_t)size) {
                char path[64], err[512];
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                struct config c;
                config_defaults(&c);
                (void)config_load(&c, path, err, sizeof(err));
        }
        close(fd);
        return 0;
}
