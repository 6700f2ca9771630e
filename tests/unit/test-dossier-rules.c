/* tests/unit/test-dossier-rules.c: the rules of issue 11 that the engine
 * applies around a dossier's people (docs/rules.md §3): a masked document
 * stays visible to its depositor's establishment. Time is the fixture's
 * fake clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "dossier-fixture.h"
#include "engine/audit.h"
#include "engine/dossier-session.h"

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

/* The parent of the child of the representatives' tests (INS2). */
static const struct dossier_actor parent = {
        .kind = ACCESS_ACTOR_REPRESENTATIVE, .id = INS2, .session = "parent-session",
};

/* The patient's dossier opened by the doctor, with consent, for a person
 * born on birth_date (a child, in the representatives' tests); its secret
 * in secret. */
static void child_dossier(struct fixture *f, const char *birth_date, char secret[DOSSIER_SECRET_SIZE]) {
        struct dossier_identity child = ident;

        child.birth_date = birth_date;
        assert_int_equal(dossier_create(f->e, &gp, &child, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
}

static enum access_reason last(struct fixture *f) {
        return dossier_last_decision(f->e)->reason;
}

/* How many documents the patient sees in their dossier. */
static size_t count_mine(struct fixture *f) {
        _cleanup_free_ struct dossier_doc *docs = NULL;
        size_t n = 99;

        assert_int_equal(dossier_list(f->e, &patient, INS, 0, &docs, &n), 0);
        return n;
}

static int read_doc(struct fixture *f, const struct dossier_actor *a, const char *uid, struct dossier_doc *d) {
        _cleanup_free_ void *content = NULL;
        size_t len;
        return dossier_read(f->e, a, INS, uid, d, &content, &len);
}

/* The establishments the trail names for one actor's entries, and for
 * the patient's (docs/rules.md §7). */
struct trail_establishments {
        const char *actor;
        unsigned entries, named, patient_named;
        char last[64], workstation[64];
};

static int trail_establishment(const struct audit_entry *x, void *userdata) {
        struct trail_establishments *t = userdata;

        if (strcmp(x->actor, t->actor) == 0) {
                t->entries++;
                t->named += x->establishment && x->establishment[0];
                snprintf(t->last, sizeof(t->last), "%s", x->establishment ? x->establishment : "(null)");
                snprintf(t->workstation, sizeof(t->workstation), "%s", x->workstation ? x->workstation : "(null)");
        } else if (strcmp(x->actor_kind, "patient") == 0)
                t->patient_named += x->establishment && x->establishment[0];
        return 0;
}

/* Masking: the depositor, their establishment's professionals and nobody
 * else among the authorised (docs/rules.md §3 "Masking"). */
UNIT_FIXTURE(test_masked_establishment, fixture_setup, fixture_teardown) {
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
        /* the trail names each professional's establishment, allowed or
         * refused; the patient's entries name none */
        struct trail_establishments a1 = {.actor = clinic_a1.id}, b = {.actor = clinic_b.id};
        assert_int_equal(dossier_trail(f->e, &patient, INS, trail_establishment, &a1), 0);
        assert_int_equal(dossier_trail(f->e, &patient, INS, trail_establishment, &b), 0);
        assert_true(a1.entries >= 4);
        assert_int_equal(a1.named, a1.entries);
        assert_string_equal(a1.last, "Clinique des Tests");
        assert_int_equal(b.entries, 2); /* the read refused, masked, then the one allowed */
        assert_int_equal(b.named, 2);
        assert_string_equal(b.last, "Hopital Voisin");
        assert_int_equal(a1.patient_named, 0);
        verify_chain(f);
}

/* After death (docs/rules.md §3): a doctor with a relation records it, the
 * dossier closes and nobody acts as the patient; an heir's request, with
 * its purpose and unless the patient opposed it, lets the doctor who
 * recorded it read the closed dossier; the 10-year retention runs. */
UNIT_FIXTURE(test_after_death, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        static const char pdf[] = "%PDF-1.7 fake";
        char secret[DOSSIER_SECRET_SIZE], uid[DOSSIER_UID_SIZE];
        struct dossier_actor heir_doctor = clinic_b, silent = clinic_b;
        struct dossier_info info;
        struct dossier_doc d;
        unsigned purged = 0;

        heir_doctor.reason = "cause of death";
        silent.reason = NULL;
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, pdf, sizeof(pdf), uid, NULL), 0);
        /* before any death: no heir's request */
        assert_int_equal(dossier_heir_request(f->e, &heir_doctor, INS), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NOT_DECEASED);
        /* the patient, the nurse (not a doctor), a doctor without relation: refused */
        assert_int_equal(dossier_mark_deceased(f->e, &patient, INS), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_PROFESSIONAL_ONLY);
        assert_int_equal(dossier_set_access(f->e, &patient, INS, nurse.id, DOSSIER_ACCESS_AUTHORISE), 0);
        assert_int_equal(dossier_mark_deceased(f->e, &nurse, INS), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NOT_DOCTOR);
        assert_int_equal(dossier_mark_deceased(f->e, &clinic_b, INS), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NOT_AUTHORISED);

        f->now += 100;
        assert_int_equal(dossier_mark_deceased(f->e, &gp, INS), 0);
        assert_int_equal(dossier_info(f->e, &gp, INS, &info), 0);
        assert_int_equal(info.status, ACCESS_DOSSIER_CLOSED);
        assert_int_equal(info.deceased_at, f->now);
        assert_int_equal(info.closed_at, f->now);
        assert_int_equal(dossier_mark_deceased(f->e, &gp, INS), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_DECEASED);
        /* nobody acts as the patient, not even to reopen */
        assert_int_equal(dossier_reactivate(f->e, &patient, INS), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_DECEASED);
        assert_int_equal(dossier_verify_secret(f->e, INS, secret), 0);
        assert_int_equal(read_doc(f, &patient, uid, &d), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_DECEASED);
        /* the closed dossier stays closed to professionals */
        assert_int_equal(read_doc(f, &gp, uid, &d), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_CLOSED);

        /* an heir's request: a doctor, its purpose stated */
        assert_int_equal(dossier_heir_request(f->e, &nurse, INS), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NOT_DOCTOR);
        assert_int_equal(dossier_heir_request(f->e, &silent, INS), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_HEIR_NO_PURPOSE);
        assert_int_equal(read_doc(f, &heir_doctor, uid, &d), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_CLOSED);
        assert_int_equal(dossier_heir_request(f->e, &heir_doctor, INS), 0);
        assert_int_equal(last(f), ACCESS_ALLOW_HEIR);
        assert_int_equal(read_doc(f, &heir_doctor, uid, &d), 0);
        assert_int_equal(last(f), ACCESS_ALLOW_HEIR);
        /* for reading only */
        assert_int_equal(dossier_deposit(f->e, &heir_doctor, INS, &report, pdf, sizeof(pdf), uid, NULL), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_CLOSED);

        /* the retention: 10 years from the closure at death */
        f->now += 3652 * 86400;
        assert_int_equal(dossier_purge_expired(f->e, &purged), 0);
        assert_int_equal(purged, 0);
        f->now += 2 * 86400;
        assert_int_equal(dossier_purge_expired(f->e, &purged), 0);
        assert_int_equal(purged, 1);
        assert_int_equal(dossier_info(f->e, &gp, INS, &info), 0);
        assert_int_equal(info.status, ACCESS_DOSSIER_DESTROYED);
        verify_chain(f);
}

