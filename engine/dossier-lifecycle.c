/* engine/dossier-lifecycle.c: a dossier's life: creation, the patient
 * secret, status, close, reactivate, destroy, and the patient's options;
 * see dossier.h and docs/dossier-engine.md. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "dossier-internal.h"
#include "lib/macro.h"

/* What a dossier's life sets beyond its traits and secret (closure, the
 * patient's options), at the values a new row takes by the schema's
 * defaults: a tombstone keeps none of it, and a dossier opened again on
 * one starts from it (docs/dossier-engine.md, "Destruction and the
 * tombstone").  A recorded death stays on the tombstone: nobody opens a
 * dossier for the dead (deny-deceased). */
#define DOSSIER_FRESH \
        "closed_at = NULL, optout_emergency = 0, optout_call_centre = 0, notify = 1, optout_heirs = 0"

static const char sql_insert_dossier[] =
        "INSERT INTO dossiers (ins, ins_oid, birth_name, first_names, birth_date, sex, birth_place, status, "
        "created_at, secret_salt, secret_hash, secret_n, secret_r, secret_p) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, ?10, ?11, ?12, ?13)";
static const char sql_reopen_dossier[] =
        "UPDATE dossiers SET ins_oid = ?2, birth_name = ?3, first_names = ?4, birth_date = ?5, sex = ?6, "
        "birth_place = ?7, status = 1, created_at = ?8, destroyed_at = NULL, deceased_at = 0, " DOSSIER_FRESH ", "
        "secret_salt = ?9, "
        "secret_hash = ?10, secret_n = ?11, secret_r = ?12, secret_p = ?13 WHERE ins = ?1";
static const char sql_secret[] =
        "SELECT secret_salt, secret_hash, secret_n, secret_r, secret_p, birth_date, id FROM dossiers "
        "WHERE ins = ?1 AND status IN (1, 2)";
static const char sql_set_status[] =
        "UPDATE dossiers SET status = ?2, closed_at = ?3 WHERE id = ?1";
static const char sql_purge_contents[] =
        "DELETE FROM contents WHERE doc_id IN (SELECT id FROM documents WHERE dossier_id = ?1)";
static const char sql_purge_chunks[] =
        "DELETE FROM content_chunks WHERE uid IN (SELECT uid FROM documents WHERE dossier_id = ?1)";
static const char sql_purge_documents[] =
        "DELETE FROM documents WHERE dossier_id = ?1";
static const char sql_purge_access[] = "DELETE FROM dossier_access WHERE dossier_id = ?1";
static const char sql_purge_representatives[] = "DELETE FROM representatives WHERE dossier_id = ?1";
static const char sql_purge_notifications[] = "DELETE FROM notifications WHERE dossier_id = ?1";
static const char sql_purge_attempts[] = "DELETE FROM attempts WHERE ins = (SELECT ins FROM dossiers WHERE id = ?1)";
/* The tombstone keeps its id and INS (the key the trail names it by, and
 * a new dossier for that INS reopens the row), status 3, when it was
 * destroyed and a recorded death (which refuses a new dossier); every
 * other column goes back to empty, NULL or its default: the OID, the
 * traits, the creation date (the trail has it), the closure, the options
 * and the secret. */
static const char sql_tombstone[] =
        "UPDATE dossiers SET status = 3, destroyed_at = ?2, ins_oid = '', birth_name = '', first_names = '', "
        "birth_date = '', sex = '', birth_place = '', created_at = 0, " DOSSIER_FRESH ", secret_salt = NULL, "
        "secret_hash = NULL, secret_n = NULL, secret_r = NULL, secret_p = NULL WHERE id = ?1";
static const char sql_set_options[] =
        "UPDATE dossiers SET optout_emergency = coalesce(?2, optout_emergency), "
        "optout_call_centre = coalesce(?3, optout_call_centre), notify = coalesce(?4, notify), "
        "optout_heirs = coalesce(?5, optout_heirs) WHERE id = ?1";

static int scrypt_hash(const char *secret, const uint8_t *salt, uint64_t n, uint32_t r, uint32_t p,
                       uint8_t ret[SCRYPT_KEY_LEN]) {
        if (EVP_PBE_scrypt(secret, strlen(secret), salt, SCRYPT_SALT_LEN, n, r, p, SCRYPT_MAXMEM, ret,
                           SCRYPT_KEY_LEN) != 1)
                return -EIO;
        return 0;
}

