/* pkcs11/p11-module.c: dlopen, C_Initialize, slots and tokens. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/macro.h"
#include "p11-module.h"

struct p11_module {
        void *dl;                 /* NULL for p11_module_open_functions() */
        CK_FUNCTION_LIST *fl;
        bool initialised;         /* we called C_Initialize, so we finalise */
        enum p11_locking locking;
        pthread_mutex_t lock;     /* recursive; used in P11_LOCKING_CARNET mode */
};

struct p11_module *p11_module_enter(struct p11_module *m) {
        if (m && m->locking == P11_LOCKING_CARNET)
                pthread_mutex_lock(&m->lock);
        return m;
}

void p11_module_leave(struct p11_module *m) {
        if (m && m->locking == P11_LOCKING_CARNET)
                pthread_mutex_unlock(&m->lock);
}

enum p11_locking p11_module_locking(const struct p11_module *m) {
        return m ? m->locking : P11_LOCKING_MODULE;
}

/* Copies a blank-padded PKCS#11 field into a C string without the padding. */
static void field_copy(char *dst, size_t dstsize, const CK_UTF8CHAR *src, size_t srclen) {
        size_t n = srclen < dstsize - 1 ? srclen : dstsize - 1;
        memcpy(dst, src, n);
        while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
                n--;
        dst[n] = '\0';
}

/* Initialises the module for a threaded caller.  In P11_LOCKING_MODULE mode
 * CKF_OS_LOCKING_OK with no mutex callbacks tells the module to use the
 * system's own locks; a module that cannot (CKR_CANT_LOCK) is refused rather
 * than used unlocked.  In P11_LOCKING_CARNET mode the module is told that it
 * will not be called concurrently, and carnet makes that true.  A module
 * already initialised by someone else in this process is used as it is and
 * left initialised on close. */
static int module_init(struct p11_module *m) {
        CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
        CK_RV rv = m->fl->C_Initialize(m->locking == P11_LOCKING_MODULE ? &args : NULL);
        if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED)
                return 0;
        if (rv != CKR_OK)
                return p11_rv_errno(rv);
        m->initialised = true;
        return 0;
}

int p11_module_open_functions(CK_FUNCTION_LIST *fl, enum p11_locking locking, struct p11_module **ret) {
        if (!fl || !ret || (locking != P11_LOCKING_MODULE && locking != P11_LOCKING_CARNET))
                return -EINVAL;
        if (fl->version.major != 2)
                return -EPROTONOSUPPORT;
        _cleanup_free_ struct p11_module *m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->fl = fl;
        m->locking = locking;
        pthread_mutexattr_t attr;
        pthread_mutexattr_init(&attr);
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
        int r = -pthread_mutex_init(&m->lock, &attr);
        pthread_mutexattr_destroy(&attr);
        if (r < 0)
                return r;
        r = module_init(m);
        if (r < 0) {
                pthread_mutex_destroy(&m->lock);
                return r;
        }
        *ret = TAKE_PTR(m);
        return 0;
}

/* Loads the shared object.  RTLD_LOCAL keeps the module's symbols (OpenSC
 * bundles its own helpers) from clashing with ours; RTLD_NOW fails here, at
 * start-up, rather than at the first card. */
int p11_module_open(const char *path, struct p11_module **ret) {
        return p11_module_open_locking(path, P11_LOCKING_MODULE, ret);
}

int p11_module_open_locking(const char *path, enum p11_locking locking, struct p11_module **ret) {
        if (!ret)
                return -EINVAL;
        if (!path)
                path = P11_DEFAULT_MODULE;
        void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!dl)
                return access(path, R_OK) < 0 ? negerrno() : -ELIBBAD;
        CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList");
        CK_FUNCTION_LIST *fl = NULL;
        if (!get || get(&fl) != CKR_OK || !fl) {
                dlclose(dl);
                return -ELIBBAD;
        }
        struct p11_module *m = NULL;
        int r = p11_module_open_functions(fl, locking, &m);
        if (r < 0) {
                dlclose(dl);
                return r;
        }
        m->dl = dl;
        *ret = m;
        return 0;
}

struct p11_module *p11_module_close(struct p11_module *m) {
        if (!m)
                return NULL;
        if (m->initialised)
                m->fl->C_Finalize(NULL);
        pthread_mutex_destroy(&m->lock);
        if (m->dl)
                dlclose(m->dl);
        free(m);
        return NULL;
}

CK_FUNCTION_LIST *p11_module_functions(const struct p11_module *m) {
        return m ? m->fl : NULL;
}

/* The token of slot from its token information and the slot's
 * description (its 64 bytes, NUL-terminated or not). */
static int token_read(struct p11_module *m, CK_SLOT_ID slot, const CK_UTF8CHAR *description, size_t len,
                      struct p11_token *ret) {
        CK_TOKEN_INFO ti;
        CK_RV rv = m->fl->C_GetTokenInfo(slot, &ti);
        if (rv != CKR_OK)
                return p11_rv_errno(rv);

        struct p11_token t = {.slot = slot, .flags = ti.flags};
        field_copy(t.reader, sizeof(t.reader), description, len);
        field_copy(t.label, sizeof(t.label), ti.label, sizeof(ti.label));
        field_copy(t.serial, sizeof(t.serial), ti.serialNumber, sizeof(ti.serialNumber));
        field_copy(t.manufacturer, sizeof(t.manufacturer), ti.manufacturerID, sizeof(ti.manufacturerID));
        field_copy(t.model, sizeof(t.model), ti.model, sizeof(ti.model));
        t.protected_auth = ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH;
        t.login_required = ti.flags & CKF_LOGIN_REQUIRED;
        t.pin_state = p11_pin_state_from_flags(ti.flags);
        t.tries_left = p11_pin_tries_hint(t.pin_state);
        *ret = t;
        return 0;
}