/* The patient's opposition, while alive, to their heirs' access. */
UNIT_FIXTURE(test_heirs_opposed, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE];
        struct dossier_actor heir_doctor = gp;

        heir_doctor.reason = "assert the heir's rights";
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
        assert_int_equal(dossier_set_options(f->e, &patient, INS, -1, -1, -1, 1), 0);
        assert_int_equal(dossier_mark_deceased(f->e, &gp, INS), 0);
        assert_int_equal(dossier_heir_request(f->e, &heir_doctor, INS), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_HEIRS_OPPOSED);
        assert_int_equal(dossier_list(f->e, &heir_doctor, INS, 0, &(struct dossier_doc *) { NULL },
                                      &(size_t) { 0 }), -EACCES);
        verify_chain(f);
}

/* The patient opens their own dossier (docs/rules.md §1): with their
 * consent, their own INS, 16 or older; each refusal traced. */
UNIT_FIXTURE(test_patient_opens, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE];
        struct dossier_identity child = ident;
        struct dossier_actor other = patient;
        int64_t n = audit_count(f);

        other.id = INS2;
        assert_int_equal(dossier_create(f->e, &patient, &ident, false, secret), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NO_CONSENT);
        assert_int_equal(dossier_create(f->e, &other, &ident, true, secret), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NOT_OWN_DOSSIER);
        child.birth_date = "2012-01-01"; /* 11 at T0 */
        assert_int_equal(dossier_create(f->e, &patient, &child, true, secret), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_UNDER_16);
        assert_int_equal(audit_count(f), n + 3);
        assert_int_equal(dossier_create(f->e, &patient, &ident, true, secret), 0);
        assert_int_equal(last(f), ACCESS_ALLOW_CREATE);
        assert_int_equal(dossier_verify_secret(f->e, INS, secret), 0);
        assert_int_equal(count_mine(f), 0);
        verify_chain(f);
}

