/* tests/unit/test-rights.c: the profession x type table loader. The shipped
 * data/rights.tsv is found relative to the repository root, where
 * tests/run-unit.sh runs the tests (override with CARNET_DATA_DIR). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "lib/macro.h"

#include "engine/rights.h"

static const char *data_path(char *buf, size_t n, const char *file) {
        const char *dir = getenv("CARNET_DATA_DIR");
        snprintf(buf, n, "%s/%s", dir ? dir : "data", file);
        return buf;
}

UNIT(test_shipped) {
        _cleanup_rights_ struct rights_table *t = NULL;
        char path[512], err[256];

        assert_int_equal(rights_load(data_path(path, sizeof(path), "rights.tsv"), &t, err, sizeof(err)), 0);
        assert_true(rights_count(t) >= 18);
        assert_true(rights_allows(t, "10", "11488-4"));
        assert_true(rights_allows(t, "10", "EXPPAT_3"));
        assert_false(rights_allows(t, "40", "EXPPAT_3"));  /* dentist, advance directives */
        assert_true(rights_allows(t, "40", "11488-4"));
        /* the known restrictions of docs/rules.md §2, with their type codes */
        assert_false(rights_allows(t, "10", "ATTEST-RESID")); /* doctor, residence certificate */
        assert_true(rights_allows(t, "40", "ATTEST-RESID"));
        static const char *const dentist_denied[] = {"68599-0", "83901-9", "75496-0", "X-EHPAD-CARE-PLAN", "83981-1"};
        for (size_t i = 0; i < ELEMENTSOF(dentist_denied); i++) {
                assert_false(rights_allows(t, "40", dentist_denied[i]));
                assert_true(rights_allows(t, "10", dentist_denied[i]));
        }
        assert_false(rights_allows(t, "80", "15508-5")); /* podiatrist, delivery report */
        assert_true(rights_allows(t, "50", "15508-5"));
        assert_false(rights_allows(t, "99", "11488-4"));   /* unknown profession */
        assert_false(rights_allows(t, NULL, "11488-4"));
        assert_false(rights_allows(NULL, "10", "11488-4"));
}

UNIT(test_specificity) {
        _cleanup_rights_ struct rights_table *t = NULL;
        char err[256];

        assert_int_equal(rights_parse("t", "*\t*\tdeny\n*\tX\tallow\n10\t*\tdeny\n10\tX\tallow\n21\t*\tallow\n", &t,
                                      err, sizeof(err)), 0);
        assert_true(rights_allows(t, "10", "X"));
        assert_false(rights_allows(t, "10", "Y"));
        assert_true(rights_allows(t, "40", "X"));
        assert_false(rights_allows(t, "40", "Y"));
        assert_true(rights_allows(t, "21", "Y"));
        assert_true(rights_allows(t, "21", "X"));
}

/* Each malformed input must fail with -EINVAL and name its line. */
UNIT(test_malformed) {
        static const struct {
                const char *text;
                const char *msg;
        } cases[] = {
                { "10\t*\tallow\n10 * allow\n", "t:2: expected 3" },
                { "# c\n\n10\t*\tmaybe\n", "t:3: third field" },
                { "10\t*\tallow\textra\n", "t:1: more than 3" },
                { "10\t*\tallow\n10\t*\tdeny\n", "t:2: duplicate" },
                { "\t*\tallow\n", "t:1: invalid profession" },
                { "10\t\tallow\n", "t:1: invalid document type" },
                { "10\tA B\tallow\n", "t:1: invalid document type" },
                { "# only comments\n", "t: no rules" },
                { "10\t\xc3\xa9\tallow\n", "t:1: invalid document type" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct rights_table *t = NULL;
                char err[256] = "";

                assert_int_equal(rights_parse("t", cases[i].text, &t, err, sizeof(err)), -EINVAL);
                assert_null(t);
                if (strstr(err, cases[i].msg) == NULL)
                        fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].msg);
        }
}

UNIT(test_missing_file) {
        struct rights_table *t = NULL;
        char err[256];

        assert_int_equal(rights_load("/nonexistent/rights.tsv", &t, err, sizeof(err)), -ENOENT);
        assert_non_null(strstr(err, "/nonexistent/rights.tsv"));
        assert_null(t);
}

UNIT(test_crlf) {
        _cleanup_rights_ struct rights_table *t = NULL;

        assert_int_equal(rights_parse("t", "10\t*\tallow\r\n40\tX\tdeny\r\n", &t, NULL, 0), 0);
        assert_false(rights_allows(t, "40", "X"));
        assert_true(rights_allows(t, "10", "X"));
}

UNIT_GROUP("rights", NULL, NULL)
