/* tests/fuzz/fuzz-cda.c: cda/cda.c's header parser on any bytes (the
 * caller's XML): cda_header_parse() must answer 0 or a negative errno,
 * never crash, leak or read past the input, and a document it accepts
 * must carry NUL-terminated fields. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cda/cda.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const oids[] = {"1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.10", NULL};
        struct cda_header h;
        const char *problem = NULL;
        int r = cda_header_parse(data, size, oids, &h, &problem);
        if (r == 0 && (strlen(h.patient_ins) >= sizeof(h.patient_ins) || strlen(h.title) >= sizeof(h.title)))
                __builtin_trap();
        if (r < 0 && r != -ENOMEM && !problem)
                __builtin_trap();
        return 0;
}
