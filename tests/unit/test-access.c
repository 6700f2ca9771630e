/* tests/unit/test-access.c: the access decision, table-driven.
 *
 * The grid covers every profession code of docs/rules.md §5 (TRE_G15) x five
 * document types x masked/unmasked x the three modes x the actor's relation
 * (none / authorised / médecin traitant / blocked) x open/closed dossier, with
 * the shipped data/rights.tsv. Each row writes the 48 expected cells:
 *
 *   "<normal> / <emergency> / <call centre>" for the open dossier, then the
 *   same for the closed one; inside a mode, four pairs for the relations
 *   none, authorised, traitant, blocked; each pair is (unmasked, masked).
 *
 * Cell letters: A allow; denials: B deny-blocked, C deny-dossier-closed,
 * U deny-not-authorised, M deny-masked, R deny-rights-matrix,
 * D deny-call-centre-not-doctor. The actor holds a CPS, is not the author,
 * states a reason in emergency mode; the patient has no opt-out. */
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
#include "engine/access.h"

#define INS "185057800608491"
#define PRO "810001234567"

static struct rights_table *shipped;

static int setup(void **state) {
        const char *dir = getenv("CARNET_DATA_DIR");
        char path[512], err[256];

        snprintf(path, sizeof(path), "%s/rights.tsv", dir ? dir : "data");
        if (rights_load(path, &shipped, err, sizeof(err)) < 0) {
                fprintf(stderr, "%s\n", err);
                return -1;
        }
        return 0;
}

static int teardown(void **state) {
        shipped = rights_free(shipped);
        return 0;
}

