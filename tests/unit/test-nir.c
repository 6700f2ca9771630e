/* tests/unit/test-nir.c: NIR key computation (lib/nir.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "unit.h"

#include "lib/nir.h"

UNIT(test_valid) {
        static const char *const good[] = {
                "185057800608491",
                "269029934173285",
                "184059999999905",
                "185052A12345633", /* Corsica: 2A counts as 19 */
                "185052B12345660", /* 2B counts as 18 */
                "799019912345624", /* provisional */
        };
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                assert_int_equal(nir_check(good[i]), 0);
        assert_true(nir_is_provisional("799019912345624"));
        assert_false(nir_is_provisional("185057800608491"));
}

UNIT(test_invalid) {
        assert_int_equal(nir_check("185057800608490"), -EBADMSG); /* wrong key */
        assert_int_equal(nir_check("185052A12345660"), -EBADMSG); /* 2B's key on 2A */
        assert_int_equal(nir_check("18505780060849"), -EINVAL);   /* short */
        assert_int_equal(nir_check("1850578006084911"), -EINVAL); /* long */
        assert_int_equal(nir_check("1850578006X8491"), -EINVAL);
        assert_int_equal(nir_check("185052C12345633"), -EINVAL);
        assert_int_equal(nir_check("985057800608491"), -EINVAL);
        assert_int_equal(nir_check(""), -EINVAL);
        assert_int_equal(nir_check(NULL), -EINVAL);
        assert_int_equal(nir_check("1850578006084 1"), -EINVAL);
}

/* A Corsican department typed in lower case has a valid key (the same
 * number), but one person has one spelling: nir_canonical() gives the
 * upper-case one, and nir_check_canonical() refuses any other. */
UNIT(test_canonical) {
        char out[NIR_LEN + 1] = "unchanged";

        assert_int_equal(nir_check("185052a12345633"), 0);
        assert_int_equal(nir_canonical("185052a12345633", out), 0);
        assert_string_equal(out, "185052A12345633");
        assert_int_equal(nir_canonical("185052b12345660", out), 0);
        assert_string_equal(out, "185052B12345660");
        assert_int_equal(nir_canonical("185057800608491", out), 0);
        assert_string_equal(out, "185057800608491");
        memcpy(out, "unchanged", 10);
        assert_int_equal(nir_canonical("185052a12345660", out), -EBADMSG);
        assert_int_equal(nir_canonical("18505780060849", out), -EINVAL);
        assert_int_equal(nir_canonical(NULL, out), -EINVAL);
        assert_string_equal(out, "unchanged");
        assert_int_equal(nir_check_canonical("185052A12345633"), 0);
        assert_int_equal(nir_check_canonical("185057800608491"), 0);
        assert_int_equal(nir_check_canonical("185052a12345633"), -EINVAL);
        assert_int_equal(nir_check_canonical("185052b12345660"), -EINVAL);
        assert_int_equal(nir_check_canonical("185052A12345660"), -EBADMSG);
        assert_int_equal(nir_check_canonical(NULL), -EINVAL);
}

UNIT_GROUP("nir", NULL, NULL)
