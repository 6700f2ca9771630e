/* lib/nir.c: NIR key computation; see nir.h. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "nir.h"

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* Reads the 13-character body as a number, with the Corsican substitution
 * on the department (characters 6-7, indices 5-6): "2A" -> 19, "2B" -> 18. */
int nir_key(const char *nir13, unsigned *ret_key) {
        uint64_t v = 0;

        if (!nir13 || !ret_key)
                return -EINVAL;
        for (size_t i = 0; i < 13; i++) {
                char c = nir13[i];

                if (i == 5 && c == '2' && strchr("AaBb", nir13[6]) && nir13[6] != '\0') {
                        v = v * 100 + ((nir13[6] == 'A' || nir13[6] == 'a') ? 19 : 18);
                        i++;
                        continue;
                }
                if (!is_digit(c))
                        return -EINVAL;
                v = v * 10 + (unsigned) (c - '0');
        }
        *ret_key = (unsigned) (97 - (v % 97));
        return 0;
}

int nir_check(const char *nir) {
        unsigned key, given;
        int r;

        if (!nir || strnlen(nir, NIR_LEN + 1) != NIR_LEN)
                return -EINVAL;
        if (!is_digit(nir[13]) || !is_digit(nir[14]))
                return -EINVAL;
        if (nir[0] < '1' || nir[0] > '8')
                return -EINVAL;
        r = nir_key(nir, &key);
        if (r < 0)
                return r;
        given = (unsigned) ((nir[13] - '0') * 10 + (nir[14] - '0'));
        return given == key ? 0 : -EBADMSG;
}

int nir_canonical(const char *nir, char ret[NIR_LEN + 1]) {
        int r = nir_check(nir);

        if (r < 0)
                return r;
        memcpy(ret, nir, NIR_LEN + 1);
        /* a letter is valid only there, and only a or b (nir_key()) */
        if (ret[6] == 'a' || ret[6] == 'b')
                ret[6] = (char) (ret[6] - 'a' + 'A');
        return 0;
}

int nir_check_canonical(const char *nir) {
        int r = nir_check(nir);

        return r < 0 ? r : nir[6] == 'a' || nir[6] == 'b' ? -EINVAL : 0;
}

bool nir_is_provisional(const char *nir) {
        return nir && (nir[0] == '7' || nir[0] == '8');
}