/* 16 characters from an alphabet without look-alikes (80 bits), grouped
 * by four for the receipt. */
static int new_secret(char ret[DOSSIER_SECRET_SIZE]) {
        static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        uint8_t b[16];
        size_t o = 0;

        if (RAND_bytes(b, sizeof(b)) != 1)
                return -EIO;
        for (size_t i = 0; i < sizeof(b); i++) {
                if (i > 0 && i % 4 == 0)
                        ret[o++] = '-';
                ret[o++] = alphabet[b[i] & 31];
        }
        ret[o] = '\0';
        secure_zero(b, sizeof(b));
        return 0;
}

static int identity_check(const struct dossier_identity *id) {
        int r;

        if (!id || de_ins_check(id->ins) < 0 || !id->ins_oid)
                return -EINVAL;
        if (strcmp(id->ins_oid, INS_OID) != 0 && strcmp(id->ins_oid, INS_OID_TEST) != 0)
                return -EINVAL;
        if ((r = de_text_field(id->birth_name, DOSSIER_TEXT_MAX, true)) < 0 ||
            (r = de_text_field(id->first_names, DOSSIER_TEXT_MAX, true)) < 0 ||
            (r = de_code_field(id->birth_date, true)) < 0 || (r = de_code_field(id->sex, true)) < 0 ||
            (r = de_code_field(id->birth_place, true)) < 0)
                return r;
        if (strcmp(id->sex, "M") != 0 && strcmp(id->sex, "F") != 0 && strcmp(id->sex, "U") != 0)
                return -EINVAL;
        return 0;
}

/* Writes the new dossier's row, or reopens the destroyed tombstone's, with
 * the secret's salt and hash. */
static int write_dossier(struct dossier_engine *e, const struct dossier_identity *id, bool reopen, int64_t now,
                         const uint8_t salt[SCRYPT_SALT_LEN], const uint8_t hash[SCRYPT_KEY_LEN]) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r;

        /* a new secret: the wrong ones counted against the one before (a
         * dossier destroyed, or none yet) no longer count */
        r = de_attempts_forget(e, id->ins);
        if (r < 0)
                return r;
        r = store_prepare(e->store, reopen ? sql_reopen_dossier : sql_insert_dossier, &st);
        if (r < 0)
                return r;
        if ((r = store_bind_text(st, 1, id->ins)) < 0 || (r = store_bind_text(st, 2, id->ins_oid)) < 0 ||
            (r = store_bind_text(st, 3, id->birth_name)) < 0 || (r = store_bind_text(st, 4, id->first_names)) < 0 ||
            (r = store_bind_text(st, 5, id->birth_date)) < 0 || (r = store_bind_text(st, 6, id->sex)) < 0 ||
            (r = store_bind_text(st, 7, id->birth_place)) < 0 || (r = store_bind_int(st, 8, now)) < 0 ||
            (r = store_bind_blob(st, 9, salt, SCRYPT_SALT_LEN)) < 0 ||
            (r = store_bind_blob(st, 10, hash, SCRYPT_KEY_LEN)) < 0 ||
            (r = store_bind_int(st, 11, (int64_t) e->scrypt_n)) < 0 || (r = store_bind_int(st, 12, e->scrypt_r)) < 0 ||
            (r = store_bind_int(st, 13, e->scrypt_p)) < 0)
                return r;
        return store_exec_step(e->store, st);
}

/* The part of dossier_create() under the engine lock: the decision, its
 * trail entry and the row; with_consent: then, in the same transaction,
 * the actor's recording of the consent (dossier_create_with_consent()),
 * whose refusal undoes the whole. */
static int create_locked(struct dossier_engine *e, const struct dossier_actor *actor,
                         const struct dossier_identity *id, bool consent, bool with_consent,
                         const uint8_t salt[SCRYPT_SALT_LEN], const uint8_t hash[SCRYPT_KEY_LEN]) {
        DE_LOCKED(e);
        struct dstate ds;
        int64_t now, seq = 0;
        int r;

        r = de_begin_op(e, actor, id->ins, &ds, &now);
        if (r < 0)
                return r;
        /* the patient opening their own: self-access starts at 16, by the
         * birth date being recorded (docs/rules.md §1, §3) */
        if (actor->kind == ACCESS_ACTOR_PATIENT)
                ds.under_16 = !access_age_16_reached(id->birth_date, now);
        r = de_decide_audited(e, actor, id->ins, &ds, ACCESS_ACTION_CREATE, NULL, NULL, consent, now, &seq);
        if (r >= 0 && e->last.allow)
                r = write_dossier(e, id, ds.status == ACCESS_DOSSIER_DESTROYED, now, salt, hash);
        if (r >= 0 && e->last.allow && with_consent) {
                r = de_load_state(e, actor, id->ins, now, &ds); /* the dossier just written */
                if (r >= 0)
                        r = de_record_consent(e, actor, id->ins, &ds, now);
                /* both or neither: a refused consent undoes the creation */
                if (r >= 0 && !e->last.allow)
                        r = de_denied_errno(&e->last);
        }
        return de_finish(e, r);
}

