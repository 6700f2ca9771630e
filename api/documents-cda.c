/* api/documents-cda.c: CDA R2 at the API; see documents-cda.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cda/cda.h"
#include "engine/dossier.h"
#include "lib/macro.h"
#include "call.h"
#include "documents-cda.h"
#include "documents.h"
#include "replies.h"

#define INS_OID "1.2.250.1.213.1.4.8"
#define INS_OID_TEST "1.2.250.1.213.1.4.10"

static bool loinc(const char *code) {
        size_t n = strspn(code, "0123456789");
        return n > 0 && code[n] == '-' && code[n + 1] >= '0' && code[n + 1] <= '9' && code[n + 2] == '\0';
}

static int mismatch(struct api_reply *err, const char *code, const char *field, const char *what) {
        return api_error_details(err, 422, code, json_pack("{s:s}", "field", field),
                                 "the CDA header does not agree with the metadata given: %s", what) < 0 ? -ENOMEM
                                                                                                          : -EINVAL;
}

int res_cda_check(const struct api_call *c, const char *ins, const struct dossier_doc_meta *meta, const void *content,
                  size_t len, struct api_reply *err) {
        static const char *const oids[] = {INS_OID, INS_OID_TEST, NULL};
        struct cda_header h;
        const char *problem = NULL;

        if (!cda_mime(meta->mime))
                return 0;
        int r = cda_header_parse(content, len, oids, &h, &problem);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return api_error_details(err, 422, r == -EPERM || r == -E2BIG ? "cda_refused" : "cda_malformed",
                                         json_pack("{s:s}", "problem", problem ? problem : "unreadable"),
                                         "a CDA R2 document is expected (%s): %s", meta->mime,
                                         problem ? problem : "unreadable") < 0 ? -ENOMEM : -EINVAL;
        if (strcmp(h.patient_ins, ins) != 0)
                r = mismatch(err, "cda_patient_mismatch", "recordTarget",
                             "recordTarget/patientRole/id (an INS OID) is not the dossier's INS");
        else if (strcmp(h.type_code, meta->type_code) != 0)
                r = mismatch(err, "cda_type_mismatch", "type_code", "code/@code is not type_code");
        else if (c->caller.a.kind == ACCESS_ACTOR_PROFESSIONAL && h.author_id[0] && c->caller.a.id &&
                 strcmp(h.author_id, c->caller.a.id) != 0)
                r = mismatch(err, "cda_author_mismatch", "author",
                             "author/assignedAuthor/id is not the depositing professional's national id");
        secure_zero(&h, sizeof(h));
        return r;
}

/* The document's uid as a UUID (8-4-4-4-12), the root of its CDA id. */
static void uuid_of(const char *uid, char out[37]) {
        snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", uid, uid + 8, uid + 12, uid + 16, uid + 20);
}

int res_cda_wrapped_reply(const struct api_call *c, const char *ins, const struct dossier_doc *d, const void *content,
                          size_t len, struct api_reply *ret) {
        struct dossier_info info;
        char uuid[37];
        _cleanup_free_ char *xml = NULL;
        size_t n = 0;
        int r;

        if (cda_mime(d->mime))
                return api_error(ret, 409, "already_cda", "this document is a CDA document already: take it as it is");
        r = dossier_info(c->engine, &c->caller.a, ins, &info);
        if (r < 0)
                return res_engine_fail(ret, c->engine, r);
        uuid_of(d->uid, uuid);
        struct cda_wrap w = {
                .id_root = uuid, .ins = ins, .ins_oid = info.ins_oid[0] ? info.ins_oid : INS_OID,
                .type_code = d->type_code, .type_system = loinc(d->type_code) ? CDA_LOINC_OID : NULL,
                .title = d->title, .effective = d->created_at, .confidentiality = d->masked ? "R" : "N",
                .author_id = d->author_id, .institution = d->institution, .author_time = d->deposited_at,
                .mime = d->mime, .content = content, .len = len,
        };
        r = cda_wrap_build(&w, &xml, &n);
        secure_zero(&info, sizeof(info));
        if (r < 0)
                return r;
        struct dossier_doc as_cda = *d;
        (void)strcpy_bounded(as_cda.mime, sizeof(as_cda.mime), CDA_MIME);
        r = res_content_reply(ret, &as_cda, TAKE_PTR(xml), n);
        secure_zero(&as_cda, sizeof(as_cda));
        return r;
}
