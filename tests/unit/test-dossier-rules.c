/* tests/unit/test-dossier-rules.c: the rules of issue 11 that the engine
 * applies around a dossier's people (docs/rules.md §3): a masked document
 * stays visible to its depositor's establishment. Time is the fixture's
 * fake clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "dossier-fixture.h"

static const struct dossier_doc_meta report = {
        .type_code = "11488-4", .class_code = "10", .format_code = "urn:ihe:iti:xds:2017:mimeTypeSufficient",
        .mime = "application/pdf", .title = "Consultation", .created_at = T0 - 3600,
};

/* Two doctors of one clinic, one of another, one with no establishment. */
static const struct dossier_actor clinic_a1 = {
        .kind = ACCESS_ACTOR_PROFESSIONAL, .id = "810000000011", .profession = "10", .last_name = "A1",
        .first_name = "X", .card = ACCESS_CARD_CPS, .establishment = "Clinique des Tests", .session = "a1",
};
static const struct dossier_actor clinic_a2 = {
        .kind = ACCESS_ACTOR_PROFESSIONAL, .id = "810000000012", .profession = "10", .last_name = "A2",
        .first_name = "X", .card = ACCESS_CARD_CPS, .establishment = "Clinique des Tests", .session = "a2",
};
static const struct dossier_actor clinic_b = {
        .kind = ACCESS_ACTOR_PROFESSIONAL, .id = "810000000013", .profession = "10", .last_name = "B",
        .first_name = "X", .card = ACCESS_CARD_CPS, .establishment = "Hopital Voisin", .session = "b",
};

static enum access_reason last(struct fixture *f) {
        return dossier_last_decision(f->e)->reason;
}

static int read_doc(struct fixture *f, const struct dossier_actor *a, const char *uid, struct dossier_doc *d) {
        _cleanup_free_ void *content = NULL;
        size_t len;
        return dossier_read(f->e, a, INS, uid, d, &content, &len);
}

/* Masking: the depositor, their establishment's professionals and nobody
 * else among the authorised (docs/rules.md §3 "Masking"). */
static void test_masked_establishment(void **state) {
        struct fixture *f = *state;
        static const char pdf[] = "%PDF-1.7 fake";
        char secret[DOSSIER_SECRET_SIZE], uid[DOSSIER_UID_SIZE], uid_none[DOSSIER_UID_SIZE];
        const struct dossier_actor *others[] = {&clinic_a2, &clinic_b, &gp};
        struct dossier_doc d;

        assert_int_equal(dossier_create(f->e, &clinic_a1, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &clinic_a1, INS), 0);
        for (size_t i = 0; i < ELEMENTSOF(others); i++)
                assert_int_equal(dossier_set_access(f->e, &patient, INS, others[i]->id, DOSSIER_ACCESS_AUTHORISE), 0);
        assert_int_equal(dossier_deposit(f->e, &clinic_a1, INS, &report, pdf, sizeof(pdf), uid, NULL), 0);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, pdf, sizeof(pdf), uid_none, NULL), 0);
        assert_int_equal(dossier_set_masked(f->e, &patient, INS, uid, true), 0);
        assert_int_equal(dossier_set_masked(f->e, &patient, INS, uid_none, true), 0);

        assert_int_equal(read_doc(f, &clinic_a1, uid, &d), 0);
        assert_string_equal(d.establishment, "Clinique des Tests");
        assert_int_equal(read_doc(f, &clinic_a2, uid, &d), 0);
        assert_true(d.masked);
        assert_int_equal(read_doc(f, &clinic_b, uid, &d), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_MASKED);
        assert_int_equal(read_doc(f, &gp, uid, &d), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_MASKED);
        /* a depositor with no establishment: two sessions without one are
         * not one establishment */
        assert_int_equal(read_doc(f, &gp, uid_none, &d), 0);
        assert_string_equal(d.establishment, "");
        assert_int_equal(read_doc(f, &clinic_a2, uid_none, &d), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_MASKED);
        /* unmasked again: everyone authorised */
        assert_int_equal(dossier_set_masked(f->e, &patient, INS, uid, false), 0);
        assert_int_equal(read_doc(f, &clinic_b, uid, &d), 0);
        verify_chain(f);
}

/* A malformed establishment is refused before any decision. */
static void test_establishment_checked(void **state) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE];
        struct dossier_actor bad = clinic_a1;
        int64_t n = audit_count(f);

        bad.establishment = "Clinique\ncachee";
        assert_int_equal(dossier_create(f->e, &bad, &ident, true, secret), -EINVAL);
        assert_int_equal(audit_count(f), n);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_masked_establishment, fixture_setup, fixture_teardown),
                cmocka_unit_test_setup_teardown(test_establishment_checked, fixture_setup, fixture_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
