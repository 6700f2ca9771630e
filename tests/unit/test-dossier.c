/* tests/unit/test-dossier.c: the dossier engine end to end: lifecycle,
 * access list, masking, emergency access and its notifications, held-back
 * documents, retention, care-coordination alerts, hostile strings. Time is
 * the fixture's fake clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "unit.h"

#include "dossier-fixture.h"

static const struct dossier_doc_meta report = {
        .type_code = "11488-4", .class_code = "10", .format_code = "urn:ihe:iti:xds:2017:mimeTypeSufficient",
        .mime = "application/pdf", .title = "Consultation du 12 mars", .created_at = T0 - 3600,
};

static void create(struct fixture *f) {
        char secret[DOSSIER_SECRET_SIZE];

        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
}

/* The patient of INS2 opens their own dossier. */
static void create_own_ins2(struct fixture *f) {
        char secret[DOSSIER_SECRET_SIZE];
        struct dossier_identity id2 = ident;
        struct dossier_actor p2 = patient;
        id2.ins = INS2;
        id2.sex = "F";
        p2.id = INS2;
        assert_int_equal(dossier_create(f->e, &p2, &id2, true, secret), 0);
}

static enum access_reason last(struct fixture *f) {
        return dossier_last_decision(f->e)->reason;
}

static void deposit(struct fixture *f, const struct dossier_actor *a, const struct dossier_doc_meta *m,
                    char uid[DOSSIER_UID_SIZE], struct dossier_warnings *w) {
        static const char pdf[] = "%PDF-1.7 fake";
        assert_int_equal(dossier_deposit(f->e, a, INS, m, pdf, sizeof(pdf), uid, w), 0);
}

static size_t count_visible(struct fixture *f, const struct dossier_actor *a, unsigned flags) {
        _cleanup_free_ struct dossier_doc *docs = NULL;
        size_t n = 0;

        assert_int_equal(dossier_list(f->e, a, INS, flags, &docs, &n), 0);
        return n;
}

UNIT_FIXTURE(test_create, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE], again[DOSSIER_SECRET_SIZE];
        struct dossier_identity bad = ident;
        int64_t n;

        /* without consent: refused and audited */
        n = audit_count(f);
        assert_int_equal(dossier_create(f->e, &gp, &ident, false, secret), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NO_CONSENT);
        assert_int_equal(audit_count(f), n + 1);

        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(strlen(secret), DOSSIER_SECRET_SIZE - 1);
        assert_int_equal(dossier_verify_secret(f->e, INS, secret), 0);
        assert_int_equal(dossier_verify_secret(f->e, INS, "AAAA-AAAA-AAAA-AAAA"), -EACCES);
        assert_int_equal(dossier_verify_secret(f->e, INS2, secret), -ENOENT);
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, again), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_DOSSIER_EXISTS);

        /* malformed INS and traits: refused before any decision */
        bad.ins = "185057800608490";
        assert_int_equal(dossier_create(f->e, &gp, &bad, true, again), -EINVAL);
        bad = ident;
        bad.ins_oid = "1.2.3";
        assert_int_equal(dossier_create(f->e, &gp, &bad, true, again), -EINVAL);
        bad = ident;
        bad.sex = "X";
        assert_int_equal(dossier_create(f->e, &gp, &bad, true, again), -EINVAL);
        /* a Corsican INS has one spelling, upper case: the lower-case one,
         * whose key is as good, would be another dossier of the same person */
        bad = ident;
        bad.ins = "185052a00101164";
        assert_int_equal(dossier_create(f->e, &gp, &bad, true, again), -EINVAL);
        assert_int_equal(dossier_record_consent(f->e, &gp, "185052a00101164"), -EINVAL);
        assert_int_equal(dossier_verify_secret(f->e, "185052a00101164", again), -EINVAL);
        bad.ins = "185052A00101164";
        assert_int_equal(dossier_create(f->e, &gp, &bad, true, again), 0);
        assert_int_equal(dossier_set_access(f->e, &(struct dossier_actor) {.kind = ACCESS_ACTOR_PATIENT,
                                                    .id = "185052a00101164"}, "185052a00101164", nurse.id,
                                            DOSSIER_ACCESS_BLOCK), -EINVAL);

        /* the secret is not stored in clear */
        assert_int_equal(test_store_query_int(&f->ts, test_pg() ?
                                 "SELECT count(*) FROM dossiers WHERE position(convert_to(?1, 'UTF8') in secret_hash) > 0 "
                                 "OR position(convert_to(?1, 'UTF8') in secret_salt) > 0" :
                                 "SELECT count(*) FROM dossiers WHERE instr(CAST(secret_hash AS TEXT), ?1) "
                                 "OR instr(CAST(secret_salt AS TEXT), ?1)", secret), 0);
        /* the patient opens their own */
        create_own_ins2(f);
        verify_chain(f);
}

/* The dossier opened with the professional's consent in one call: two
 * trail entries (create, record-consent), the professional authorised;
 * a refusal keeps its one entry; a patient actor is not for it. */
