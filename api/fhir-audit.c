/* api/fhir-audit.c: AuditEvent and Consent; see fhir-audit.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/audit.h"
#include "engine/dossier.h"
#include "lib/macro.h"
#include "call.h"
#include "fhir-audit.h"
#include "fhir-common.h"
#include "fhir-page.h"
#include "replies.h"

#define V3_ACT_REASON "http://terminology.hl7.org/CodeSystem/v3-ActReason"

/* The AuditEvent action (C, R, U, D, E) of a trail action. */
static const char *action_code(const char *a) {
        static const struct {
                const char *action, *code;
        } map[] = {
                {"create", "C"},      {"deposit", "C"},      {"replace", "C"},        {"record-consent", "C"},
                {"list", "R"},        {"read", "R"},         {"read-trail", "R"},     {"read-status", "R"},
                {"read-notifications", "R"}, {"destroy", "D"}, {"purge", "D"},        {"archive", "U"},
                {"mask", "U"},        {"release-hold", "U"}, {"manage-access", "U"},  {"set-options", "U"},
                {"close", "U"},       {"reactivate", "U"},   {"mark-deceased", "U"},  {"heir-request", "U"},
                {"manage-representatives", "U"},
        };
        for (size_t i = 0; a && i < ELEMENTSOF(map); i++)
                if (strcmp(map[i].action, a) == 0)
                        return map[i].code;
        return "E";
}

/* Who acted: a professional by national id, a patient or representative
 * by INS, carnet itself for the jobs. */
static json_t *agent_of(const struct audit_entry *x) {
        char system[64];
        bool pro = strcmp(x->actor_kind, "patient") != 0 && strcmp(x->actor_kind, "representative") != 0;
        json_t *who = !x->actor || !x->actor[0]
                              ? json_pack("{s:s}", "display", "carnet")
                              : json_pack("{s:{s:s,s:s},s:s}", "identifier", "system",
                                          pro ? FHIR_RPPS_SYSTEM : (snprintf(system, sizeof(system), "urn:oid:%s",
                                                                             FHIR_INS_OID), system),
                                          "value", x->actor, "display", x->actor_kind);
        json_t *a = json_pack("{s:o,s:b}", "who", who, "requestor", true);
        if (a && x->session && x->session[0])
                json_object_set_new(a, "altId", json_string(x->session));
        if (a && x->workstation && x->workstation[0])
                json_object_set_new(a, "network", json_pack("{s:s,s:s}", "address", x->workstation, "type", "1"));
        json_t *pou = NULL;
        if (strcmp(x->mode, "emergency") == 0)
                pou = json_pack("{s:[{s:s,s:s}]}", "coding", "system", V3_ACT_REASON, "code", "ETREAT");
        else if (x->reason && x->reason[0])
                pou = json_object();
        if (pou && x->reason && x->reason[0])
                json_object_set_new(pou, "text", json_string(x->reason));
        if (a && pou)
                json_object_set_new(a, "purposeOfUse", json_pack("[o]", pou));
        return a;
}

/* dossier_trail()'s callback for a search: every entry counted for
 * Bundle.total, only the page's made AuditEvents (a long-lived dossier's
 * trail holds tens of thousands of entries). */
struct audit_page {
        json_t *list;
        size_t first, size, n;
};

