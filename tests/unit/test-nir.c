/* tests/unit/test-nir.c: NIR key computation (lib/nir.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

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

UNIT_GROUP("nir", NULL, NULL)