static const struct grid_row {
        const char *profession;
        const char *type;
        const char *open;
        const char *closed;
} grid[] = {
        { "10", "11488-4",  "UU AM AA BB / AM AM AA BB / AM AM AA BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "10", "11502-2",  "UU AM AA BB / AM AM AA BB / AM AM AA BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "10", "57833-6",  "UU AM AA BB / AM AM AA BB / AM AM AA BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "10", "60591-5",  "UU AM AA BB / AM AM AA BB / AM AM AA BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "10", "EXPPAT_3", "UU AM AA BB / AM AM AA BB / AM AM AA BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "21", "11488-4",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "21", "11502-2",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "21", "57833-6",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "21", "60591-5",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "21", "EXPPAT_3", "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "26", "11488-4",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "26", "11502-2",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "26", "57833-6",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "26", "60591-5",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "26", "EXPPAT_3", "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "28", "11488-4",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "28", "11502-2",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "28", "57833-6",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "28", "60591-5",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "28", "EXPPAT_3", "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "40", "11488-4",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "40", "11502-2",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "40", "57833-6",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "40", "60591-5",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "40", "EXPPAT_3", "UU RR RR BB / RR RR RR BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "50", "11488-4",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "50", "11502-2",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "50", "57833-6",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "50", "60591-5",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "50", "EXPPAT_3", "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "60", "11488-4",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "60", "11502-2",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "60", "57833-6",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "60", "60591-5",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "60", "EXPPAT_3", "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "69", "11488-4",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "69", "11502-2",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "69", "57833-6",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "69", "60591-5",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "69", "EXPPAT_3", "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "70", "11488-4",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "70", "11502-2",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "70", "57833-6",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "70", "60591-5",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "70", "EXPPAT_3", "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "80", "11488-4",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "80", "11502-2",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "80", "57833-6",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "80", "60591-5",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "80", "EXPPAT_3", "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "86", "11488-4",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "86", "11502-2",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "86", "57833-6",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "86", "60591-5",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "86", "EXPPAT_3", "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "91", "11488-4",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "91", "11502-2",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "91", "57833-6",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "91", "60591-5",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "91", "EXPPAT_3", "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "92", "11488-4",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "92", "11502-2",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "92", "57833-6",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "92", "60591-5",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "92", "EXPPAT_3", "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "94", "11488-4",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "94", "11502-2",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "94", "57833-6",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "94", "60591-5",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "94", "EXPPAT_3", "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "95", "11488-4",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "95", "11502-2",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "95", "57833-6",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "95", "60591-5",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "95", "EXPPAT_3", "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "96", "11488-4",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "96", "11502-2",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "96", "57833-6",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "96", "60591-5",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "96", "EXPPAT_3", "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "98", "11488-4",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "98", "11502-2",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "98", "57833-6",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "98", "60591-5",  "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
        { "98", "EXPPAT_3", "UU AM AA BB / AM AM AA BB / DD DD DD BB",
                              "CC CC CC BB / CC CC CC BB / CC CC CC BB" },
};

static enum access_reason letter_reason(char c) {
        switch (c) {
        case 'B': return ACCESS_DENY_BLOCKED;
        case 'C': return ACCESS_DENY_CLOSED;
        case 'U': return ACCESS_DENY_NOT_AUTHORISED;
        case 'M': return ACCESS_DENY_MASKED;
        case 'R': return ACCESS_DENY_RIGHTS_MATRIX;
        case 'D': return ACCESS_DENY_CALL_CENTRE_NOT_DOCTOR;
        default: fail_msg("bad letter '%c' in grid", c); return ACCESS_DENY_INVALID;
        }
}

UNIT(test_grid) {
        static const enum access_relation rels[4] = { ACCESS_REL_NONE, ACCESS_REL_AUTHORISED, ACCESS_REL_TRAITANT,
                                                      ACCESS_REL_AUTHORISED /* + blocked */ };
        unsigned cells = 0;

        for (size_t row = 0; row < ELEMENTSOF(grid); row++) {
                for (int st = 0; st < 2; st++) {
                        const char *p = st == 0 ? grid[row].open : grid[row].closed;
                        unsigned i = 0;

                        for (; *p; p++) {
                                struct access_decision d;
                                struct access_doc doc;
                                struct access_request req;
                                char expect = *p;
                                int mode, rel, masked;

                                if (expect == ' ' || expect == '/')
                                        continue;
                                assert_true(i < 24);
                                mode = i / 8;
                                rel = (i / 2) % 4;
                                masked = i % 2;
                                i++;

                                doc = (struct access_doc) {
                                        .type_code = grid[row].type, .class_code = "10",
                                        .author_id = "899999999999", .masked = masked,
                                };
                                req = (struct access_request) {
                                        .actor_kind = ACCESS_ACTOR_PROFESSIONAL, .actor_id = PRO,
                                        .profession = grid[row].profession, .card = ACCESS_CARD_CPS,
                                        .mode = (enum access_mode) mode, .reason = "unconscious, no relative",
                                        .dossier_status = st == 0 ? ACCESS_DOSSIER_OPEN : ACCESS_DOSSIER_CLOSED,
                                        .dossier_ins = INS, .relation = rels[rel], .blocked = rel == 3,
                                        .action = ACCESS_ACTION_READ, .doc = &doc, .rights = shipped,
                                };
                                assert_int_equal(access_decide(&req, &d), 0);
                                if (expect == 'A' ? !d.allow : (d.allow || d.reason != letter_reason(expect)))
                                        fail_msg("profession %s type %s %s mode %s relation %d masked %d: "
                                                 "expected %c, got %s", grid[row].profession, grid[row].type,
                                                 st == 0 ? "open" : "closed", access_mode_name(mode), rel, masked,
                                                 expect, access_reason_name(d.reason));
                                if (!d.allow)
                                        assert_false(access_reason_is_allow(d.reason));
                                else
                                        assert_true(access_reason_is_allow(d.reason));
                                cells++;
                        }
                        assert_int_equal(i, 24);
                }
        }
        assert_int_equal(cells, 17 * 5 * 48);
}

/* The macros below set defaults that a case may override on purpose. */
#pragma GCC diagnostic ignored "-Woverride-init"

/* Named cases for the rules the grid holds constant. Every field not
 * written is zero: CPS card, care practice, normal mode, open dossier... */
#define PRO_REQ(...)                                                                  \
        { .actor_kind = ACCESS_ACTOR_PROFESSIONAL, .actor_id = PRO, .profession = "10", \
          .dossier_status = ACCESS_DOSSIER_OPEN, .dossier_ins = INS, __VA_ARGS__ }
#define PAT_REQ(...)                                                                  \
        { .actor_kind = ACCESS_ACTOR_PATIENT, .actor_id = INS,                        \
          .dossier_status = ACCESS_DOSSIER_OPEN, .dossier_ins = INS, __VA_ARGS__ }

#define REP "283059934173285"
#define REP_REQ(...)                                                                     \
        { .actor_kind = ACCESS_ACTOR_REPRESENTATIVE, .actor_id = REP, .representative = true, \
          .dossier_status = ACCESS_DOSSIER_OPEN, .dossier_ins = INS, __VA_ARGS__ }

static const struct access_doc report = { .type_code = "11488-4", .class_code = "10", .author_id = "899999999999" };
static const struct access_doc report_mine = { .type_code = "11488-4", .class_code = "10", .author_id = PRO };
static const struct access_doc report_masked = { .type_code = "11488-4", .class_code = "10",
                                                 .author_id = "899999999999", .masked = true };
static const struct access_doc report_masked_mine = { .type_code = "11488-4", .class_code = "10",
                                                      .author_id = PRO, .masked = true };
static const struct access_doc report_masked_clinic = { .type_code = "11488-4", .class_code = "10",
                                                        .author_id = "899999999999", .masked = true,
                                                        .author_establishment = "Clinique des Tests" };
static const struct access_doc report_masked_noclinic = { .type_code = "11488-4", .class_code = "10",
                                                          .author_id = "899999999999", .masked = true,
                                                          .author_establishment = "" };
static const struct access_doc report_held = { .type_code = "11488-4", .class_code = "10",
                                               .author_id = PRO, .hidden_from_patient = true };
static const struct access_doc report_old = { .type_code = "11488-4", .class_code = "10", .author_id = PRO,
                                              .status = ACCESS_DOC_DEPRECATED };
static const struct access_doc report_withheld = { .type_code = "11488-4", .class_code = "10",
        .author_id = "899999999999", .hidden_from_representatives = true };
static const struct access_doc patient_doc = { .type_code = "DOCPAT01", .class_code = "90", .author_id = INS };
static const struct access_doc patient_type_as_report = { .type_code = "DOCPAT03", .class_code = "10",
                                                          .author_id = PRO };
static const struct access_doc delivery = { .type_code = "X-DELIVERY", .class_code = "10", .author_id = "899999999999" };
static const struct access_doc delivery_report = { .type_code = "15508-5", .class_code = "10",
                                                   .author_id = "899999999999" };
static const struct access_doc residence = { .type_code = "ATTEST-RESID", .class_code = "52",
                                             .author_id = "899999999999" };

static const struct named_case {
        const char *name;
        struct access_request req;
        bool allow;
        enum access_reason reason;
        unsigned flags;
} cases[] = {
        /* opt-outs and emergency reason (s. 2) */
        { "emergency opted out", PRO_REQ(.mode = ACCESS_MODE_EMERGENCY, .reason = "coma", .optout_emergency = true,
          .action = ACCESS_ACTION_READ, .doc = &report), false, ACCESS_DENY_EMERGENCY_OPTED_OUT, 0 },
        { "emergency without reason", PRO_REQ(.mode = ACCESS_MODE_EMERGENCY, .action = ACCESS_ACTION_READ,
          .doc = &report), false, ACCESS_DENY_EMERGENCY_NO_REASON, 0 },
        { "emergency blank reason", PRO_REQ(.mode = ACCESS_MODE_EMERGENCY, .reason = "  \t",
          .action = ACCESS_ACTION_READ, .doc = &report), false, ACCESS_DENY_EMERGENCY_NO_REASON, 0 },
        { "emergency with reason", PRO_REQ(.mode = ACCESS_MODE_EMERGENCY, .reason = "coma",
          .action = ACCESS_ACTION_READ, .doc = &report), true, ACCESS_ALLOW_EMERGENCY, ACCESS_FLAG_EMERGENCY },
        { "emergency call-centre opt-out does not matter", PRO_REQ(.mode = ACCESS_MODE_EMERGENCY, .reason = "coma",
          .optout_call_centre = true, .action = ACCESS_ACTION_LIST), true, ACCESS_ALLOW_EMERGENCY, ACCESS_FLAG_EMERGENCY },
        { "emergency deposit", PRO_REQ(.mode = ACCESS_MODE_EMERGENCY, .reason = "coma",
          .action = ACCESS_ACTION_DEPOSIT, .doc = &report_mine), true, ACCESS_ALLOW_EMERGENCY, ACCESS_FLAG_EMERGENCY },
        { "emergency replace refused", PRO_REQ(.mode = ACCESS_MODE_EMERGENCY, .reason = "coma",
          .action = ACCESS_ACTION_REPLACE, .doc = &report_mine), false, ACCESS_DENY_MODE_ACTION, 0 },
        { "call centre opted out", PRO_REQ(.mode = ACCESS_MODE_CALL_CENTRE, .optout_call_centre = true,
          .action = ACCESS_ACTION_LIST), false, ACCESS_DENY_CALL_CENTRE_OPTED_OUT, 0 },
        { "call centre skips authorisation", PRO_REQ(.mode = ACCESS_MODE_CALL_CENTRE, .action = ACCESS_ACTION_LIST),
          true, ACCESS_ALLOW_CALL_CENTRE, ACCESS_FLAG_CALL_CENTRE },
        { "call centre block still applies", PRO_REQ(.mode = ACCESS_MODE_CALL_CENTRE, .blocked = true,
          .action = ACCESS_ACTION_LIST), false, ACCESS_DENY_BLOCKED, 0 },
        { "call centre cannot deposit", PRO_REQ(.mode = ACCESS_MODE_CALL_CENTRE, .action = ACCESS_ACTION_DEPOSIT,
          .doc = &report_mine), false, ACCESS_DENY_MODE_ACTION, 0 },
        /* care team, traitant grant, authorship (s. 2, 3) */
        { "care team deemed authorised", PRO_REQ(.relation = ACCESS_REL_CARE_TEAM, .action = ACCESS_ACTION_READ,
          .doc = &report), true, ACCESS_ALLOW_CARE_TEAM, 0 },
        { "care team does not see masked", PRO_REQ(.relation = ACCESS_REL_CARE_TEAM, .action = ACCESS_ACTION_READ,
          .doc = &report_masked), false, ACCESS_DENY_MASKED, 0 },
        { "patient granted masked right", PRO_REQ(.relation = ACCESS_REL_AUTHORISED, .sees_masked = true,
          .action = ACCESS_ACTION_READ, .doc = &report_masked), true, ACCESS_ALLOW_AUTHORISED, 0 },
        { "author sees own masked document", PRO_REQ(.relation = ACCESS_REL_AUTHORISED, .action = ACCESS_ACTION_READ,
          .doc = &report_masked_mine), true, ACCESS_ALLOW_AUTHORISED, 0 },
        { "depositor's establishment sees masked", PRO_REQ(.relation = ACCESS_REL_AUTHORISED,
          .establishment = "Clinique des Tests", .action = ACCESS_ACTION_READ, .doc = &report_masked_clinic), true,
          ACCESS_ALLOW_AUTHORISED, 0 },
        { "another establishment does not", PRO_REQ(.relation = ACCESS_REL_AUTHORISED,
          .establishment = "Clinique des Testeurs", .action = ACCESS_ACTION_READ, .doc = &report_masked_clinic), false,
          ACCESS_DENY_MASKED, 0 },
        { "no establishment is none", PRO_REQ(.relation = ACCESS_REL_AUTHORISED, .establishment = "",
          .action = ACCESS_ACTION_READ, .doc = &report_masked_noclinic), false, ACCESS_DENY_MASKED, 0 },
        { "establishment does not lift a block", PRO_REQ(.relation = ACCESS_REL_AUTHORISED, .blocked = true,
          .establishment = "Clinique des Tests", .action = ACCESS_ACTION_READ, .doc = &report_masked_clinic), false,
          ACCESS_DENY_BLOCKED, 0 },
        { "author in emergency sees own masked", PRO_REQ(.mode = ACCESS_MODE_EMERGENCY, .reason = "coma",
          .action = ACCESS_ACTION_READ, .doc = &report_masked_mine), true, ACCESS_ALLOW_EMERGENCY,
          ACCESS_FLAG_EMERGENCY },
        { "held-back document warns the reader", PRO_REQ(.relation = ACCESS_REL_AUTHORISED,
          .action = ACCESS_ACTION_READ, .doc = &report_held), true, ACCESS_ALLOW_AUTHORISED,
          ACCESS_FLAG_WARN_HIDDEN_FROM_PATIENT },
        { "authorised professional writes", PRO_REQ(.relation = ACCESS_REL_AUTHORISED,
          .action = ACCESS_ACTION_DEPOSIT, .doc = &report_mine), true, ACCESS_ALLOW_AUTHORISED, 0 },
        { "unauthorised professional cannot write", PRO_REQ(.action = ACCESS_ACTION_DEPOSIT, .doc = &report_mine),
          false, ACCESS_DENY_NOT_AUTHORISED, 0 },
        { "professional cannot deposit class 90", PRO_REQ(.relation = ACCESS_REL_AUTHORISED,
          .action = ACCESS_ACTION_DEPOSIT, .doc = &patient_doc), false, ACCESS_DENY_CLASS_RESERVED, 0 },
        { "professional cannot deposit a DOCPAT type", PRO_REQ(.relation = ACCESS_REL_TRAITANT,
          .action = ACCESS_ACTION_DEPOSIT, .doc = &patient_type_as_report), false, ACCESS_DENY_CLASS_RESERVED, 0 },
        { "patient cannot file a DOCPAT type as a report", PAT_REQ(.action = ACCESS_ACTION_DEPOSIT,
          .doc = &patient_type_as_report), false, ACCESS_DENY_CLASS_RESERVED, 0 },
        { "replace own", PRO_REQ(.relation = ACCESS_REL_AUTHORISED, .action = ACCESS_ACTION_REPLACE,
          .doc = &report_mine), true, ACCESS_ALLOW_AUTHORISED, 0 },
        { "replace someone else's", PRO_REQ(.relation = ACCESS_REL_TRAITANT, .action = ACCESS_ACTION_REPLACE,
          .doc = &report), false, ACCESS_DENY_NOT_AUTHOR, 0 },
        { "replace deprecated", PRO_REQ(.relation = ACCESS_REL_AUTHORISED, .action = ACCESS_ACTION_REPLACE,
          .doc = &report_old), false, ACCESS_DENY_DOC_NOT_CURRENT, 0 },
        { "archive someone else's", PRO_REQ(.relation = ACCESS_REL_AUTHORISED, .action = ACCESS_ACTION_ARCHIVE,
          .doc = &report), false, ACCESS_DENY_NOT_AUTHOR, 0 },
        { "traitant releases hold", PRO_REQ(.relation = ACCESS_REL_TRAITANT, .action = ACCESS_ACTION_RELEASE_HOLD,
          .doc = &report), true, ACCESS_ALLOW_TRAITANT, 0 },
        { "other releases hold", PRO_REQ(.relation = ACCESS_REL_AUTHORISED, .action = ACCESS_ACTION_RELEASE_HOLD,
          .doc = &report), false, ACCESS_DENY_NOT_AUTHOR, 0 },
        { "read without document", PRO_REQ(.relation = ACCESS_REL_AUTHORISED, .action = ACCESS_ACTION_READ),
          false, ACCESS_DENY_NO_DOCUMENT, 0 },
        /* the shipped table's known restrictions (docs/rights.md) */
        { "podiatrist reads a delivery report", PRO_REQ(.profession = "80", .relation = ACCESS_REL_AUTHORISED,
          .action = ACCESS_ACTION_READ, .doc = &delivery_report), false, ACCESS_DENY_RIGHTS_MATRIX, 0 },
        { "midwife reads a delivery report", PRO_REQ(.profession = "50", .relation = ACCESS_REL_AUTHORISED,
          .action = ACCESS_ACTION_READ, .doc = &delivery_report), true, ACCESS_ALLOW_AUTHORISED, 0 },
        { "doctor reads a residence certificate", PRO_REQ(.relation = ACCESS_REL_TRAITANT,
          .action = ACCESS_ACTION_READ, .doc = &residence), false, ACCESS_DENY_RIGHTS_MATRIX, 0 },
        /* consent recording and creation (s. 1, 2) */
        { "record consent", PRO_REQ(.action = ACCESS_ACTION_RECORD_CONSENT), true, ACCESS_ALLOW_RECORD_CONSENT, 0 },
        { "record consent when blocked", PRO_REQ(.blocked = true, .action = ACCESS_ACTION_RECORD_CONSENT), false,
          ACCESS_DENY_BLOCKED, 0 },
        { "record consent in emergency", PRO_REQ(.mode = ACCESS_MODE_EMERGENCY, .reason = "x",
          .action = ACCESS_ACTION_RECORD_CONSENT), false, ACCESS_DENY_MODE_ACTION, 0 },
        { "create with consent", PRO_REQ(.dossier_status = ACCESS_DOSSIER_ABSENT, .consent = true,
          .action = ACCESS_ACTION_CREATE), true, ACCESS_ALLOW_CREATE, 0 },
        { "create by establishment card", PRO_REQ(.dossier_status = ACCESS_DOSSIER_ABSENT, .consent = true,
          .card = ACCESS_CARD_CPE, .action = ACCESS_ACTION_CREATE), true, ACCESS_ALLOW_CREATE, 0 },
        { "create without consent", PRO_REQ(.dossier_status = ACCESS_DOSSIER_ABSENT,
          .action = ACCESS_ACTION_CREATE), false, ACCESS_DENY_NO_CONSENT, 0 },
        { "create over open dossier", PRO_REQ(.consent = true, .action = ACCESS_ACTION_CREATE), false,
          ACCESS_DENY_DOSSIER_EXISTS, 0 },
        { "create after destruction", PRO_REQ(.dossier_status = ACCESS_DOSSIER_DESTROYED, .consent = true,
          .action = ACCESS_ACTION_CREATE), true, ACCESS_ALLOW_CREATE, 0 },
        { "read absent dossier", PRO_REQ(.dossier_status = ACCESS_DOSSIER_ABSENT, .action = ACCESS_ACTION_LIST),
          false, ACCESS_DENY_NO_DOSSIER, 0 },
        { "read destroyed dossier", PRO_REQ(.dossier_status = ACCESS_DOSSIER_DESTROYED,
          .relation = ACCESS_REL_TRAITANT, .action = ACCESS_ACTION_LIST), false, ACCESS_DENY_DESTROYED, 0 },
        /* cards (s. 5) */
        { "CPF reads", PRO_REQ(.card = ACCESS_CARD_CPF, .relation = ACCESS_REL_AUTHORISED,
          .action = ACCESS_ACTION_READ, .doc = &report), true, ACCESS_ALLOW_AUTHORISED, 0 },
        { "CPE does not read", PRO_REQ(.card = ACCESS_CARD_CPE, .relation = ACCESS_REL_AUTHORISED,
          .action = ACCESS_ACTION_READ, .doc = &report), false, ACCESS_DENY_CARD_TYPE, 0 },
        { "CPA does not list", PRO_REQ(.card = ACCESS_CARD_CPA, .relation = ACCESS_REL_TRAITANT,
          .action = ACCESS_ACTION_LIST), false, ACCESS_DENY_CARD_TYPE, 0 },
        { "CPE deposits for its establishment", PRO_REQ(.card = ACCESS_CARD_CPE, .relation = ACCESS_REL_AUTHORISED,
          .action = ACCESS_ACTION_DEPOSIT, .doc = &report_mine), true, ACCESS_ALLOW_AUTHORISED, 0 },
        { "CPE without a profession lists", { .actor_kind = ACCESS_ACTOR_PROFESSIONAL, .actor_id = PRO,
          .card = ACCESS_CARD_CPE, .dossier_status = ACCESS_DOSSIER_OPEN, .dossier_ins = INS,
          .relation = ACCESS_REL_AUTHORISED, .action = ACCESS_ACTION_LIST }, false, ACCESS_DENY_CARD_TYPE, 0 },
        { "CPE without a profession deposits", { .actor_kind = ACCESS_ACTOR_PROFESSIONAL, .actor_id = PRO,
          .card = ACCESS_CARD_CPE, .dossier_status = ACCESS_DOSSIER_OPEN, .dossier_ins = INS,
          .relation = ACCESS_REL_AUTHORISED, .action = ACCESS_ACTION_DEPOSIT, .doc = &report_mine }, true,
          ACCESS_ALLOW_AUTHORISED, 0 },
        { "CPE without a profession creates", { .actor_kind = ACCESS_ACTOR_PROFESSIONAL, .actor_id = PRO,
          .card = ACCESS_CARD_CPE, .dossier_status = ACCESS_DOSSIER_ABSENT, .dossier_ins = INS, .consent = true,
          .action = ACCESS_ACTION_CREATE }, true, ACCESS_ALLOW_CREATE, 0 },
        { "CPA without a profession reads", { .actor_kind = ACCESS_ACTOR_PROFESSIONAL, .actor_id = PRO,
          .card = ACCESS_CARD_CPA, .dossier_status = ACCESS_DOSSIER_OPEN, .dossier_ins = INS,
          .relation = ACCESS_REL_TRAITANT, .action = ACCESS_ACTION_READ, .doc = &report }, false,
          ACCESS_DENY_CARD_TYPE, 0 },
        { "CPE without a profession cannot deposit class 90", { .actor_kind = ACCESS_ACTOR_PROFESSIONAL,
          .actor_id = PRO, .card = ACCESS_CARD_CPE, .dossier_status = ACCESS_DOSSIER_OPEN, .dossier_ins = INS,
          .relation = ACCESS_REL_AUTHORISED, .action = ACCESS_ACTION_DEPOSIT, .doc = &patient_doc }, false,
          ACCESS_DENY_CLASS_RESERVED, 0 },
        /* forbidden and restricted roles (s. 2) */
        { "insurer", { .actor_kind = ACCESS_ACTOR_INSURER, .actor_id = "x", .dossier_status = ACCESS_DOSSIER_OPEN,
          .dossier_ins = INS, .action = ACCESS_ACTION_LIST }, false, ACCESS_DENY_FORBIDDEN_ROLE, 0 },
        { "complementary insurer", { .actor_kind = ACCESS_ACTOR_COMPLEMENTARY_INSURER, .actor_id = "x",
          .dossier_status = ACCESS_DOSSIER_OPEN, .dossier_ins = INS, .action = ACCESS_ACTION_READ, .doc = &report },
          false, ACCESS_DENY_FORBIDDEN_ROLE, 0 },
        { "bank", { .actor_kind = ACCESS_ACTOR_BANK, .actor_id = "x", .dossier_status = ACCESS_DOSSIER_OPEN,
          .dossier_ins = INS, .action = ACCESS_ACTION_LIST }, false, ACCESS_DENY_FORBIDDEN_ROLE, 0 },
        { "employer", { .actor_kind = ACCESS_ACTOR_EMPLOYER, .actor_id = "x", .dossier_status = ACCESS_DOSSIER_OPEN,
          .dossier_ins = INS, .action = ACCESS_ACTION_LIST }, false, ACCESS_DENY_FORBIDDEN_ROLE, 0 },
        { "occupational doctor without express consent", PRO_REQ(.practice = ACCESS_PRACTICE_OCCUPATIONAL,
          .relation = ACCESS_REL_AUTHORISED, .action = ACCESS_ACTION_LIST), false, ACCESS_DENY_NO_EXPRESS_CONSENT, 0 },
        { "occupational doctor with express consent", PRO_REQ(.practice = ACCESS_PRACTICE_OCCUPATIONAL,
          .express_consent = true, .action = ACCESS_ACTION_LIST), true, ACCESS_ALLOW_EXPRESS_CONSENT, 0 },
        { "occupational doctor records the express consent", PRO_REQ(.practice = ACCESS_PRACTICE_OCCUPATIONAL,
          .action = ACCESS_ACTION_RECORD_CONSENT), true, ACCESS_ALLOW_RECORD_CONSENT, 0 },
        { "occupational doctor without express consent deposits", PRO_REQ(.practice = ACCESS_PRACTICE_OCCUPATIONAL,
          .relation = ACCESS_REL_TRAITANT, .action = ACCESS_ACTION_DEPOSIT, .doc = &report_mine), false,
          ACCESS_DENY_NO_EXPRESS_CONSENT, 0 },
        { "fire-service doctor in emergency without consent", PRO_REQ(.practice = ACCESS_PRACTICE_FIRE_SERVICE,
          .mode = ACCESS_MODE_EMERGENCY, .reason = "fire", .action = ACCESS_ACTION_LIST), false,
          ACCESS_DENY_NO_EXPRESS_CONSENT, 0 },
        { "fire-service doctor blocked despite consent", PRO_REQ(.practice = ACCESS_PRACTICE_FIRE_SERVICE,
          .express_consent = true, .blocked = true, .action = ACCESS_ACTION_LIST), false, ACCESS_DENY_BLOCKED, 0 },
        /* patient-only actions */
        { "professional masks", PRO_REQ(.relation = ACCESS_REL_TRAITANT, .action = ACCESS_ACTION_MASK,
          .doc = &report), false, ACCESS_DENY_PATIENT_ONLY, 0 },
        { "professional closes", PRO_REQ(.relation = ACCESS_REL_TRAITANT, .action = ACCESS_ACTION_CLOSE), false,
          ACCESS_DENY_PATIENT_ONLY, 0 },
        { "professional reads trail", PRO_REQ(.relation = ACCESS_REL_TRAITANT, .action = ACCESS_ACTION_READ_TRAIL),
          false, ACCESS_DENY_PATIENT_ONLY, 0 },
        { "professional purges", PRO_REQ(.relation = ACCESS_REL_TRAITANT, .action = ACCESS_ACTION_PURGE), false,
          ACCESS_DENY_SYSTEM_ONLY, 0 },
        /* the patient (s. 3) */
        { "patient reads", PAT_REQ(.action = ACCESS_ACTION_READ, .doc = &report_masked), true, ACCESS_ALLOW_PATIENT, 0 },
        { "patient held-back document", PAT_REQ(.action = ACCESS_ACTION_READ, .doc = &report_held), false,
          ACCESS_DENY_HIDDEN_FROM_PATIENT, 0 },
        { "patient masks held-back document", PAT_REQ(.action = ACCESS_ACTION_MASK, .doc = &report_held), false,
          ACCESS_DENY_HIDDEN_FROM_PATIENT, 0 },
        { "patient under 16 reads", PAT_REQ(.patient_under_16 = true, .action = ACCESS_ACTION_LIST), false,
          ACCESS_DENY_UNDER_16, 0 },
        { "patient under 16 masks", PAT_REQ(.patient_under_16 = true, .action = ACCESS_ACTION_MASK, .doc = &report),
          false, ACCESS_DENY_UNDER_16, 0 },
        { "professional on an under-16's dossier", PRO_REQ(.patient_under_16 = true, .relation = ACCESS_REL_AUTHORISED,
          .action = ACCESS_ACTION_READ, .doc = &report), true, ACCESS_ALLOW_AUTHORISED, 0 },
        { "patient other's dossier", { .actor_kind = ACCESS_ACTOR_PATIENT, .actor_id = "269029934173285",
          .dossier_status = ACCESS_DOSSIER_OPEN, .dossier_ins = INS, .action = ACCESS_ACTION_LIST }, false,
          ACCESS_DENY_NOT_OWN_DOSSIER, 0 },
        { "patient deposits class 90", PAT_REQ(.action = ACCESS_ACTION_DEPOSIT, .doc = &patient_doc), true,
          ACCESS_ALLOW_PATIENT, 0 },
        { "patient deposits a report", PAT_REQ(.action = ACCESS_ACTION_DEPOSIT, .doc = &report), false,
          ACCESS_DENY_CLASS_RESERVED, 0 },
        { "patient archives own deposit", PAT_REQ(.action = ACCESS_ACTION_ARCHIVE, .doc = &patient_doc), true,
          ACCESS_ALLOW_PATIENT, 0 },
        { "patient archives a report", PAT_REQ(.action = ACCESS_ACTION_ARCHIVE, .doc = &report), false,
          ACCESS_DENY_NOT_AUTHOR, 0 },
        { "patient masks", PAT_REQ(.action = ACCESS_ACTION_MASK, .doc = &report), true, ACCESS_ALLOW_PATIENT, 0 },
        { "patient blocks", PAT_REQ(.action = ACCESS_ACTION_MANAGE_ACCESS), true, ACCESS_ALLOW_PATIENT, 0 },
        { "patient opts out", PAT_REQ(.action = ACCESS_ACTION_SET_OPTIONS), true, ACCESS_ALLOW_PATIENT, 0 },
        { "patient in emergency mode", PAT_REQ(.mode = ACCESS_MODE_EMERGENCY, .reason = "x",
          .action = ACCESS_ACTION_LIST), false, ACCESS_DENY_MODE_ACTION, 0 },
        { "patient records consent", PAT_REQ(.action = ACCESS_ACTION_RECORD_CONSENT), false,
          ACCESS_DENY_PROFESSIONAL_ONLY, 0 },
        { "patient reads closed dossier", PAT_REQ(.dossier_status = ACCESS_DOSSIER_CLOSED,
          .action = ACCESS_ACTION_READ, .doc = &report), true, ACCESS_ALLOW_PATIENT, 0 },
        { "patient deposits in closed dossier", PAT_REQ(.dossier_status = ACCESS_DOSSIER_CLOSED,
          .action = ACCESS_ACTION_DEPOSIT, .doc = &patient_doc), false, ACCESS_DENY_CLOSED, 0 },
        { "patient reactivates", PAT_REQ(.dossier_status = ACCESS_DOSSIER_CLOSED, .action = ACCESS_ACTION_REACTIVATE),
          true, ACCESS_ALLOW_PATIENT, 0 },
        { "patient destroys", PAT_REQ(.action = ACCESS_ACTION_DESTROY), true, ACCESS_ALLOW_PATIENT, 0 },
        { "patient reads trail after destruction", PAT_REQ(.dossier_status = ACCESS_DOSSIER_DESTROYED,
          .action = ACCESS_ACTION_READ_TRAIL), true, ACCESS_ALLOW_PATIENT, 0 },
        { "patient lists destroyed dossier", PAT_REQ(.dossier_status = ACCESS_DOSSIER_DESTROYED,
          .action = ACCESS_ACTION_LIST), false, ACCESS_DENY_DESTROYED, 0 },
        { "patient creates own", PAT_REQ(.dossier_status = ACCESS_DOSSIER_ABSENT, .consent = true,
          .action = ACCESS_ACTION_CREATE), true, ACCESS_ALLOW_CREATE, 0 },
        /* legal representatives (docs/rules.md §3) */
        { "representative lists", REP_REQ(.action = ACCESS_ACTION_LIST), true, ACCESS_ALLOW_REPRESENTATIVE, 0 },
        { "representative reads", REP_REQ(.action = ACCESS_ACTION_READ, .doc = &report), true,
          ACCESS_ALLOW_REPRESENTATIVE, 0 },
        { "representative for an under-16", REP_REQ(.patient_under_16 = true, .action = ACCESS_ACTION_READ,
          .doc = &report), true, ACCESS_ALLOW_REPRESENTATIVE, 0 },
        { "representative reads the trail", REP_REQ(.action = ACCESS_ACTION_READ_TRAIL), true,
          ACCESS_ALLOW_REPRESENTATIVE, 0 },
        { "representative masks", REP_REQ(.action = ACCESS_ACTION_MASK, .doc = &report), true,
          ACCESS_ALLOW_REPRESENTATIVE, 0 },
        { "representative sets options", REP_REQ(.action = ACCESS_ACTION_SET_OPTIONS), true,
          ACCESS_ALLOW_REPRESENTATIVE, 0 },
        { "representative reads a withheld document", REP_REQ(.action = ACCESS_ACTION_READ, .doc = &report_withheld),
          false, ACCESS_DENY_HIDDEN_FROM_REPRESENTATIVES, 0 },
        { "representative masks a withheld document", REP_REQ(.action = ACCESS_ACTION_MASK,
          .doc = &report_withheld), false, ACCESS_DENY_HIDDEN_FROM_REPRESENTATIVES, 0 },
        { "representative reads a held-back document", REP_REQ(.action = ACCESS_ACTION_READ, .doc = &report_held),
          false, ACCESS_DENY_HIDDEN_FROM_PATIENT, 0 },
        { "not a listed representative", REP_REQ(.representative = false, .action = ACCESS_ACTION_LIST), false,
          ACCESS_DENY_NOT_REPRESENTATIVE, 0 },
        { "representative as the patient", REP_REQ(.actor_id = INS, .action = ACCESS_ACTION_LIST), false,
          ACCESS_DENY_NOT_REPRESENTATIVE, 0 },
        { "representative after death", REP_REQ(.deceased = true, .dossier_status = ACCESS_DOSSIER_CLOSED,
          .action = ACCESS_ACTION_LIST), false, ACCESS_DENY_DECEASED, 0 },
        { "representative records a representative", REP_REQ(.action = ACCESS_ACTION_MANAGE_REPRESENTATIVES), false,
          ACCESS_DENY_PROFESSIONAL_ONLY, 0 },
        { "patient records a representative", PAT_REQ(.action = ACCESS_ACTION_MANAGE_REPRESENTATIVES), false,
          ACCESS_DENY_PROFESSIONAL_ONLY, 0 },
        { "patient reads a document withheld from representatives", PAT_REQ(.action = ACCESS_ACTION_READ,
          .doc = &report_withheld), true, ACCESS_ALLOW_PATIENT, 0 },
        { "professional reads a document withheld from representatives", PRO_REQ(.relation = ACCESS_REL_AUTHORISED,
          .action = ACCESS_ACTION_READ, .doc = &report_withheld), true, ACCESS_ALLOW_AUTHORISED, 0 },
        { "professional records a representative", PRO_REQ(.relation = ACCESS_REL_AUTHORISED,
          .action = ACCESS_ACTION_MANAGE_REPRESENTATIVES), true, ACCESS_ALLOW_AUTHORISED, 0 },
        { "unauthorised professional records a representative", PRO_REQ(.action = ACCESS_ACTION_MANAGE_REPRESENTATIVES),
          false, ACCESS_DENY_NOT_AUTHORISED, 0 },
        { "CPE records a representative", PRO_REQ(.card = ACCESS_CARD_CPE, .relation = ACCESS_REL_AUTHORISED,
          .action = ACCESS_ACTION_MANAGE_REPRESENTATIVES), false, ACCESS_DENY_CARD_TYPE, 0 },
        { "representative recorded on a closed dossier", PRO_REQ(.relation = ACCESS_REL_AUTHORISED,
          .dossier_status = ACCESS_DOSSIER_CLOSED, .action = ACCESS_ACTION_MANAGE_REPRESENTATIVES), false,
          ACCESS_DENY_CLOSED, 0 },
        /* system */
        { "purge closed", { .actor_kind = ACCESS_ACTOR_SYSTEM, .dossier_status = ACCESS_DOSSIER_CLOSED,
          .action = ACCESS_ACTION_PURGE }, true, ACCESS_ALLOW_SYSTEM, 0 },
        { "purge open", { .actor_kind = ACCESS_ACTOR_SYSTEM, .dossier_status = ACCESS_DOSSIER_OPEN,
          .action = ACCESS_ACTION_PURGE }, false, ACCESS_DENY_INVALID, 0 },
        { "system reads", { .actor_kind = ACCESS_ACTOR_SYSTEM, .dossier_status = ACCESS_DOSSIER_OPEN,
          .action = ACCESS_ACTION_READ, .doc = &report }, false, ACCESS_DENY_INVALID, 0 },
        /* malformed requests */
        { "no actor id", { .actor_kind = ACCESS_ACTOR_PROFESSIONAL, .profession = "10",
          .dossier_status = ACCESS_DOSSIER_OPEN, .action = ACCESS_ACTION_LIST }, false, ACCESS_DENY_INVALID, 0 },
        { "no profession", { .actor_kind = ACCESS_ACTOR_PROFESSIONAL, .actor_id = PRO,
          .dossier_status = ACCESS_DOSSIER_OPEN, .action = ACCESS_ACTION_LIST }, false, ACCESS_DENY_INVALID, 0 },
        { "bad mode", PRO_REQ(.mode = (enum access_mode) 7, .action = ACCESS_ACTION_LIST), false,
          ACCESS_DENY_INVALID, 0 },
        { "bad action", PRO_REQ(.action = (enum access_action) 99), false, ACCESS_DENY_INVALID, 0 },
};

UNIT(test_cases) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct access_request req = cases[i].req;
                struct access_decision d;

                if (!req.rights)
                        req.rights = shipped;
                assert_int_equal(access_decide(&req, &d), 0);
                if (d.allow != cases[i].allow || d.reason != cases[i].reason || d.flags != cases[i].flags)
                        fail_msg("%s: expected %s/%s flags %u, got %s/%s flags %u", cases[i].name,
                                 cases[i].allow ? "allow" : "deny", access_reason_name(cases[i].reason),
                                 cases[i].flags, d.allow ? "allow" : "deny", access_reason_name(d.reason), d.flags);
        }
}

