/* engine/access.c: the access decision; see access.h and
 * docs/dossier-engine.md for the rules and their sources. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "access.h"
#include "lib/civil-time.h"
#include "lib/macro.h"

static const char *const reason_names[_ACCESS_REASON_MAX] = {
        [ACCESS_ALLOW_PATIENT] = "allow-patient",
        [ACCESS_ALLOW_AUTHORISED] = "allow-authorised",
        [ACCESS_ALLOW_CARE_TEAM] = "allow-care-team",
        [ACCESS_ALLOW_TRAITANT] = "allow-medecin-traitant",
        [ACCESS_ALLOW_EXPRESS_CONSENT] = "allow-express-consent",
        [ACCESS_ALLOW_EMERGENCY] = "allow-emergency",
        [ACCESS_ALLOW_CALL_CENTRE] = "allow-call-centre",
        [ACCESS_ALLOW_CREATE] = "allow-create",
        [ACCESS_ALLOW_RECORD_CONSENT] = "allow-record-consent",
        [ACCESS_ALLOW_SYSTEM] = "allow-system",
        [ACCESS_ALLOW_HEIR] = "allow-heir-request",
        [ACCESS_ALLOW_REPRESENTATIVE] = "allow-representative",
        [ACCESS_DENY_INVALID] = "deny-invalid-request",
        [ACCESS_DENY_FORBIDDEN_ROLE] = "deny-forbidden-role",
        [ACCESS_DENY_NO_DOSSIER] = "deny-no-dossier",
        [ACCESS_DENY_DOSSIER_EXISTS] = "deny-dossier-exists",
        [ACCESS_DENY_DESTROYED] = "deny-dossier-destroyed",
        [ACCESS_DENY_CLOSED] = "deny-dossier-closed",
        [ACCESS_DENY_BLOCKED] = "deny-blocked",
        [ACCESS_DENY_NOT_OWN_DOSSIER] = "deny-not-own-dossier",
        [ACCESS_DENY_PATIENT_ONLY] = "deny-patient-only",
        [ACCESS_DENY_PROFESSIONAL_ONLY] = "deny-professional-only",
        [ACCESS_DENY_SYSTEM_ONLY] = "deny-system-only",
        [ACCESS_DENY_CARD_TYPE] = "deny-card-type",
        [ACCESS_DENY_NO_EXPRESS_CONSENT] = "deny-no-express-consent",
        [ACCESS_DENY_NOT_AUTHORISED] = "deny-not-authorised",
        [ACCESS_DENY_NO_CONSENT] = "deny-no-consent",
        [ACCESS_DENY_EMERGENCY_OPTED_OUT] = "deny-emergency-opted-out",
        [ACCESS_DENY_EMERGENCY_NO_REASON] = "deny-emergency-no-reason",
        [ACCESS_DENY_CALL_CENTRE_OPTED_OUT] = "deny-call-centre-opted-out",
        [ACCESS_DENY_CALL_CENTRE_NOT_DOCTOR] = "deny-call-centre-not-doctor",
        [ACCESS_DENY_MODE_ACTION] = "deny-action-not-in-mode",
        [ACCESS_DENY_RIGHTS_MATRIX] = "deny-rights-matrix",
        [ACCESS_DENY_MASKED] = "deny-masked",
        [ACCESS_DENY_HIDDEN_FROM_PATIENT] = "deny-hidden-from-patient",
        [ACCESS_DENY_NOT_AUTHOR] = "deny-not-author",
        [ACCESS_DENY_CLASS_RESERVED] = "deny-class-reserved",
        [ACCESS_DENY_NO_DOCUMENT] = "deny-no-document",
        [ACCESS_DENY_DOC_NOT_CURRENT] = "deny-document-not-current",
        [ACCESS_DENY_BAD_SECRET] = "deny-bad-secret",
        [ACCESS_DENY_UNDER_16] = "deny-under-16",
        [ACCESS_DENY_DECEASED] = "deny-deceased",
        [ACCESS_DENY_NOT_DECEASED] = "deny-not-deceased",
        [ACCESS_DENY_HEIRS_OPPOSED] = "deny-heirs-opposed",
        [ACCESS_DENY_HEIR_NO_PURPOSE] = "deny-heir-no-purpose",
        [ACCESS_DENY_NOT_DOCTOR] = "deny-not-doctor",
        [ACCESS_DENY_NOT_REPRESENTATIVE] = "deny-not-representative",
        [ACCESS_DENY_HIDDEN_FROM_REPRESENTATIVES] = "deny-hidden-from-representatives",
};

static const char *const mode_names[_ACCESS_MODE_MAX] = {
        [ACCESS_MODE_NORMAL] = "normal",
        [ACCESS_MODE_EMERGENCY] = "emergency",
        [ACCESS_MODE_CALL_CENTRE] = "call-centre",
};

static const char *const action_names[_ACCESS_ACTION_MAX] = {
        [ACCESS_ACTION_CREATE] = "create",
        [ACCESS_ACTION_LIST] = "list",
        [ACCESS_ACTION_READ] = "read",
        [ACCESS_ACTION_DEPOSIT] = "deposit",
        [ACCESS_ACTION_REPLACE] = "replace",
        [ACCESS_ACTION_ARCHIVE] = "archive",
        [ACCESS_ACTION_MASK] = "mask",
        [ACCESS_ACTION_RELEASE_HOLD] = "release-hold",
        [ACCESS_ACTION_RECORD_CONSENT] = "record-consent",
        [ACCESS_ACTION_MANAGE_ACCESS] = "manage-access",
        [ACCESS_ACTION_SET_OPTIONS] = "set-options",
        [ACCESS_ACTION_CLOSE] = "close",
        [ACCESS_ACTION_REACTIVATE] = "reactivate",
        [ACCESS_ACTION_DESTROY] = "destroy",
        [ACCESS_ACTION_READ_TRAIL] = "read-trail",
        [ACCESS_ACTION_READ_NOTIFICATIONS] = "read-notifications",
        [ACCESS_ACTION_PURGE] = "purge",
        [ACCESS_ACTION_MARK_DECEASED] = "mark-deceased",
        [ACCESS_ACTION_HEIR_REQUEST] = "heir-request",
        [ACCESS_ACTION_MANAGE_REPRESENTATIVES] = "manage-representatives",
};

static const char *const actor_names[_ACCESS_ACTOR_MAX] = {
        [ACCESS_ACTOR_PROFESSIONAL] = "professional",
        [ACCESS_ACTOR_PATIENT] = "patient",
        [ACCESS_ACTOR_SYSTEM] = "system",
        [ACCESS_ACTOR_INSURER] = "insurer",
        [ACCESS_ACTOR_COMPLEMENTARY_INSURER] = "complementary-insurer",
        [ACCESS_ACTOR_BANK] = "bank",
        [ACCESS_ACTOR_EMPLOYER] = "employer",
        [ACCESS_ACTOR_REPRESENTATIVE] = "representative",
};

/* names[i] of a table of n names, "unknown" out of range or unnamed. */
static const char *name_of(const char *const *names, size_t n, unsigned i) {
        return i < n && names[i] ? names[i] : "unknown";
}