/* dossier_create(), with_consent: dossier_create_with_consent(). */
static int create(struct dossier_engine *e, const struct dossier_actor *actor, const struct dossier_identity *id,
                  bool consent, bool with_consent, char ret_secret[DOSSIER_SECRET_SIZE]) {
        char secret[DOSSIER_SECRET_SIZE];
        uint8_t salt[SCRYPT_SALT_LEN], hash[SCRYPT_KEY_LEN];
        int r;

        /* the patient records no professional's consent; any other actor
         * goes to the rules, which refuse the creation of one that may not
         * (an insurer's: deny-forbidden-role), traced */
        if (!e || !ret_secret || de_actor_check(actor) < 0 || (with_consent && actor->kind == ACCESS_ACTOR_PATIENT))
                return -EINVAL;
        r = identity_check(id);
        if (r < 0)
                return r;

        /* the slow hash runs before the transaction and outside the engine
         * lock, so as to hold neither for it */
        r = new_secret(secret);
        if (r < 0)
                return r;
        if (RAND_bytes(salt, sizeof(salt)) != 1)
                return -EIO;
        r = scrypt_hash(secret, salt, e->scrypt_n, e->scrypt_r, e->scrypt_p, hash);
        if (r >= 0)
                r = create_locked(e, actor, id, consent, with_consent, salt, hash);
        if (r >= 0)
                memcpy(ret_secret, secret, DOSSIER_SECRET_SIZE);
        secure_zero(secret, sizeof(secret));
        secure_zero(hash, sizeof(hash));
        return r;
}

int dossier_create(struct dossier_engine *e, const struct dossier_actor *actor, const struct dossier_identity *id,
                   bool consent, char ret_secret[DOSSIER_SECRET_SIZE]) {
        return create(e, actor, id, consent, false, ret_secret);
}

int dossier_create_with_consent(struct dossier_engine *e, const struct dossier_actor *actor,
                                const struct dossier_identity *id, bool consent,
                                char ret_secret[DOSSIER_SECRET_SIZE]) {
        return create(e, actor, id, consent, true, ret_secret);
}

/* Appends the trail entry of a secret check, under the engine lock. It is
 * not an access_decide() decision (nothing is read yet) but the patient's
 * authentication, which their history must show, granted or refused, like
 * every decision. The actor is the patient the caller claims to be, or the
 * legal representative rep_ins (non-NULL), whose standing is checked
 * here, under the same lock: a right secret from one not listed on the
 * dossier is refused deny-not-representative (docs/rules.md §3). */
static int audit_secret(struct dossier_engine *e, const char *ins, const char *rep_ins, enum access_reason reason) {
        DE_LOCKED(e);
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r;

        if (rep_ins && reason == ACCESS_ALLOW_PATIENT) {
                r = de_query_by_text(e->store, "SELECT id, birth_date FROM dossiers WHERE ins = ?1", ins, &st);
                if (r > 0) {
                        char birth_date[DOSSIER_CODE_MAX];

                        de_copy_column(birth_date, sizeof(birth_date), st, 1);
                        r = de_representative_listed(e->store, store_col_int64(st, 0), rep_ins, birth_date,
                                                     de_now_of(e));
                }
                if (r < 0)
                        return r;
                reason = r > 0 ? ACCESS_ALLOW_REPRESENTATIVE : ACCESS_DENY_NOT_REPRESENTATIVE;
        }
        bool allow = reason < _ACCESS_ALLOW_MAX;
        struct audit_entry ae = {
                .at = de_now_of(e),
                .actor_kind = access_actor_kind_name(rep_ins ? ACCESS_ACTOR_REPRESENTATIVE : ACCESS_ACTOR_PATIENT),
                .actor = rep_ins ? rep_ins : ins,
                .session = "",
                .action = DOSSIER_ACTION_VERIFY_SECRET,
                .dossier = ins,
                .document = "",
                .mode = access_mode_name(ACCESS_MODE_NORMAL),
                .reason = "",
                .outcome = allow ? "allow" : "deny",
                .code = access_reason_name(reason),
        };

        e->last = (struct access_decision) { .allow = allow, .reason = reason };
        r = de_begin(e);
        if (r < 0)
                return r;
        return de_end_tx(e, de_audit_append(e, &ae, NULL));
}

