/* tests/fuzz/fuzz-text.h: the fuzzer's bytes as a NUL-terminated string
 * (malloc'd; NULL when out of memory), for parsers that read C strings. */
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline char *fuzz_cstr(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);
        if (s) {
                memcpy(s, data, size);
                s[size] = '\0';
        }
        return s;
}
