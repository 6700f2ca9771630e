/* tests/unit/test-dossier-revision.c: a document's revision and the time
 * of its last change (struct dossier_doc's revision and updated_at, which
 * the FHIR face sends as meta.versionId, ETag and meta.lastUpdated): 1 and
 * the deposit, then one more and the time at each change in place, so that
 * a copy of the same revision is the current one.  Time is the fixture's
 * fake clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "unit.h"

#include "dossier-fixture.h"
#include "lib/civil-time.h"

static const struct dossier_doc_meta report = {
        .type_code = "11488-4", .class_code = "10", .format_code = "urn:ihe:iti:xds:2017:mimeTypeSufficient",
        .mime = "application/pdf", .title = "Consultation", .created_at = T0 - 3600,
};
static const char pdf[] = "%PDF-1.7 fake";

static void open_dossier(struct fixture *f) {
        char secret[DOSSIER_SECRET_SIZE];

        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
}

/* uid as a (every status) sees it: its revision and last change. */
static void expect(struct fixture *f, const struct dossier_actor *a, const char *uid, int revision,
                   int64_t updated_at) {
        _cleanup_free_ struct dossier_doc *docs = NULL;
        size_t n = 0;

        assert_int_equal(dossier_list(f->e, a, INS, DOSSIER_LIST_ALL_STATUSES, &docs, &n), 0);
        for (size_t i = 0; i < n; i++)
                if (strcmp(docs[i].uid, uid) == 0) {
                        assert_int_equal(docs[i].revision, revision);
                        assert_int_equal(docs[i].updated_at, updated_at);
                        return;
                }
        fail_msg("%s not listed", uid);
}

/* Masking, unmasking, archiving, a replacement (of the old version) each
 * make a revision at their time; a new version starts at 1; a refused
 * change makes none; the content's read changes nothing. */
UNIT_FIXTURE(test_changes_in_place, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char a[DOSSIER_UID_SIZE], b[DOSSIER_UID_SIZE], c[DOSSIER_UID_SIZE];
        void *content = NULL;
        size_t len = 0;
        struct dossier_doc d;

        open_dossier(f);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, pdf, sizeof(pdf), a, NULL), 0);
        expect(f, &gp, a, 1, T0);
        f->now = T0 + 10;
        assert_int_equal(dossier_set_masked(f->e, &patient, INS, a, true), 0);
        expect(f, &gp, a, 2, T0 + 10);
        f->now = T0 + 20;
        assert_int_equal(dossier_set_masked(f->e, &patient, INS, a, false), 0);
        expect(f, &gp, a, 3, T0 + 20);
        f->now = T0 + 25;
        assert_int_equal(dossier_read(f->e, &gp, INS, a, &d, &content, &len), 0);
        free(content);
        assert_int_equal(d.revision, 3);
        assert_int_equal(d.updated_at, T0 + 20);
        /* the nurse may not archive: no revision */
        assert_int_equal(dossier_archive(f->e, &nurse, INS, a), -EACCES);
        expect(f, &gp, a, 3, T0 + 20);
        f->now = T0 + 30;
        assert_int_equal(dossier_archive(f->e, &gp, INS, a), 0);
        expect(f, &gp, a, 4, T0 + 30);

        f->now = T0 + 40;
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, pdf, sizeof(pdf), b, NULL), 0);
        f->now = T0 + 50;
        assert_int_equal(dossier_replace(f->e, &gp, INS, b, &report, pdf, sizeof(pdf), c, NULL), 0);
        expect(f, &gp, b, 2, T0 + 50);
        expect(f, &gp, c, 1, T0 + 50);
        verify_chain(f);
}

/* A hold is a revision when released, at its release; when it lapses by
 * the calendar (1 month), it is one already, dated when it lapsed, before
 * the sweep (dossier_tick) releases it, and the sweep changes neither,
 * nor dates back a change made since the lapse; a release of a document
 * no longer held (lapsed, or never held) changes nothing. */
UNIT_FIXTURE(test_hold_release_and_lapse, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct dossier_doc_meta held = report;
        char a[DOSSIER_UID_SIZE], b[DOSSIER_UID_SIZE], c[DOSSIER_UID_SIZE], n[DOSSIER_UID_SIZE];
        unsigned notified, released;
        int64_t start = T0, end;

        held.hidden_from_patient = true;
        open_dossier(f);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &held, pdf, sizeof(pdf), a, NULL), 0);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &held, pdf, sizeof(pdf), b, NULL), 0);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &held, pdf, sizeof(pdf), c, NULL), 0);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, pdf, sizeof(pdf), n, NULL), 0);
        f->now = T0 + 100;
        assert_int_equal(dossier_release_hold(f->e, &gp, INS, b), 0);
        expect(f, &gp, b, 2, T0 + 100);

        assert_int_equal(civil_add_months(start, 1, &end), 0); /* docs/rules.md §3 */
        assert_true(end > start + 27 * 86400 && end < start + 32 * 86400);
        f->now = end - 1;
        expect(f, &gp, a, 1, T0);
        f->now = end + 3600;
        expect(f, &gp, a, 2, end);
        /* released by hand once lapsed, never held: nothing changes */
        assert_int_equal(dossier_release_hold(f->e, &gp, INS, a), 0);
        expect(f, &gp, a, 2, end);
        assert_int_equal(dossier_release_hold(f->e, &gp, INS, n), 0);
        expect(f, &gp, n, 1, T0);
        /* archived after the lapse, before the sweep: the sweep keeps that */
        assert_int_equal(dossier_archive(f->e, &gp, INS, c), 0);
        expect(f, &gp, c, 3, end + 3600);
        f->now = end + 7200;
        assert_int_equal(dossier_tick(f->e, &notified, &released), 0);
        assert_int_equal(released, 2);
        expect(f, &gp, a, 2, end);
        expect(f, &patient, a, 2, end);
        expect(f, &gp, c, 3, end + 3600);
        verify_chain(f);
}

UNIT_GROUP("dossier-revision", NULL, NULL)