UNIT_FIXTURE(test_create_with_consent, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE];
        _cleanup_free_ struct dossier_access_entry *list = NULL;
        size_t n = 0;

        int64_t before = audit_count(f);
        assert_int_equal(dossier_create_with_consent(f->e, &gp, &ident, false, secret), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NO_CONSENT);
        assert_int_equal(audit_count(f), before + 1);
        assert_int_equal(dossier_create_with_consent(f->e, &patient, &ident, true, secret), -EINVAL);
        assert_int_equal(audit_count(f), before + 1);
        assert_int_equal(dossier_create_with_consent(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(last(f), ACCESS_ALLOW_RECORD_CONSENT);
        assert_int_equal(audit_count(f), before + 3);
        assert_int_equal(dossier_verify_secret(f->e, INS, secret), 0);
        assert_int_equal(count_visible(f, &gp, 0), 0);
        assert_int_equal(dossier_list_access(f->e, &patient, INS, &list, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(list[0].id_nat, gp.id);
        assert_int_equal(list[0].relation, ACCESS_REL_AUTHORISED);
        before = audit_count(f);
        assert_int_equal(dossier_create_with_consent(f->e, &nurse, &ident, true, secret), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_DOSSIER_EXISTS);
        assert_int_equal(audit_count(f), before + 1);
        /* a tombstone reopened so, the professional's consent with it */
        assert_int_equal(dossier_destroy(f->e, &patient, INS), 0);
        assert_int_equal(dossier_create_with_consent(f->e, &nurse, &ident, true, secret), 0);
        free(TAKE_PTR(list));
        assert_int_equal(dossier_list_access(f->e, &patient, INS, &list, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(list[0].id_nat, nurse.id);
        verify_chain(f);
}

/* Several changes of one line in one call: each traced, all made; a
 * refusal of the first traced alone; a bad change refused before any. */
UNIT_FIXTURE(test_set_access_many, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        _cleanup_free_ struct dossier_access_entry *list = NULL;
        size_t n = 0;
        const enum dossier_access_change two[] = {DOSSIER_ACCESS_TRAITANT, DOSSIER_ACCESS_BLOCK};
        const enum dossier_access_change bad[] = {DOSSIER_ACCESS_AUTHORISE, _DOSSIER_ACCESS_CHANGE_MAX};

        create(f);
        int64_t before = audit_count(f);
        assert_int_equal(dossier_set_access_many(f->e, &patient, INS, nurse.id, bad, 2), -EINVAL);
        assert_int_equal(dossier_set_access_many(f->e, &patient, INS, nurse.id, two, 0), -EINVAL);
        assert_int_equal(audit_count(f), before);
        assert_int_equal(dossier_set_access_many(f->e, &gp, INS, nurse.id, two, 2), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_PATIENT_ONLY);
        assert_int_equal(audit_count(f), before + 1);
        assert_int_equal(dossier_set_access_many(f->e, &patient, INS, nurse.id, two, 2), 0);
        assert_int_equal(audit_count(f), before + 3);
        assert_int_equal(dossier_list_access(f->e, &patient, INS, &list, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(list[1].id_nat, nurse.id);
        assert_int_equal(list[1].relation, ACCESS_REL_TRAITANT);
        assert_true(list[1].blocked);
        verify_chain(f);
}

UNIT_FIXTURE(test_access_list, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char uid[DOSSIER_UID_SIZE], masked_uid[DOSSIER_UID_SIZE];
        _cleanup_free_ struct dossier_access_entry *list = NULL;
        _cleanup_free_ void *content = NULL;
        struct dossier_doc d;
        size_t n, len;
        int64_t before;

        create(f);
        /* not authorised yet: the nurse is refused, and the refusal audited */
        before = audit_count(f);
        assert_int_equal(dossier_list(f->e, &nurse, INS, 0, &(struct dossier_doc *) { NULL }, &n), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NOT_AUTHORISED);
        assert_int_equal(audit_count(f), before + 1);

        deposit(f, &gp, &report, uid, NULL);
        deposit(f, &gp, &report, masked_uid, NULL);
        assert_int_equal(dossier_set_access(f->e, &patient, INS, nurse.id, DOSSIER_ACCESS_AUTHORISE), 0);
        assert_int_equal(count_visible(f, &nurse, 0), 2);

        /* masking hides from the nurse, not from the author */
        assert_int_equal(dossier_set_masked(f->e, &patient, INS, masked_uid, true), 0);
        assert_int_equal(count_visible(f, &nurse, 0), 1);
        assert_int_equal(count_visible(f, &gp, 0), 2);
        assert_int_equal(dossier_read(f->e, &nurse, INS, masked_uid, &d, &content, &len), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_MASKED);
        /* the patient names the nurse... no: grants the masked right */
        assert_int_equal(dossier_set_access(f->e, &patient, INS, nurse.id, DOSSIER_ACCESS_GRANT_MASKED), 0);
        assert_int_equal(dossier_read(f->e, &nurse, INS, masked_uid, &d, &content, &len), 0);
        assert_int_equal(d.version, 2); /* masking made a new version of the entry */
        assert_true(d.masked);
        free(TAKE_PTR(content));
        assert_int_equal(dossier_set_access(f->e, &patient, INS, nurse.id, DOSSIER_ACCESS_REVOKE_MASKED), 0);
        assert_int_equal(dossier_set_masked(f->e, &patient, INS, masked_uid, false), 0);
        assert_int_equal(count_visible(f, &nurse, 0), 2);

        /* a block wins, also in emergency mode */
        assert_int_equal(dossier_set_access(f->e, &patient, INS, nurse.id, DOSSIER_ACCESS_BLOCK), 0);
        assert_int_equal(dossier_read(f->e, &nurse, INS, uid, &d, &content, &len), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_BLOCKED);
        {
                struct dossier_actor nurse_er = nurse;
                nurse_er.mode = ACCESS_MODE_EMERGENCY;
                nurse_er.reason = "cardiac arrest";
                assert_int_equal(dossier_read(f->e, &nurse_er, INS, uid, &d, &content, &len), -EACCES);
                assert_int_equal(last(f), ACCESS_DENY_BLOCKED);
        }
        assert_int_equal(dossier_set_access(f->e, &patient, INS, nurse.id, DOSSIER_ACCESS_UNBLOCK), 0);
        assert_int_equal(dossier_read(f->e, &nurse, INS, uid, &d, &content, &len), 0);
        assert_memory_equal(content, "%PDF-1.7 fake", 14);
        assert_string_equal(d.title, report.title);
        assert_string_equal(d.author_id, gp.id);

        /* professionals may not edit the list */
        assert_int_equal(dossier_set_access(f->e, &gp, INS, nurse.id, DOSSIER_ACCESS_BLOCK), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_PATIENT_ONLY);

        /* the patient sees who has access, with names */
        assert_int_equal(dossier_list_access(f->e, &patient, INS, &list, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(list[0].id_nat, gp.id);
        assert_string_equal(list[0].last_name, "MARTIN");
        assert_int_equal(list[1].relation, ACCESS_REL_AUTHORISED);
        assert_true(list[1].first_access_at > 0);

        /* another patient's dossier is not theirs */
        {
                struct dossier_actor other = patient;
                other.id = INS2;
                assert_int_equal(dossier_list(f->e, &other, INS, 0, &(struct dossier_doc *) { NULL }, &n), -EACCES);
                assert_int_equal(last(f), ACCESS_DENY_NOT_OWN_DOSSIER);
        }
        verify_chain(f);
}

UNIT_FIXTURE(test_versions, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char uid[DOSSIER_UID_SIZE], v2[DOSSIER_UID_SIZE], mine[DOSSIER_UID_SIZE];
        _cleanup_free_ struct dossier_doc *docs = NULL;
        struct dossier_doc_meta pat = report;
        size_t n;

        create(f);
        deposit(f, &gp, &report, uid, NULL);
        assert_int_equal(dossier_replace(f->e, &gp, INS, uid, &report, "v2", 2, v2, NULL), 0);
        assert_int_equal(dossier_replace(f->e, &gp, INS, uid, &report, "v3", 2, mine, NULL), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_DOC_NOT_CURRENT);
        assert_int_equal(count_visible(f, &gp, 0), 1);
        assert_int_equal(dossier_list(f->e, &gp, INS, DOSSIER_LIST_ALL_STATUSES, &docs, &n), 0);
        assert_int_equal(n, 2);
        for (size_t i = 0; i < n; i++) {
                if (strcmp(docs[i].uid, uid) == 0) {
                        assert_int_equal(docs[i].status, ACCESS_DOC_DEPRECATED);
                        assert_string_equal(docs[i].replaced_by, v2);
                } else {
                        assert_int_equal(docs[i].status, ACCESS_DOC_APPROVED);
                        assert_int_equal(docs[i].version, 2);
                }
        }
        /* only the author archives; the patient cannot deposit a report */
        assert_int_equal(dossier_set_access(f->e, &patient, INS, nurse.id, DOSSIER_ACCESS_AUTHORISE), 0);
        assert_int_equal(dossier_archive(f->e, &nurse, INS, v2), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NOT_AUTHOR);
        assert_int_equal(dossier_archive(f->e, &gp, INS, v2), 0);
        assert_int_equal(count_visible(f, &gp, 0), 0);
        assert_int_equal(dossier_deposit(f->e, &patient, INS, &report, "x", 1, mine, NULL), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_CLASS_RESERVED);
        pat.type_code = "DOCPAT01";
        pat.class_code = "90";
        assert_int_equal(dossier_deposit(f->e, &patient, INS, &pat, "x", 1, mine, NULL), 0);
        free(docs);
        docs = NULL;
        assert_int_equal(dossier_list(f->e, &gp, INS, 0, &docs, &n), 0);
        assert_int_equal(n, 1);
        assert_true(docs[0].patient_deposit);
        /* unknown document: -ENOENT for an authorised reader */
        assert_int_equal(dossier_archive(f->e, &gp, INS, "0123456789abcdef0123456789abcdef"), -ENOENT);
        assert_int_equal(last(f), ACCESS_DENY_NO_DOCUMENT);
        verify_chain(f);
}

struct notes {
        unsigned emergency, first, hold;
};

static int count_notes(const struct dossier_notification *n, void *userdata) {
        struct notes *c = userdata;

        if (strcmp(n->kind, "emergency-access") == 0)
                c->emergency++;
        else if (strcmp(n->kind, "first-access") == 0)
                c->first++;
        else if (strcmp(n->kind, "hold-consult") == 0)
                c->hold++;
        return 0;
}

struct trail_count {
        unsigned emergency, deny;
};

static int count_trail(const struct audit_entry *e, void *userdata) {
        struct trail_count *c = userdata;

        if (strcmp(e->mode, "emergency") == 0)
                c->emergency++;
        if (strcmp(e->outcome, "deny") == 0)
                c->deny++;
        return 0;
}

/* Newest deposit first, and among those of the same second the later
 * one first; with every status the replaced versions take their place
 * by deposit time among the others (two statements, two index walks). */
UNIT_FIXTURE(test_list_order, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char a[DOSSIER_UID_SIZE], b[DOSSIER_UID_SIZE], c[DOSSIER_UID_SIZE], c2[DOSSIER_UID_SIZE];
        _cleanup_free_ struct dossier_doc *docs = NULL;
        size_t n;

        create(f);
        deposit(f, &gp, &report, a, NULL);
        f->now += 10;
        deposit(f, &gp, &report, b, NULL);
        deposit(f, &gp, &report, c, NULL); /* the same second as b */
        f->now += 10;
        assert_int_equal(dossier_replace(f->e, &gp, INS, b, &report, "v2", 2, c2, NULL), 0);

        assert_int_equal(dossier_list(f->e, &gp, INS, 0, &docs, &n), 0);
        assert_int_equal(n, 3);
        assert_string_equal(docs[0].uid, c2);
        assert_string_equal(docs[1].uid, c);
        assert_string_equal(docs[2].uid, a);
        free(docs);
        docs = NULL;
        assert_int_equal(dossier_list(f->e, &gp, INS, DOSSIER_LIST_ALL_STATUSES, &docs, &n), 0);
        assert_int_equal(n, 4);
        assert_string_equal(docs[0].uid, c2);
        assert_string_equal(docs[1].uid, c);
        assert_string_equal(docs[2].uid, b);
        assert_int_equal(docs[2].status, ACCESS_DOC_DEPRECATED);
        assert_string_equal(docs[3].uid, a);
}

UNIT_FIXTURE(test_emergency, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char uid[DOSSIER_UID_SIZE];
        _cleanup_free_ void *content = NULL;
        struct dossier_actor er2 = er;
        struct notes pn = {}, tn = {};
        struct trail_count tc = {};
        struct dossier_doc d;
        size_t len;

        create(f);
        assert_int_equal(dossier_set_access(f->e, &patient, INS, gp.id, DOSSIER_ACCESS_TRAITANT), 0);
        deposit(f, &gp, &report, uid, NULL);

        assert_int_equal(dossier_read(f->e, &er, INS, uid, &d, &content, &len), 0);
        assert_int_equal(last(f), ACCESS_ALLOW_EMERGENCY);
        free(TAKE_PTR(content));
        assert_int_equal(count_visible(f, &er, 0), 1); /* same session: notified once */

        er2.reason = "";
        assert_int_equal(dossier_read(f->e, &er2, INS, uid, &d, &content, &len), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_EMERGENCY_NO_REASON);

        assert_int_equal(dossier_notifications(f->e, &patient, INS, count_notes, &pn), 0);
        assert_int_equal(pn.emergency, 1);
        assert_int_equal(pn.first, 2); /* the gp (first deposit) and the emergency doctor */
        assert_int_equal(dossier_notifications_for(f->e, gp.id, count_notes, &tn), 0);
        assert_int_equal(tn.emergency, 1);
        /* the hook heard of each committed notification, by kind only */
        assert_int_equal(f->hook_emergency, 2);
        assert_int_equal(f->hook_first, 2);
        assert_int_equal(f->hook_other, 0);

        assert_int_equal(dossier_trail(f->e, &patient, INS, count_trail, &tc), 0);
        assert_int_equal(tc.emergency, 3);
        assert_int_equal(tc.deny, 1);

        /* opt-out */
        assert_int_equal(dossier_set_options(f->e, &patient, INS, 1, -1, -1, -1), 0);
        assert_int_equal(count_visible(f, &gp, 0), 1);
        er2.reason = "coma";
        er2.session = "other";
        assert_int_equal(dossier_read(f->e, &er2, INS, uid, &d, &content, &len), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_EMERGENCY_OPTED_OUT);
        /* call centre still possible until opted out too */
        er2.mode = ACCESS_MODE_CALL_CENTRE;
        assert_int_equal(dossier_read(f->e, &er2, INS, uid, &d, &content, &len), 0);
        free(TAKE_PTR(content));
        assert_int_equal(dossier_set_options(f->e, &patient, INS, -1, 1, -1, -1), 0);
        assert_int_equal(dossier_read(f->e, &er2, INS, uid, &d, &content, &len), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_CALL_CENTRE_OPTED_OUT);
        verify_chain(f);
}

struct doc_mentions {
        const char *uid;
        unsigned n;
};

static int count_mentions(const struct audit_entry *a, void *userdata) {
        struct doc_mentions *m = userdata;
        m->n += strcmp(a->document, m->uid) == 0;
        return 0;
}

/* How many trail entries actor sees about document uid. */
static unsigned mentions(struct fixture *f, const struct dossier_actor *actor, const char *uid) {
        struct doc_mentions m = {.uid = uid};
        assert_int_equal(dossier_trail(f->e, actor, INS, count_mentions, &m), 0);
        return m.n;
}

UNIT_FIXTURE(test_hold, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct dossier_doc_meta held = report;
        _cleanup_free_ struct dossier_doc *docs = NULL;
        char uid[DOSSIER_UID_SIZE], uid2[DOSSIER_UID_SIZE];
        unsigned notified = 9, released = 9;
        struct notes pn = {};
        size_t n;

        create(f);
        held.hidden_from_patient = true;
        held.title = "Compte rendu d'annonce";
        deposit(f, &gp, &held, uid, NULL);
        deposit(f, &gp, &held, uid2, NULL);
        assert_int_equal(count_visible(f, &patient, 0), 0);
        assert_int_equal(dossier_list(f->e, &gp, INS, 0, &docs, &n), 0);
        assert_int_equal(n, 2);
        assert_true(docs[0].warn_hidden_from_patient);
        assert_int_equal(dossier_set_masked(f->e, &patient, INS, uid, true), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_HIDDEN_FROM_PATIENT);
        /* the trail does not tell the patient either (the entries are there:
         * they show once the hold ends, below) */
        assert_int_equal(mentions(f, &patient, uid), 0);
        assert_int_equal(mentions(f, &patient, uid2), 0);

        /* the announcement consultation for uid2 took place */
        assert_int_equal(dossier_release_hold(f->e, &gp, INS, uid2), 0);
        assert_int_equal(count_visible(f, &patient, 0), 1);
        assert_true(mentions(f, &patient, uid2) >= 2); /* deposit and release */
        assert_int_equal(mentions(f, &patient, uid), 0);

        f->now = T0 + 13 * DOSSIER_DAY;
        assert_int_equal(dossier_tick(f->e, &notified, &released), 0);
        assert_int_equal(notified, 0);
        f->now = T0 + 15 * DOSSIER_DAY;
        assert_int_equal(dossier_tick(f->e, &notified, &released), 0);
        assert_int_equal(notified, 1);
        assert_int_equal(released, 0);
        assert_int_equal(dossier_tick(f->e, &notified, &released), 0);
        assert_int_equal(notified, 0); /* once */
        assert_int_equal(dossier_notifications(f->e, &patient, INS, count_notes, &pn), 0);
        assert_int_equal(pn.hold, 1);

        /* after one month it is visible, even before the job runs */
        f->now = T0 + 30 * DOSSIER_DAY + 1;
        assert_int_equal(count_visible(f, &patient, 0), 2);
        assert_true(mentions(f, &patient, uid) >= 1);
        assert_int_equal(dossier_tick(f->e, &notified, &released), 0);
        assert_int_equal(released, 1);
        assert_int_equal(count_visible(f, &patient, 0), 2);
        verify_chain(f);
}

UNIT_FIXTURE(test_lifecycle, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char uid[DOSSIER_UID_SIZE], secret[DOSSIER_SECRET_SIZE];
        struct trail_count tc = {};
        unsigned purged = 9;
        size_t n;

        create(f);
        deposit(f, &gp, &report, uid, NULL);
        assert_int_equal(dossier_close(f->e, &gp, INS), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_PATIENT_ONLY);
        assert_int_equal(dossier_close(f->e, &patient, INS), 0);
        assert_int_equal(dossier_list(f->e, &gp, INS, 0, &(struct dossier_doc *) { NULL }, &n), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_CLOSED);
        assert_int_equal(count_visible(f, &patient, 0), 1);
        assert_int_equal(dossier_reactivate(f->e, &patient, INS), 0);
        assert_int_equal(count_visible(f, &gp, 0), 1);

        /* retention: 10 years after closure, not before */
        assert_int_equal(dossier_close(f->e, &patient, INS), 0);
        f->now = T0 + 3650 * DOSSIER_DAY;
        assert_int_equal(dossier_purge_expired(f->e, &purged), 0);
        assert_int_equal(purged, 0);
        f->now = T0 + 3654 * DOSSIER_DAY;
        assert_int_equal(dossier_purge_expired(f->e, &purged), 0);
        assert_int_equal(purged, 1);
        assert_int_equal(dossier_list(f->e, &patient, INS, 0, &(struct dossier_doc *) { NULL }, &n), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_DESTROYED);
        /* the trail survives; the content does not */
        assert_int_equal(dossier_trail(f->e, &patient, INS, count_trail, &tc), 0);
        assert_int_equal(test_store_query_int(&f->ts, "SELECT (SELECT count(*) FROM documents) + "
                                                      "(SELECT count(*) FROM contents)", NULL), 0);
        /* a new dossier can be opened on the tombstone */
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(count_visible(f, &patient, 0), 0);
        /* and destroyed on request */
        assert_int_equal(dossier_destroy(f->e, &patient, INS), 0);
        assert_int_equal(dossier_verify_secret(f->e, INS, secret), -ENOENT);
        verify_chain(f);
}

/* What a tombstone keeps of its row: id, INS, status, the time of its
 * destruction and a recorded death; every other column empty, NULL or at
 * its default.  A
 * column added to the table must be placed on one side or the other:
 * the count of columns fails until it is. */
#define DOSSIERS_COLUMNS 22
static const char sql_columns_sqlite[] = "SELECT count(*) FROM pragma_table_info('dossiers')";
static const char sql_columns_pg[] =
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = 'dossiers'";
static const char sql_bare_tombstone[] =
        "SELECT count(*) FROM dossiers WHERE ins = ?1 AND status = 3 AND destroyed_at > 0 AND ins_oid = '' "
        "AND birth_name = '' AND first_names = '' AND birth_date = '' AND sex = '' AND birth_place = '' "
        "AND created_at = 0 AND closed_at IS NULL AND deceased_at = ?2 AND optout_emergency = 0 "
        "AND optout_call_centre = 0 AND notify = 1 AND optout_heirs = 0 AND secret_salt IS NULL "
        "AND secret_hash IS NULL AND secret_n IS NULL AND secret_r IS NULL AND secret_p IS NULL";

/* INS's dossier is a bare tombstone, destroyed at destroyed_at, keeping
 * the death recorded at deceased_at (0: none), and shows nothing else to
 * anyone, nor the death. */
static void assert_bare_tombstone(struct fixture *f, int64_t destroyed_at, int64_t deceased_at) {
        struct dossier_info info;
        char sql[sizeof(sql_bare_tombstone) + 32];
        char *p = strstr(sql_bare_tombstone, "?2");

        assert_non_null(p);
        snprintf(sql, sizeof(sql), "%.*s%lld%s", (int) (p - sql_bare_tombstone), sql_bare_tombstone,
                 (long long) deceased_at, p + 2);
        assert_int_equal(test_store_query_int(&f->ts, test_pg() ? sql_columns_pg : sql_columns_sqlite, NULL),
                         DOSSIERS_COLUMNS);
        assert_int_equal(test_store_query_int(&f->ts, sql, INS), 1);
        assert_int_equal(dossier_info(f->e, &gp, INS, &info), 0);
        assert_int_equal(info.status, ACCESS_DOSSIER_DESTROYED);
        assert_int_equal(info.destroyed_at, destroyed_at);
        assert_int_equal(info.created_at, 0);
        assert_int_equal(info.closed_at, 0);
        assert_int_equal(info.deceased_at, 0);
        assert_false(info.traits_shown);
}

/* INS's dossier, opened again on its tombstone now, is as a new one: open
 * since now, no closure, no death, every option at its default. */
static void assert_as_new(struct fixture *f) {
        struct dossier_info info;

        assert_int_equal(dossier_info(f->e, &patient, INS, &info), 0);
        assert_int_equal(info.status, ACCESS_DOSSIER_OPEN);
        assert_int_equal(info.created_at, f->now);
        assert_int_equal(info.closed_at, 0);
        assert_int_equal(info.deceased_at, 0);
        assert_int_equal(info.destroyed_at, 0);
        assert_true(info.traits_shown);
        assert_string_equal(info.birth_name, ident.birth_name);
        assert_true(info.options_shown);
        assert_false(info.optout_emergency);
        assert_false(info.optout_call_centre);
        assert_true(info.notify);
        assert_false(info.optout_heirs);
}

/* Destroyed by the patient or by the retention after a death, a dossier
 * keeps nothing of its options or closure; opened again, it starts clean.
 * The death stays, unshown: nobody opens a dossier for the dead. */
UNIT_FIXTURE(test_tombstone_keeps_nothing, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE];
        unsigned purged = 0;

        create(f);
        assert_int_equal(dossier_set_options(f->e, &patient, INS, 1, 1, 0, 1), 0);
        assert_int_equal(dossier_close(f->e, &patient, INS), 0);
        f->now += 60;
        assert_int_equal(dossier_destroy(f->e, &patient, INS), 0);
        assert_bare_tombstone(f, f->now, 0);
        f->now += 60;
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_as_new(f);

        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
        assert_int_equal(dossier_set_options(f->e, &patient, INS, 1, 1, 0, 1), 0);
        int64_t died = f->now;
        assert_int_equal(dossier_mark_deceased(f->e, &gp, INS), 0);
        f->now += 3654 * DOSSIER_DAY;
        assert_int_equal(dossier_purge_expired(f->e, &purged), 0);
        assert_int_equal(purged, 1);
        assert_bare_tombstone(f, f->now, died);
        f->now += 60;
        int64_t n = audit_count(f);
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_DECEASED);
        assert_int_equal(dossier_create(f->e, &patient, &ident, true, secret), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_DECEASED);
        assert_int_equal(audit_count(f), n + 2);
        assert_bare_tombstone(f, f->now - 60, died);

        /* a tombstone that kept them (written by an older carnet, or by
         * hand): opened again, it starts clean all the same */
        test_store_exec(&f->ts, "UPDATE dossiers SET created_at = 1, closed_at = 2, deceased_at = 0, "
                                "optout_emergency = 1, optout_call_centre = 1, notify = 0, optout_heirs = 1");
        f->now += 60;
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_as_new(f);
        verify_chain(f);
}

UNIT_FIXTURE(test_alerts, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct dossier_doc_meta lab = report, rx = report;
        struct dossier_warnings w;
        char uid[DOSSIER_UID_SIZE], first_rx[DOSSIER_UID_SIZE];

        create(f);
        lab.type_code = "11502-2";
        lab.title = "NFS";
        deposit(f, &gp, &lab, uid, &w);
        assert_int_equal(w.n, 0);
        lab.created_at += 10 * DOSSIER_DAY;
        deposit(f, &gp, &lab, uid, &w);
        assert_int_equal(w.n, 1);
        assert_int_equal(w.w[0].kind, DOSSIER_WARN_DUPLICATE_EXAM);
        lab.created_at += 60 * DOSSIER_DAY; /* outside the 30-day window */
        deposit(f, &gp, &lab, uid, &w);
        assert_int_equal(w.n, 0);

        rx.type_code = "57833-6";
        rx.class_code = "42";
        rx.title = "Ordonnance";
        rx.medicines = "B01AA03";
        deposit(f, &gp, &rx, first_rx, &w);
        assert_int_equal(w.n, 0);
        rx.medicines = "N02BA01,C10AA01";
        deposit(f, &gp, &rx, uid, &w);
        assert_int_equal(w.n, 1);
        assert_int_equal(w.w[0].kind, DOSSIER_WARN_INTERACTION);
        assert_string_equal(w.w[0].other_uid, first_rx);
        assert_non_null(strstr(w.w[0].detail, "bleeding"));
        rx.medicines = "C10AA01,J01FA09";
        deposit(f, &gp, &rx, uid, &w);
        assert_true(w.n >= 1); /* within the prescription itself */

        /* an alert never reveals a document its reader may not see */
        assert_int_equal(dossier_set_masked(f->e, &patient, INS, first_rx, true), 0);
        assert_int_equal(dossier_set_access(f->e, &patient, INS, nurse.id, DOSSIER_ACCESS_AUTHORISE), 0);
        rx.medicines = "M01AE01";
        rx.class_code = "42";
        deposit(f, &nurse, &rx, uid, &w);
        assert_int_equal(w.n, 0);
        deposit(f, &gp, &rx, uid, &w); /* the author of the masked one sees it */
        assert_int_equal(w.n, 1);

        rx.medicines = "warfarin";
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &rx, "x", 1, uid, &w), -EINVAL);
        verify_chain(f);
}

UNIT_FIXTURE(test_hostile, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        static const char *const good_titles[] = {
                "O'Brien \"quoted\" title",
                "'); DROP TABLE documents; --",
                "Résumé – 日本語 – \xf0\x9f\x98\x80",
                "%s%n%x",
        };
        static const char *const bad_titles[] = {
                "bad \xff byte", "overlong \xc0\xaf", "surrogate \xed\xa0\x80", "truncated \xe2\x82",
                "tab\tinside", "newline\n", "del\x7f", "",
        };
        struct dossier_doc_meta m = report;
        char uid[DOSSIER_UID_SIZE];
        _cleanup_free_ char *big = NULL;
        _cleanup_free_ void *content = NULL;
        struct dossier_doc d;
        unsigned char bin[256];
        size_t len;

        create(f);
        for (size_t i = 0; i < ELEMENTSOF(good_titles); i++) {
                m.title = good_titles[i];
                deposit(f, &gp, &m, uid, NULL);
                assert_int_equal(dossier_read(f->e, &gp, INS, uid, &d, &content, &len), 0);
                assert_string_equal(d.title, good_titles[i]);
                free(TAKE_PTR(content));
        }
        for (size_t i = 0; i < ELEMENTSOF(bad_titles); i++) {
                m.title = bad_titles[i];
                assert_int_equal(dossier_deposit(f->e, &gp, INS, &m, "x", 1, uid, NULL), -EINVAL);
        }
        /* NUL cannot travel in a C string; the front checks its buffers */
        assert_int_equal(dossier_text_check("a\0b", 3, 16), -EINVAL);
        assert_int_equal(dossier_text_check("abc", 3, 16), 0);

        /* the longest title is kept whole; 1 MB is refused */
        big = malloc(1024 * 1024 + 1);
        assert_non_null(big);
        memset(big, 'a', 1024 * 1024);
        big[DOSSIER_TITLE_MAX] = '\0';
        m.title = big;
        deposit(f, &gp, &m, uid, NULL);
        assert_int_equal(dossier_read(f->e, &gp, INS, uid, &d, &content, &len), 0);
        assert_int_equal(strlen(d.title), DOSSIER_TITLE_MAX);
        free(TAKE_PTR(content));
        big[DOSSIER_TITLE_MAX] = 'a';
        big[1024 * 1024] = '\0';
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &m, "x", 1, uid, NULL), -E2BIG);

        /* binary content with NULs round-trips, empty content too */
        for (size_t i = 0; i < sizeof(bin); i++)
                bin[i] = (unsigned char) i;
        m.title = "binary";
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &m, bin, sizeof(bin), uid, NULL), 0);
        assert_int_equal(dossier_read(f->e, &gp, INS, uid, &d, &content, &len), 0);
        assert_int_equal(len, sizeof(bin));
        assert_memory_equal(content, bin, sizeof(bin));
        free(TAKE_PTR(content));
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &m, NULL, 0, uid, NULL), 0);
        assert_int_equal(dossier_read(f->e, &gp, INS, uid, &d, &content, &len), 0);
        assert_int_equal(len, 0);
        free(TAKE_PTR(content));

        /* hostile identifiers are refused, not stored */
        {
                struct dossier_actor evil = gp;
                evil.id = "8' OR '1'='1";
                assert_int_equal(dossier_list(f->e, &evil, INS, 0, &(struct dossier_doc *) { NULL }, &len), -EINVAL);
                evil = gp;
                evil.reason = "bad \xff";
                assert_int_equal(dossier_list(f->e, &evil, INS, 0, &(struct dossier_doc *) { NULL }, &len), -EINVAL);
                assert_int_equal(dossier_read(f->e, &gp, INS, "../../etc/passwd", &d, &content, &len), -EINVAL);
                assert_int_equal(dossier_list(f->e, &gp, "18505780060849'", 0, &(struct dossier_doc *) { NULL }, &len),
                                 -EINVAL);
        }
        /* a patient name with quotes and accents */
        {
                struct dossier_identity id2 = ident;
                char secret[DOSSIER_SECRET_SIZE];
                id2.ins = INS2;
                id2.sex = "F";
                id2.birth_name = "D'ARTAGNAN-ÉLODIE \"la\"";
                assert_int_equal(dossier_create(f->e, &gp, &id2, true, secret), 0);
        }
        /* altered content is detected on read */
        {
                char sql[160];
                snprintf(sql, sizeof(sql), "UPDATE contents SET content = %s WHERE doc_id = "
                                           "(SELECT id FROM documents WHERE uid = '%s')",
                         test_pg() ? "'\\x00'::bytea" : "x'00'", uid); /* uid is hex */
                test_store_exec(&f->ts, sql);
                assert_int_equal(dossier_read(f->e, &gp, INS, uid, &d, &content, &len), -EBADMSG);
        }
        verify_chain(f);
}

