/* pkcs11/p11-error.h: what went wrong in a PKCS#11 call, in carnet's terms.
 *
 * Every p11_* function returns 0 or a negative errno.  The errno alone is
 * coarse (-EIO covers several faults), so the card handle also keeps the last
 * failure as a struct p11_error: the module's CK_RV, a stable lower-case code
 * string for callers and the API ("pin_incorrect", "pin_locked",
 * "card_removed", ...), the PIN state read back from the token after a failed
 * login, and whether the fault is ambiguous enough that the caller should ask
 * PC/SC what happened to the reader (OpenSC reports a card pulled during
 * C_Login as CKR_GENERAL_ERROR, not CKR_DEVICE_REMOVED).  docs/pkcs11.md has
 * the full table. */
#pragma once

#include <stdbool.h>
#include <p11-kit/pkcs11.h>

/* PIN state, from the token flags CKF_USER_PIN_COUNT_LOW / _FINAL_TRY /
 * _LOCKED.  PKCS#11 has no exact counter: tries_left is a hint (see
 * p11_pin_tries_hint()). */
enum p11_pin_state {
        P11_PIN_OK = 0,    /* no flag set: no failed attempt known */
        P11_PIN_COUNT_LOW, /* at least one wrong PIN since the last good one */
        P11_PIN_FINAL_TRY, /* one try left */
        P11_PIN_LOCKED,    /* blocked: needs the PUK / the issuer */
};

struct p11_error {
        CK_RV rv;                     /* module's return value (CKR_OK: not a module fault) */
        int err;                      /* the negative errno returned */
        const char *code;             /* stable code string, never NULL */
        enum p11_pin_state pin_state; /* valid after a login attempt */
        int tries_left;               /* hint: -1 unknown, else tries left */
        bool check_reader;            /* ambiguous fault: ask PC/SC about the reader */
};

/* The negative errno and the stable code for a CK_RV. */
int p11_rv_errno(CK_RV rv);
const char *p11_rv_code(CK_RV rv);

/* Sets *e from rv (CKR_OK gives err 0, code "ok"); PIN fields are reset. */
void p11_error_set_rv(struct p11_error *e, CK_RV rv);
/* Sets *e for a fault found by carnet itself (rv stays CKR_OK). */
void p11_error_set(struct p11_error *e, int err, const char *code);

enum p11_pin_state p11_pin_state_from_flags(CK_FLAGS token_flags);
/* Tries left as far as the flags tell: 0 when locked, 1 on the final try,
 * -1 otherwise (unknown: OK or COUNT_LOW). */
int p11_pin_tries_hint(enum p11_pin_state s);
const char *p11_pin_state_to_string(enum p11_pin_state s);