/* How many trail entries name the document uid, as actor a sees the trail. */
struct trail_count {
        const char *uid;
        size_t n, about;
};

static int trail_counted(const struct audit_entry *a, void *userdata) {
        struct trail_count *c = userdata;
        c->n++;
        c->about += a->document && strcmp(a->document, c->uid) == 0;
        return 0;
}

/* Counts the notifications naming the document uid. */
static int notice_counted(const struct dossier_notification *no, void *userdata) {
        struct trail_count *c = userdata;
        c->n++;
        c->about += no->document && strcmp(no->document, c->uid) == 0;
        return 0;
}

/* Legal representatives (docs/rules.md §3): a parent recorded by a doctor
 * opens the under-16's dossier with its secret and acts as the patient,
 * traced as themselves, but never sees what the minor withheld from them
 * (L1111-5); one not recorded, or removed, is refused. */
UNIT_FIXTURE(test_representatives, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        static const char pdf[] = "%PDF-1.7 fake";
        char secret[DOSSIER_SECRET_SIZE], uid[DOSSIER_UID_SIZE], uid_withheld[DOSSIER_UID_SIZE];
        struct dossier_doc_meta withheld = report;
        struct dossier_doc d;
        _cleanup_free_ struct dossier_doc *docs = NULL;
        size_t n = 99;

        withheld.hidden_from_representatives = true;
        child_dossier(f, "2012-01-01", secret); /* 11 at T0 */
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, pdf, sizeof(pdf), uid, NULL), 0);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &withheld, pdf, sizeof(pdf), uid_withheld, NULL), 0);
        /* not yet a representative: the secret alone does not open */
        assert_int_equal(dossier_verify_representative(f->e, INS, INS2, secret), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NOT_REPRESENTATIVE);
        assert_int_equal(dossier_list(f->e, &parent, INS, 0, &docs, &n), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NOT_REPRESENTATIVE);
        /* only a professional with a relation records one */
        assert_int_equal(dossier_set_representative(f->e, &parent, INS, INS2, DOSSIER_REP_PARENTAL_AUTHORITY), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NOT_REPRESENTATIVE);
        assert_int_equal(dossier_set_representative(f->e, &clinic_b, INS, INS2, DOSSIER_REP_PARENTAL_AUTHORITY), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NOT_AUTHORISED);
        assert_int_equal(dossier_set_representative(f->e, &gp, INS, INS, DOSSIER_REP_GUARDIAN), -EINVAL);
        assert_int_equal(dossier_set_representative(f->e, &gp, INS, INS2, DOSSIER_REP_PARENTAL_AUTHORITY), 0);
        assert_int_equal(last(f), ACCESS_ALLOW_AUTHORISED);
        assert_int_equal(dossier_set_representative(f->e, &parent, INS, INS2, DOSSIER_REP_GUARDIAN), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_PROFESSIONAL_ONLY);

        /* the parent opens the under-16's dossier and lists it, less the withheld document */
        assert_int_equal(dossier_verify_representative(f->e, INS, INS2, "AAAA-AAAA-AAAA-AAAA"), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_BAD_SECRET);
        assert_int_equal(dossier_verify_representative(f->e, INS, INS2, secret), 0);
        assert_int_equal(last(f), ACCESS_ALLOW_REPRESENTATIVE);
        assert_int_equal(dossier_verify_secret(f->e, INS, secret), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_UNDER_16);
        assert_int_equal(dossier_list(f->e, &parent, INS, 0, &docs, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(docs[0].uid, uid);
        assert_int_equal(read_doc(f, &parent, uid, &d), 0);
        assert_int_equal(last(f), ACCESS_ALLOW_REPRESENTATIVE);
        assert_int_equal(read_doc(f, &parent, uid_withheld, &d), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_HIDDEN_FROM_REPRESENTATIVES);
        assert_int_equal(dossier_set_masked(f->e, &parent, INS, uid_withheld, true), -EACCES);
        /* the doctor still reads it, flagged as such */
        assert_int_equal(read_doc(f, &gp, uid_withheld, &d), 0);
        assert_true(d.hidden_from_representatives);

        /* the parent's trail leaves out every entry about it, the doctor's does not */
        struct trail_count rep_view = {.uid = uid_withheld}, pro_view = {.uid = uid_withheld};
        assert_int_equal(dossier_trail(f->e, &parent, INS, trail_counted, &rep_view), 0);
        assert_int_equal(rep_view.about, 0);
        assert_true(rep_view.n > 0);
        assert_int_equal(dossier_trail(f->e, &gp, INS, trail_counted, &pro_view), -EACCES);
        /* (the trail is the patient's: at 16, the patient sees all of it) */

        /* a document held back and withheld: the notice to consult, two weeks
         * on, is the patient's; the parent's notifications never name it */
        struct dossier_doc_meta both = withheld;
        char uid_both[DOSSIER_UID_SIZE];
        unsigned notified = 0, released = 0;
        both.hidden_from_patient = true;
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &both, pdf, sizeof(pdf), uid_both, NULL), 0);
        f->now = T0 + 15 * DOSSIER_DAY;
        assert_int_equal(dossier_tick(f->e, &notified, &released), 0);
        assert_int_equal(notified, 1);
        struct trail_count rep_notes = {.uid = uid_both};
        assert_int_equal(dossier_notifications(f->e, &parent, INS, notice_counted, &rep_notes), 0);
        assert_int_equal(rep_notes.about, 0);
        /* the notice exists: the same walk without the filter finds it */
        char sql[128];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM notifications WHERE document = '%s'", uid_both);
        assert_int_equal(test_store_query_int(&f->ts, sql, NULL), 1);

        /* removed, the parent is refused again; removing twice says so */
        assert_int_equal(dossier_remove_representative(f->e, &gp, INS, INS2), 0);
        assert_int_equal(dossier_remove_representative(f->e, &gp, INS, INS2), -ENOENT);
        assert_int_equal(dossier_list(f->e, &parent, INS, 0, &docs, &n), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NOT_REPRESENTATIVE);
        verify_chain(f);
}