/* A dossier's stored secret: salt, hash and scrypt parameters. */
struct stored_secret {
        uint8_t salt[SCRYPT_SALT_LEN], hash[SCRYPT_KEY_LEN];
        uint64_t n;
        uint32_t r, p;
        bool age_16;  /* the person is 16 or older now: self-access (docs/rules.md §3) */
        bool standing; /* the caller may give it: the patient, or a representative listed now */
};

/* Reads ins's stored secret under the engine lock: 1 when found, 0 when
 * there is no open or closed dossier, a negative errno.  With rep_ins,
 * whether that representative is listed on it now (ret->standing): one
 * who is not is refused without the secret being looked at. */
static int read_secret(struct dossier_engine *e, const char *ins, const char *rep_ins, struct stored_secret *ret) {
        DE_LOCKED(e);
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r;

        r = de_query_by_text(e->store, sql_secret, ins, &st);
        if (r <= 0)
                return r;
        ret->standing = true;
        if (rep_ins) {
                r = de_representative_listed(e->store, store_col_int64(st, 6), rep_ins, store_col_text(st, 5),
                                             de_now_of(e));
                if (r < 0)
                        return r;
                ret->standing = r > 0;
                if (!ret->standing)
                        return 1;
        }
        size_t salt_len = 0, hash_len = 0;
        const void *salt = store_col_blob(st, 0, &salt_len), *hash = store_col_blob(st, 1, &hash_len);
        if (!salt || !hash || salt_len != SCRYPT_SALT_LEN || hash_len != SCRYPT_KEY_LEN)
                return -EBADMSG;
        memcpy(ret->salt, salt, SCRYPT_SALT_LEN);
        memcpy(ret->hash, hash, SCRYPT_KEY_LEN);
        ret->n = (uint64_t) store_col_int64(st, 2);
        ret->r = (uint32_t) store_col_int64(st, 3);
        ret->p = (uint32_t) store_col_int64(st, 4);
        ret->age_16 = access_age_16_reached(store_col_text(st, 5), de_now_of(e));
        return 1;
}

/* The salt and parameters are read under the lock, the hash derived
 * outside it, the outcome audited under it again.  A representative
 * (rep_ins non-NULL) acts under 16 too (a parent only until 18:
 * de_representative_listed()); one not listed is refused before any
 * hash, a right secret as a wrong one (deny-not-representative): the
 * answer tells nothing of the secret, and it is no wrong secret, which
 * the API counts against the dossier's brake. */
static int verify_as(struct dossier_engine *e, const char *ins, const char *rep_ins, const char *secret) {
        struct stored_secret s = {};
        uint8_t got[SCRYPT_KEY_LEN];
        enum access_reason reason = ACCESS_DENY_NO_DOSSIER;
        int r;

        if (!e || de_ins_check(ins) < 0 || !secret || strnlen(secret, 256) >= 256 ||
            (rep_ins && (de_ins_check(rep_ins) < 0 || strcmp(rep_ins, ins) == 0)))
                return -EINVAL;
        r = read_secret(e, ins, rep_ins, &s);
        if (r < 0)
                return r;
        if (r > 0 && !s.standing)
                reason = ACCESS_DENY_NOT_REPRESENTATIVE;
        else if (r > 0) {
                r = scrypt_hash(secret, s.salt, s.n, s.r, s.p, got);
                if (r >= 0)
                        reason = CRYPTO_memcmp(s.hash, got, SCRYPT_KEY_LEN) != 0 ? ACCESS_DENY_BAD_SECRET
                                 : s.age_16 || rep_ins                               ? ACCESS_ALLOW_PATIENT
                                                                                     : ACCESS_DENY_UNDER_16;
                secure_zero(got, sizeof(got));
                secure_zero(&s, sizeof(s));
                if (r < 0)
                        return r;
        }
        r = audit_secret(e, ins, rep_ins, reason);
        if (r < 0)
                return r;
        reason = dossier_last_decision(e)->reason;
        return access_reason_is_allow(reason) ? 0 : reason == ACCESS_DENY_NO_DOSSIER ? -ENOENT : -EACCES;
}

