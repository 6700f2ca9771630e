/* pkcs11/p11-error.c: CK_RV to negative errno + stable code string. */
#include <errno.h>

#include "p11-error.h"

struct rv_map {
        CK_RV rv;
        int err;
        const char *code;
};

/* The codes are part of carnet's interface (the API reports them): add new
 * ones, never rename. */
static const struct rv_map rv_table[] = {
        {CKR_OK, 0, "ok"},
        {CKR_PIN_INCORRECT, -EACCES, "pin_incorrect"},
        {CKR_PIN_LOCKED, -EPERM, "pin_locked"},
        {CKR_PIN_EXPIRED, -EKEYEXPIRED, "pin_expired"},
        {CKR_PIN_INVALID, -EINVAL, "pin_invalid"},
        {CKR_PIN_LEN_RANGE, -EINVAL, "pin_invalid"},
        {CKR_USER_NOT_LOGGED_IN, -ENOKEY, "login_required"},
        {CKR_USER_PIN_NOT_INITIALIZED, -ENOKEY, "pin_not_initialized"},
        {CKR_USER_ALREADY_LOGGED_IN, -EALREADY, "already_logged_in"},
        {CKR_USER_ANOTHER_ALREADY_LOGGED_IN, -EBUSY, "busy"},
        {CKR_FUNCTION_CANCELED, -ECANCELED, "cancelled"},
        {CKR_DEVICE_REMOVED, -ENODEV, "card_removed"},
        {CKR_TOKEN_NOT_PRESENT, -ENODEV, "card_removed"},
        {CKR_SESSION_CLOSED, -ENODEV, "card_removed"},
        {CKR_SESSION_HANDLE_INVALID, -ENODEV, "card_removed"},
        {CKR_TOKEN_NOT_RECOGNIZED, -ENOMEDIUM, "card_unknown"},
        {CKR_SLOT_ID_INVALID, -ENXIO, "no_such_slot"},
        {CKR_DEVICE_ERROR, -EIO, "card_error"},
        {CKR_GENERAL_ERROR, -EIO, "card_error"},
        {CKR_FUNCTION_FAILED, -EIO, "card_error"},
        {CKR_DEVICE_MEMORY, -ENOMEM, "card_error"},
        {CKR_HOST_MEMORY, -ENOMEM, "no_memory"},
        {CKR_MECHANISM_INVALID, -EOPNOTSUPP, "mechanism_unsupported"},
        {CKR_MECHANISM_PARAM_INVALID, -EOPNOTSUPP, "mechanism_unsupported"},
        {CKR_KEY_TYPE_INCONSISTENT, -EOPNOTSUPP, "mechanism_unsupported"},
        {CKR_KEY_FUNCTION_NOT_PERMITTED, -EOPNOTSUPP, "key_not_permitted"},
        {CKR_FUNCTION_NOT_SUPPORTED, -EOPNOTSUPP, "not_supported"},
        {CKR_DATA_INVALID, -EINVAL, "data_invalid"},
        {CKR_DATA_LEN_RANGE, -EINVAL, "data_invalid"},
        {CKR_ARGUMENTS_BAD, -EINVAL, "data_invalid"},
        {CKR_BUFFER_TOO_SMALL, -ENOBUFS, "buffer_too_small"},
        {CKR_OPERATION_ACTIVE, -EBUSY, "busy"},
        {CKR_SESSION_COUNT, -EBUSY, "busy"},
        {CKR_OPERATION_NOT_INITIALIZED, -EPROTO, "module_error"},
        {CKR_CRYPTOKI_NOT_INITIALIZED, -EPROTO, "module_error"},
        {CKR_CRYPTOKI_ALREADY_INITIALIZED, -EALREADY, "module_error"},
        {CKR_CANT_LOCK, -ENOLCK, "module_no_threads"},
};

static const struct rv_map *rv_find(CK_RV rv) {
        for (size_t i = 0; i < sizeof(rv_table) / sizeof(rv_table[0]); i++)
                if (rv_table[i].rv == rv)
                        return &rv_table[i];
        return NULL;
}

int p11_rv_errno(CK_RV rv) {
        const struct rv_map *m = rv_find(rv);
        return m ? m->err : -EIO;
}

const char *p11_rv_code(CK_RV rv) {
        const struct rv_map *m = rv_find(rv);
        return m ? m->code : "module_error";
}

void p11_error_set_rv(struct p11_error *e, CK_RV rv) {
        if (!e)
                return;
        *e = (struct p11_error){
                .rv = rv,
                .err = p11_rv_errno(rv),
                .code = p11_rv_code(rv),
                .pin_state = P11_PIN_OK,
                .tries_left = -1,
                .check_reader = rv == CKR_GENERAL_ERROR || rv == CKR_DEVICE_ERROR ||
                                rv == CKR_FUNCTION_FAILED,
        };
}

void p11_error_set(struct p11_error *e, int err, const char *code) {
        if (!e)
                return;
        *e = (struct p11_error){
                .rv = CKR_OK,
                .err = err,
                .code = code ? code : "error",
                .pin_state = P11_PIN_OK,
                .tries_left = -1,
        };
}

enum p11_pin_state p11_pin_state_from_flags(CK_FLAGS f) {
        if (f & CKF_USER_PIN_LOCKED)
                return P11_PIN_LOCKED;
        if (f & CKF_USER_PIN_FINAL_TRY)
                return P11_PIN_FINAL_TRY;
        if (f & CKF_USER_PIN_COUNT_LOW)
                return P11_PIN_COUNT_LOW;
        return P11_PIN_OK;
}

int p11_pin_tries_hint(enum p11_pin_state s) {
        switch (s) {
        case P11_PIN_LOCKED:
                return 0;
        case P11_PIN_FINAL_TRY:
                return 1;
        default:
                return -1;
        }
}

const char *p11_pin_state_to_string(enum p11_pin_state s) {
        static const char *const names[] = {
                [P11_PIN_OK] = "ok",
                [P11_PIN_COUNT_LOW] = "count_low",
                [P11_PIN_FINAL_TRY] = "final_try",
                [P11_PIN_LOCKED] = "locked",
        };
        return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}