const char *access_reason_name(enum access_reason r) {
        return name_of(reason_names, ELEMENTSOF(reason_names), r);
}

const char *access_mode_name(enum access_mode m) {
        return name_of(mode_names, ELEMENTSOF(mode_names), m);
}

const char *access_action_name(enum access_action a) {
        return name_of(action_names, ELEMENTSOF(action_names), a);
}

const char *access_actor_kind_name(enum access_actor_kind k) {
        return name_of(actor_names, ELEMENTSOF(actor_names), k);
}

static bool blank(const char *s) {
        if (!s)
                return true;
        for (; *s; s++)
                if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
                        return false;
        return true;
}

static bool streq_ptr(const char *a, const char *b) {
        return a && b && strcmp(a, b) == 0;
}

/* Actions that name one existing document. */
static bool action_needs_doc(enum access_action a) {
        return a == ACCESS_ACTION_READ || a == ACCESS_ACTION_DEPOSIT || a == ACCESS_ACTION_REPLACE ||
               a == ACCESS_ACTION_ARCHIVE || a == ACCESS_ACTION_MASK || a == ACCESS_ACTION_RELEASE_HOLD;
}

/* Actions only the patient may perform on their dossier (docs/rules.md §3). */
static bool action_patient_only(enum access_action a) {
        return a == ACCESS_ACTION_MASK || a == ACCESS_ACTION_MANAGE_ACCESS || a == ACCESS_ACTION_SET_OPTIONS ||
               a == ACCESS_ACTION_CLOSE || a == ACCESS_ACTION_REACTIVATE || a == ACCESS_ACTION_DESTROY ||
               a == ACCESS_ACTION_READ_TRAIL || a == ACCESS_ACTION_READ_NOTIFICATIONS;
}