/* The care-coordination alerts of a representative's deposit never name
 * a document the minor withheld from them (L1111-5): neither the same
 * exam done earlier nor a treatment that interacts; the doctor's own
 * deposit is warned of both. */
UNIT_FIXTURE(test_representative_alerts, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        static const char pdf[] = "%PDF-1.7 fake";
        char secret[DOSSIER_SECRET_SIZE], uid[DOSSIER_UID_SIZE], lab_uid[DOSSIER_UID_SIZE];
        struct dossier_doc_meta lab = report, own = report;
        struct dossier_warnings w;

        lab.type_code = "11502-2";
        lab.class_code = "10";
        lab.medicines = "B01AA03";
        lab.hidden_from_representatives = true;
        own.type_code = "11502-2";
        own.class_code = ACCESS_CLASS_PATIENT;
        own.medicines = "N02BA01";
        child_dossier(f, "2012-01-01", secret); /* 11 at T0 */
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &lab, pdf, sizeof(pdf), lab_uid, NULL), 0);
        assert_int_equal(dossier_set_representative(f->e, &gp, INS, INS2, DOSSIER_REP_PARENTAL_AUTHORITY), 0);

        assert_int_equal(dossier_deposit(f->e, &parent, INS, &own, pdf, sizeof(pdf), uid, &w), 0);
        assert_int_equal(last(f), ACCESS_ALLOW_REPRESENTATIVE);
        for (size_t i = 0; i < w.n; i++)
                assert_string_not_equal(w.w[i].other_uid, lab_uid);
        assert_int_equal(w.n, 0);
        /* the doctor, who sees it, is warned of the same exam and the interaction */
        own.class_code = "10";
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &own, pdf, sizeof(pdf), uid, &w), 0);
        assert_int_equal(w.n, 2);
        verify_chain(f);
}

