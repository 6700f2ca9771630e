/* api/fhir-patient.c: Patient and the CapabilityStatement; see fhir-patient.h. */
#include <errno.h>
#include <string.h>

#include "engine/dossier.h"
#include "lib/macro.h"
#include "call.h"
#include "fhir-common.h"
#include "fhir-patient.h"
#include "replies.h"

/* One resource of the CapabilityStatement: its interactions, its
 * conditionalRead (NULL: none said, not-supported) and search parameters
 * (name, type), as fhir-*.c serve them. */
static json_t *cap_resource(const char *type, const char *interactions, const char *cond_read,
                            const char *const params[]) {
        json_t *in = json_array(), *sp = json_array();
        char buf[64];
        (void)strcpy_bounded(buf, sizeof(buf), interactions);
        for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
                json_array_append_new(in, json_pack("{s:s}", "code", t));
        for (size_t i = 0; params && params[i]; i += 2)
                json_array_append_new(sp, json_pack("{s:s,s:s}", "name", params[i], "type", params[i + 1]));
        json_t *r = json_pack("{s:s,s:o}", "type", type, "interaction", in);
        if (r && cond_read)
                json_object_set_new(r, "conditionalRead", json_string(cond_read));
        if (r && json_array_size(sp))
                json_object_set(r, "searchParam", sp);
        json_decref(sp);
        return r;
}

/* GET /fhir/R4/metadata: the resources, interactions and parameters this
 * build serves, nothing more (docs/fhir.md). */
int fhir_metadata_get(const struct api_request *req, struct api_reply *ret) {
        static const char *const patient[] = {"identifier", "token", "_id", "token", NULL};
        static const char *const docref[] = {"patient", "reference", "status", "token", "type", "token",
                                             "category", "token", "date", "date", NULL};
        static const char *const audit[] = {"patient", "reference", NULL};
        static const char *const consent[] = {"patient", "reference", NULL};
        static const char *const none[] = {NULL}; /* _format, as every FHIR route takes */
        char base[FHIR_BASE_SIZE];

        if (fhir_check_params(req, none, ret) < 0)
                return 0;
        /* conditional reads (http/conditional.h): If-None-Match on the
         * ETag of a DocumentReference, whose Last-Modified does not follow
         * its in-place changes; either precondition on a Binary, whose
         * content never changes */
        json_t *res = json_pack("[o,o,o,o,o]", cap_resource("Patient", "read,search-type", NULL, patient),
                                cap_resource("DocumentReference", "read,search-type", "full-support", docref),
                                cap_resource("Binary", "read", "full-support", NULL),
                                cap_resource("AuditEvent", "search-type", NULL, audit),
                                cap_resource("Consent", "search-type", NULL, consent));
        json_t *cs = json_pack(
                "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:{s:s,s:s},s:[s],s:[s],s:[{s:s,s:{s:[{s:[{s:s,s:s}]}],s:s},"
                "s:o,s:[{s:s}]}]}",
                "resourceType", "CapabilityStatement", "id", "carnet", "url", FHIR_CARNET "/CapabilityStatement/carnet",
                "status", "active", "date", "2026-12-01", "kind", "instance", "fhirVersion", FHIR_VERSION, "software",
                "name", "carnet", "version", CARNET_VERSION, "implementation", "description",
                "carnet's FHIR R4 face (IHE MHD document responder and recipient)", "url",
                fhir_base(req, base, sizeof(base)), "format", FHIR_MIME, "implementationGuide",
                "https://profiles.ihe.net/ITI/MHD/ImplementationGuide/ihe.iti.mhd", "rest", "mode", "server", "security", "service",
                "coding", "system", "http://terminology.hl7.org/CodeSystem/restful-security-service", "code", "Certificates",
                "description",
                "a session opened with a CPS card (POST /v1/sessions) or the patient's Carte Vitale and secret, its token "
                "in the X-Carnet-Session header",
                "resource", res, "interaction", "code", "transaction");
        return api_ok(ret, 200, cs);
}

static const char *gender_of(const char *sex) {
        return strcmp(sex, "M") == 0 ? "male" : strcmp(sex, "F") == 0 ? "female" : "unknown";
}