bool access_type_is_patient(const char *type_code) {
        return type_code && strncmp(type_code, "DOCPAT0", 7) == 0 && type_code[7] >= '1' && type_code[7] <= '9' &&
               type_code[8] == '\0';
}

bool access_age_16_reached(const char *birth_date, int64_t now) {
        return access_age_reached(birth_date, 16, now);
}

/* The age is reached at the start of the birthday, on the civil date in
 * Paris (docs/rules.md §3).  A birthday past the month's end (29 February
 * in a common year, or an odd card date such as 31 April) is the month's
 * last day, as calendar months count (lib/civil-time.h) and as the
 * Interior ministry's circular of 25 July 2013 has majority for those
 * born on 29 February. */
bool access_age_reached(const char *birth_date, int years, int64_t now) {
        struct civil_time today;

        if (!birth_date || strlen(birth_date) != 10 || birth_date[4] != '-' || birth_date[7] != '-' ||
            civil_paris(now, &today) < 0)
                return false;
        int y = decimal_digits(birth_date, 4), m = decimal_digits(birth_date + 5, 2),
            d = decimal_digits(birth_date + 8, 2);
        if (y < 0 || m < 0 || d < 0 || m > 12 || d > 31 || years < 0 || years > CIVIL_YEAR_MAX)
                return false;
        if (m == 0)
                m = 12;
        if (d == 0)
                d = 31;
        int by = y + years, last = civil_month_days(by, m);
        if (d > last)
                d = last;
        long birthday = (long) by * 10000 + m * 100 + d;
        return (long) today.year * 10000 + today.month * 100 + today.day >= birthday;
}

bool access_card_reads(enum access_card card) {
        return card == ACCESS_CARD_CPS || card == ACCESS_CARD_CPF;
}

/* A patient's deposit: class 90 or a DOCPAT type (docs/rules.md §4). */
static bool doc_is_patient_deposit(const struct access_doc *doc) {
        return strcmp(doc->class_code, ACCESS_CLASS_PATIENT) == 0 || access_type_is_patient(doc->type_code);
}

static int deny(struct access_decision *ret, enum access_reason reason) {
        *ret = (struct access_decision) { .allow = false, .reason = reason };
        return 0;
}

static int allow(struct access_decision *ret, enum access_reason reason, unsigned flags) {
        *ret = (struct access_decision) { .allow = true, .reason = reason, .flags = flags };
        return 0;
}

