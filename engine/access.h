/* engine/access.h: the one access decision of carnet.
 *
 * access_decide() is pure: it reads only the request (which carries every
 * fact it needs: actor, mode, dossier state, the actor's relation to the
 * dossier, the document, the profession x type table) and writes only the
 * decision. It applies docs/rules.md §2, §3 and §6; docs/dossier-engine.md
 * lists each rule with its source. Anything not explicitly allowed is
 * denied, and every denial names a stable reason code. */
#pragma once

#include <stdbool.h>

#include "rights.h"

enum access_actor_kind {
        ACCESS_ACTOR_PROFESSIONAL,
        ACCESS_ACTOR_PATIENT,
        ACCESS_ACTOR_SYSTEM,            /* carnet's own jobs (retention, hold release) */
        ACCESS_ACTOR_INSURER,           /* never allowed (L1111-18) */
        ACCESS_ACTOR_COMPLEMENTARY_INSURER,
        ACCESS_ACTOR_BANK,
        ACCESS_ACTOR_EMPLOYER,
        ACCESS_ACTOR_REPRESENTATIVE,    /* a minor's parent, a protected adult's guardian (docs/rules.md §3) */
        _ACCESS_ACTOR_MAX,
};

/* Card types (docs/rules.md §5). */
enum access_card {
        ACCESS_CARD_CPS = 0, /* professional */
        ACCESS_CARD_CPF = 1, /* in training */
        ACCESS_CARD_CPE = 2, /* establishment staff */
        ACCESS_CARD_CPA = 3, /* authorised staff */
        _ACCESS_CARD_MAX,
};

/* Where a professional practises, for the roles the law restricts. */
enum access_practice {
        ACCESS_PRACTICE_CARE,
        ACCESS_PRACTICE_OCCUPATIONAL,  /* médecin du travail: express consent only */
        ACCESS_PRACTICE_FIRE_SERVICE,  /* médecin de sapeurs-pompiers: same */
        _ACCESS_PRACTICE_MAX,
};

enum access_mode {
        ACCESS_MODE_NORMAL,
        ACCESS_MODE_EMERGENCY,   /* bris de glace, reason mandatory */
        ACCESS_MODE_CALL_CENTRE, /* centre 15 regulating doctor */
        _ACCESS_MODE_MAX,
};

enum access_relation {
        ACCESS_REL_NONE,
        ACCESS_REL_AUTHORISED,  /* patient informed and agreed (recorded by a user action) */
        ACCESS_REL_CARE_TEAM,   /* member of the care team: deemed authorised */
        ACCESS_REL_TRAITANT,    /* médecin traitant: sees masked documents */
        _ACCESS_REL_MAX,
};

enum access_dossier_status {
        ACCESS_DOSSIER_ABSENT,
        ACCESS_DOSSIER_OPEN,
        ACCESS_DOSSIER_CLOSED,
        ACCESS_DOSSIER_DESTROYED,
        _ACCESS_DOSSIER_MAX,
};

enum access_action {
        ACCESS_ACTION_CREATE,
        ACCESS_ACTION_LIST,
        ACCESS_ACTION_READ,
        ACCESS_ACTION_DEPOSIT,
        ACCESS_ACTION_REPLACE,
        ACCESS_ACTION_ARCHIVE,
        ACCESS_ACTION_MASK,             /* mask or unmask to professionals */
        ACCESS_ACTION_RELEASE_HOLD,     /* announcement consultation done */
        ACCESS_ACTION_RECORD_CONSENT,   /* professional records the patient's agreement */
        ACCESS_ACTION_MANAGE_ACCESS,    /* patient authorises / blocks / names traitant */
        ACCESS_ACTION_SET_OPTIONS,      /* opt-outs, notification choice */
        ACCESS_ACTION_CLOSE,
        ACCESS_ACTION_REACTIVATE,
        ACCESS_ACTION_DESTROY,
        ACCESS_ACTION_READ_TRAIL,
        ACCESS_ACTION_READ_NOTIFICATIONS,
        ACCESS_ACTION_PURGE,            /* retention job */
        ACCESS_ACTION_MARK_DECEASED,    /* a doctor records the patient's death: the dossier closes */
        ACCESS_ACTION_HEIR_REQUEST,     /* a doctor records an heir's request, with its purpose */
        ACCESS_ACTION_MANAGE_REPRESENTATIVES, /* a professional records or removes a legal representative */
        _ACCESS_ACTION_MAX,
};

