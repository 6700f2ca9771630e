/* api/access.c: the access list resources; see access.h. */
#include <errno.h>
#include <string.h>

#include "engine/dossier.h"
#include "lib/macro.h"
#include "access.h"
#include "call.h"
#include "replies.h"

static const char *const relation_names[_ACCESS_REL_MAX] = {
        [ACCESS_REL_NONE] = "none",
        [ACCESS_REL_AUTHORISED] = "authorised",
        [ACCESS_REL_CARE_TEAM] = "care_team",
        [ACCESS_REL_TRAITANT] = "traitant",
};

int res_access_list(const struct api_request *req, struct api_reply *ret) {
        _cleanup_free_ struct dossier_access_entry *list = NULL;
        const struct api_call *c = req->call;
        struct dossier_engine *e = c->engine;
        const char *ins = c->ins;
        size_t n = 0;
        int r;

        r = dossier_list_access(e, &c->caller.a, ins, &list, &n);
        if (r < 0)
                return res_engine_fail(ret, e, r);
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++) {
                const struct dossier_access_entry *x = &list[i];
                json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:o}", "national_id", x->id_nat, "surname",
                                      x->last_name, "given_name", x->first_name, "profession", x->profession,
                                      "relation",
                                      (unsigned)x->relation < _ACCESS_REL_MAX ? relation_names[x->relation] : "none",
                                      "blocked", x->blocked, "sees_masked", x->sees_masked, "first_access_at",
                                      x->first_access_at ? json_integer(x->first_access_at) : json_null());
                if (!o || json_array_append_new(a, o) < 0) {
                        json_decref(a);
                        a = NULL;
                }
        }
        if (!a)
                return -ENOMEM;
        return api_ok(ret, 200, json_pack("{s:s,s:o}", "ins", ins, "professionals", a));
}

/* idNat_PS: "8" + 11-digit RPPS or "0" + 9-digit ADELI (docs/rules.md §5). */
static bool national_id_valid(const char *s) {
        size_t n = s ? strlen(s) : 0;
        if (strspn(s ? s : "", "0123456789") != n)
                return false;
        return (n == 12 && s[0] == '8') || (n == 10 && s[0] == '0');
}

/* A boolean member as one of two changes; 400 bad_field otherwise. */
static int flag_change(const json_t *j, const char *name, enum dossier_access_change yes,
                       enum dossier_access_change no, enum dossier_access_change *ret, struct api_reply *err) {
        if (!json_is_boolean(j))
                return res_bad_field(err, 400, "bad_field", name, "%s must be true or false", name) < 0 ? -ENOMEM
                                                                                                      : -EINVAL;
        *ret = json_is_true(j) ? yes : no;
        return 0;
}

/* The changes body asks for, in the order relation, blocked, sees_masked. */
static int changes_of(const json_t *body, enum dossier_access_change changes[3], size_t *n, struct api_reply *err) {
        static const enum dossier_access_change rel_change[_ACCESS_REL_MAX] = {
                [ACCESS_REL_NONE] = DOSSIER_ACCESS_REVOKE,
                [ACCESS_REL_AUTHORISED] = DOSSIER_ACCESS_AUTHORISE,
                [ACCESS_REL_CARE_TEAM] = DOSSIER_ACCESS_CARE_TEAM,
                [ACCESS_REL_TRAITANT] = DOSSIER_ACCESS_TRAITANT,
        };
        json_t *jrel = json_object_get(body, "relation"), *jblk = json_object_get(body, "blocked"),
               *jmask = json_object_get(body, "sees_masked");

        *n = 0;
        if (jrel) {
                const char *s = json_string_value(jrel);
                size_t i;
                for (i = 0; s && i < _ACCESS_REL_MAX; i++)
                        if (strcmp(s, relation_names[i]) == 0)
                                break;
                if (!s || i == _ACCESS_REL_MAX)
                        return res_bad_field(err, 400, "bad_field", "relation",
                                             "relation must be none, authorised, care_team or traitant") < 0
                                       ? -ENOMEM
                                       : -EINVAL;
                changes[(*n)++] = rel_change[i];
        }
        if (jblk && flag_change(jblk, "blocked", DOSSIER_ACCESS_BLOCK, DOSSIER_ACCESS_UNBLOCK, &changes[(*n)++], err) < 0)
                return -EINVAL;
        if (jmask && flag_change(jmask, "sees_masked", DOSSIER_ACCESS_GRANT_MASKED, DOSSIER_ACCESS_REVOKE_MASKED,
                                 &changes[(*n)++], err) < 0)
                return -EINVAL;
        if (*n == 0)
                return api_error(err, 400, "bad_field", "give at least one of relation, blocked, sees_masked") < 0
                               ? -ENOMEM
                               : -EINVAL;
        return 0;
}

/* PUT /v1/dossiers/{ins}/access/{national_id}: each member is one change
 * of the engine; several run in one call of the engine, one transaction
 * (all or none: dossier_set_access_many()).  The
 * decision is the same for each (the patient managing their list), so a
 * refusal comes from the first and is kept in the trail. */
int res_access_put(const struct api_request *req, struct api_reply *ret) {
        static const char *const fields[] = {"relation", "blocked", "sees_masked", NULL};
        static const char *const members[] = {"relation", "blocked", "sees_masked"};
        _cleanup_(json_decrefp) json_t *body = NULL;
        const struct api_call *c = req->call;
        enum dossier_access_change changes[3];
        size_t n = 0;
        const char *id = api_path_param(req, "national_id");
        int r;

        if (!national_id_valid(id))
                return res_bad_field(ret, 422, "bad_national_id", "national_id",
                                     "a national id is \"8\" + 11 digits (RPPS) or \"0\" + 9 digits (ADELI)");
        if (api_body_json(req, &body, ret) < 0 || api_check_fields(body, fields, ret) < 0)
                return 0;
        r = changes_of(body, changes, &n, ret);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        r = dossier_set_access_many(c->engine, &c->caller.a, c->ins, id, changes, n);
        if (r < 0)
                return res_engine_fail(ret, c->engine, r);
        json_t *o = json_pack("{s:s,s:s}", "ins", c->ins, "national_id", id);
        for (size_t i = 0; o && i < ELEMENTSOF(members); i++) {
                json_t *j = json_object_get(body, members[i]);
                if (j)
                        json_object_set(o, members[i], j);
        }
        return api_ok(ret, 200, o);
}