/* Structural checks: enum ranges and mandatory strings. */
static bool request_valid(const struct access_request *req) {
        if ((unsigned) req->actor_kind >= _ACCESS_ACTOR_MAX || (unsigned) req->card >= _ACCESS_CARD_MAX ||
            (unsigned) req->practice >= _ACCESS_PRACTICE_MAX || (unsigned) req->mode >= _ACCESS_MODE_MAX ||
            (unsigned) req->dossier_status >= _ACCESS_DOSSIER_MAX ||
            (unsigned) req->relation >= _ACCESS_REL_MAX || (unsigned) req->action >= _ACCESS_ACTION_MAX)
                return false;
        if (req->actor_kind != ACCESS_ACTOR_SYSTEM && blank(req->actor_id))
                return false;
        if (req->actor_kind == ACCESS_ACTOR_PROFESSIONAL && access_card_reads(req->card) && blank(req->profession))
                return false;
        if (req->doc && (blank(req->doc->type_code) || blank(req->doc->class_code) ||
                         (unsigned) req->doc->status >= _ACCESS_DOC_STATUS_MAX))
                return false;
        return true;
}

/* carnet's own jobs: the retention purge of closed dossiers and the
 * automatic end of a hold after one month (docs/rules.md §3). */
static int decide_system(const struct access_request *req, struct access_decision *ret) {
        switch (req->action) {
        case ACCESS_ACTION_PURGE:
                if (req->dossier_status == ACCESS_DOSSIER_CLOSED)
                        return allow(ret, ACCESS_ALLOW_SYSTEM, 0);
                if (req->dossier_status == ACCESS_DOSSIER_DESTROYED)
                        return deny(ret, ACCESS_DENY_DESTROYED);
                if (req->dossier_status == ACCESS_DOSSIER_ABSENT)
                        return deny(ret, ACCESS_DENY_NO_DOSSIER);
                return deny(ret, ACCESS_DENY_INVALID); /* an open dossier is never purged */
        case ACCESS_ACTION_RELEASE_HOLD:
                if (req->dossier_status != ACCESS_DOSSIER_OPEN && req->dossier_status != ACCESS_DOSSIER_CLOSED)
                        return deny(ret, req->dossier_status == ACCESS_DOSSIER_ABSENT ? ACCESS_DENY_NO_DOSSIER
                                                                                     : ACCESS_DENY_DESTROYED);
                return allow(ret, ACCESS_ALLOW_SYSTEM, 0);
        default:
                return deny(ret, ACCESS_DENY_INVALID);
        }
}

/* What the stages of the decisions return when they deny nothing and the
 * decision goes on. */
#define GO_ON _ACCESS_REASON_MAX

/* Who acts as the patient: the patient themselves, 16 or older, or a
 * legal representative listed on the dossier (a parent until the
 * patient's majority: req->representative, decided by the engine),
 * whatever the patient's age otherwise (docs/rules.md §3 "Legal
 * representatives"). GO_ON or a denial. */
static enum access_reason patient_standing(const struct access_request *req) {
        if (req->actor_kind == ACCESS_ACTOR_REPRESENTATIVE) {
                if (!req->representative || streq_ptr(req->actor_id, req->dossier_ins))
                        return ACCESS_DENY_NOT_REPRESENTATIVE;
        } else if (!streq_ptr(req->actor_id, req->dossier_ins))
                return ACCESS_DENY_NOT_OWN_DOSSIER;
        /* after death nobody acts as the patient (docs/rules.md §3) */
        if (req->deceased)
                return ACCESS_DENY_DECEASED;
        /* self-access starts at 16 (docs/rules.md §3): the patient alone */
        if (req->actor_kind == ACCESS_ACTOR_PATIENT && req->patient_under_16)
                return ACCESS_DENY_UNDER_16;
        if (req->mode != ACCESS_MODE_NORMAL)
                return ACCESS_DENY_MODE_ACTION;
        if (req->action == ACCESS_ACTION_PURGE)
                return ACCESS_DENY_SYSTEM_ONLY;
        switch (req->action) {
        case ACCESS_ACTION_RECORD_CONSENT:
        case ACCESS_ACTION_RELEASE_HOLD:
        case ACCESS_ACTION_MARK_DECEASED:
        case ACCESS_ACTION_HEIR_REQUEST:
        case ACCESS_ACTION_MANAGE_REPRESENTATIVES:
                return ACCESS_DENY_PROFESSIONAL_ONLY;
        default:
                return GO_ON;
        }
}

