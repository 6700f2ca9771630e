/* tests/unit/test-dossier-calendar.c: the rules' durations counted as the
 * law counts them (docs/rules.md §3, §4): calendar months and years, and
 * birthdays, on the civil date in Paris (lib/civil-time.h), not in fixed
 * numbers of days nor on the UTC date.  Time is the fixture's fake clock;
 * each case is one where 30 days, 730 or 3653 days, or the UTC date, would
 * decide otherwise. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "unit.h"

#include "dossier-fixture.h"

static const struct dossier_doc_meta report = {
        .type_code = "11488-4", .class_code = "10", .format_code = "urn:ihe:iti:xds:2017:mimeTypeSufficient",
        .mime = "application/pdf", .title = "Consultation", .created_at = T0 - 3600,
};
static const char pdf[] = "%PDF-1.7 fake";

/* A UTC instant, by the C library's UTC arithmetic (no time zone). */
static int64_t utc(int y, int mo, int d, int h, int mi, int s) {
        struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
        return (int64_t) timegm(&tm);
}

static enum access_reason last(struct fixture *f) {
        return dossier_last_decision(f->e)->reason;
}

/* Opens the dossier of ins (born on birth_date) by the doctor, with consent. */
static void open_dossier(struct fixture *f, const char *ins, const char *birth_date,
                         char secret[DOSSIER_SECRET_SIZE]) {
        struct dossier_identity id = ident;

        id.ins = ins;
        id.birth_date = birth_date;
        assert_int_equal(dossier_create(f->e, &gp, &id, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, ins), 0);
}

/* How many documents the patient lists in their dossier, or a negative errno. */
static long count_mine(struct fixture *f) {
        _cleanup_free_ struct dossier_doc *docs = NULL;
        size_t n = 99;
        int r = dossier_list(f->e, &patient, INS, 0, &docs, &n);

        return r < 0 ? r : (long) n;
}

/* The documents the patient lists of every status (old versions too). */
static long count_mine_all(struct fixture *f) {
        _cleanup_free_ struct dossier_doc *docs = NULL;
        size_t n = 99;
        int r = dossier_list(f->e, &patient, INS, DOSSIER_LIST_ALL_STATUSES, &docs, &n);

        return r < 0 ? r : (long) n;
}

struct naming {
        const char *uid;
        unsigned n;
};

static int count_naming(const struct audit_entry *a, void *userdata) {
        struct naming *x = userdata;
        x->n += a->document && strcmp(a->document, x->uid) == 0;
        return 0;
}

/* The entries of the patient's trail that name uid. */
static unsigned trail_naming(struct fixture *f, const char *uid) {
        struct naming x = {uid, 0};
        assert_int_equal(dossier_trail(f->e, &patient, INS, count_naming, &x), 0);
        return x.n;
}

/* At now: the patient lists visible documents, then the hold job runs
 * and notifies and releases so many. */
static void hold_at(struct fixture *f, int64_t now, long visible, unsigned want_notified, unsigned want_released) {
        unsigned notified = 99, released = 99;

        f->now = now;
        assert_int_equal(count_mine(f), visible);
        assert_int_equal(dossier_tick(f->e, &notified, &released), 0);
        assert_int_equal(notified, want_notified);
        assert_int_equal(released, want_released);
}

/* Held back from the patient (docs/rules.md §3): visible one calendar
 * month after the hold began, at the same time of day in Paris.  Held on
 * 31 January at 10:00, it shows on 28 February at 10:00 (30 days would
 * wait for 2 March); held on 1 March at 10:00, it is still held back on
 * 31 March at 12:00, 30 days and an hour later in UTC, and shows on
 * 1 April at 10:00 (summer time).  The read and the hold job agree; the
 * notice to consult stays at 14 days. */
