/* tests/unit/unit.h: unit tests that register themselves.
 *
 * A test is written once, where it is defined:
 *
 *     UNIT(parses_a_pair) { ... }                  a test
 *     UNIT_FIXTURE(reads_a_card, setup, teardown) { ... }
 *                                                  with its own fixture
 *     UNIT_GROUP("kv", setup, teardown)            the program's name and
 *                                                  group fixture (optional)
 *
 * and the one main() (tests/unit/unit-main.c) runs every test of the
 * program in the order the file defines them, as one cmocka group: a test
 * can no longer be written and forgotten in a list, and no program repeats
 * its list.  A file with a main() of its own does not get this one. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

struct unit_test {
        const char *name;
        CMUnitTestFunction fn;
        CMFixtureFunction setup, teardown;
        int line; /* where the test is defined: the running order */
};

void unit_register(const struct unit_test *t);
void unit_register_group(const char *name, CMFixtureFunction setup, CMFixtureFunction teardown);

#define UNIT_FIXTURE(fn, su, td)                                                                   \
        static void fn(void **state);                                                              \
        __attribute__((constructor)) static void fn##_unit_register(void) {                        \
                static const struct unit_test t = {#fn, fn, su, td, __LINE__};                     \
                unit_register(&t);                                                                 \
        }                                                                                          \
        static void fn(void **state)
#define UNIT(fn) UNIT_FIXTURE(fn, NULL, NULL)
#define UNIT_GROUP(name, su, td)                                                                   \
        __attribute__((constructor)) static void unit_group_register(void) {                       \
                unit_register_group(name, su, td);                                                 \
        }