/* The patient on their own dossier, or their legal representative
 * (docs/rules.md §3): reads everything but held-back documents (and, for
 * a representative, those the minor withheld from them), deposits only
 * in the personal space (class 90), controls masking, the access list,
 * opt-outs, closure and destruction. */
static int decide_patient(const struct access_request *req, struct access_decision *ret) {
        const struct access_doc *doc = req->doc;
        enum access_action a = req->action;
        bool rep = req->actor_kind == ACCESS_ACTOR_REPRESENTATIVE;
        enum access_reason ok = rep ? ACCESS_ALLOW_REPRESENTATIVE : ACCESS_ALLOW_PATIENT;
        enum access_reason r = patient_standing(req);

        if (r != GO_ON)
                return deny(ret, r);

        switch (req->dossier_status) {
        case ACCESS_DOSSIER_ABSENT:
        case ACCESS_DOSSIER_DESTROYED:
                if (a == ACCESS_ACTION_CREATE)
                        return req->consent ? allow(ret, ACCESS_ALLOW_CREATE, 0) : deny(ret, ACCESS_DENY_NO_CONSENT);
                if (req->dossier_status == ACCESS_DOSSIER_ABSENT)
                        return deny(ret, ACCESS_DENY_NO_DOSSIER);
                /* the trail outlives destruction */
                if (a == ACCESS_ACTION_READ_TRAIL || a == ACCESS_ACTION_READ_NOTIFICATIONS)
                        return allow(ret, ok, 0);
                return deny(ret, ACCESS_DENY_DESTROYED);
        case ACCESS_DOSSIER_CLOSED:
                if (a != ACCESS_ACTION_REACTIVATE && a != ACCESS_ACTION_DESTROY && a != ACCESS_ACTION_READ_TRAIL &&
                    a != ACCESS_ACTION_READ_NOTIFICATIONS && a != ACCESS_ACTION_LIST && a != ACCESS_ACTION_READ)
                        return deny(ret, ACCESS_DENY_CLOSED);
                break;
        case ACCESS_DOSSIER_OPEN:
                if (a == ACCESS_ACTION_CREATE)
                        return deny(ret, ACCESS_DENY_DOSSIER_EXISTS);
                if (a == ACCESS_ACTION_REACTIVATE)
                        return deny(ret, ACCESS_DENY_INVALID);
                break;
        default:
                return deny(ret, ACCESS_DENY_INVALID);
        }

        if (action_needs_doc(a)) {
                if (!doc)
                        return deny(ret, ACCESS_DENY_NO_DOCUMENT);
                /* a held-back document does not exist for the patient */
                if (a != ACCESS_ACTION_DEPOSIT && doc->hidden_from_patient)
                        return deny(ret, ACCESS_DENY_HIDDEN_FROM_PATIENT);
                /* nor one the minor withheld from their representatives (L1111-5) */
                if (rep && a != ACCESS_ACTION_DEPOSIT && doc->hidden_from_representatives)
                        return deny(ret, ACCESS_DENY_HIDDEN_FROM_REPRESENTATIVES);
        }
        switch (a) {
        case ACCESS_ACTION_DEPOSIT:
                if (strcmp(doc->class_code, ACCESS_CLASS_PATIENT) != 0)
                        return deny(ret, ACCESS_DENY_CLASS_RESERVED);
                if (doc->hidden_from_patient || doc->hidden_from_representatives)
                        return deny(ret, ACCESS_DENY_INVALID);
                break;
        case ACCESS_ACTION_REPLACE:
        case ACCESS_ACTION_ARCHIVE:
                if (strcmp(doc->class_code, ACCESS_CLASS_PATIENT) != 0 || !streq_ptr(doc->author_id, req->actor_id))
                        return deny(ret, ACCESS_DENY_NOT_AUTHOR);
                if (doc->status != ACCESS_DOC_APPROVED)
                        return deny(ret, ACCESS_DENY_DOC_NOT_CURRENT);
                break;
        default:
                break;
        }
        return allow(ret, ok, 0);
}