UNIT_FIXTURE(test_forbidden, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct dossier_actor a = { .kind = ACCESS_ACTOR_INSURER, .id = "INSURER1", .session = "x" };
        size_t n;

        create(f);
        assert_int_equal(dossier_list(f->e, &a, INS, 0, &(struct dossier_doc *) { NULL }, &n), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_FORBIDDEN_ROLE);
        a.kind = ACCESS_ACTOR_EMPLOYER;
        assert_int_equal(dossier_list(f->e, &a, INS, 0, &(struct dossier_doc *) { NULL }, &n), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_FORBIDDEN_ROLE);
        a = gp;
        a.id = "810000000009";
        a.practice = ACCESS_PRACTICE_OCCUPATIONAL;
        assert_int_equal(dossier_list(f->e, &a, INS, 0, &(struct dossier_doc *) { NULL }, &n), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NO_EXPRESS_CONSENT);
        a.card = ACCESS_CARD_CPE;
        a.practice = ACCESS_PRACTICE_CARE;
        assert_int_equal(dossier_list(f->e, &a, INS, 0, &(struct dossier_doc *) { NULL }, &n), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_CARD_TYPE);
        assert_int_equal(dossier_list(f->e, &gp, INS2, 0, &(struct dossier_doc *) { NULL }, &n), -ENOENT);
        assert_int_equal(last(f), ACCESS_DENY_NO_DOSSIER);
        verify_chain(f);
}