UNIT_FIXTURE(test_hold_one_calendar_month, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct dossier_doc_meta held = report;
        char secret[DOSSIER_SECRET_SIZE], jan[DOSSIER_UID_SIZE], mar[DOSSIER_UID_SIZE];

        held.hidden_from_patient = true;
        f->now = utc(2025, 1, 31, 9, 0, 0); /* 10:00 in Paris */
        open_dossier(f, INS, "1985-05-12", secret);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &held, pdf, sizeof(pdf), jan, NULL), 0);
        hold_at(f, utc(2025, 2, 14, 8, 59, 59), 0, 0, 0);
        hold_at(f, utc(2025, 2, 14, 9, 0, 0), 0, 1, 0);  /* two weeks: told to consult */
        hold_at(f, utc(2025, 2, 28, 8, 59, 59), 0, 0, 0);
        hold_at(f, utc(2025, 2, 28, 9, 0, 0), 1, 0, 1);  /* 28 February, 10:00 in Paris */

        f->now = utc(2025, 3, 1, 9, 0, 0); /* 1 March, 10:00 in Paris (winter time) */
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &held, pdf, sizeof(pdf), mar, NULL), 0);
        hold_at(f, utc(2025, 3, 31, 10, 0, 0), 1, 1, 0); /* 31 March, 12:00 in Paris (summer time) */
        hold_at(f, utc(2025, 4, 1, 7, 59, 59), 1, 0, 0);
        hold_at(f, utc(2025, 4, 1, 8, 0, 0), 2, 0, 1);   /* 1 April, 10:00 in Paris */
        hold_at(f, utc(2025, 4, 1, 8, 0, 0), 2, 0, 0);
        verify_chain(f);
}

/* A new version of a document still held back goes on with its hold
 * (docs/rules.md §3): held on 3 March, replaced on 20 March (after the
 * notice to consult, which is not sent again), the new version shows on
 * 3 April as the first would have (the old version's hold ending with
 * it), not a month after its replacement;
 * a new version of a released document, held back, has a hold of its
 * own from its deposit. */
UNIT_FIXTURE(test_hold_goes_on_in_new_version, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct dossier_doc_meta held = report;
        char secret[DOSSIER_SECRET_SIZE], v1[DOSSIER_UID_SIZE], v2[DOSSIER_UID_SIZE], v3[DOSSIER_UID_SIZE];

        held.hidden_from_patient = true;
        f->now = utc(2025, 3, 3, 9, 0, 0); /* 10:00 in Paris */
        open_dossier(f, INS, "1985-05-12", secret);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &held, pdf, sizeof(pdf), v1, NULL), 0);
        hold_at(f, utc(2025, 3, 17, 9, 0, 0), 0, 1, 0); /* two weeks: told to consult */
        f->now = utc(2025, 3, 20, 9, 0, 0);
        assert_int_equal(dossier_replace(f->e, &gp, INS, v1, &held, pdf, sizeof(pdf), v2, NULL), 0);
        hold_at(f, utc(2025, 3, 21, 9, 0, 0), 0, 0, 0); /* no second notice */
        hold_at(f, utc(2025, 4, 3, 7, 59, 59), 0, 0, 0);
        /* 3 April, 10:00 in Paris (summer time): the document's hold ends,
         * one release for its two versions, both shown */
        hold_at(f, utc(2025, 4, 3, 8, 0, 0), 1, 0, 1);
        assert_int_equal(count_mine_all(f), 2);

        /* released, then replaced by a version held back: a hold of its own */
        f->now = utc(2025, 4, 10, 8, 0, 0);
        assert_int_equal(dossier_replace(f->e, &gp, INS, v2, &held, pdf, sizeof(pdf), v3, NULL), 0);
        hold_at(f, utc(2025, 4, 24, 7, 59, 59), 0, 0, 0);
        hold_at(f, utc(2025, 4, 24, 8, 0, 0), 0, 1, 0);
        hold_at(f, utc(2025, 5, 10, 8, 0, 0), 1, 0, 1);
        verify_chain(f);
}

/* The dossier opened on 3 March 2025 at 10:00 in Paris (returned), a
 * document deposited held back then (v1), replaced on day 3 by a version
 * held back too (v2). */
static int64_t held_then_replaced(struct fixture *f, char v1[DOSSIER_UID_SIZE], char v2[DOSSIER_UID_SIZE]) {
        struct dossier_doc_meta held = report;
        char secret[DOSSIER_SECRET_SIZE];
        int64_t day0 = utc(2025, 3, 3, 9, 0, 0);

        held.hidden_from_patient = true;
        f->now = day0;
        open_dossier(f, INS, "1985-05-12", secret);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &held, pdf, sizeof(pdf), v1, NULL), 0);
        f->now = day0 + 3 * DOSSIER_DAY;
        assert_int_equal(dossier_replace(f->e, &gp, INS, v1, &held, pdf, sizeof(pdf), v2, NULL), 0);
        return day0;
}