/* What a professional may do on a closed dossier: record the death of a
 * living patient; once dead, record an heir's request, and, having done
 * so, list and read it (docs/rules.md §3 "After death"). GO_ON or a
 * denial reason. */
static enum access_reason professional_closed(const struct access_request *req) {
        enum access_action a = req->action;

        if (a == ACCESS_ACTION_MARK_DECEASED)
                return req->deceased ? ACCESS_DENY_DECEASED : GO_ON;
        if (a == ACCESS_ACTION_HEIR_REQUEST)
                return req->deceased ? GO_ON : ACCESS_DENY_NOT_DECEASED;
        if (req->deceased && req->heir_access && req->mode == ACCESS_MODE_NORMAL &&
            (a == ACCESS_ACTION_LIST || a == ACCESS_ACTION_READ))
                return GO_ON;
        return ACCESS_DENY_CLOSED;
}

/* A professional's first stages: block, dossier state, who may do the
 * action, card, mode, restricted practice. A denial reason, or GO_ON. */
static enum access_reason professional_gate(const struct access_request *req) {
        enum access_action a = req->action;
        enum access_reason r;

        /* blocks win over everything (L1111-15 / seed 000) */
        if (req->blocked)
                return ACCESS_DENY_BLOCKED;

        switch (req->dossier_status) {
        case ACCESS_DOSSIER_ABSENT:
                if (a != ACCESS_ACTION_CREATE)
                        return ACCESS_DENY_NO_DOSSIER;
                break;
        case ACCESS_DOSSIER_DESTROYED:
                if (a != ACCESS_ACTION_CREATE)
                        return ACCESS_DENY_DESTROYED;
                /* a death recorded before the destruction: no dossier for
                 * the dead (docs/rules.md §3 "After death") */
                if (req->deceased)
                        return ACCESS_DENY_DECEASED;
                break;
        case ACCESS_DOSSIER_CLOSED:
                if ((r = professional_closed(req)) != GO_ON)
                        return r;
                break;
        case ACCESS_DOSSIER_OPEN:
                if (a == ACCESS_ACTION_CREATE)
                        return ACCESS_DENY_DOSSIER_EXISTS;
                if (a == ACCESS_ACTION_HEIR_REQUEST)
                        return ACCESS_DENY_NOT_DECEASED;
                break;
        default:
                return ACCESS_DENY_INVALID;
        }
        /* a death is certified by a doctor, who also hands heirs what the
         * law lets them know (docs/rules.md §3 "After death") */
        if ((a == ACCESS_ACTION_MARK_DECEASED || a == ACCESS_ACTION_HEIR_REQUEST) &&
            (!access_card_reads(req->card) || !streq_ptr(req->profession, ACCESS_PROFESSION_DOCTOR)))
                return ACCESS_DENY_NOT_DOCTOR;

        if (action_patient_only(a))
                return ACCESS_DENY_PATIENT_ONLY;
        if (a == ACCESS_ACTION_PURGE)
                return ACCESS_DENY_SYSTEM_ONLY;

        /* only CPS or CPF holders read documents (docs/rules.md §5) */
        if ((a == ACCESS_ACTION_LIST || a == ACCESS_ACTION_READ || a == ACCESS_ACTION_MANAGE_REPRESENTATIVES) &&
            !access_card_reads(req->card))
                return ACCESS_DENY_CARD_TYPE;