struct trail_tail {
        char action[32], code[64], outcome[8], actor[32], workstation[32];
};

static int keep_last(const struct audit_entry *a, void *userdata) {
        struct trail_tail *t = userdata;

        strcpy_bounded(t->action, sizeof(t->action), a->action);
        strcpy_bounded(t->code, sizeof(t->code), a->code);
        strcpy_bounded(t->outcome, sizeof(t->outcome), a->outcome);
        strcpy_bounded(t->actor, sizeof(t->actor), a->actor);
        strcpy_bounded(t->workstation, sizeof(t->workstation), a->workstation ? a->workstation : "(null)");
        return 0;
}

/* The last trail entry about INS, read straight from the store (the
 * patient's dossier_trail() would append its own entry). */
static struct trail_tail trail_tail(struct fixture *f, const char *ins) {
        struct trail_tail t = {};
        assert_int_equal(audit_list(dossier_engine_store(f->e), ins, keep_last, &t), 0);
        return t;
}

UNIT_FIXTURE(test_verify_secret_audited, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE];
        struct trail_tail t;
        int64_t n;

        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);

        n = audit_count(f);
        assert_int_equal(dossier_verify_secret(f->e, INS, secret), 0);
        assert_int_equal(audit_count(f), n + 1);
        assert_int_equal(last(f), ACCESS_ALLOW_PATIENT);
        t = trail_tail(f, INS);
        assert_string_equal(t.action, "verify-secret");
        assert_string_equal(t.outcome, "allow");
        assert_string_equal(t.code, "allow-patient");
        assert_string_equal(t.actor, INS);

        assert_int_equal(dossier_verify_secret(f->e, INS, "AAAA-AAAA-AAAA-AAAA"), -EACCES);
        assert_int_equal(audit_count(f), n + 2);
        assert_int_equal(last(f), ACCESS_DENY_BAD_SECRET);
        t = trail_tail(f, INS);
        assert_string_equal(t.outcome, "deny");
        assert_string_equal(t.code, "deny-bad-secret");

        assert_int_equal(dossier_verify_secret(f->e, INS2, secret), -ENOENT);
        assert_int_equal(audit_count(f), n + 3);
        assert_int_equal(last(f), ACCESS_DENY_NO_DOSSIER);
        t = trail_tail(f, INS2);
        assert_string_equal(t.action, "verify-secret");
        assert_string_equal(t.code, "deny-no-dossier");

        /* malformed input: refused before any decision, not audited */
        assert_int_equal(dossier_verify_secret(f->e, "185057800608490", secret), -EINVAL);
        assert_int_equal(audit_count(f), n + 3);

        /* the patient sees the checks in their history */
        {
                struct trail_tail seen = {};
                assert_int_equal(dossier_trail(f->e, &patient, INS, keep_last, &seen), 0);
        }
        verify_chain(f);
}

