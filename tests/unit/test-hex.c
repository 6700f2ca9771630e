/* tests/unit/test-hex.c: lib/macro.h's hex helpers: hex_encode() writes
 * lower-case digits and a NUL; hex_parse() reads either case and nothing
 * else (no blank, sign or "0x" that sscanf's %2x would let through). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "lib/macro.h"

UNIT(hex_round_trip) {
        uint8_t all[256], back[256];
        char text[2 * sizeof(all) + 1];
        for (size_t i = 0; i < sizeof(all); i++)
                all[i] = (uint8_t)i;
        hex_encode(all, sizeof(all), text);
        assert_int_equal(strlen(text), 2 * sizeof(all));
        assert_memory_equal(text, "000102", 6);
        assert_string_equal(text + 2 * 0xf9, "f9fafbfcfdfeff");
        assert_int_equal(hex_parse(text, sizeof(back), back), 0);
        assert_memory_equal(back, all, sizeof(all));
        char none[1] = {'x'};
        hex_encode(all, 0, none);
        assert_int_equal(none[0], '\0');
}

UNIT(hex_parse_strict) {
        uint8_t b[2];
        assert_int_equal(hex_parse("aBcD", 2, b), 0);
        assert_int_equal(b[0], 0xab);
        assert_int_equal(b[1], 0xcd);
        static const char *const bad[] = {" f0f", "+f0f", "0x0f", "f0g0", "f0 f", "-1ff", "\0" "000"};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(hex_parse(bad[i], 2, b), -EINVAL);
        assert_int_equal(hex_digit('/'), -1);
        assert_int_equal(hex_digit(':'), -1);
        assert_int_equal(hex_digit('@'), -1);
        assert_int_equal(hex_digit('G'), -1);
        assert_int_equal(hex_digit('`'), -1);
        assert_int_equal(hex_digit('g'), -1);
        assert_int_equal(hex_digit('9'), 9);
        assert_int_equal(hex_digit('F'), 15);
}