        switch (req->mode) {
        case ACCESS_MODE_NORMAL:
                break;
        case ACCESS_MODE_EMERGENCY:
                if (a != ACCESS_ACTION_LIST && a != ACCESS_ACTION_READ && a != ACCESS_ACTION_DEPOSIT)
                        return ACCESS_DENY_MODE_ACTION;
                break;
        case ACCESS_MODE_CALL_CENTRE:
                if (a != ACCESS_ACTION_LIST && a != ACCESS_ACTION_READ)
                        return ACCESS_DENY_MODE_ACTION;
                break;
        default:
                return ACCESS_DENY_INVALID;
        }

        /* occupational and fire-service doctors: express consent only; the
         * recording of that consent is the one action that needs none */
        if (req->practice != ACCESS_PRACTICE_CARE && !req->express_consent && a != ACCESS_ACTION_RECORD_CONSENT)
                return ACCESS_DENY_NO_EXPRESS_CONSENT;
        return GO_ON;
}

/* What authorises the professional in this mode: the allow reason in
 * *ret_base (and the mode's flag) or a denial reason. */
static enum access_reason professional_basis(const struct access_request *req, enum access_reason *ret_base,
                                             unsigned *flags) {
        switch (req->mode) {
        case ACCESS_MODE_EMERGENCY:
                if (req->optout_emergency)
                        return ACCESS_DENY_EMERGENCY_OPTED_OUT;
                if (blank(req->reason))
                        return ACCESS_DENY_EMERGENCY_NO_REASON;
                *ret_base = ACCESS_ALLOW_EMERGENCY;
                *flags |= ACCESS_FLAG_EMERGENCY;
                return GO_ON;
        case ACCESS_MODE_CALL_CENTRE:
                if (req->optout_call_centre)
                        return ACCESS_DENY_CALL_CENTRE_OPTED_OUT;
                if (!streq_ptr(req->profession, ACCESS_PROFESSION_DOCTOR))
                        return ACCESS_DENY_CALL_CENTRE_NOT_DOCTOR;
                *ret_base = ACCESS_ALLOW_CALL_CENTRE;
                *flags |= ACCESS_FLAG_CALL_CENTRE;
                return GO_ON;
        default:
                /* an heir's request: not opposed, its purpose stated; then
                 * the closed dossier's list and reads rest on it */
                if (req->action == ACCESS_ACTION_HEIR_REQUEST) {
                        if (req->optout_heirs)
                                return ACCESS_DENY_HEIRS_OPPOSED;
                        if (blank(req->reason))
                                return ACCESS_DENY_HEIR_NO_PURPOSE;
                        *ret_base = ACCESS_ALLOW_HEIR;
                        return GO_ON;
                }
                if (req->dossier_status == ACCESS_DOSSIER_CLOSED && req->deceased) {
                        if (req->optout_heirs)
                                return ACCESS_DENY_HEIRS_OPPOSED;
                        *ret_base = ACCESS_ALLOW_HEIR;
                        return GO_ON;
                }
                if (req->relation == ACCESS_REL_TRAITANT)
                        *ret_base = ACCESS_ALLOW_TRAITANT;
                else if (req->relation == ACCESS_REL_CARE_TEAM)
                        *ret_base = ACCESS_ALLOW_CARE_TEAM;
                else if (req->relation == ACCESS_REL_AUTHORISED)
                        *ret_base = ACCESS_ALLOW_AUTHORISED;
                else if (req->practice != ACCESS_PRACTICE_CARE)
                        *ret_base = ACCESS_ALLOW_EXPRESS_CONSENT;
                else
                        return ACCESS_DENY_NOT_AUTHORISED;
                return GO_ON;
        }
}

/* Whether a professional still sees a masked document: its author, a
 * professional of the establishment it was deposited for, the médecin
 * traitant, or one the patient gave the traitant's right (docs/rules.md
 * §3 "Masking"). An empty establishment matches nothing. */
static bool masked_visible(const struct access_request *req, const struct access_doc *doc) {
        if (streq_ptr(doc->author_id, req->actor_id) || req->relation == ACCESS_REL_TRAITANT || req->sees_masked)
                return true;
        return req->establishment && req->establishment[0] && doc->author_establishment &&
               strcmp(req->establishment, doc->author_establishment) == 0;
}