/* A table an administrator could install: the podiatrist/delivery-report
 * fact, whose code docs/rules.md does not give, under a local code. */
UNIT(test_custom_table) {
        _cleanup_rights_ struct rights_table *t = NULL;
        struct access_request req = PRO_REQ(.profession = "80", .relation = ACCESS_REL_AUTHORISED,
                                            .action = ACCESS_ACTION_READ, .doc = &delivery);
        struct access_decision d;

        assert_int_equal(rights_parse("custom", "80\t*\tallow\n80\tX-DELIVERY\tdeny\n", &t, NULL, 0), 0);
        req.rights = t;
        assert_int_equal(access_decide(&req, &d), 0);
        assert_false(d.allow);
        assert_int_equal(d.reason, ACCESS_DENY_RIGHTS_MATRIX);
        req.doc = &report;
        assert_int_equal(access_decide(&req, &d), 0);
        assert_true(d.allow);
        /* no table at all: deny */
        req.rights = NULL;
        assert_int_equal(access_decide(&req, &d), 0);
        assert_false(d.allow);
        assert_int_equal(d.reason, ACCESS_DENY_RIGHTS_MATRIX);
}

UNIT(test_patient_types) {
        static const char *const yes[] = {"DOCPAT01", "DOCPAT05", "DOCPAT09"};
        static const char *const no[] = {"DOCPAT00", "DOCPAT10", "DOCPAT1", "DOCPAT010", "docpat01", "11488-4", ""};
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                assert_true(access_type_is_patient(yes[i]));
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                assert_false(access_type_is_patient(no[i]));
        assert_false(access_type_is_patient(NULL));
}