static int64_t count_rows_elsewhere(struct fixture *f, const char *table_sql) {
        /* a second connection sees only what is committed */
        return test_store_query_int(&f->ts, table_sql, NULL);
}

UNIT_FIXTURE(test_batch, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char uid[DOSSIER_UID_SIZE];
        struct dossier_doc_meta reserved = report;
        int64_t n;

        assert_int_equal(dossier_batch_commit(f->e), -EINVAL); /* no batch open */
        assert_int_equal(dossier_batch_begin(f->e), 0);
        assert_int_equal(dossier_batch_begin(f->e), -EBUSY);
        create(f);
        deposit(f, &gp, &report, uid, NULL);
        /* a denial inside the batch keeps its trail entry; the batch goes on */
        n = audit_count(f);
        reserved.class_code = ACCESS_CLASS_PATIENT;
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &reserved, "x", 1, uid, NULL), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_CLASS_RESERVED);
        assert_int_equal(audit_count(f), n + 1);
        deposit(f, &gp, &report, uid, NULL);
        /* nothing is visible to another connection before the commit */
        assert_int_equal(count_rows_elsewhere(f, "SELECT count(*) FROM documents"), 0);
        assert_int_equal(dossier_batch_commit(f->e), 0);
        assert_int_equal(count_rows_elsewhere(f, "SELECT count(*) FROM documents"), 2);
        assert_int_equal(count_visible(f, &gp, 0), 2);

        /* a batch rolled back leaves no document and no trail entry */
        n = audit_count(f);
        assert_int_equal(dossier_batch_begin(f->e), 0);
        deposit(f, &gp, &report, uid, NULL);
        dossier_batch_rollback(f->e);
        assert_int_equal(audit_count(f), n);
        assert_int_equal(count_visible(f, &gp, 0), 2);
        verify_chain(f);
}