/* The document-level rules for a professional: matrix, masking,
 * authorship. A denial reason, or GO_ON with *flags completed. */
static enum access_reason professional_document(const struct access_request *req, unsigned *flags) {
        const struct access_doc *doc = req->doc;

        if (action_needs_doc(req->action) && !doc)
                return ACCESS_DENY_NO_DOCUMENT;
        switch (req->action) {
        case ACCESS_ACTION_READ:
                if (!rights_allows(req->rights, req->profession, doc->type_code))
                        return ACCESS_DENY_RIGHTS_MATRIX;
                if (doc->masked && !masked_visible(req, doc))
                        return ACCESS_DENY_MASKED;
                if (doc->hidden_from_patient)
                        *flags |= ACCESS_FLAG_WARN_HIDDEN_FROM_PATIENT;
                return GO_ON;
        case ACCESS_ACTION_DEPOSIT:
                /* class 90 and the DOCPAT types are the patient's (docs/rules.md §4) */
                return doc_is_patient_deposit(doc) ? ACCESS_DENY_CLASS_RESERVED : GO_ON;
        case ACCESS_ACTION_REPLACE:
        case ACCESS_ACTION_ARCHIVE:
                if (!streq_ptr(doc->author_id, req->actor_id))
                        return ACCESS_DENY_NOT_AUTHOR;
                return doc->status != ACCESS_DOC_APPROVED ? ACCESS_DENY_DOC_NOT_CURRENT : GO_ON;
        case ACCESS_ACTION_RELEASE_HOLD:
                if (!streq_ptr(doc->author_id, req->actor_id) && req->relation != ACCESS_REL_TRAITANT)
                        return ACCESS_DENY_NOT_AUTHOR;
                return GO_ON;
        default:
                return GO_ON;
        }
}

/* A professional (docs/rules.md §2 and 6). Order matters and is the
 * documented precedence: block, dossier state, who may do the action, card,
 * mode, restricted practice, authorisation for the mode, then the
 * document-level rules (matrix, masking, authorship). */
static int decide_professional(const struct access_request *req, struct access_decision *ret) {
        enum access_reason r, base = GO_ON;
        unsigned flags = 0;

        if ((r = professional_gate(req)) != GO_ON)
                return deny(ret, r);
        if (req->action == ACCESS_ACTION_CREATE)
                return req->consent ? allow(ret, ACCESS_ALLOW_CREATE, 0) : deny(ret, ACCESS_DENY_NO_CONSENT);
        if (req->action == ACCESS_ACTION_RECORD_CONSENT)
                return allow(ret, ACCESS_ALLOW_RECORD_CONSENT, 0);
        if ((r = professional_basis(req, &base, &flags)) != GO_ON || (r = professional_document(req, &flags)) != GO_ON)
                return deny(ret, r);
        return allow(ret, base, flags);
}

int access_decide(const struct access_request *req, struct access_decision *ret) {
        if (!ret)
                return -EINVAL;
        deny(ret, ACCESS_DENY_INVALID);
        if (!req || !request_valid(req))
                return 0;

        switch (req->actor_kind) {
        case ACCESS_ACTOR_INSURER:
        case ACCESS_ACTOR_COMPLEMENTARY_INSURER:
        case ACCESS_ACTOR_BANK:
        case ACCESS_ACTOR_EMPLOYER:
                /* never allowed to require access (L1111-18) */
                return deny(ret, ACCESS_DENY_FORBIDDEN_ROLE);
        case ACCESS_ACTOR_SYSTEM:
                return decide_system(req, ret);
        case ACCESS_ACTOR_PATIENT:
        case ACCESS_ACTOR_REPRESENTATIVE:
                return decide_patient(req, ret);
        case ACCESS_ACTOR_PROFESSIONAL:
                return decide_professional(req, ret);
        default:
                return 0;
        }
}