int p11_module_token(struct p11_module *m, CK_SLOT_ID slot, struct p11_token *ret) {
        if (!m || !ret)
                return -EINVAL;
        P11_MODULE_GUARD(m);
        CK_SLOT_INFO si;
        CK_RV rv = m->fl->C_GetSlotInfo(slot, &si);
        if (rv != CKR_OK)
                return p11_rv_errno(rv);
        if (!(si.flags & CKF_TOKEN_PRESENT))
                return -ENODEV;
        return token_read(m, slot, si.slotDescription, sizeof(si.slotDescription), ret);
}

int p11_module_token_info(struct p11_module *m, CK_SLOT_ID slot, const char *description, struct p11_token *ret) {
        if (!m || !description || !ret)
                return -EINVAL;
        P11_MODULE_GUARD(m);
        return token_read(m, slot, (const CK_UTF8CHAR *) description, strlen(description), ret);
}

/* Asks for the slot list twice (size, then contents) as PKCS#11 requires,
 * into a heap array sized by the module's answer.  A list that grew in
 * between gives CKR_BUFFER_TOO_SMALL with the new size and is asked for
 * again, a few times at most; the array is never read past what was
 * allocated, whatever count the module reports. */
static int slot_list(struct p11_module *m, CK_SLOT_ID **ret, CK_ULONG *ret_n) {
        CK_ULONG n = 0;
        CK_RV rv = m->fl->C_GetSlotList(CK_TRUE, NULL, &n);
        if (rv != CKR_OK)
                return p11_rv_errno(rv);
        for (int attempt = 0; attempt < 3; attempt++) {
                if (n > P11_SLOTS_MAX)
                        return -E2BIG;
                CK_ULONG cap = n;
                _cleanup_free_ CK_SLOT_ID *slots = calloc(cap ? cap : 1, sizeof(*slots));
                if (!slots)
                        return -ENOMEM;
                rv = m->fl->C_GetSlotList(CK_TRUE, slots, &n);
                if (rv == CKR_BUFFER_TOO_SMALL)
                        continue; /* n is the new size */
                if (rv != CKR_OK)
                        return p11_rv_errno(rv);
                *ret_n = n < cap ? n : cap;
                *ret = TAKE_PTR(slots);
                return 0;
        }
        return -EAGAIN;
}

/* Lists the slots with a token. */
int p11_module_tokens(struct p11_module *m, struct p11_token *tokens, size_t max) {
        if (!m || (!tokens && max > 0))
                return -EINVAL;
        P11_MODULE_GUARD(m);
        _cleanup_free_ CK_SLOT_ID *slots = NULL;
        CK_ULONG n = 0;
        int r = slot_list(m, &slots, &n);
        if (r < 0)
                return r;

        size_t found = 0;
        for (CK_ULONG i = 0; i < n; i++) {
                struct p11_token t;
                if (p11_module_token(m, slots[i], &t) < 0)
                        continue; /* removed in between, or unreadable */
                if (found < max)
                        tokens[found] = t;
                found++;
        }
        return (int)found;
}

bool p11_token_in_reader(const struct p11_token *t, const char *pcsc_reader) {
        if (!t || !pcsc_reader || !t->reader[0])
                return false;
        size_t n = strlen(t->reader);
        if (strcmp(t->reader, pcsc_reader) == 0)
                return true;
        /* the slot description holds at most 64 bytes of the name */
        return n >= 63 && strncmp(t->reader, pcsc_reader, n) == 0;
}

int p11_module_token_for_reader(struct p11_module *m, const char *pcsc_reader, struct p11_token *ret) {
        if (!m || !pcsc_reader || !ret)
                return -EINVAL;
        struct p11_token tokens[P11_TOKENS_MAX];
        int n = p11_module_tokens(m, tokens, ELEMENTSOF(tokens));
        if (n < 0)
                return n;
        for (int i = 0; i < n && i < (int)ELEMENTSOF(tokens); i++)
                if (p11_token_in_reader(&tokens[i], pcsc_reader)) {
                        *ret = tokens[i];
                        return 0;
                }
        return -ENODEV;
}

int p11_module_slot_state(struct p11_module *m, CK_SLOT_ID slot, char *ret_description, size_t size) {
        if (!m)
                return -EINVAL;
        P11_MODULE_GUARD(m);
        CK_SLOT_INFO si;
        CK_RV rv = m->fl->C_GetSlotInfo(slot, &si);
        if (rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT)
                return 0;
        if (rv != CKR_OK)
                return p11_rv_errno(rv);
        if (ret_description)
                field_copy(ret_description, size, si.slotDescription, sizeof(si.slotDescription));
        return !!(si.flags & CKF_TOKEN_PRESENT);
}

int p11_module_slot_present(struct p11_module *m, CK_SLOT_ID slot) {
        return p11_module_slot_state(m, slot, NULL, 0);
}