/* Self-access from 16 (docs/rules.md §3): the birthday itself counts,
 * from midnight in Paris; unknown month or day count as the latest,
 * malformed dates refuse. */
UNIT(test_age_16) {
        const int64_t day = 86400, at = INT64_C(1704063600); /* 2023-12-31T23:00:00Z: 1 January 2024 in Paris */
        assert_true(access_age_16_reached("2008-01-01", at));
        assert_false(access_age_16_reached("2008-01-01", at - 1));
        assert_true(access_age_16_reached("2008-01-01", at + 1800));   /* 23:30 UTC, 00:30 in Paris */
        assert_false(access_age_16_reached("2008-01-01", at - 1800));  /* 22:30 UTC, 23:30 in Paris */
        /* summer time: midnight in Paris is 22:00 UTC */
        assert_false(access_age_16_reached("2009-07-10", INT64_C(1752098399))); /* 2025-07-09T21:59:59Z */
        assert_true(access_age_16_reached("2009-07-10", INT64_C(1752098400)));  /* 2025-07-09T22:00:00Z */
        assert_false(access_age_16_reached("2008-01-02", at));
        assert_true(access_age_16_reached("2008-01-02", at + day));
        assert_true(access_age_16_reached("1985-05-12", at));
        assert_false(access_age_16_reached("2010-06-30", at));
        assert_false(access_age_16_reached("2008-00-00", at));       /* 16 on 31 Dec 2024 at the latest */
        assert_true(access_age_16_reached("2007-12-00", at - day));  /* 16 on 31 Dec 2023... */
        assert_false(access_age_16_reached("2007-12-00", at - day - 1)); /* ...not the day before */
        assert_true(access_age_16_reached("2008-02-29", INT64_C(1709164800))); /* 2024-02-29 */
        /* born on 29 February: in a common year, the age is reached on the
         * last day of February (the day brought back to the month's last) */
        assert_false(access_age_reached("2008-02-29", 18, INT64_C(1772233199))); /* 2026-02-27T22:59:59Z */
        assert_true(access_age_reached("2008-02-29", 18, INT64_C(1772233200)));  /* 28 February 2026 in Paris */
        assert_true(access_age_reached("2008-02-29", 20, INT64_C(1835391600)));  /* 29 February 2028 in Paris */
        assert_false(access_age_reached("2008-02-29", 20, INT64_C(1835391599)));
        static const char *const bad[] = {"", "2008-1-01", "2008/01/01", "20080101", "2008-13-01", "2008-01-32",
                                          "abcd-01-01", "2008-01-01x"};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_false(access_age_16_reached(bad[i], at));
        assert_false(access_age_16_reached(NULL, at));
}

UNIT(test_names) {
        for (int r = 0; r < _ACCESS_REASON_MAX; r++) {
                const char *n = access_reason_name(r);
                assert_string_not_equal(n, "unknown");
                assert_true(strncmp(n, access_reason_is_allow(r) ? "allow-" : "deny-", 5) == 0);
                for (int q = 0; q < r; q++)
                        assert_string_not_equal(n, access_reason_name(q));
        }
        for (int a = 0; a < _ACCESS_ACTION_MAX; a++)
                assert_string_not_equal(access_action_name(a), "unknown");
        assert_string_equal(access_reason_name(_ACCESS_REASON_MAX), "unknown");
        assert_int_equal(access_decide(NULL, NULL), -EINVAL);
}

UNIT_GROUP("access", setup, teardown)