int dossier_verify_secret(struct dossier_engine *e, const char *ins, const char *secret) {
        return verify_as(e, ins, NULL, secret);
}

int dossier_verify_representative(struct dossier_engine *e, const char *ins, const char *rep_ins,
                                  const char *secret) {
        return rep_ins ? verify_as(e, ins, rep_ins, secret) : -EINVAL;
}

static int set_status(struct dossier_engine *e, int64_t id, enum access_dossier_status status, int64_t closed_at) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r = store_prepare(e->store, sql_set_status, &st);

        if (r < 0)
                return r;
        if ((r = store_bind_int(st, 1, id)) < 0 || (r = store_bind_int(st, 2, status)) < 0 ||
            (r = closed_at ? store_bind_int(st, 3, closed_at) : 0) < 0)
                return r;
        return store_exec_step(e->store, st);
}

int de_purge_dossier(struct dossier_engine *e, int64_t id, int64_t now) {
        int r;

        if ((r = de_exec_id(e, sql_purge_chunks, id)) < 0 || (r = de_exec_id(e, sql_purge_contents, id)) < 0 ||
            (r = de_exec_id(e, sql_purge_documents, id)) < 0 ||
            (r = de_exec_id(e, sql_purge_access, id)) < 0 || (r = de_exec_id(e, sql_purge_representatives, id)) < 0 ||
            (r = de_exec_id(e, sql_purge_notifications, id)) < 0 ||
            (r = de_exec_id(e, sql_purge_attempts, id)) < 0)
                return r;
        return de_exec_id_int(e, sql_tombstone, id, now);
}

/* Close, reactivate and destroy share their shape. */
static int lifecycle_op(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                        enum access_action action) {
        struct dstate ds;
        int64_t now;
        int r;

        r = de_simple_op(e, actor, ins, action, &ds, &now);
        if (r < 0 || !e->last.allow)
                return de_finish(e, r);
        switch (action) {
        case ACCESS_ACTION_CLOSE:
                r = set_status(e, ds.id, ACCESS_DOSSIER_CLOSED, now);
                break;
        case ACCESS_ACTION_REACTIVATE:
                r = set_status(e, ds.id, ACCESS_DOSSIER_OPEN, 0);
                break;
        case ACCESS_ACTION_DESTROY:
                r = de_purge_dossier(e, ds.id, now);
                break;
        default:
                r = -EINVAL;
        }
        return de_finish(e, r);
}

static const char sql_traits[] =
        "SELECT ins_oid, birth_name, first_names, birth_date, sex, birth_place, created_at, "
        "coalesce(destroyed_at, 0) FROM dossiers WHERE id = ?1";

/* The dates, and the traits when the decision shows them, of the
 * dossier row ds->id into info. */
static int read_traits(struct dossier_engine *e, const struct dstate *ds, struct dossier_info *info) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r;

        r = store_prepare(e->store, sql_traits, &st);
        if (r < 0 || (r = store_bind_int(st, 1, ds->id)) < 0 || (r = store_step(e->store, st)) < 0)
                return r;
        info->created_at = store_col_int64(st, 6);
        info->destroyed_at = store_col_int64(st, 7);
        info->traits_shown = info->decision.allow && ds->status != ACCESS_DOSSIER_DESTROYED;
        if (info->traits_shown) {
                de_copy_columns(st, 0, DE_COL(info->ins_oid), DE_COL(info->birth_name),
                                DE_COL(info->first_names), DE_COL(info->birth_date), DE_COL(info->sex),
                                DE_COL(info->birth_place));
        }
        return 0;
}