static int audit_event(const struct audit_entry *x, void *userdata) {
        struct audit_page *p = userdata;
        json_t *list = p->list;
        size_t i = p->n++;
        if (i < p->first || i - p->first >= p->size)
                return 0;
        char id[32], at[32], patient[32], doc[FHIR_DOC_ID_SIZE + 32];
        snprintf(id, sizeof(id), "%lld", (long long)x->seq);
        snprintf(patient, sizeof(patient), "Patient/%s", x->dossier);
        bool allowed = strcmp(x->outcome, "allow") == 0;
        json_t *entity = json_pack("[{s:{s:s},s:{s:s,s:s}}]", "what", "reference", patient, "type", "system",
                                   "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code", "1");
        if (entity && x->document && x->document[0]) {
                char did[FHIR_DOC_ID_SIZE];
                fhir_doc_id(x->dossier, x->document, did);
                snprintf(doc, sizeof(doc), "DocumentReference/%s", did);
                json_array_append_new(entity, json_pack("{s:{s:s},s:{s:s,s:s}}", "what", "reference", doc, "type", "system",
                                                        "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                                                        "code", "2"));
        }
        json_t *o = json_pack("{s:s,s:s,s:[{s:s,s:s}],s:{s:s,s:s,s:s},s:[{s:s,s:s}],s:s,s:s,s:s,s:s,s:[o],s:{s:{s:s}},"
                              "s:o}",
                              "resourceType", "AuditEvent", "id", id, "extension", "url", FHIR_EXT_MODE, "valueCode",
                              x->mode && x->mode[0] ? x->mode : "normal", "type", "system",
                              "http://dicom.nema.org/resources/ontology/DCM", "code", "110110", "display",
                              "Patient Record", "subtype", "system", FHIR_CS_ACTION, "code", x->action, "action",
                              action_code(x->action), "recorded", fhir_instant(x->at, at), "outcome",
                              allowed ? "0" : "4", "outcomeDesc", x->code, "agent", agent_of(x), "source", "observer",
                              "display", "carnet", "entity", entity);
        /* the establishment of the actor's session: a second agent, the
         * organisation the professional acted for */
        json_t *agents = o ? json_object_get(o, "agent") : NULL;
        if (agents && x->establishment && x->establishment[0] &&
            json_array_append_new(agents, json_pack("{s:{s:[{s:s,s:s}]},s:{s:s},s:b}", "type", "coding", "system",
                                                    "http://terminology.hl7.org/CodeSystem/v3-RoleClass", "code",
                                                    "PROV", "who", "display", x->establishment, "requestor",
                                                    false)) < 0) {
                json_decref(o);
                return -ENOMEM;
        }
        return o && json_array_append_new(list, o) == 0 ? 0 : -ENOMEM;
}

/* The search's parameters: the patient only. */
static const char *const params[] = {"patient", "patient.identifier", "_summary", NULL};

static int patient_param(const struct api_request *req, char ins[16], struct api_reply *ret) {
        if (fhir_check_params(req, params, ret) < 0)
                return -EINVAL;
        return fhir_patient_param(req, ins, ret);
}

/* GET /fhir/R4/AuditEvent?patient=...: dossier_trail() as the native
 * GET .../audit calls it (its own reading is the last entry). */
int fhir_audit_search(const struct api_request *req, struct api_reply *ret) {
        const struct api_call *c = req->call;
        char ins[16];
        int r = patient_param(req, ins, ret);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        struct fhir_page page = fhir_page_asked(req, params);
        struct audit_page p = {.list = json_array(), .first = (size_t)page.offset, .size = fhir_page_size(&page)};
        if (!p.list)
                return -ENOMEM;
        r = dossier_trail(c->engine, &c->caller.a, ins, audit_event, &p);
        if (r < 0) {
                json_decref(p.list);
                return fhir_search_fail(req, params, c->engine, r, ret);
        }
        json_t *b = fhir_searchset_page(req, &page, p.list, p.n);
        return b ? api_ok(ret, 200, b) : -ENOMEM;
}

/* ---- Consent ------------------------------------------------------------- */

/* A Consent of the patient's privacy: permit or deny, to one actor or to
 * a purpose; its id, policy rule and provision. */
static json_t *consent(const char *ins, const char *id, bool permit, json_t *provision_extra) {
        char patient[32];
        snprintf(patient, sizeof(patient), "Patient/%s", ins);
        json_t *prov = provision_extra ? provision_extra : json_object();
        json_object_set_new(prov, "type", json_string(permit ? "permit" : "deny"));
        return json_pack("{s:s,s:s,s:s,s:{s:[{s:s,s:s}]},s:[{s:[{s:s,s:s}]}],s:{s:s},s:{s:[{s:s,s:s}]},s:o}",
                         "resourceType", "Consent", "id", id, "status", "active", "scope", "coding", "system",
                         "http://terminology.hl7.org/CodeSystem/consentscope", "code", "patient-privacy", "category",
                         "coding", "system", "http://loinc.org", "code", "59284-0", "patient", "reference", patient,
                         "policyRule", "coding", "system", "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code",
                         permit ? "OPTIN" : "OPTOUT", "provision", prov);
}

static const char *const relation_names[_ACCESS_REL_MAX] = {
        [ACCESS_REL_NONE] = "none", [ACCESS_REL_AUTHORISED] = "authorised",
        [ACCESS_REL_CARE_TEAM] = "care-team", [ACCESS_REL_TRAITANT] = "traitant"};

/* One professional of the access list: a block is a deny, a relation a
 * permit (the médecin traitant's sight of masked documents a security
 * label of the provision); someone who only accessed once has none. */
static json_t *access_consent(const char *ins, const struct dossier_access_entry *x) {
        char id[16 + 8 + DOSSIER_CODE_MAX], name[2 * DOSSIER_TEXT_MAX + 2];
        if (!x->blocked && x->relation == ACCESS_REL_NONE)
                return NULL;
        snprintf(id, sizeof(id), "%s-access-%s", ins, x->id_nat);
        snprintf(name, sizeof(name), "%s %s", x->first_name, x->last_name);
        json_t *prov = json_pack("{s:[{s:{s:[{s:s,s:s}]},s:{s:{s:s,s:s},s:s}}],s:[{s:s,s:s}]}", "actor", "role", "coding",
                                 "system", "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code", "PRCP",
                                 "reference", "identifier", "system", FHIR_RPPS_SYSTEM, "value", x->id_nat, "display",
                                 name[0] == ' ' ? x->id_nat : name, "code", "system", FHIR_CS_ACTION, "code",
                                 x->blocked ? "blocked" : relation_names[x->relation]);
        /* provision.code is a list of CodeableConcepts */
        json_t *codes = json_pack("[{s:O}]", "coding", json_object_get(prov, "code"));
        json_object_set_new(prov, "code", codes);
        if (x->sees_masked && !x->blocked)
                json_object_set_new(prov, "securityLabel", json_pack("[{s:s,s:s}]", "system", FHIR_CS_VISIBILITY, "code",
                                                                     "masked"));
        return consent(ins, id, !x->blocked, prov);
}

/* The patient's oppositions (emergency, call centre, heirs) as denials. */
static void add_oppositions(json_t *list, const char *ins, const struct dossier_info *info) {
        const struct {
                bool on;
                const char *code;
        } ops[] = {{info->optout_emergency, "emergency"},
                   {info->optout_call_centre, "call-centre"},
                   {info->optout_heirs, "heirs"}};
        for (size_t i = 0; i < ELEMENTSOF(ops); i++) {
                if (!ops[i].on)
                        continue;
                char id[64];
                snprintf(id, sizeof(id), "%s-opposition-%s", ins, ops[i].code);
                json_t *prov = json_pack("{s:[{s:[{s:s,s:s}]}]}", "code", "coding", "system", FHIR_CS_OPPOSITION, "code",
                                         ops[i].code);
                if (strcmp(ops[i].code, "emergency") == 0)
                        json_object_set_new(prov, "purpose", json_pack("[{s:s,s:s}]", "system", V3_ACT_REASON, "code",
                                                                       "ETREAT"));
                json_array_append_new(list, consent(ins, id, false, prov));
        }
}

/* GET /fhir/R4/Consent?patient=...: dossier_list_access() as GET
 * .../access calls it, and the options of dossier_info() (shown to the
 * patient only). */
int fhir_consent_search(const struct api_request *req, struct api_reply *ret) {
        _cleanup_free_ struct dossier_access_entry *acc = NULL;
        const struct api_call *c = req->call;
        struct dossier_info info;
        size_t n = 0;
        char ins[16];
        int r = patient_param(req, ins, ret);

        if (r < 0)
                return r == -ENOMEM ? r : 0;
        r = dossier_list_access(c->engine, &c->caller.a, ins, &acc, &n);
        if (r < 0)
                return fhir_search_fail(req, params, c->engine, r, ret);
        json_t *list = json_array();
        for (size_t i = 0; list && i < n; i++) {
                json_t *o = access_consent(ins, &acc[i]);
                if (o)
                        json_array_append_new(list, o);
        }
        if (dossier_info(c->engine, &c->caller.a, ins, &info) == 0 && info.options_shown)
                add_oppositions(list, ins, &info);
        secure_zero(&info, sizeof(info));
        json_t *b = fhir_searchset(req, params, list);
        return b ? api_ok(ret, 200, b) : -ENOMEM;
}