/* A replaced version's hold is its document's (docs/rules.md §3): the
 * patient is told to consult once for the document, whatever its
 * versions, and the old version shows, with its trail, when the new one
 * does: released by hand on day 7, the document has no notice on day 14
 * and its first version is in the patient's list and trail at once, not
 * a month after its own deposit. */
UNIT_FIXTURE(test_old_version_hold_ends_with_new, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char v1[DOSSIER_UID_SIZE], v2[DOSSIER_UID_SIZE];
        int64_t day0 = held_then_replaced(f, v1, v2);

        assert_int_equal(count_mine_all(f), 0);
        assert_int_equal(trail_naming(f, v1), 0);
        f->now = day0 + 7 * DOSSIER_DAY;
        assert_int_equal(dossier_release_hold(f->e, &gp, INS, v2), 0);
        assert_int_equal(count_mine_all(f), 2);
        assert_true(trail_naming(f, v1) > 0);
        hold_at(f, day0 + 15 * DOSSIER_DAY, 1, 0, 0); /* no notice for a document shown */
        hold_at(f, utc(2025, 4, 3, 8, 0, 0), 1, 0, 0); /* nothing left to release */
        verify_chain(f);
}

/* Two versions held back: one notice for the document at two weeks; a
 * version not held back that replaces a held one shows the document, its
 * old version with it, and no notice comes. */
UNIT_FIXTURE(test_one_notice_per_document, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct dossier_doc_meta held = report;
        char v1[DOSSIER_UID_SIZE], v2[DOSSIER_UID_SIZE], w1[DOSSIER_UID_SIZE], w2[DOSSIER_UID_SIZE];
        int64_t day0 = held_then_replaced(f, v1, v2);

        held.hidden_from_patient = true;
        hold_at(f, day0 + 14 * DOSSIER_DAY, 0, 1, 0);
        unsigned hook = f->hook_hold;
        hold_at(f, day0 + 15 * DOSSIER_DAY, 0, 0, 0);
        assert_int_equal(f->hook_hold, hook);

        /* another document, held, then replaced by a version shown at once */
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &held, pdf, sizeof(pdf), w1, NULL), 0);
        f->now += DOSSIER_DAY;
        assert_int_equal(dossier_replace(f->e, &gp, INS, w1, &report, pdf, sizeof(pdf), w2, NULL), 0);
        assert_int_equal(count_mine_all(f), 2);
        assert_true(trail_naming(f, w1) > 0);
        hold_at(f, f->now + 14 * DOSSIER_DAY, 1, 0, 0);
        /* the first document's month: its two versions shown, one release */
        hold_at(f, utc(2025, 4, 3, 8, 0, 0), 2, 0, 1);
        assert_int_equal(count_mine_all(f), 4);
        verify_chain(f);
}

/* Self-access from 16 (docs/rules.md §3), on the Paris date: born on
 * 15 January 2009, the patient is 16 at midnight in Paris, 23:00 UTC the
 * day before in winter: refused at 22:30 UTC, allowed at 23:30 UTC. */
UNIT_FIXTURE(test_sixteen_at_paris_midnight, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE];

        f->now = utc(2024, 6, 1, 10, 0, 0);
        open_dossier(f, INS, "2009-01-15", secret);
        f->now = utc(2025, 1, 14, 22, 30, 0); /* 23:30 on 14 January in Paris */
        assert_int_equal(count_mine(f), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_UNDER_16);
        f->now = utc(2025, 1, 14, 22, 59, 59);
        assert_int_equal(count_mine(f), -EACCES);
        f->now = utc(2025, 1, 14, 23, 30, 0); /* 00:30 on 15 January in Paris */
        assert_int_equal(count_mine(f), 0);
        assert_int_equal(last(f), ACCESS_ALLOW_PATIENT);
        verify_chain(f);
}

/* Parental authority ends at 18 (docs/rules.md §3), at midnight in Paris
 * (22:00 UTC in summer); someone born on 29 February comes of age on the
 * last day of February of a common year (the day brought back to the
 * month's last, as calendar months count). */