/* A destroyed dossier keeps nobody's standing: its legal representatives
 * go with its access list, and a dossier opened again on its tombstone
 * has none until a professional records them again. */
UNIT_FIXTURE(test_representatives_destroyed, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE];
        struct dossier_identity child = ident;

        child_dossier(f, "2012-01-01", secret); /* 11 at T0 */
        assert_int_equal(dossier_set_representative(f->e, &gp, INS, INS2, DOSSIER_REP_PARENTAL_AUTHORITY), 0);
        assert_int_equal(dossier_destroy(f->e, &parent, INS), 0);
        assert_int_equal(test_store_query_int(&f->ts, "SELECT count(*) FROM representatives", NULL), 0);

        child.birth_date = "2012-01-01"; /* the same child */
        assert_int_equal(dossier_create(f->e, &gp, &child, true, secret), 0);
        assert_int_equal(dossier_verify_representative(f->e, INS, INS2, secret), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NOT_REPRESENTATIVE);
        assert_int_equal(dossier_list(f->e, &parent, INS, 0, &(struct dossier_doc *) { NULL }, &(size_t) { 0 }),
                         -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NOT_REPRESENTATIVE);
        verify_chain(f);
}

/* A new version of a document withheld from the representatives is that
 * document: it stays withheld (L1111-5), as a masked one stays masked,
 * whatever the replacement's metadata say. */
