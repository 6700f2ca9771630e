/* pkcs11/p11-module.h: loading a PKCS#11 module and listing its tokens.
 *
 * carnet talks to the professional card through whatever PKCS#11 module the
 * configuration names: OpenSC's opensc-pkcs11.so by default, the national
 * agency's module, p11-kit-proxy.so or SoftHSM2 in tests.  The module is
 * opened with dlopen(), initialised once for a multi-threaded caller
 * (CKF_OS_LOCKING_OK) and finalised on close.  Each token is mapped to the
 * PC/SC reader it sits in: OpenSC (and the modules derived from it) put the
 * reader name in the slot description, cut to PKCS#11's 64 bytes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <p11-kit/pkcs11.h>

#include "p11-error.h"

#define P11_DEFAULT_MODULE "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"
#define P11_TOKENS_MAX 32
#define P11_SLOTS_MAX 4096   /* slots asked about; more is -E2BIG */

struct p11_module;

/* One slot with a token present, as the module describes it.  Strings are
 * the PKCS#11 blank-padded fields, trimmed and NUL-terminated. */
/* CK_SLOT_INFO.slotDescription's 64 bytes and a NUL. */
#define P11_SLOT_DESCRIPTION_MAX 65

struct p11_token {
        CK_SLOT_ID slot;
        char reader[P11_SLOT_DESCRIPTION_MAX]; /* slot description: the PC/SC reader name (OpenSC) */
        char label[33];        /* OpenSC: the first certificate's CN */
        char serial[17];
        char manufacturer[33];
        char model[17];
        CK_FLAGS flags;        /* CK_TOKEN_INFO.flags */
        bool protected_auth;   /* CKF_PROTECTED_AUTHENTICATION_PATH: PIN pad */
        bool login_required;   /* CKF_LOGIN_REQUIRED */
        enum p11_pin_state pin_state;
        int tries_left;        /* p11_pin_tries_hint(pin_state) */
};

/* Who keeps the module thread-safe.
 *
 * P11_LOCKING_MODULE (the default): C_Initialize with CKF_OS_LOCKING_OK, the
 * module locks for itself and carnet calls it from any thread.
 *
 * P11_LOCKING_CARNET: C_Initialize(NULL), i.e. "no concurrent calls", and
 * carnet serialises every call through one mutex of its own.  For modules
 * whose own locking is broken: OpenSC 0.23 (Debian 12) deadlocks on its own
 * card mutex when the card is pulled during C_Login with locking on (see
 * docs/pkcs11.md); without it, the same pull is a plain CKR_GENERAL_ERROR. */
enum p11_locking {
        P11_LOCKING_MODULE = 0,
        P11_LOCKING_CARNET,
};

/* dlopen()s path (NULL: P11_DEFAULT_MODULE), gets its function list and
 * initialises it for threads (P11_LOCKING_MODULE). */
int p11_module_open(const char *path, struct p11_module **ret);
int p11_module_open_locking(const char *path, enum p11_locking locking, struct p11_module **ret);

/* Same, for a function list the caller already has (a statically linked
 * module, or a test double wrapping another module).  fl must outlive the
 * module handle. */
int p11_module_open_functions(CK_FUNCTION_LIST *fl, enum p11_locking locking, struct p11_module **ret);

/* Finalises (when this handle initialised the module) and unloads.  Accepts
 * NULL; returns NULL. */
struct p11_module *p11_module_close(struct p11_module *m);

CK_FUNCTION_LIST *p11_module_functions(const struct p11_module *m);
enum p11_locking p11_module_locking(const struct p11_module *m);

/* For pkcs11/ itself: every public entry point that calls the module runs
 * between p11_module_enter() and p11_module_leave() (a recursive mutex in
 * P11_LOCKING_CARNET mode, nothing otherwise).  P11_MODULE_GUARD(m) leaves
 * at scope exit. */
struct p11_module *p11_module_enter(struct p11_module *m);
void p11_module_leave(struct p11_module *m);
static inline void p11_module_leavep(struct p11_module **m) {
        if (*m)
                p11_module_leave(*m);
}
#define P11_MODULE_GUARD(m) \
        __attribute__((cleanup(p11_module_leavep), unused)) struct p11_module *p11_guard_ = p11_module_enter(m)

/* Fills tokens[0..max) with the slots that hold a token; returns how many
 * were found (possibly more than max: only max are written). */
int p11_module_tokens(struct p11_module *m, struct p11_token *tokens, size_t max);

/* Reads one slot's token afresh (PIN flags change after every login). */
int p11_module_token(struct p11_module *m, CK_SLOT_ID slot, struct p11_token *ret);

/* True when the token sits in the PC/SC reader named pcsc_reader: equal
 * names, or the 64-byte slot description is a prefix of a longer name. */
bool p11_token_in_reader(const struct p11_token *t, const char *pcsc_reader);

/* Finds the token in the named PC/SC reader; -ENODEV when there is none. */
int p11_module_token_for_reader(struct p11_module *m, const char *pcsc_reader, struct p11_token *ret);

/* The token of slot from C_GetTokenInfo alone, the slot's description
 * given (what an earlier C_GetSlotInfo said): no C_GetSlotInfo, which in
 * OpenSC looks at every reader, binding each card it does not know
 * again.  -ENODEV when the slot holds no token.  Only for a slot known to
 * have been seen empty since its last card (session/card-cache.c): OpenSC
 * looks at a slot's reader in C_GetTokenInfo only when it holds no token. */
int p11_module_token_info(struct p11_module *m, CK_SLOT_ID slot, const char *description, struct p11_token *ret);

/* Whether the slot still holds a token (C_GetSlotInfo; OpenSC asks PC/SC).
 * Returns 1, 0, or a negative errno.  p11_module_slot_state() also copies
 * the slot's description (when the call succeeded and ret_description is
 * not NULL). */
int p11_module_slot_present(struct p11_module *m, CK_SLOT_ID slot);
int p11_module_slot_state(struct p11_module *m, CK_SLOT_ID slot, char *ret_description, size_t size);