enum access_doc_status {
        ACCESS_DOC_APPROVED,
        ACCESS_DOC_DEPRECATED,
        ACCESS_DOC_ARCHIVED,
        _ACCESS_DOC_STATUS_MAX,
};

/* Reason codes: stable, recorded in the trail, never renumbered. */
enum access_reason {
        ACCESS_ALLOW_PATIENT,
        ACCESS_ALLOW_AUTHORISED,
        ACCESS_ALLOW_CARE_TEAM,
        ACCESS_ALLOW_TRAITANT,
        ACCESS_ALLOW_EXPRESS_CONSENT,
        ACCESS_ALLOW_EMERGENCY,
        ACCESS_ALLOW_CALL_CENTRE,
        ACCESS_ALLOW_CREATE,
        ACCESS_ALLOW_RECORD_CONSENT,
        ACCESS_ALLOW_SYSTEM,
        ACCESS_ALLOW_HEIR,               /* an heir's request, after death (docs/rules.md §3) */
        ACCESS_ALLOW_REPRESENTATIVE,     /* a legal representative exercising the patient's rights */
        _ACCESS_ALLOW_MAX,
        ACCESS_DENY_INVALID = _ACCESS_ALLOW_MAX,
        ACCESS_DENY_FORBIDDEN_ROLE,
        ACCESS_DENY_NO_DOSSIER,
        ACCESS_DENY_DOSSIER_EXISTS,
        ACCESS_DENY_DESTROYED,
        ACCESS_DENY_CLOSED,
        ACCESS_DENY_BLOCKED,
        ACCESS_DENY_NOT_OWN_DOSSIER,
        ACCESS_DENY_PATIENT_ONLY,
        ACCESS_DENY_PROFESSIONAL_ONLY,
        ACCESS_DENY_SYSTEM_ONLY,
        ACCESS_DENY_CARD_TYPE,
        ACCESS_DENY_NO_EXPRESS_CONSENT,
        ACCESS_DENY_NOT_AUTHORISED,
        ACCESS_DENY_NO_CONSENT,
        ACCESS_DENY_EMERGENCY_OPTED_OUT,
        ACCESS_DENY_EMERGENCY_NO_REASON,
        ACCESS_DENY_CALL_CENTRE_OPTED_OUT,
        ACCESS_DENY_CALL_CENTRE_NOT_DOCTOR,
        ACCESS_DENY_MODE_ACTION,
        ACCESS_DENY_RIGHTS_MATRIX,
        ACCESS_DENY_MASKED,
        ACCESS_DENY_HIDDEN_FROM_PATIENT,
        ACCESS_DENY_NOT_AUTHOR,
        ACCESS_DENY_CLASS_RESERVED,
        ACCESS_DENY_NO_DOCUMENT,
        ACCESS_DENY_DOC_NOT_CURRENT,
        ACCESS_DENY_BAD_SECRET,          /* dossier_verify_secret(): wrong patient secret */
        ACCESS_DENY_UNDER_16,            /* the patient is under 16: no self-access (docs/rules.md §3) */
        ACCESS_DENY_DECEASED,            /* the patient died: nobody acts as them, no second death */
        ACCESS_DENY_NOT_DECEASED,        /* an heir's request before any recorded death */
        ACCESS_DENY_HEIRS_OPPOSED,       /* the patient opposed their heirs' access while alive */
        ACCESS_DENY_HEIR_NO_PURPOSE,     /* an heir's request must state its purpose */
        ACCESS_DENY_NOT_DOCTOR,          /* death and heirs' requests are a doctor's (CPS/CPF, profession 10) */
        ACCESS_DENY_NOT_REPRESENTATIVE,  /* the person is not a listed legal representative of the dossier */
        ACCESS_DENY_HIDDEN_FROM_REPRESENTATIVES, /* deposited invisible to legal representatives (L1111-5) */
        _ACCESS_REASON_MAX,
};

/* Decision flags: what the caller must do besides allowing. */
#define ACCESS_FLAG_WARN_HIDDEN_FROM_PATIENT (1u << 0) /* show "not visible to the patient" */
#define ACCESS_FLAG_EMERGENCY                (1u << 1) /* display as emergency, notify */
#define ACCESS_FLAG_CALL_CENTRE              (1u << 2)

