/* tests/fuzz/fuzz-tlv.c: card/tlv.c's BER-TLV reader on any bytes, walking
 * every constructed value's contents as well (a few levels down). */
#include <stddef.h>
#include <stdint.h>

#include "card/tlv.h"

static void walk(const uint8_t *buf, size_t len, int depth) {
        size_t off = 0;
        struct tlv t;
        while (tlv_next(buf, len, &off, &t) == 1) {
                if (t.len > 0 && (t.value < buf || t.value + t.len > buf + len))
                        __builtin_trap(); /* a value outside the buffer */
                if (depth < 4)
                        walk(t.value, t.len, depth + 1);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        walk(data, size, 0);
        return 0;
}