/* One page of dossier_list_each(): at most max documents, their uids. */
struct page {
        unsigned begins;
        size_t n, max;
        char uids[8][DOSSIER_UID_SIZE];
        int fail; /* doc() returns it for the first document */
};

static int page_begin(void *data) {
        struct page *p = data;
        p->begins++;
        p->n = 0;
        return 0;
}

static int page_doc(const struct dossier_doc *d, void *data) {
        struct page *p = data;
        if (p->fail)
                return p->fail;
        if (p->n == p->max)
                return 1;
        assert_true(p->n < ELEMENTSOF(p->uids));
        strcpy(p->uids[p->n++], d->uid);
        return 0;
}

static int list_page_of(struct fixture *f, unsigned flags, const char *after, size_t max, struct page *p) {
        *p = (struct page) {.max = max};
        return dossier_list_each(f->e, &gp, INS, flags, after, &(struct dossier_list_sink) {page_begin, page_doc, p});
}

static int list_page(struct fixture *f, const char *after, size_t max, struct page *p) {
        return list_page_of(f, 0, after, max, p);
}

/* Pages by cursor: each starts after the last document of the one before
 * in the list's order (newest deposit first, ties in the same second by
 * deposit order), so that together they give the whole list once; a
 * cursor may be a document the list does not show (archived here); one
 * the dossier does not have is -ESRCH, the LIST decision traced all the
 * same; a sink's error ends the call with it. */
UNIT_FIXTURE(test_list_pages, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char uids[5][DOSSIER_UID_SIZE];
        struct page p;

        create(f);
        for (int i = 0; i < 5; i++) {
                f->now = T0 + (i < 3 ? 0 : i); /* the first three in the same second */
                deposit(f, &gp, &report, uids[i], NULL);
        }
        assert_int_equal(dossier_archive(f->e, &gp, INS, uids[3]), 0);
        /* the whole list: 4, 2, 1, 0 (3 archived) */
        assert_int_equal(list_page(f, NULL, 8, &p), 0);
        assert_int_equal(p.begins, 1);
        assert_int_equal(p.n, 4);
        assert_string_equal(p.uids[0], uids[4]);
        assert_string_equal(p.uids[1], uids[2]);
        assert_string_equal(p.uids[2], uids[1]);
        assert_string_equal(p.uids[3], uids[0]);
        /* in pages of two */
        assert_int_equal(list_page(f, NULL, 2, &p), 0);
        assert_int_equal(p.n, 2);
        assert_string_equal(p.uids[1], uids[2]);
        assert_int_equal(list_page(f, uids[2], 2, &p), 0);
        assert_int_equal(p.n, 2);
        assert_string_equal(p.uids[0], uids[1]);
        assert_string_equal(p.uids[1], uids[0]);
        assert_int_equal(list_page(f, uids[0], 2, &p), 0);
        assert_int_equal(p.n, 0);
        /* after the archived one: where it stood */
        assert_int_equal(list_page(f, uids[3], 8, &p), 0);
        assert_int_equal(p.n, 3);
        assert_string_equal(p.uids[0], uids[2]);
        /* every status (documents_by_time), in pages of two: 4, 3 | 2, 1 | 0 */
        const char *all[] = {uids[4], uids[3], uids[2], uids[1], uids[0]};
        const char *after = NULL;
        for (size_t i = 0; i < ELEMENTSOF(all); i += 2) {
                assert_int_equal(list_page_of(f, DOSSIER_LIST_ALL_STATUSES, after, 2, &p), 0);
                assert_int_equal(p.n, i + 2 <= ELEMENTSOF(all) ? 2 : 1);
                for (size_t j = 0; j < p.n; j++)
                        assert_string_equal(p.uids[j], all[i + j]);
                after = all[i + p.n - 1];
        }
        assert_int_equal(list_page_of(f, DOSSIER_LIST_ALL_STATUSES, after, 2, &p), 0);
        assert_int_equal(p.n, 0);
        /* a cursor the dossier does not have: refused, the list traced */
        int64_t n = audit_count(f);
        assert_int_equal(list_page(f, "0123456789abcdef0123456789abcdef", 8, &p), -ESRCH);
        assert_int_equal(p.n, 0);
        assert_int_equal(audit_count(f), n + 1);
        assert_int_equal(list_page(f, "not a uid, far too long for one of them", 8, &p), -EINVAL);
        /* the sink's own error */
        p = (struct page) {.max = 8, .fail = -EIO};
        assert_int_equal(dossier_list_each(f->e, &gp, INS, 0, NULL,
                                           &(struct dossier_list_sink) {page_begin, page_doc, &p}), -EIO);
        assert_int_equal(dossier_list_each(f->e, &gp, INS, 0, NULL, NULL), -EINVAL);
        verify_chain(f);
}

/* The seqs, actions and documents of the entries a trail reading gave. */
struct seqs {
        size_t n;
        int64_t seq[64];
        char action[64][32];
        char document[64][DOSSIER_UID_SIZE];
};

static int keep_seq(const struct audit_entry *a, void *userdata) {
        struct seqs *s = userdata;
        assert_true(s->n < ELEMENTSOF(s->seq));
        s->seq[s->n] = a->seq;
        strcpy_bounded(s->action[s->n], sizeof(s->action[0]), a->action);
        strcpy_bounded(s->document[s->n], sizeof(s->document[0]), a->document ? a->document : "");
        s->n++;
        return 0;
}

static int trail_page(struct fixture *f, const struct dossier_actor *a, int64_t after, size_t max, struct seqs *s,
                      bool *more) {
        *s = (struct seqs) {};
        *more = false;
        return dossier_trail_page(f->e, a, INS, after, max, keep_seq, s, more);
}

/* The seq of the entry of action about document uid, read from the store. */
struct find_entry {
        const char *action, *uid;
        int64_t seq;
};

static int find_entry(const struct audit_entry *a, void *userdata) {
        struct find_entry *x = userdata;
        if (strcmp(a->action, x->action) == 0 && strcmp(a->document, x->uid) == 0)
                x->seq = a->seq;
        return 0;
}

/* The trail in pages (oldest first, after a seq): each page a reading of
 * its own, decided and traced first, whose entry is the trail's newest;
 * followed to the last, the pages give the trail once, in order, up to the
 * last page's own reading.  An entry about a document held back from the
 * patient is in no page and no cursor (as one of another dossier, or past
 * the head: -ESRCH, the reading traced); once the hold ends it is both.  A
 * cursor at the end gives the reading's own entry, and nothing follows. */
