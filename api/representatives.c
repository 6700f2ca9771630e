/* api/representatives.c: a dossier's legal representatives; see
 * representatives.h and docs/rules.md §3 "Legal representatives". */
#include <errno.h>
#include <string.h>

#include "engine/dossier.h"
#include "lib/nir.h"
#include "call.h"
#include "replies.h"
#include "representatives.h"

/* The {rep_ins} of the path, checked, in its canonical spelling in buf:
 * NULL (and err filled) when it is not a valid INS or is the patient's
 * own. */
static const char *rep_ins_of(const struct api_request *req, char buf[NIR_LEN + 1], struct api_reply *err) {
        const char *rep = api_path_param(req, "rep_ins");

        if (!rep || nir_canonical(rep, buf) < 0 || strcmp(buf, req->call->ins) == 0) {
                res_bad_field(err, 422, "bad_ins", "rep_ins",
                              "the representative's own INS (NIR, 15 characters), not the patient's");
                return NULL;
        }
        return buf;
}

/* PUT /v1/dossiers/{ins}/representatives/{rep_ins} {"kind": ...}. */
int res_representative_put(const struct api_request *req, struct api_reply *ret) {
        static const char *const fields[] = {"kind", NULL};
        const struct api_call *c = req->call;
        const char *kind_name = json_string_value(json_object_get(c->body, "kind"));
        char buf[NIR_LEN + 1];
        const char *rep;
        int kind, r;

        if (api_check_fields(c->body, fields, ret) < 0 || !(rep = rep_ins_of(req, buf, ret)))
                return 0;
        kind = dossier_representative_kind_from_name(kind_name);
        if (kind < 0)
                return res_bad_field(ret, 400, "bad_field", "kind", "kind must be parental-authority or guardian");
        r = dossier_set_representative(c->engine, &c->caller.a, c->ins, rep, (enum dossier_representative_kind)kind);
        if (r < 0)
                return res_engine_fail(ret, c->engine, r);
        return api_ok(ret, 200, json_pack("{s:s,s:s,s:s}", "ins", c->ins, "representative", rep, "kind",
                                          dossier_representative_kind_name((enum dossier_representative_kind)kind)));
}

/* DELETE /v1/dossiers/{ins}/representatives/{rep_ins}: 404
 * no_such_representative when not listed (the decision is traced). */
int res_representative_delete(const struct api_request *req, struct api_reply *ret) {
        const struct api_call *c = req->call;
        char buf[NIR_LEN + 1];
        const char *rep = rep_ins_of(req, buf, ret);
        int r;

        if (!rep)
                return 0;
        r = dossier_remove_representative(c->engine, &c->caller.a, c->ins, rep);
        if (r == -ENOENT && dossier_last_decision(c->engine)->allow)
                return api_error(ret, 404, "no_such_representative", "this person is not a representative of the dossier");
        if (r < 0)
                return res_engine_fail(ret, c->engine, r);
        return api_ok(ret, 200, json_pack("{s:s,s:s,s:b}", "ins", c->ins, "representative", rep, "removed", true));
}