UNIT_FIXTURE(test_majority_paris_date, fixture_setup, fixture_teardown) {
        static const struct dossier_actor parent = {
                .kind = ACCESS_ACTOR_REPRESENTATIVE, .id = INS2, .session = "parent-session",
        };
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE];

        f->now = utc(2024, 6, 1, 10, 0, 0);
        open_dossier(f, INS, "2008-02-29", secret);
        assert_int_equal(dossier_set_representative(f->e, &gp, INS, parent.id, DOSSIER_REP_PARENTAL_AUTHORITY), 0);
        f->now = utc(2026, 2, 27, 22, 59, 59); /* 23:59:59 on 27 February in Paris: 17 */
        assert_int_equal(dossier_verify_representative(f->e, INS, parent.id, secret), 0);
        f->now = utc(2026, 2, 27, 23, 0, 0); /* 28 February 2026 in Paris: 18 */
        assert_int_equal(dossier_verify_representative(f->e, INS, parent.id, secret), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NOT_REPRESENTATIVE);
        verify_chain(f);
}

/* The first search of the doctor lists exactly the document uid. */
static void first_search_is(struct fixture *f, const char *uid) {
        _cleanup_free_ struct dossier_doc *docs = NULL;
        size_t n = 99;

        assert_int_equal(dossier_list(f->e, &gp, INS, DOSSIER_LIST_FIRST_SEARCH, &docs, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(docs[0].uid, uid);
}

/* The first search (docs/rules.md §4) covers the acts of the last two
 * calendar years: on 1 March 2025 at 10:00 in Paris, an act of 1 March
 * 2023 at 10:00 is in, one a second older is out (730 days would leave
 * out both: 2024 had a 29 February). */
UNIT_FIXTURE(test_first_search_two_calendar_years, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE], in[DOSSIER_UID_SIZE], out[DOSSIER_UID_SIZE];
        struct dossier_doc_meta m = report;

        f->now = utc(2025, 3, 1, 9, 0, 0);
        open_dossier(f, INS, "1985-05-12", secret);
        m.created_at = utc(2023, 3, 1, 9, 0, 0);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &m, pdf, sizeof(pdf), in, NULL), 0);
        m.created_at = utc(2023, 3, 1, 8, 59, 59);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &m, pdf, sizeof(pdf), out, NULL), 0);
        first_search_is(f, in);
}

/* The retention (docs/rules.md §3): a closed dossier is destroyed ten
 * calendar years after its closure, at the same time of day in Paris:
 * closed on 15 January 2025 at 12:00, destroyed on 15 January 2035 at
 * 12:00, 3652 days on (not 3653).  A dossier closed a day later, and met
 * first by the job, waits its own turn. */
UNIT_FIXTURE(test_retention_ten_calendar_years, fixture_setup, fixture_teardown) {
        static const struct dossier_actor patient2 = {
                .kind = ACCESS_ACTOR_PATIENT, .id = INS2, .session = "patient2-session",
        };
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE];
        struct dossier_info info;
        unsigned purged = 99;

        f->now = utc(2025, 1, 10, 11, 0, 0);
        open_dossier(f, INS, "1985-05-12", secret);  /* met first by the job */
        open_dossier(f, INS2, "1969-02-01", secret);
        f->now = utc(2025, 1, 15, 11, 0, 0); /* 12:00 in Paris */
        assert_int_equal(dossier_close(f->e, &patient2, INS2), 0);
        f->now = utc(2025, 1, 16, 11, 0, 0);
        assert_int_equal(dossier_close(f->e, &patient, INS), 0);

        f->now = utc(2035, 1, 15, 10, 59, 59);
        assert_int_equal(dossier_purge_expired(f->e, &purged), 0);
        assert_int_equal(purged, 0);
        f->now = utc(2035, 1, 15, 11, 0, 0);
        assert_int_equal(dossier_purge_expired(f->e, &purged), 0);
        assert_int_equal(purged, 1);
        assert_int_equal(dossier_info(f->e, &gp, INS2, &info), 0);
        assert_int_equal(info.status, ACCESS_DOSSIER_DESTROYED);
        assert_int_equal(dossier_info(f->e, &gp, INS, &info), 0);
        assert_int_equal(info.status, ACCESS_DOSSIER_CLOSED);
        f->now = utc(2035, 1, 16, 11, 0, 0);
        assert_int_equal(dossier_purge_expired(f->e, &purged), 0);
        assert_int_equal(purged, 1);
        assert_int_equal(dossier_info(f->e, &gp, INS, &info), 0);
        assert_int_equal(info.status, ACCESS_DOSSIER_DESTROYED);
        verify_chain(f);
}

UNIT_GROUP("dossier-calendar", NULL, NULL)