UNIT_FIXTURE(test_trail_pages, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct dossier_doc_meta held = report;
        char uid[DOSSIER_UID_SIZE], held_uid[DOSSIER_UID_SIZE];
        struct seqs all = {}, again = {}, p, walk = {};
        bool more;

        create(f);
        deposit(f, &gp, &report, uid, NULL);
        held.hidden_from_patient = true;
        deposit(f, &gp, &held, held_uid, NULL);
        deposit(f, &gp, &report, uid, NULL);
        struct find_entry h = {.action = "deposit", .uid = held_uid};
        assert_int_equal(audit_list(dossier_engine_store(f->e), INS, find_entry, &h), 0);
        assert_true(h.seq > 0);

        assert_int_equal(dossier_trail(f->e, &patient, INS, keep_seq, &all), 0);
        assert_true(all.n >= 5);
        assert_string_equal(all.action[all.n - 1], "read-trail");

        /* in pages of two, followed to the last */
        int64_t after = 0;
        for (int pages = 0;; pages++) {
                assert_true(pages < 16);
                assert_int_equal(trail_page(f, &patient, after, 2, &p, &more), 0);
                assert_true(p.n == 2 || (!more && p.n == 1));
                for (size_t i = 0; i < p.n; i++) {
                        assert_true(p.seq[i] > after);
                        assert_true(p.seq[i] != h.seq);
                        walk.seq[walk.n] = p.seq[i];
                        strcpy(walk.action[walk.n++], p.action[i]);
                        after = p.seq[i];
                }
                if (!more)
                        break;
        }
        assert_string_equal(walk.action[walk.n - 1], "read-trail");
        /* the trail before the walk comes first, in its order; a reading
         * now finds the walk's pages and itself after them */
        for (size_t i = 0; i < all.n; i++)
                assert_int_equal(walk.seq[i], all.seq[i]);
        assert_int_equal(dossier_trail(f->e, &patient, INS, keep_seq, &again), 0);
        assert_int_equal(again.n, walk.n + 1);
        for (size_t i = 0; i < walk.n; i++)
                assert_int_equal(again.seq[i], walk.seq[i]);

        /* cursors that are no entry of this trail the patient sees: the
         * held-back deposit, past the head, another dossier's entry */
        create_own_ins2(f);
        int64_t other = audit_count(f);
        int64_t bad[] = {h.seq, other + 100, other};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int64_t n = audit_count(f);
                assert_int_equal(trail_page(f, &patient, bad[i], 2, &p, &more), -ESRCH);
                assert_int_equal(p.n, 0);
                assert_int_equal(audit_count(f), n + 1); /* the reading is traced */
                assert_int_equal(last(f), ACCESS_ALLOW_PATIENT);
        }
        /* the cursor at the end: the page holds the reading's own entry */
        assert_int_equal(trail_page(f, &patient, 0, 1, &p, &more), 0);
        int64_t head = audit_count(f);
        assert_int_equal(trail_page(f, &patient, head, 1000, &p, &more), 0);
        assert_int_equal(p.n, 1);
        assert_int_equal(p.seq[0], head + 1);
        assert_string_equal(p.action[0], "read-trail");
        assert_false(more);
        /* limits: a page of one is the oldest entry; none, a negative
         * cursor or no callback are refused before any decision */
        assert_int_equal(trail_page(f, &patient, 0, 1, &p, &more), 0);
        assert_int_equal(p.n, 1);
        assert_int_equal(p.seq[0], all.seq[0]);
        assert_true(more);
        int64_t n = audit_count(f);
        assert_int_equal(trail_page(f, &patient, 0, 0, &p, &more), -EINVAL);
        assert_int_equal(trail_page(f, &patient, -1, 2, &p, &more), -EINVAL);
        assert_int_equal(dossier_trail_page(f->e, &patient, INS, 0, 2, NULL, NULL, &more), -EINVAL);
        assert_int_equal(audit_count(f), n);
        /* a professional reads no trail, in pages or not: refused, traced */
        assert_int_equal(trail_page(f, &gp, 0, 2, &p, &more), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_PATIENT_ONLY);
        assert_int_equal(audit_count(f), n + 1);

        /* the hold ends: its deposit shows, and is a cursor */
        f->now = T0 + 32 * DOSSIER_DAY;
        assert_int_equal(trail_page(f, &patient, 0, 64, &p, &more), 0);
        bool shown = false;
        for (size_t i = 0; i < p.n; i++)
                shown |= p.seq[i] == h.seq && strcmp(p.document[i], held_uid) == 0;
        assert_true(shown);
        assert_int_equal(trail_page(f, &patient, h.seq, 1, &p, &more), 0);
        assert_int_equal(p.n, 1);
        assert_true(p.seq[0] > h.seq);
        verify_chain(f);
}

/* Entries the patient does not see take rows too: a page after more of
 * them than one statement reads still finds the entries that follow, and
 * says whether more do. */
UNIT_FIXTURE(test_trail_pages_hidden_run, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct dossier_doc_meta held = report;
        char uid[DOSSIER_UID_SIZE], held_uid[DOSSIER_UID_SIZE];
        struct seqs p, all = {};
        bool more;

        create(f);
        held.hidden_from_patient = true;
        deposit(f, &gp, &held, held_uid, NULL);
        assert_int_equal(dossier_batch_begin(f->e), 0);
        for (int i = 0; i < 1100; i++) {
                _cleanup_free_ void *content = NULL;
                struct dossier_doc d;
                size_t len;
                assert_int_equal(dossier_read(f->e, &gp, INS, held_uid, &d, &content, &len), 0);
        }
        assert_int_equal(dossier_batch_commit(f->e), 0);
        deposit(f, &gp, &report, uid, NULL);
        deposit(f, &gp, &report, uid, NULL);

        /* create and consent, then 1 101 entries left out, then the two deposits */
        assert_int_equal(trail_page(f, &patient, 0, 3, &p, &more), 0);
        assert_int_equal(p.n, 3);
        assert_string_equal(p.action[0], "create");
        assert_string_equal(p.action[2], "deposit");
        assert_true(p.seq[2] > p.seq[1] + 1101);
        assert_true(more);
        assert_int_equal(trail_page(f, &patient, p.seq[1], 2, &p, &more), 0);
        assert_int_equal(p.n, 2);
        assert_string_equal(p.action[1], "deposit");
        assert_true(more); /* the readings */
        /* the whole trail, by statements of a bounded number of rows */
        assert_int_equal(dossier_trail(f->e, &patient, INS, keep_seq, &all), 0);
        assert_int_equal(all.n, 7); /* create, consent, 2 deposits, 3 readings */
        verify_chain(f);
}

/* The first search (docs/rules.md §4): acts of the last two years by their
 * creation time, whatever the deposit time, and approved documents only. */
