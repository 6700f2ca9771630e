/* tests/fuzz/fuzz-vitale.c: card/vitale.c's parser of the two Carte Vitale
 * files.  The input is a 2-byte little-endian length n, then the identity
 * file (n bytes, or what there is), then the application file. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "card/vitale.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 2)
                return 0;
        size_t n = (size_t)data[0] | (size_t)data[1] << 8;
        data += 2;
        size -= 2;
        if (n > size)
                n = size;
        struct vitale_card card;
        if (vitale_parse(data, n, data + n, size - n, &card) == 0) {
                if (card.n > VITALE_PERSONS_MAX)
                        __builtin_trap();
                for (size_t i = 0; i < card.n; i++) /* strings are terminated */
                        (void)(strlen(card.p[i].surname) + strlen(card.p[i].first_name) + strlen(card.p[i].nir));
        }
        return 0;
}
