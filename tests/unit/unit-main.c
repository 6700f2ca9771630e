/* tests/unit/unit-main.c: the main() of every unit test program that uses
 * tests/unit/unit.h: the registered tests, in the order their file defines
 * them, as one cmocka group. */
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

#define UNIT_MAX 256

static struct unit_test tests[UNIT_MAX];
static size_t n_tests;
static const char *group = "unit";
static CMFixtureFunction group_setup, group_teardown;

void unit_register(const struct unit_test *t) {
        if (n_tests == UNIT_MAX) {
                fprintf(stderr, "unit: more than %d tests in one program\n", UNIT_MAX);
                abort();
        }
        tests[n_tests++] = *t;
}

void unit_register_group(const char *name, CMFixtureFunction setup, CMFixtureFunction teardown) {
        group = name;
        group_setup = setup;
        group_teardown = teardown;
}

static int by_line(const void *a, const void *b) {
        return ((const struct unit_test *)a)->line - ((const struct unit_test *)b)->line;
}

int main(void) {
        static struct CMUnitTest list[UNIT_MAX];

        if (n_tests == 0) {
                fprintf(stderr, "unit: no test registered\n");
                return 1;
        }
        qsort(tests, n_tests, sizeof(tests[0]), by_line);
        for (size_t i = 0; i < n_tests; i++)
                list[i] = (struct CMUnitTest){tests[i].name, tests[i].fn, tests[i].setup, tests[i].teardown, NULL};
        return _cmocka_run_group_tests(group, list, n_tests, group_setup, group_teardown);
}