int dossier_info(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                 struct dossier_info *ret) {
        DE_LOCKED(e);
        struct dossier_info info = {};
        struct dstate ds;
        int64_t now;
        int r;

        if (!e || !ret || de_actor_check(actor) < 0 || de_ins_check(ins) < 0)
                return -EINVAL;
        now = de_now_of(e);
        r = de_begin(e);
        if (r < 0)
                return r;
        /* like begin_op(), without noting the professional: reading a status
         * is not an access to the dossier */
        if ((r = de_load_state(e, actor, ins, now, &ds)) >= 0 &&
            (r = de_decide_audited_as(e, actor, ins, &ds, ACCESS_ACTION_LIST, DOSSIER_ACTION_READ_STATUS, NULL, NULL,
                                      false, now, NULL)) >= 0) {
                info.decision = e->last;
                info.status = ds.status;
                info.closed_at = ds.closed_at;
                /* a tombstone's recorded death refuses a new dossier, and
                 * is shown to nobody */
                info.deceased_at = ds.status == ACCESS_DOSSIER_DESTROYED ? 0 : ds.deceased_at;
                if (ds.id)
                        r = read_traits(e, &ds, &info);
        }
        info.options_shown = access_acts_as_patient(actor->kind) && info.decision.allow;
        if (info.options_shown) {
                info.optout_emergency = ds.optout_emergency;
                info.optout_call_centre = ds.optout_call_centre;
                info.notify = ds.notify;
                info.optout_heirs = ds.optout_heirs;
        }
        r = de_end_tx(e, r);
        if (r < 0)
                return r;
        *ret = info;
        return 0;
}

int dossier_close(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins) {
        DE_LOCKED(e);
        return lifecycle_op(e, actor, ins, ACCESS_ACTION_CLOSE);
}

int dossier_reactivate(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins) {
        DE_LOCKED(e);
        return lifecycle_op(e, actor, ins, ACCESS_ACTION_REACTIVATE);
}

int dossier_destroy(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins) {
        DE_LOCKED(e);
        return lifecycle_op(e, actor, ins, ACCESS_ACTION_DESTROY);
}

static const char sql_deceased[] =
        "UPDATE dossiers SET status = 2, closed_at = coalesce(closed_at, ?2), deceased_at = ?2 WHERE id = ?1";
static const char sql_heir_access[] =
        "INSERT INTO dossier_access (dossier_id, id_nat, heir_access, updated_at) VALUES (?1, ?3, 1, ?2) "
        "ON CONFLICT (dossier_id, id_nat) DO UPDATE SET heir_access = 1, updated_at = excluded.updated_at";

/* Mark-deceased and heir-request share their shape: one decision, then
 * one statement on the dossier (docs/rules.md §3 "After death"). */
static int after_death_op(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                          enum access_action action) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        bool death = action == ACCESS_ACTION_MARK_DECEASED;
        struct dstate ds;
        int64_t now;
        int r;

        r = de_simple_op(e, actor, ins, action, &ds, &now);
        if (r >= 0 && e->last.allow && (r = store_prepare(e->store, death ? sql_deceased : sql_heir_access, &st)) >= 0 &&
            (r = store_bind_int(st, 1, ds.id)) >= 0 && (r = store_bind_int(st, 2, now)) >= 0 &&
            (r = death ? 0 : store_bind_text(st, 3, actor->id)) >= 0)
                r = store_exec_step(e->store, st);
        return de_finish(e, r);
}

int dossier_mark_deceased(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins) {
        DE_LOCKED(e);
        return after_death_op(e, actor, ins, ACCESS_ACTION_MARK_DECEASED);
}

int dossier_heir_request(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins) {
        DE_LOCKED(e);
        return after_death_op(e, actor, ins, ACCESS_ACTION_HEIR_REQUEST);
}

int dossier_set_options(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                        int optout_emergency, int optout_call_centre, int notify_choice, int optout_heirs) {
        DE_LOCKED(e);
        _cleanup_stmt_ struct store_stmt *st = NULL;
        struct dstate ds;
        int64_t now;
        int r;

        r = de_simple_op(e, actor, ins, ACCESS_ACTION_SET_OPTIONS, &ds, &now);
        if (r >= 0 && e->last.allow && (r = store_prepare(e->store, sql_set_options, &st)) >= 0 &&
            (r = store_bind_int(st, 1, ds.id)) >= 0 &&
            (r = optout_emergency >= 0 ? store_bind_int(st, 2, !!optout_emergency) : 0) >= 0 &&
            (r = optout_call_centre >= 0 ? store_bind_int(st, 3, !!optout_call_centre) : 0) >= 0 &&
            (r = notify_choice >= 0 ? store_bind_int(st, 4, !!notify_choice) : 0) >= 0 &&
            (r = optout_heirs >= 0 ? store_bind_int(st, 5, !!optout_heirs) : 0) >= 0)
                r = store_exec_step(e->store, st);
        return de_finish(e, r);
}