UNIT_FIXTURE(test_first_search, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char old_act[DOSSIER_UID_SIZE], recent[DOSSIER_UID_SIZE], v2[DOSSIER_UID_SIZE];
        struct dossier_doc_meta m = report;
        _cleanup_free_ struct dossier_doc *docs = NULL;
        size_t n;

        create(f);
        /* deposited today, but the act is three years old */
        m.created_at = T0 - 3 * 365 * DOSSIER_DAY;
        deposit(f, &gp, &m, old_act, NULL);
        /* an act of last year, deposited today, then replaced */
        m.created_at = T0 - 365 * DOSSIER_DAY;
        deposit(f, &gp, &m, recent, NULL);
        assert_int_equal(dossier_replace(f->e, &gp, INS, recent, &m, "v2", 2, v2, NULL), 0);
        assert_int_equal(count_visible(f, &gp, 0), 2);
        assert_int_equal(dossier_list(f->e, &gp, INS, DOSSIER_LIST_FIRST_SEARCH, &docs, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(docs[0].uid, v2);
        free(docs);
        docs = NULL;
        /* asking for every status does not widen the first search */
        assert_int_equal(count_visible(f, &gp, DOSSIER_LIST_FIRST_SEARCH | DOSSIER_LIST_ALL_STATUSES), 1);
        assert_int_equal(count_visible(f, &gp, DOSSIER_LIST_ALL_STATUSES), 3);
        /* 400 days on, the deposit is 400 days old but the act 765: out */
        f->now = T0 + 400 * DOSSIER_DAY;
        assert_int_equal(count_visible(f, &gp, DOSSIER_LIST_FIRST_SEARCH), 0);
        assert_int_equal(count_visible(f, &gp, 0), 2);
}

/* Self-access starts at 16 (docs/rules.md §3): the secret of a 15-year-old
 * is right but refused, traced; their dossier refuses them as its patient,
 * not the professionals; on the 16th birthday both open. */
UNIT_FIXTURE(test_self_access_16, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE];
        struct dossier_identity child = ident;
        struct trail_tail t;

        child.birth_date = "2008-01-01"; /* T0 is 2023-11-14: 15 years old */
        assert_int_equal(dossier_create(f->e, &gp, &child, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
        assert_int_equal(dossier_verify_secret(f->e, INS, secret), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_UNDER_16);
        t = trail_tail(f, INS);
        assert_string_equal(t.action, "verify-secret");
        assert_string_equal(t.code, "deny-under-16");
        assert_int_equal(count_visible(f, &gp, 0), 0);
        _cleanup_free_ struct dossier_doc *docs = NULL;
        size_t n;
        assert_int_equal(dossier_list(f->e, &patient, INS, 0, &docs, &n), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_UNDER_16);
        assert_int_equal(dossier_close(f->e, &patient, INS), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_UNDER_16);
        /* the 16th birthday, at midnight in Paris (2023-12-31T23:00:00Z) */
        f->now = INT64_C(1704063600);
        assert_int_equal(dossier_verify_secret(f->e, INS, secret), 0);
        assert_int_equal(count_visible(f, &patient, 0), 0);
        assert_int_equal(last(f), ACCESS_ALLOW_PATIENT);
        f->now = INT64_C(1704063599);
        assert_int_equal(dossier_verify_secret(f->e, INS, secret), -EACCES);
        verify_chain(f);
}

/* Establishment staff (docs/rules.md §5): a CPE card with no profession
 * creates and deposits for its establishment, never reads; its refusals
 * are decisions, traced, not bad input.  A CPS without a profession still
 * is bad input. */
UNIT_FIXTURE(test_establishment_card, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        static const struct dossier_actor cpe = {
                .kind = ACCESS_ACTOR_PROFESSIONAL, .id = "300000012345", .card = ACCESS_CARD_CPE,
                .last_name = "ACCUEIL", .session = "cpe-1",
        };
        struct dossier_actor cps = gp;
        char secret[DOSSIER_SECRET_SIZE], uid[DOSSIER_UID_SIZE];
        _cleanup_free_ struct dossier_doc *docs = NULL;
        size_t n;
        int64_t before;

        assert_int_equal(dossier_create(f->e, &cpe, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &cpe, INS), 0);
        assert_int_equal(dossier_deposit(f->e, &cpe, INS, &report, "x", 1, uid, NULL), 0);
        before = audit_count(f);
        assert_int_equal(dossier_list(f->e, &cpe, INS, 0, &docs, &n), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_CARD_TYPE);
        assert_int_equal(audit_count(f), before + 1);
        struct dossier_doc d;
        void *content = NULL;
        size_t len;
        assert_int_equal(dossier_read(f->e, &cpe, INS, uid, &d, &content, &len), -EACCES);
        assert_null(content);
        assert_int_equal(last(f), ACCESS_DENY_CARD_TYPE);
        assert_int_equal(audit_count(f), before + 2);
        /* the document is there, for the doctor */
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
        assert_int_equal(count_visible(f, &gp, 0), 1);
        cps.profession = NULL;
        before = audit_count(f);
        assert_int_equal(dossier_list(f->e, &cps, INS, 0, &docs, &n), -EINVAL);
        assert_int_equal(audit_count(f), before);
        verify_chain(f);
}

/* Occupational and fire-service doctors (docs/rules.md §2): only with the
 * patient's express consent, which their own user action records, traced;
 * the patient's revocation ends it; a block wins. */
UNIT_FIXTURE(test_express_consent, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct dossier_actor occ = gp;
        struct trail_tail t;
        size_t n;

        occ.id = "810000000009";
        occ.practice = ACCESS_PRACTICE_OCCUPATIONAL;
        occ.session = "occ-1";
        create(f);
        assert_int_equal(dossier_list(f->e, &occ, INS, 0, &(struct dossier_doc *) { NULL }, &n), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NO_EXPRESS_CONSENT);
        assert_int_equal(dossier_record_consent(f->e, &occ, INS), 0);
        t = trail_tail(f, INS);
        assert_string_equal(t.action, "record-express-consent");
        assert_string_equal(t.code, "allow-record-consent");
        assert_string_equal(t.actor, occ.id);
        _cleanup_free_ struct dossier_doc *docs = NULL;
        assert_int_equal(dossier_list(f->e, &occ, INS, 0, &docs, &n), 0);
        assert_int_equal(last(f), ACCESS_ALLOW_EXPRESS_CONSENT);
        /* the same person acting for care has no authorisation from it */
        struct dossier_actor care = occ;
        care.practice = ACCESS_PRACTICE_CARE;
        free(docs);
        docs = NULL;
        assert_int_equal(dossier_list(f->e, &care, INS, 0, &docs, &n), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NOT_AUTHORISED);
        /* revoked by the patient: gone */
        assert_int_equal(dossier_set_access(f->e, &patient, INS, occ.id, DOSSIER_ACCESS_REVOKE), 0);
        assert_int_equal(dossier_list(f->e, &occ, INS, 0, &docs, &n), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_NO_EXPRESS_CONSENT);
        /* recorded again, then blocked: the block wins */
        assert_int_equal(dossier_record_consent(f->e, &occ, INS), 0);
        assert_int_equal(dossier_set_access(f->e, &patient, INS, occ.id, DOSSIER_ACCESS_BLOCK), 0);
        assert_int_equal(dossier_list(f->e, &occ, INS, 0, &docs, &n), -EACCES);
        assert_int_equal(last(f), ACCESS_DENY_BLOCKED);
        verify_chain(f);
}

/* The actor's workstation (a dossier host's client) is in each trail
 * entry of its calls, and only in those; a malformed one is refused. */
UNIT_FIXTURE(test_workstation_in_trail, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct dossier_actor remote = gp;
        _cleanup_free_ struct dossier_doc *d1 = NULL, *d2 = NULL;
        size_t n;

        remote.workstation = "cabinet-martin-01";
        create(f);
        assert_string_equal(trail_tail(f, INS).workstation, "");
        assert_int_equal(dossier_list(f->e, &remote, INS, 0, &d1, &n), 0);
        assert_string_equal(trail_tail(f, INS).workstation, "cabinet-martin-01");
        assert_int_equal(dossier_list(f->e, &gp, INS, 0, &d2, &n), 0);
        assert_string_equal(trail_tail(f, INS).workstation, "");
        remote.workstation = "bad\nname";
        assert_int_equal(dossier_list(f->e, &remote, INS, 0, &(struct dossier_doc *) { NULL }, &n), -EINVAL);
        verify_chain(f);
}

/* The professionals seen: a change of name or profession is written at
 * once, and so is the change back; the same professional again within
 * the minute writes nothing (a list does not rewrite the row), past it
 * last_seen moves. */
UNIT_FIXTURE(test_professional_seen, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct dossier_actor renamed = gp;
        size_t n;
        static const char q_seen[] = "SELECT last_seen FROM professionals WHERE id_nat = ?1";
        static const char q_name[] = "SELECT count(*) FROM professionals WHERE id_nat = ?1 AND last_name = 'MARTIN-LEGRAND'";

        create(f);
        assert_int_equal(test_store_query_int(&f->ts, q_seen, gp.id), T0);
        f->now = T0 + 59;
        assert_int_equal(dossier_list(f->e, &gp, INS, 0, &(struct dossier_doc *) { NULL }, &n), 0);
        assert_int_equal(test_store_query_int(&f->ts, q_seen, gp.id), T0);
        /* again: the row as the last list found it (remembered, on
         * SQLite, for the engine's generation: engine/dossier-seen.c) */
        assert_int_equal(dossier_list(f->e, &gp, INS, 0, &(struct dossier_doc *) { NULL }, &n), 0);
        assert_int_equal(test_store_query_int(&f->ts, q_seen, gp.id), T0);
        renamed.last_name = "MARTIN-LEGRAND";
        assert_int_equal(dossier_list(f->e, &renamed, INS, 0, &(struct dossier_doc *) { NULL }, &n), 0);
        assert_int_equal(test_store_query_int(&f->ts, q_name, gp.id), 1);
        assert_int_equal(test_store_query_int(&f->ts, q_seen, gp.id), T0 + 59);
        /* the first name again, within the minute: the row changed since
         * it was last found as gp's, so it is written back */
        assert_int_equal(dossier_list(f->e, &gp, INS, 0, &(struct dossier_doc *) { NULL }, &n), 0);
        assert_int_equal(test_store_query_int(&f->ts, q_name, gp.id), 0);
        assert_int_equal(dossier_list(f->e, &renamed, INS, 0, &(struct dossier_doc *) { NULL }, &n), 0);
        assert_int_equal(test_store_query_int(&f->ts, q_name, gp.id), 1);
        f->now = T0 + 59 + 61;
        assert_int_equal(dossier_list(f->e, &renamed, INS, 0, &(struct dossier_doc *) { NULL }, &n), 0);
        assert_int_equal(test_store_query_int(&f->ts, q_seen, gp.id), T0 + 120);
        verify_chain(f);
}

UNIT_GROUP("dossier", NULL, NULL)