/* The Patient of a dossier whose traits info shows. */
static json_t *patient_json(const char *ins, const struct dossier_info *info) {
        char system[DOSSIER_CODE_MAX + 8], at[32];
        json_t *given = json_array();
        char names[DOSSIER_TEXT_MAX];
        (void)strcpy_bounded(names, sizeof(names), info->first_names);
        for (char *save = NULL, *t = strtok_r(names, " ", &save); t; t = strtok_r(NULL, " ", &save))
                json_array_append_new(given, json_string(t));
        snprintf(system, sizeof(system), "urn:oid:%s", info->ins_oid[0] ? info->ins_oid : FHIR_INS_OID);
        json_t *p = json_pack("{s:s,s:s,s:[{s:s,s:s,s:s}],s:b,s:[{s:s,s:s}],s:s}",
                              "resourceType", "Patient", "id", ins, "identifier", "use", "official", "system", system,
                              "value", ins, "active", info->status == ACCESS_DOSSIER_OPEN, "name", "use", "official",
                              "family", info->birth_name, "gender", gender_of(info->sex));
        if (p && json_array_size(given))
                json_object_set(json_array_get(json_object_get(p, "name"), 0), "given", given);
        json_decref(given);
        if (p && info->birth_date[0])
                json_object_set_new(p, "birthDate", json_string(info->birth_date));
        if (p && info->deceased_at)
                json_object_set_new(p, "deceasedDateTime", json_string(fhir_instant(info->deceased_at, at)));
        if (p && info->birth_place[0])
                /* the INSEE code of the birth place (commune), as FR Core does */
                json_object_set_new(p, "extension",
                                    json_pack("[{s:s,s:{s:[{s:s,s:s}]}}]", "url",
                                              "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                                              "valueAddress", "extension", "url", FHIR_CARNET
                                              "/StructureDefinition/insee-code", "valueString", info->birth_place));
        return p;
}

/* The Patient of ins as the caller may see it: 0 with *ret, or the error
 * reply filled (404 no dossier, 403 with the rule's reason). */
static int patient_of(const struct api_call *c, const char *ins, json_t **ret_p, struct api_reply *ret) {
        struct dossier_info info;
        int r = dossier_info(c->engine, &c->caller.a, ins, &info);

        *ret_p = NULL;
        if (r < 0)
                return res_engine_fail(ret, c->engine, r) < 0 ? -ENOMEM : -EACCES;
        if (info.status == ACCESS_DOSSIER_ABSENT) {
                secure_zero(&info, sizeof(info));
                return api_error_details(ret, 404, "no_dossier", json_pack("{s:s}", "reason", "deny-no-dossier"),
                                         "no dossier for this INS") < 0 ? -ENOMEM : -ENOENT;
        }
        /* R4 http.html, read: a deleted resource is 410 Gone; the native
         * API gives any caller a destroyed dossier's status too */
        if (info.status == ACCESS_DOSSIER_DESTROYED) {
                secure_zero(&info, sizeof(info));
                return api_error_details(ret, 410, "dossier_destroyed",
                                         json_pack("{s:s}", "reason", "deny-dossier-destroyed"),
                                         "the dossier of this INS was destroyed at the patient's request") < 0
                               ? -ENOMEM
                               : -ENOENT;
        }
        if (!info.traits_shown) {
                secure_zero(&info, sizeof(info));
                /* the refusal of the "list" decision, as the native API words refusals */
                return res_engine_fail(ret, c->engine, -EACCES) < 0 ? -ENOMEM : -EACCES;
        }
        *ret_p = patient_json(ins, &info);
        secure_zero(&info, sizeof(info));
        return *ret_p ? 0 : -ENOMEM;
}

/* GET /fhir/R4/Patient/{id}: an id that is no INS (a wrong key, another
 * length, letters) names no Patient, 404 as a dossier that does not
 * exist, without asking the engine; one that is no FHIR id, 400. */
int fhir_patient_read(const struct api_request *req, struct api_reply *ret) {
        static const char *const none[] = {NULL};
        const char *id;
        char ins[16];
        json_t *p;
        int r;
        if (fhir_check_params(req, none, ret) < 0 || (r = fhir_read_id(req, &id, ret)) == -EINVAL)
                return 0;
        if (r < 0)
                return r;
        if (fhir_ins_of_identifier(id, ins) < 0)
                return api_error_details(ret, 404, "no_dossier", json_pack("{s:s}", "problem", "not an INS"),
                                         "no Patient %s: a Patient's id is an INS, a NIR of 15 characters with a "
                                         "valid key", id);
        r = patient_of(req->call, ins, &p, ret);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        return api_ok(ret, 200, p);
}

/* GET /fhir/R4/Patient?identifier=...: one INS, one dossier; a search
 * that finds none is an empty Bundle (no dossier), a refusal its
 * OperationOutcome. */
int fhir_patient_search(const struct api_request *req, struct api_reply *ret) {
        static const char *const params[] = {"identifier", "_id", "_summary", NULL};
        const char *ident = api_query(req, "identifier"), *id = api_query(req, "_id");
        char ins[16];
        json_t *p = NULL;
        int r;

        if (fhir_check_params(req, params, ret) < 0)
                return 0;
        if (!ident == !id)
                return fhir_error(ret, 400, "required", "bad_parameter",
                                  "search patients by INS: identifier=urn:oid:" FHIR_INS_OID "|NIR (or _id=NIR), one "
                                  "of the two");
        r = ident ? fhir_ins_of_identifier(ident, ins) : fhir_ins_of_reference(id, ins);
        if (r < 0)
                return fhir_bad_ins(ret, 400, ident ? "identifier" : "_id", r);
        r = patient_of(req->call, ins, &p, ret);
        if (r == -ENOENT) {
                api_reply_clear(ret);
                r = 0;
        }
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        return api_ok(ret, 200, fhir_searchset(req, params, p ? json_pack("[o]", p) : json_array()));
}