UNIT_FIXTURE(test_representatives_replaced, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        static const char pdf[] = "%PDF-1.7 fake";
        char secret[DOSSIER_SECRET_SIZE], uid[DOSSIER_UID_SIZE], v2[DOSSIER_UID_SIZE];
        struct dossier_doc_meta withheld = report;
        _cleanup_free_ struct dossier_doc *docs = NULL;
        struct dossier_doc d;
        size_t n = 99;

        withheld.hidden_from_representatives = true;
        child_dossier(f, "2012-01-01", secret); /* 11 at T0 */
        assert_int_equal(dossier_set_representative(f->e, &gp, INS, INS2, DOSSIER_REP_PARENTAL_AUTHORITY), 0);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &withheld, pdf, sizeof(pdf), uid, NULL), 0);
        assert_int_equal(dossier_replace(f->e, &gp, INS, uid, &report, "v2", 2, v2, NULL), 0);

        assert_int_equal(dossier_list(f->e, &parent, INS, DOSSIER_LIST_ALL_STATUSES, &docs, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(read_doc(f, &parent, v2, &d), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_HIDDEN_FROM_REPRESENTATIVES);
        assert_int_equal(read_doc(f, &gp, v2, &d), 0);
        assert_true(d.hidden_from_representatives);
        verify_chain(f);
}

/* Parental authority ends at majority (Code civil 371-1, 414): from the
 * patient's 18th birthday a parent no longer acts for them; a guardian,
 * for a protected adult, still does. */
UNIT_FIXTURE(test_parental_authority_ends_at_18, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        static const struct dossier_actor guardian = {
                .kind = ACCESS_ACTOR_REPRESENTATIVE, .id = "299019934173254", .session = "guardian-session",
        };
        char secret[DOSSIER_SECRET_SIZE];
        _cleanup_free_ struct dossier_doc *docs = NULL;
        size_t n = 99;

        child_dossier(f, "2006-01-01", secret); /* 17 at T0 */
        assert_int_equal(dossier_set_representative(f->e, &gp, INS, parent.id, DOSSIER_REP_PARENTAL_AUTHORITY), 0);
        assert_int_equal(dossier_set_representative(f->e, &gp, INS, guardian.id, DOSSIER_REP_GUARDIAN), 0);
        f->now = INT64_C(1704063599); /* 2023-12-31T22:59:59Z, 23:59:59 in Paris: still 17 */
        assert_int_equal(dossier_verify_representative(f->e, INS, parent.id, secret), 0);
        assert_int_equal(dossier_list(f->e, &parent, INS, 0, &docs, &n), 0);
        assert_int_equal(last(f), ACCESS_ALLOW_REPRESENTATIVE);
        free(docs);
        docs = NULL;

        f->now = INT64_C(1704063600); /* 2023-12-31T23:00:00Z, midnight in Paris: 18 */
        assert_int_equal(dossier_verify_representative(f->e, INS, parent.id, secret), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NOT_REPRESENTATIVE);
        assert_int_equal(dossier_list(f->e, &parent, INS, 0, &docs, &n), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NOT_REPRESENTATIVE);
        assert_int_equal(dossier_verify_representative(f->e, INS, guardian.id, secret), 0);
        assert_int_equal(dossier_list(f->e, &guardian, INS, 0, &docs, &n), 0);
        assert_int_equal(last(f), ACCESS_ALLOW_REPRESENTATIVE);
        verify_chain(f);
}

/* The trail entry of a session's opening names the session's
 * establishment where it has one (docs/rules.md §7: the workstation's
 * trail identifies the user and the establishment), and on a dossier host
 * the workstation it was opened through; a refused opening has no session
 * and names none; a malformed establishment or workstation is refused. */
UNIT_FIXTURE(test_open_session_establishment, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        static const char sha[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        struct trail_establishments a1 = {.actor = clinic_a1.id}, none = {.actor = gp.id};
        struct store *s = dossier_engine_store(f->e);
        int64_t n;

        assert_int_equal(dossier_session_audit(f->e, clinic_a1.id, "a1", clinic_a1.establishment, NULL, sha), 0);
        assert_int_equal(audit_list(s, "", trail_establishment, &a1), 0);
        assert_int_equal(a1.entries, 1);
        assert_int_equal(a1.named, 1);
        assert_string_equal(a1.last, "Clinique des Tests");
        assert_string_equal(a1.workstation, "");
        /* on a dossier host: the workstation it was opened through too */
        a1 = (struct trail_establishments) {.actor = clinic_a1.id};
        assert_int_equal(dossier_session_audit(f->e, clinic_a1.id, "a1-host", clinic_a1.establishment, "ws-7", sha), 0);
        assert_int_equal(audit_list(s, "", trail_establishment, &a1), 0);
        assert_int_equal(a1.entries, 2);
        assert_string_equal(a1.workstation, "ws-7");

        assert_int_equal(dossier_session_audit(f->e, gp.id, "gp-session", NULL, NULL, sha), 0);
        assert_int_equal(dossier_session_audit(f->e, gp.id, "gp-session-2", "", "", sha), 0);
        assert_int_equal(dossier_session_refused(f->e, gp.id, sha, "revoked"), 0);
        assert_int_equal(audit_list(s, "", trail_establishment, &none), 0);
        assert_int_equal(none.entries, 3);
        assert_int_equal(none.named, 0);

        n = audit_count(f);
        assert_int_equal(dossier_session_audit(f->e, gp.id, "gp-session", "Clinique\ncachee", NULL, sha), -EINVAL);
        assert_int_equal(dossier_session_audit(f->e, gp.id, "gp-session", NULL, "ws\n7", sha), -EINVAL);
        assert_int_equal(audit_count(f), n);
        verify_chain(f);
}

/* The last open-session entry of the trail. */
struct last_session_entry {
        char actor_kind[32], actor[32], outcome[16], code[64], reason[96];
};

static int last_session_entry(const struct audit_entry *x, void *userdata) {
        struct last_session_entry *t = userdata;
        if (strcmp(x->action, "open-session") == 0) {
                snprintf(t->actor_kind, sizeof(t->actor_kind), "%s", x->actor_kind);
                snprintf(t->actor, sizeof(t->actor), "%s", x->actor);
                snprintf(t->outcome, sizeof(t->outcome), "%s", x->outcome);
                snprintf(t->code, sizeof(t->code), "%s", x->code);
                snprintf(t->reason, sizeof(t->reason), "%s", x->reason);
        }
        return 0;
}

/* A refused card is traced with its certificate's fingerprint, under the
 * professional's national id when its chain verified, else as an
 * unverified actor that names nobody. */
UNIT_FIXTURE(test_open_session_refused, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        static const char sha[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        struct store *s = dossier_engine_store(f->e);
        struct last_session_entry t;

        assert_int_equal(dossier_session_refused(f->e, gp.id, sha, "expired"), 0);
        assert_int_equal(audit_list(s, "", last_session_entry, &t), 0);
        assert_string_equal(t.actor_kind, "professional");
        assert_string_equal(t.actor, gp.id);
        assert_string_equal(t.outcome, "deny");
        assert_string_equal(t.code, "deny-expired");
        assert_string_equal(t.reason, "cert-sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");

        assert_int_equal(dossier_session_refused(f->e, NULL, sha, "unknown_ca"), 0);
        assert_int_equal(audit_list(s, "", last_session_entry, &t), 0);
        assert_string_equal(t.actor_kind, "unverified");
        assert_string_equal(t.actor, "");
        assert_string_equal(t.code, "deny-unknown_ca");
        assert_string_equal(t.reason, "cert-sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");

        int64_t n = audit_count(f);
        assert_int_equal(dossier_session_refused(f->e, "", sha, "unknown_ca"), -EINVAL);
        assert_int_equal(dossier_session_refused(f->e, NULL, "0123", "unknown_ca"), -EINVAL);
        assert_int_equal(dossier_session_refused(f->e, NULL, NULL, "unknown_ca"), -EINVAL);
        assert_int_equal(dossier_session_refused(f->e, NULL,
                                                 "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
                                                 "unknown_ca"), -EINVAL);
        assert_int_equal(audit_count(f), n);
        verify_chain(f);
}

/* A malformed establishment is refused before any decision. */
UNIT_FIXTURE(test_establishment_checked, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE];
        struct dossier_actor bad = clinic_a1;
        int64_t n = audit_count(f);

        bad.establishment = "Clinique\ncachee";
        assert_int_equal(dossier_create(f->e, &bad, &ident, true, secret), -EINVAL);
        assert_int_equal(audit_count(f), n);
}

/* Each test on a fresh engine of its own. */

UNIT_GROUP("dossier-rules", NULL, NULL)