/* Class code reserved to patient deposits (TRE_A03). */
#define ACCESS_CLASS_PATIENT "90"
/* Whether a type code is one of the patient's own deposits, DOCPAT01 to
 * DOCPAT09 (docs/rules.md §4): like class 90, the patient's alone. */
bool access_type_is_patient(const char *type_code);

/* Whether a person born on birth_date ("YYYY-MM-DD") is 16 or older at
 * now (seconds since the epoch), the age of self-access (docs/rules.md
 * §3): from midnight in Paris on the birthday (lib/civil-time.h), which
 * for one born on 29 February is the last day of February in a common
 * year.  An unknown month or day ("00", as some Vitale cards have) counts
 * as the latest possible; a malformed date is false. */
bool access_age_16_reached(const char *birth_date, int64_t now);
/* The same for any age: years old or older at now (18: majority, the end
 * of parental authority, docs/rules.md §3). */
bool access_age_reached(const char *birth_date, int years, int64_t now);
#define ACCESS_AGE_MAJORITY 18

/* Whether a card type is one whose holder reads documents (CPS, CPF) and
 * so must carry a profession; CPE and CPA cards act for their
 * establishment, may create and deposit, never read (docs/rules.md §5). */
bool access_card_reads(enum access_card card);

/* Whether an actor exercises the patient's rights on the dossier: the
 * patient, or a legal representative (docs/rules.md §3). */
static inline bool access_acts_as_patient(enum access_actor_kind k) {
        return k == ACCESS_ACTOR_PATIENT || k == ACCESS_ACTOR_REPRESENTATIVE;
}

/* Profession code of doctors (TRE_G15). */
#define ACCESS_PROFESSION_DOCTOR "10"

struct access_doc {
        const char *type_code;       /* LOINC or local code */
        const char *class_code;      /* TRE_A03 */
        const char *author_id;       /* idNat of the depositing professional, or patient INS */
        const char *author_establishment; /* the depositing session's establishment; NULL or "": none */
        enum access_doc_status status;
        bool masked;                 /* masked to professionals by the patient */
        bool hidden_from_patient;    /* effective state (the 1-month rule already applied) */
        bool hidden_from_representatives; /* the minor objected to their representatives knowing (L1111-5) */
};

struct access_request {
        /* actor */
        enum access_actor_kind actor_kind;
        const char *actor_id;        /* idNat_PS, or the patient's INS */
        const char *establishment;   /* the professional's session's; NULL or "": none */
        const char *profession;      /* TRE_G15 code, professionals only */
        enum access_card card;
        enum access_practice practice;
        bool express_consent;        /* patient's express consent, for restricted practices */

        /* mode */
        enum access_mode mode;
        const char *reason;          /* mandatory in emergency mode */

        /* dossier, and the actor's standing in it */
        enum access_dossier_status dossier_status;
        const char *dossier_ins;
        bool optout_emergency;
        bool optout_call_centre;
        enum access_relation relation;
        bool blocked;
        bool sees_masked;            /* patient granted the traitant's right to see masked */
        bool consent;                /* create: the patient's consent was recorded */
        bool patient_under_16;       /* the dossier's person is under 16 (access_age_16_reached) */
        bool deceased;               /* a doctor recorded the patient's death (the dossier is closed) */
        bool optout_heirs;           /* the patient opposed their heirs' access, while alive */
        bool heir_access;            /* this professional recorded an heir's request, allowed */
        bool representative;         /* a representative actor: listed as one of this dossier's */

        /* what */
        enum access_action action;
        const struct access_doc *doc; /* NULL when the action is not about one document */
        const struct rights_table *rights;
};

struct access_decision {
        bool allow;
        enum access_reason reason;
        unsigned flags;
};

/* Decides req and writes the decision to *ret. Always writes *ret (a NULL
 * or malformed request yields deny/ACCESS_DENY_INVALID); returns 0, or
 * -EINVAL when ret is NULL. */
int access_decide(const struct access_request *req, struct access_decision *ret);

/* Stable names, e.g. "deny-blocked", "emergency", "read". Never NULL. */
const char *access_reason_name(enum access_reason r);
const char *access_mode_name(enum access_mode m);
const char *access_action_name(enum access_action a);
const char *access_actor_kind_name(enum access_actor_kind k);

static inline bool access_reason_is_allow(enum access_reason r) {
        return r < _ACCESS_ALLOW_MAX;
}
