/* tests/unit/test-fhir.c: the FHIR R4 face without cards or HTTP: a real
 * engine in a temporary folder, requests dispatched through carnetd's
 * whole table (api_handle: the router, the needs, fhir_finish), the
 * caller's session found in the test's own table.  Covers the XDS
 * mapping of DocumentReference, the search parameters, the Provide
 * Document Bundle, errors as OperationOutcome with the rule's reason, and
 * the date and id parsers.  (The resources are validated against FHIR R4
 * by tests/lab/t-fhir-journey.sh with FHIR.js.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"
#include <string.h>
#include <time.h>

#include "api/context.h"
#include "api/fhir-common.h"
#include "api/fhir-page.h"
#include "api/routes.h"
#include "cda/cda.h"
#include "dossier-fixture.h"
#include "http/conditional.h"
#include "http/router.h"

#include "session-fixture.h"

/* A Prefer header the next requests send (NULL: none). */
static const char *prefer;
/* The Accept header the next requests send (NULL: FHIR_MIME, "": none). */
static const char *accept;
/* A Content-Type header the next requests send (NULL: none). */
static const char *content_type;
/* The If-None-Match and If-Modified-Since the next requests send (NULL: none). */
static const char *if_none_match, *if_modified_since;

/* FHIR JSON has no empty array (the property is left out: R4 json.html;
 * the FHIR validator's "Array cannot be empty"): the path of the first in
 * j, or NULL. */
static const char *empty_array_in(const json_t *j, char *path, size_t size) {
        size_t len = strlen(path), i;
        const char *k;
        json_t *v;
        if ((json_is_array(j) && json_array_size(j) == 0) || (json_is_string(j) && json_string_length(j) == 0))
                return path;
        if (json_is_array(j))
                json_array_foreach((json_t *)j, i, v) {
                        snprintf(path + len, size - len, ".%zu", i);
                        if (empty_array_in(v, path, size))
                                return path;
                }
        if (json_is_object(j))
                json_object_foreach((json_t *)j, k, v) {
                        snprintf(path + len, size - len, ".%s", k);
                        if (empty_array_in(v, path, size))
                                return path;
                }
        path[len] = '\0';
        return NULL;
}

/* One request through the whole table as a (NULL: no session); the
 * query is "name=value" strings, n of them.  A FHIR reply is checked for
 * empty arrays. */
static void req(struct fixture *f, const struct dossier_actor *a, const char *method, const char *path,
                const char *body, struct api_reply *rep, size_t n, ...) {
        struct api_context ctx = {.engine = f ? f->e : NULL, .find_session = find_session};
        struct api_kv q[8], h[6];
        char buf[8][1024];
        size_t nh = 0;
        va_list ap;
        va_start(ap, n);
        for (size_t i = 0; i < n; i++) {
                strcpy_bounded(buf[i], sizeof(buf[i]), va_arg(ap, const char *));
                char *eq = strchr(buf[i], '=');
                *eq = '\0';
                q[i] = (struct api_kv){buf[i], eq + 1};
        }
        va_end(ap);
        if (!accept || accept[0])
                h[nh++] = (struct api_kv){"Accept", accept ? accept : FHIR_MIME};
        if (a)
                h[nh++] = (struct api_kv){API_SESSION_HEADER, a->session};
        if (prefer)
                h[nh++] = (struct api_kv){"Prefer", prefer};
        if (content_type)
                h[nh++] = (struct api_kv){"Content-Type", content_type};
        if (if_none_match)
                h[nh++] = (struct api_kv){"If-None-Match", if_none_match};
        if (if_modified_since)
                h[nh++] = (struct api_kv){"If-Modified-Since", if_modified_since};
        struct api_request r = {.ctx = &ctx, .method = method, .path = path, .body = body,
                                .body_len = body ? strlen(body) : 0, .query = q, .n_query = n, .headers = h,
                                .n_headers = nh};
        current = a;
        assert_int_equal(api_handle(&r, rep), 0);
        current = NULL;
        char where[256] = "";
        if (strncmp(path, FHIR_PREFIX, strlen(FHIR_PREFIX)) == 0 && empty_array_in(rep->body, where, sizeof(where)))
                fail_msg("%s %s: an empty array at %s", method, path, where[0] ? where : "the top");
}

/* The reply is an OperationOutcome of status whose first issue has the
 * coding code (carnet's code or the rule's reason); cleared. */
static void expect_outcome(struct api_reply *rep, unsigned status, const char *code) {
        json_t *c, *coding = json_object_get(json_object_get(json_array_get(json_object_get(rep->body, "issue"), 0),
                                                             "details"), "coding");
        size_t i;
        bool found = false;
        assert_int_equal(rep->status, status);
        assert_string_equal(rep->content_type, "application/fhir+json; charset=utf-8");
        assert_string_equal(json_string_value(json_object_get(rep->body, "resourceType")), "OperationOutcome");
        json_array_foreach(coding, i, c) found |= strcmp(json_string_value(json_object_get(c, "code")), code) == 0;
        if (!found) {
                char *s = json_dumps(rep->body, 0);
                fail_msg("no coding %s in %s", code, s);
        }
        api_reply_clear(rep);
}

static const char *str_at(const json_t *o, const char *path);
static const char *link_of(const json_t *bundle, const char *rel);

UNIT_FIXTURE(fhir_metadata_and_errors, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;

        req(f, NULL, "GET", FHIR_PREFIX "/metadata", NULL, &rep, 0);
        assert_int_equal(rep.status, 200);
        /* R4 http.html: responses SHALL set the charset to UTF-8 */
        assert_string_equal(rep.content_type, "application/fhir+json; charset=utf-8");
        assert_string_equal(json_string_value(json_object_get(rep.body, "fhirVersion")), "4.0.1");
        api_reply_clear(&rep);
        /* it takes _format, no parameter of its own */
        req(f, NULL, "GET", FHIR_PREFIX "/metadata", NULL, &rep, 1, "_format=json");
        assert_int_equal(rep.status, 200);
        api_reply_clear(&rep);
        req(f, NULL, "GET", FHIR_PREFIX "/metadata", NULL, &rep, 1, "string=x");
        expect_outcome(&rep, 400, "unknown_parameter");
        /* the router's own errors become OperationOutcome too */
        req(f, NULL, "GET", FHIR_PREFIX "/Observation", NULL, &rep, 0);
        expect_outcome(&rep, 404, "not_found");
        req(f, NULL, "DELETE", FHIR_PREFIX "/metadata", NULL, &rep, 0);
        expect_outcome(&rep, 405, "method_not_allowed");
        /* RFC 9110 15.6.2: a method carnet implements nowhere */
        req(f, NULL, "PATCH", FHIR_PREFIX "/Patient/" INS, NULL, &rep, 0);
        assert_string_equal(str_at(rep.body, "issue.0.code"), "not-supported");
        expect_outcome(&rep, 501, "not_implemented");
        req(f, NULL, "GET", FHIR_PREFIX "/Patient/" INS, NULL, &rep, 0);
        expect_outcome(&rep, 401, "no_session");
        /* R4 http.html, read: an unknown resource is 404, and an INS with a
         * wrong key names none (it was 422 bad_ins, the native answer) */
        req(f, &gp, "GET", FHIR_PREFIX "/Patient/185057800608400", NULL, &rep, 0);
        assert_string_equal(str_at(rep.body, "issue.0.code"), "not-found");
        expect_outcome(&rep, 404, "no_dossier");
        req(f, &gp, "GET", FHIR_PREFIX "/Patient", NULL, &rep, 2, "_id=" INS, "_id=" INS);
        expect_outcome(&rep, 400, "bad_parameter");
        /* the native API keeps its own shape */
        req(f, NULL, "GET", "/v1/nothing", NULL, &rep, 0);
        assert_null(rep.content_type);
        assert_non_null(json_object_get(rep.body, "error"));
        api_reply_clear(&rep);
}

static void open_dossier(struct fixture *f) {
        char secret[DOSSIER_SECRET_SIZE];
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
}

static const char *str_at(const json_t *o, const char *path) {
        char buf[256];
        strcpy_bounded(buf, sizeof(buf), path);
        const json_t *j = o;
        for (char *save = NULL, *t = strtok_r(buf, ".", &save); t && j; t = strtok_r(NULL, ".", &save))
                j = t[0] >= '0' && t[0] <= '9' ? json_array_get(j, (size_t)atoi(t)) : json_object_get(j, t);
        return json_string_value(j) ? json_string_value(j) : "";
}

UNIT_FIXTURE(fhir_patient, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;

        req(f, &gp, "GET", FHIR_PREFIX "/Patient", NULL, &rep, 1, "identifier=urn:oid:" FHIR_INS_OID "|" INS);
        assert_int_equal(rep.status, 200);
        assert_int_equal(json_integer_value(json_object_get(rep.body, "total")), 0);
        api_reply_clear(&rep);
        open_dossier(f);
        req(f, &gp, "GET", FHIR_PREFIX "/Patient", NULL, &rep, 1, "identifier=urn:oid:" FHIR_INS_OID_TEST "|" INS);
        assert_int_equal(rep.status, 200);
        assert_string_equal(str_at(rep.body, "entry.0.resource.id"), INS);
        assert_string_equal(str_at(rep.body, "entry.0.resource.name.0.family"), "DUPONT");
        assert_string_equal(str_at(rep.body, "entry.0.resource.name.0.given.1"), "Pierre");
        assert_string_equal(str_at(rep.body, "entry.0.resource.gender"), "male");
        assert_string_equal(str_at(rep.body, "entry.0.resource.identifier.0.system"), "urn:oid:" FHIR_INS_OID_TEST);
        api_reply_clear(&rep);
        /* another system: no INS, a search parameter the server cannot
         * process (R4 http.html, search): 400 */
        req(f, &gp, "GET", FHIR_PREFIX "/Patient", NULL, &rep, 1, "identifier=urn:oid:1.2.3|" INS);
        expect_outcome(&rep, 400, "bad_ins");
        /* a token without a system matches the value in any system (R4
         * search.html, token: [parameter]=[code]) */
        req(f, &gp, "GET", FHIR_PREFIX "/Patient", NULL, &rep, 1, "identifier=" INS);
        assert_int_equal(rep.status, 200);
        assert_string_equal(str_at(rep.body, "entry.0.resource.id"), INS);
        api_reply_clear(&rep);
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 1, "patient.identifier=" INS);
        assert_int_equal(rep.status, 200);
        assert_string_equal(str_at(rep.body, "resourceType"), "Bundle");
        api_reply_clear(&rep);
        /* a professional without a relation: the rule's reason */
        req(f, &nurse, "GET", FHIR_PREFIX "/Patient/" INS, NULL, &rep, 0);
        expect_outcome(&rep, 403, "deny-not-authorised");
        /* destroyed at the patient's request: R4 http.html, a deleted
         * resource is 410 Gone; a search finds none */
        assert_int_equal(dossier_destroy(f->e, &patient, INS), 0);
        req(f, &gp, "GET", FHIR_PREFIX "/Patient/" INS, NULL, &rep, 0);
        assert_string_equal(str_at(rep.body, "issue.0.code"), "deleted");
        expect_outcome(&rep, 410, "dossier_destroyed");
        req(f, &gp, "GET", FHIR_PREFIX "/Patient", NULL, &rep, 1, "identifier=" INS);
        assert_int_equal(rep.status, 200);
        assert_int_equal(json_integer_value(json_object_get(rep.body, "total")), 0);
        api_reply_clear(&rep);
}

#define PROVIDE(extra)                                                                                               \
        "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":["                                           \
        "{\"fullUrl\":\"urn:uuid:1\",\"request\":{\"method\":\"POST\",\"url\":\"DocumentReference\"},"                \
        "\"resource\":{\"resourceType\":\"DocumentReference\",\"status\":\"current\"," extra                           \
        "\"type\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"11502-2\"}]},"                              \
        "\"category\":[{\"coding\":[{\"code\":\"10\"}]}],\"subject\":{\"reference\":\"Patient/" INS "\"},"            \
        "\"content\":[{\"attachment\":{\"contentType\":\"text/plain\",\"url\":\"urn:uuid:2\",\"title\":\"Bilan\","    \
        "\"creation\":\"2023-11-14T10:00:00+01:00\"}}]}},"                                                             \
        "{\"fullUrl\":\"urn:uuid:2\",\"request\":{\"method\":\"POST\",\"url\":\"Binary\"},"                           \
        "\"resource\":{\"resourceType\":\"Binary\",\"contentType\":\"text/plain\",\"data\":\"aGVsbG8=\"}}]}"

UNIT_FIXTURE(fhir_documents, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        char id[FHIR_DOC_ID_SIZE], path[128], rel[256];

        open_dossier(f);
        req(f, &gp, "POST", FHIR_PREFIX, PROVIDE(""), &rep, 0);
        assert_int_equal(rep.status, 200);
        assert_string_equal(str_at(rep.body, "type"), "transaction-response");
        assert_string_equal(str_at(rep.body, "entry.0.response.status"), "201 Created");
        strcpy_bounded(id, sizeof(id), str_at(rep.body, "entry.0.response.location") + strlen("DocumentReference/"));
        assert_int_equal(strlen(id), FHIR_DOC_ID_SIZE - 1);
        api_reply_clear(&rep);
        /* a second lab report within the window: the duplicate-exam alert, a warning */
        req(f, &gp, "POST", FHIR_PREFIX, PROVIDE(""), &rep, 0);
        assert_int_equal(rep.status, 200);
        assert_string_equal(str_at(rep.body, "entry.0.response.outcome.issue.0.severity"), "warning");
        assert_string_equal(str_at(rep.body, "entry.0.response.outcome.issue.0.details.coding.0.code"), "duplicate_exam");
        api_reply_clear(&rep);
        /* relatesTo replaces */
        snprintf(rel, sizeof(rel), "\"relatesTo\":[{\"code\":\"replaces\",\"target\":{\"reference\":\"DocumentReference/%s\"}}],", id);
        char body[2048];
        snprintf(body, sizeof(body), PROVIDE("%s"), rel);
        req(f, &gp, "POST", FHIR_PREFIX, body, &rep, 0);
        assert_int_equal(rep.status, 200);
        api_reply_clear(&rep);
        snprintf(path, sizeof(path), FHIR_PREFIX "/DocumentReference/%s", id);
        f->now++; /* a second after the replacement: its date is a validator */
        req(f, &gp, "GET", path, NULL, &rep, 0);
        assert_int_equal(rep.status, 200);
        assert_string_equal(str_at(rep.body, "status"), "superseded");
        /* R4 http.html, read: the ETag names the version, W/"versionId";
         * the versionId is the entry's revision: 2, superseded in place */
        char etag[32];
        snprintf(etag, sizeof(etag), "W/\"%s\"", str_at(rep.body, "meta.versionId"));
        assert_string_equal(rep.etag, etag);
        assert_string_equal(str_at(rep.body, "meta.versionId"), "2");
        /* and Last-Modified (RFC 9110 8.8.2, an IMF-fixdate) the meta.lastUpdated,
         * the replacement's time, not before the deposit (DocumentReference.date) */
        assert_true(strcmp(str_at(rep.body, "meta.lastUpdated"), str_at(rep.body, "date")) >= 0);
        struct tm tm = {0};
        char lm[32];
        assert_non_null(strptime(str_at(rep.body, "meta.lastUpdated"), "%Y-%m-%dT%H:%M:%SZ", &tm));
        api_http_date((int64_t)timegm(&tm), lm);
        assert_string_equal(rep.last_modified, lm);
        assert_string_equal(str_at(rep.body, "meta.tag.0.code"), "deprecated");
        assert_string_equal(str_at(rep.body, "type.coding.0.system"), "http://loinc.org");
        assert_string_equal(str_at(rep.body, "category.0.coding.0.code"), "10");
        assert_string_equal(str_at(rep.body, "content.0.attachment.creation"), "2023-11-14T09:00:00Z");
        assert_string_equal(str_at(rep.body, "content.0.attachment.contentType"), "text/plain");
        assert_string_equal(str_at(rep.body, "author.0.identifier.value"), gp.id);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(
                                 json_object_get(rep.body, "content"), 0), "attachment"), "size")), 5);
        api_reply_clear(&rep);
        /* the search: the first search shows the approved ones only */
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 1, "patient=Patient/" INS);
        assert_int_equal(json_integer_value(json_object_get(rep.body, "total")), 2);
        api_reply_clear(&rep);
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 1,
            "patient.identifier=urn:oid:" FHIR_INS_OID_TEST "|" INS);
        assert_int_equal(json_integer_value(json_object_get(rep.body, "total")), 2);
        api_reply_clear(&rep);
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=" INS,
            "patient.identifier=urn:oid:" FHIR_INS_OID "|" INS);
        expect_outcome(&rep, 400, "bad_parameter");
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=" INS, "status=superseded");
        assert_int_equal(json_integer_value(json_object_get(rep.body, "total")), 1);
        assert_string_equal(str_at(rep.body, "entry.0.resource.id"), id);
        api_reply_clear(&rep);
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=" INS, "status=current,superseded");
        assert_int_equal(json_integer_value(json_object_get(rep.body, "total")), 3);
        /* newest first: the new version names the one it replaced */
        snprintf(rel, sizeof(rel), "DocumentReference/%s", id);
        assert_string_equal(str_at(rep.body, "entry.0.resource.relatesTo.0.target.reference"), rel);
        assert_string_equal(str_at(rep.body, "entry.1.resource.relatesTo.0.code"), "");
        api_reply_clear(&rep);
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 3, "patient=" INS, "status=current,superseded",
            "type=http://loinc.org|11488-4");
        assert_int_equal(json_integer_value(json_object_get(rep.body, "total")), 0);
        api_reply_clear(&rep);
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=" INS, "date=ge2099");
        assert_int_equal(json_integer_value(json_object_get(rep.body, "total")), 0);
        api_reply_clear(&rep);
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=" INS, "date=le2099-01-01");
        assert_int_equal(json_integer_value(json_object_get(rep.body, "total")), 3);
        api_reply_clear(&rep);
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=" INS, "date=2023-13");
        expect_outcome(&rep, 400, "bad_parameter");
        req(f, &nurse, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 1, "patient=" INS);
        expect_outcome(&rep, 403, "deny-not-authorised");
        /* Binary as a resource */
        snprintf(path, sizeof(path), FHIR_PREFIX "/Binary/%s", id);
        req(f, &gp, "GET", path, NULL, &rep, 0);
        assert_int_equal(rep.status, 200);
        assert_string_equal(str_at(rep.body, "data"), "aGVsbG8=");
        api_reply_clear(&rep);
        /* media types compare without case (RFC 9110 8.3.1), q=0 is "not this one" (12.4.2) */
        accept = "Application/FHIR+JSON";
        req(f, &gp, "GET", path, NULL, &rep, 0);
        assert_string_equal(str_at(rep.body, "data"), "aGVsbG8=");
        api_reply_clear(&rep);
        accept = "application/fhir+json;q=0, text/plain";
        req(f, &gp, "GET", path, NULL, &rep, 0);
        assert_null(rep.body);
        assert_string_equal(rep.data_type, "text/plain");
        api_reply_clear(&rep);
        accept = "";
        req(f, &gp, "GET", path, NULL, &rep, 1, "_format=JSON");
        assert_string_equal(str_at(rep.body, "data"), "aGVsbG8=");
        api_reply_clear(&rep);
        accept = NULL;
        /* a bundle that is not one */
        req(f, &gp, "POST", FHIR_PREFIX, "{\"resourceType\":\"Bundle\",\"type\":\"batch\"}", &rep, 0);
        expect_outcome(&rep, 400, "bad_bundle");
        req(f, &gp, "POST", FHIR_PREFIX, "[]", &rep, 0);
        expect_outcome(&rep, 400, "bad_json");
        /* an unknown type code: the native check, 422 */
        snprintf(body, sizeof(body), "%s", PROVIDE(""));
        char *t = strstr(body, "11502-2");
        memcpy(t, "99999-9", 7);
        req(f, &gp, "POST", FHIR_PREFIX, body, &rep, 0);
        expect_outcome(&rep, 422, "unknown_type");
}

/* A dossier destroyed at the patient's request: R4 http.html, a read of a
 * deleted resource is 410 Gone (issue deleted), as Patient's is; a search
 * of its documents or consents finds nothing (an empty searchset), its
 * trail stays; the native API keeps its 409. */
UNIT_FIXTURE(fhir_destroyed_dossier, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        char id[FHIR_DOC_ID_SIZE], path[160];
        static const char *const searches[][2] = {
                {FHIR_PREFIX "/DocumentReference", "patient=" INS},
                {FHIR_PREFIX "/DocumentReference", "patient.identifier=" INS},
                {FHIR_PREFIX "/Consent", "patient=" INS},
        };

        open_dossier(f);
        req(f, &gp, "POST", FHIR_PREFIX, PROVIDE(""), &rep, 0);
        assert_int_equal(rep.status, 200);
        strcpy_bounded(id, sizeof(id), str_at(rep.body, "entry.0.response.location") + strlen("DocumentReference/"));
        api_reply_clear(&rep);
        assert_int_equal(dossier_destroy(f->e, &patient, INS), 0);
        static const char *const reads[] = {"DocumentReference", "Binary"};
        for (size_t i = 0; i < 2 * ELEMENTSOF(reads); i++) {
                accept = i % 2 ? "" : NULL;
                snprintf(path, sizeof(path), FHIR_PREFIX "/%s/%s", reads[i / 2], id);
                req(f, &gp, "GET", path, NULL, &rep, 0);
                if (rep.status != 410 || strcmp(str_at(rep.body, "issue.0.code"), "deleted") != 0)
                        fail_msg("%s: %u %s", path, rep.status, str_at(rep.body, "issue.0.code"));
                expect_outcome(&rep, 410, "dossier_destroyed");
        }
        accept = NULL;
        for (size_t i = 0; i < ELEMENTSOF(searches); i++) {
                const struct dossier_actor *a = strstr(searches[i][0], "DocumentReference") ? &gp : &patient;
                req(f, a, "GET", searches[i][0], NULL, &rep, 1, searches[i][1]);
                if (rep.status != 200 || strcmp(str_at(rep.body, "type"), "searchset") != 0 ||
                    json_integer_value(json_object_get(rep.body, "total")) != 0 || json_object_get(rep.body, "entry"))
                        fail_msg("%s?%s: %u %s", searches[i][0], searches[i][1], rep.status,
                                 str_at(rep.body, "issue.0.diagnostics"));
                api_reply_clear(&rep);
        }
        /* the trail stays (docs/dossier-engine.md), the patient's to read */
        req(f, &patient, "GET", FHIR_PREFIX "/AuditEvent", NULL, &rep, 1, "patient=" INS);
        assert_int_equal(rep.status, 200);
        assert_true(json_integer_value(json_object_get(rep.body, "total")) > 0);
        api_reply_clear(&rep);
        /* the native read keeps its answer (docs/api.md) */
        snprintf(path, sizeof(path), "/v1/dossiers/" INS "/documents/%s", id + 16);
        req(f, &gp, "GET", path, NULL, &rep, 0);
        assert_int_equal(rep.status, 409);
        assert_string_equal(str_at(rep.body, "error.code"), "dossier_destroyed");
        api_reply_clear(&rep);
}

/* A text document deposited with the ITI-65 Bundle PROVIDE(""): the path
 * FHIR_PREFIX/type/INS-uid of its resource of type into path. */
static void provide_one(struct fixture *f, const char *type, char *path, size_t size) {
        struct api_reply rep;
        req(f, &gp, "POST", FHIR_PREFIX, PROVIDE(""), &rep, 0);
        assert_int_equal(rep.status, 200);
        snprintf(path, size, FHIR_PREFIX "/%s/%s", type,
                 str_at(rep.body, "entry.0.response.location") + strlen("DocumentReference/"));
        api_reply_clear(&rep);
}

/* R4 http.html's general parameters: _pretty=true|false is taken on every
 * interaction, true answering indented JSON, and is kept in a search's
 * links; another value is 400, lenient or not.  _summary on a read and
 * _elements anywhere are not served: 400 unknown_parameter. */
UNIT_FIXTURE(fhir_pretty, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        char path[160];

        open_dossier(f);
        provide_one(f, "DocumentReference", path, sizeof(path));
        const char *const gets[][2] = {{FHIR_PREFIX "/metadata", NULL}, {path, NULL},
                                       {FHIR_PREFIX "/DocumentReference", "patient=" INS},
                                       {FHIR_PREFIX "/Patient", "identifier=" INS}};
        for (size_t i = 0; i < ELEMENTSOF(gets); i++) {
                const char *p = gets[i][1];
                req(f, &gp, "GET", gets[i][0], NULL, &rep, p ? 2 : 1, p ? p : "_pretty=true", "_pretty=true");
                if (rep.status != 200 || !rep.data || strcmp(rep.data_type, "application/fhir+json; charset=utf-8"))
                        fail_msg("%s _pretty=true: %u %s", gets[i][0], rep.status, rep.data ? "" : "no text");
                json_t *j = json_loadb(rep.data, rep.data_len, 0, NULL);
                assert_non_null(j);
                assert_non_null(memmem(rep.data, rep.data_len, "{\n  \"", 5));
                if (p)
                        assert_non_null(strstr(link_of(j, "self"), "_pretty=true"));
                json_decref(j);
                api_reply_clear(&rep);
                req(f, &gp, "GET", gets[i][0], NULL, &rep, p ? 2 : 1, p ? p : "_pretty=false", "_pretty=false");
                assert_int_equal(rep.status, 200);
                assert_null(rep.data);
                assert_non_null(rep.body);
                api_reply_clear(&rep);
                for (int lenient = 0; lenient < 2; lenient++) {
                        prefer = lenient ? "handling=lenient" : NULL;
                        req(f, &gp, "GET", gets[i][0], NULL, &rep, p ? 2 : 1, p ? p : "_pretty=yes", "_pretty=yes");
                        assert_string_equal(str_at(rep.body, "issue.0.diagnostics"), "parameter=_pretty");
                        expect_outcome(&rep, 400, "bad_parameter");
                }
                prefer = NULL;
                req(f, &gp, "GET", gets[i][0], NULL, &rep, p ? 2 : 1, p ? p : "_elements=id", "_elements=id");
                expect_outcome(&rep, 400, "unknown_parameter");
        }
        /* an error is pretty too */
        req(f, &gp, "GET", path, NULL, &rep, 2, "_pretty=true", "_summary=count");
        assert_int_equal(rep.status, 400);
        assert_non_null(rep.data);
        assert_non_null(memmem(rep.data, rep.data_len, "unknown_parameter", 17));
        api_reply_clear(&rep);
}

/* The number of the dossier's documents, every status (a FHIR search). */
static json_int_t doc_total(struct fixture *f) {
        struct api_reply rep;
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=" INS,
            "status=current,superseded");
        assert_int_equal(rep.status, 200);
        json_int_t n = json_integer_value(json_object_get(rep.body, "total"));
        api_reply_clear(&rep);
        return n;
}

/* ITI-65: attachment.hash (base64 of the SHA-1 of the data, R4 Attachment)
 * and attachment.size, when given, are the bytes' (the Binary's or
 * attachment.data's); else the submission is refused and nothing kept. */
UNIT_FIXTURE(fhir_provide_hash_size, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        static const struct {
                const char *att; /* members added to the attachment */
                unsigned status;
                const char *code;
        } cases[] = {
                {"\"hash\":\"Vop1K39rUAfobVs4vlmZMd/ofVA=\",", 422, "attachment_mismatch"}, /* SHA-1 of hellO */
                {"\"size\":6,", 422, "attachment_mismatch"},
                {"\"size\":0,", 422, "attachment_mismatch"},
                {"\"hash\":\"qvTGHdzF6KLavt4PO0gs2a6pQ00=\",\"size\":4,", 422, "attachment_mismatch"},
                {"\"hash\":\"not base64!\",", 400, "bad_bundle"},
                {"\"hash\":\"aGVsbG8=\",", 400, "bad_bundle"}, /* base64, but no SHA-1 (5 bytes) */
                {"\"hash\":42,", 400, "bad_bundle"},
                {"\"size\":-5,", 400, "bad_bundle"},
                {"\"size\":\"5\",", 400, "bad_bundle"},
                {"\"hash\":\"qvTGHdzF6KLavt4PO0gs2a6pQ00=\",\"size\":5,", 200, NULL},
                {"\"hash\":\"qvTGHdzF6KLavt4PO0gs2a6pQ00\",", 200, NULL}, /* padding optional */
                {"\"size\":5,", 200, NULL},
                {"", 200, NULL},
        };

        open_dossier(f);
        for (int inline_data = 0; inline_data < 2; inline_data++)
                for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                        char body[4096], extra[256];
                        snprintf(extra, sizeof(extra), "%s%s", inline_data ? "\"data\":\"aGVsbG8=\"," : "",
                                 cases[i].att);
                        snprintf(body, sizeof(body), "%s", PROVIDE(""));
                        char *at = strstr(body, "\"url\":\"urn:uuid:2\",");
                        assert_non_null(at);
                        memmove(at + strlen(extra), at, strlen(at) + 1);
                        memcpy(at, extra, strlen(extra));
                        json_int_t before = doc_total(f);
                        int64_t traced = audit_count(f);
                        req(f, &gp, "POST", FHIR_PREFIX, body, &rep, 0);
                        if (rep.status != cases[i].status)
                                fail_msg("%s%s: %u", inline_data ? "data, " : "", cases[i].att, rep.status);
                        if (cases[i].code) {
                                expect_outcome(&rep, cases[i].status, cases[i].code);
                                assert_int_equal(audit_count(f), traced);
                                assert_int_equal(doc_total(f), before);
                        } else {
                                api_reply_clear(&rep);
                                assert_int_equal(doc_total(f), before + 1);
                        }
                }
}

/* The reads of a document in the trail: how many, allowed or refused,
 * by the actor of national id actor (dossier_trail() as the patient,
 * which adds its own read-trail entry). */
struct reads {
        const char *actor, *uid;
        int allowed, denied;
};

static int count_read(const struct audit_entry *e, void *data) {
        struct reads *r = data;
        if (strcmp(e->action, "read") == 0 && strcmp(e->actor, r->actor) == 0 && strcmp(e->document, r->uid) == 0)
                ++*(strcmp(e->outcome, "allow") == 0 ? &r->allowed : &r->denied);
        return 0;
}

static struct reads reads_of(struct fixture *f, const struct dossier_actor *a, const char *uid) {
        struct reads r = {.actor = a->id, .uid = uid};
        assert_int_equal(dossier_trail(f->e, &patient, INS, count_read, &r), 0);
        return r;
}

/* The conditionalRead the CapabilityStatement cs gives type, "" when none. */
static const char *cap_cond_read(const json_t *cs, const char *type) {
        json_t *r;
        size_t i;
        json_array_foreach(json_object_get(json_array_get(json_object_get(cs, "rest"), 0), "resource"), i, r)
                if (strcmp(str_at(r, "type"), type) == 0)
                        return str_at(r, "conditionalRead");
        return "";
}

/* The status of the gp's GET of path with the preconditions inm and ims
 * (NULL: none), the reply cleared. */
static unsigned get_status(struct fixture *f, const char *path, const char *inm, const char *ims) {
        struct api_reply rep;
        if_none_match = inm;
        if_modified_since = ims;
        req(f, &gp, "GET", path, NULL, &rep, 0);
        if_none_match = if_modified_since = NULL;
        unsigned status = rep.status;
        api_reply_clear(&rep);
        return status;
}

/* R4 http.html#cread, RFC 9110 13.1.2: a DocumentReference read whose
 * If-None-Match names its ETag (weakly, "*", in a list) is 304 without a
 * body but with the ETag; a stale one is 200.  The read is decided and
 * traced as any read first: a refused professional is refused whatever
 * the preconditions, a 304 is a read in the trail.  The versionId (and
 * so the ETag) is the entry's revision: it changes with what changes in
 * place (masking, the status), and an old copy's tag no longer matches.
 * Without If-None-Match, an If-Modified-Since not before the last change
 * is a 304 too (RFC 9110 13.1.3, 13.2.2). */
UNIT_FIXTURE(fhir_conditional_read, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        char id[FHIR_DOC_ID_SIZE], path[128], etag[API_ETAG_SIZE], etag2[API_ETAG_SIZE], list[160];

        open_dossier(f);
        req(f, &gp, "POST", FHIR_PREFIX, PROVIDE(""), &rep, 0);
        strcpy_bounded(id, sizeof(id), str_at(rep.body, "entry.0.response.location") + strlen("DocumentReference/"));
        api_reply_clear(&rep);
        const char *uid = id + 16;
        snprintf(path, sizeof(path), FHIR_PREFIX "/DocumentReference/%s", id);
        /* read in the second of the deposit: no Last-Modified yet (another
         * change could follow under the same date), nor If-Modified-Since */
        req(f, &gp, "GET", path, NULL, &rep, 0);
        assert_int_equal(rep.status, 200);
        assert_string_equal(rep.last_modified, "");
        api_reply_clear(&rep);
        assert_int_equal(get_status(f, path, NULL, "Fri, 31 Dec 9999 23:59:59 GMT"), 200);
        f->now++;
        req(f, &gp, "GET", path, NULL, &rep, 0);
        assert_int_equal(rep.status, 200);
        strcpy_bounded(etag, sizeof(etag), rep.etag);
        assert_string_equal(etag, "W/\"1\"");
        assert_string_not_equal(rep.last_modified, "");
        api_reply_clear(&rep);
        assert_int_equal(reads_of(f, &gp, uid).allowed, 3);

        /* the ETag itself, its strong form (weak comparison), "*", a list */
        snprintf(list, sizeof(list), "\"other\", %s", etag + 2);
        const char *const matching[] = {etag, etag + 2, "*", list};
        for (size_t i = 0; i < ELEMENTSOF(matching); i++) {
                if_none_match = matching[i];
                req(f, &gp, "GET", path, NULL, &rep, 0);
                if (rep.status != 304)
                        fail_msg("If-None-Match: %s: %u", matching[i], rep.status);
                assert_null(rep.body);
                assert_null(rep.data);
                assert_string_equal(rep.etag, etag);
                assert_string_equal(rep.last_modified, "");
                api_reply_clear(&rep);
                /* each one a read in the trail, as a 200 */
                assert_int_equal(reads_of(f, &gp, uid).allowed, 4 + (int)i);
        }
        /* a stale tag, another version's: the resource */
        if_none_match = "W/\"0\", W/\"7\"";
        req(f, &gp, "GET", path, NULL, &rep, 0);
        assert_int_equal(rep.status, 200);
        assert_string_equal(str_at(rep.body, "id"), id);
        assert_string_equal(rep.etag, etag);
        assert_string_not_equal(rep.last_modified, "");
        api_reply_clear(&rep);
        /* a refused professional stays refused, and traced so: never a 304 */
        int denied = reads_of(f, &nurse, uid).denied;
        const char *const any[] = {etag, "*"};
        for (size_t i = 0; i < ELEMENTSOF(any); i++) {
                if_none_match = any[i];
                req(f, &nurse, "GET", path, NULL, &rep, 0);
                assert_null(rep.etag[0] ? rep.etag : NULL);
                expect_outcome(&rep, 403, "deny-not-authorised");
                assert_int_equal(reads_of(f, &nurse, uid).denied, denied + 1 + (int)i);
        }
        if_none_match = NULL;
        /* If-Modified-Since: 304 when not before the last change, the
         * resource when before it, and never over an If-None-Match */
        assert_int_equal(get_status(f, path, NULL, "Fri, 31 Dec 9999 23:59:59 GMT"), 304);
        assert_int_equal(get_status(f, path, NULL, "Sun, 06 Nov 1994 08:49:37 GMT"), 200);
        assert_int_equal(get_status(f, path, "W/\"7\"", "Fri, 31 Dec 9999 23:59:59 GMT"), 200);

        /* masked by the patient: the author still reads it, a new versionId,
         * and the old copy's tag is stale */
        assert_int_equal(dossier_set_masked(f->e, &patient, INS, uid, true), 0);
        if_none_match = etag;
        req(f, &gp, "GET", path, NULL, &rep, 0);
        assert_int_equal(rep.status, 200);
        assert_string_equal(str_at(rep.body, "securityLabel.0.coding.0.code"), "R");
        assert_string_not_equal(rep.etag, etag);
        assert_string_equal(rep.etag, "W/\"2\""); /* masking: a revision */
        strcpy_bounded(etag2, sizeof(etag2), rep.etag);
        api_reply_clear(&rep);
        if_none_match = etag2;
        req(f, &gp, "GET", path, NULL, &rep, 0);
        assert_int_equal(rep.status, 304);
        api_reply_clear(&rep);
        if_none_match = NULL;
        /* replaced: superseded in place, the store's version unchanged, yet
         * a revision: the old copy is stale */
        char rel[256], body[2048];
        snprintf(rel, sizeof(rel),
                 "\"relatesTo\":[{\"code\":\"replaces\",\"target\":{\"reference\":\"DocumentReference/%s\"}}],", id);
        snprintf(body, sizeof(body), PROVIDE("%s"), rel);
        req(f, &gp, "POST", FHIR_PREFIX, body, &rep, 0);
        assert_int_equal(rep.status, 200);
        api_reply_clear(&rep);
        if_none_match = etag2;
        req(f, &gp, "GET", path, NULL, &rep, 0);
        assert_int_equal(rep.status, 200);
        assert_string_equal(str_at(rep.body, "status"), "superseded");
        assert_string_equal(rep.etag, "W/\"3\"");
        api_reply_clear(&rep);
        if_none_match = NULL;
        /* a search shows the same versionId as the read */
        req(f, &gp, "GET", path, NULL, &rep, 0);
        strcpy_bounded(etag, sizeof(etag), rep.etag);
        api_reply_clear(&rep);
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=" INS, "status=superseded");
        snprintf(etag2, sizeof(etag2), "W/\"%s\"", str_at(rep.body, "entry.0.resource.meta.versionId"));
        assert_string_equal(etag2, etag);
        api_reply_clear(&rep);
        /* the CapabilityStatement says so */
        req(f, NULL, "GET", FHIR_PREFIX "/metadata", NULL, &rep, 0);
        assert_string_equal(cap_cond_read(rep.body, "DocumentReference"), "full-support");
        assert_string_equal(cap_cond_read(rep.body, "Patient"), "");
        api_reply_clear(&rep);
}

/* Binary (R4 http.html#cread) carries its DocumentReference's ETag and
 * Last-Modified (the deposit: the content never changes), as the bytes or
 * as a Binary resource, and is 304 to an If-None-Match of that ETag or,
 * without one, an If-Modified-Since not before the deposit; the CDA
 * wrapping has no validator.  The native content has a strong ETag, the
 * quoted SHA-256, and If-None-Match.  Each 304 is a read in the trail, a
 * refused caller refused whatever the preconditions; a held-back
 * document's 304 keeps its warning. */
#define NOT_VISIBLE "this document is not visible to the patient"

/* A text document the gp deposited natively, held back from the patient
 * or not: its uid and the paths of its DocumentReference, Binary and
 * native content. */
struct text_doc {
        char uid[DOSSIER_UID_SIZE], docref[128], bin[128], native[160];
};

static void deposit_text(struct fixture *f, bool held, struct text_doc *d) {
        struct api_reply rep;
        char id[FHIR_DOC_ID_SIZE];
        req(f, &gp, "POST", "/v1/dossiers/" INS "/documents",
            held ? "{\"type_code\": \"11488-4\", \"class_code\": \"10\", \"mime\": \"text/plain\", \"title\": "
                   "\"t\", \"hidden_from_patient\": true, \"content_base64\": \"aGVsbG8=\"}"
                 : "{\"type_code\": \"11488-4\", \"class_code\": \"10\", \"mime\": \"text/plain\", \"title\": "
                   "\"t\", \"content_base64\": \"aGVsbG8=\"}",
            &rep, 0);
        assert_int_equal(rep.status, 201);
        strcpy_bounded(d->uid, sizeof(d->uid), str_at(rep.body, "uid"));
        api_reply_clear(&rep);
        fhir_doc_id(INS, d->uid, id);
        snprintf(d->docref, sizeof(d->docref), FHIR_PREFIX "/DocumentReference/%s", id);
        snprintf(d->bin, sizeof(d->bin), FHIR_PREFIX "/Binary/%s", id);
        snprintf(d->native, sizeof(d->native), "/v1/dossiers/" INS "/documents/%s/content", d->uid);
}

UNIT_FIXTURE(fhir_conditional_binary, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        char etag[API_ETAG_SIZE], lm[API_HTTP_DATE_SIZE], before[API_HTTP_DATE_SIZE], strong[API_ETAG_SIZE];
        struct text_doc doc;

        open_dossier(f);
        deposit_text(f, false, &doc);
        const char *path = doc.docref, *bin = doc.bin, *native = doc.native, *uid = doc.uid;
        f->now++;
        req(f, &gp, "GET", path, NULL, &rep, 0);
        strcpy_bounded(etag, sizeof(etag), rep.etag);
        strcpy_bounded(lm, sizeof(lm), rep.last_modified);
        snprintf(strong, sizeof(strong), "\"%s\"", str_at(rep.body, "content.0.attachment.extension.0.valueString"));
        api_reply_clear(&rep);
        int64_t t;
        assert_int_equal(api_http_date_parse(lm, &t), 0);
        api_http_date(t - 1, before);

        /* the Binary resource and the bytes: the DocumentReference's validators */
        static const char *const accepts[] = {FHIR_MIME, "text/plain"};
        for (size_t i = 0; i < ELEMENTSOF(accepts); i++) {
                accept = accepts[i];
                req(f, &gp, "GET", bin, NULL, &rep, 0);
                assert_int_equal(rep.status, 200);
                assert_string_equal(rep.etag, etag);
                assert_string_equal(rep.last_modified, lm);
                /* representations chosen by Accept under one ETag: Vary */
                assert_string_equal(rep.vary, "Accept");
                api_reply_clear(&rep);
                int reads = reads_of(f, &gp, uid).allowed;
                /* If-None-Match the ETag; If-Modified-Since at the deposit,
                 * or later; both with a stale tag: If-None-Match decides */
                const struct {
                        const char *inm, *ims;
                        unsigned status;
                } cases[] = {{etag, NULL, 304},         {"*", NULL, 304},        {NULL, lm, 304},
                             {NULL, "Fri, 31 Dec 9999 23:59:59 GMT", 304},     {NULL, before, 200},
                             {"W/\"1.0\"", lm, 200},    {etag, before, 304}};
                for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                        if_none_match = cases[k].inm;
                        if_modified_since = cases[k].ims;
                        req(f, &gp, "GET", bin, NULL, &rep, 0);
                        if (rep.status != cases[k].status)
                                fail_msg("%s, If-None-Match %s, If-Modified-Since %s: %u", accepts[i],
                                         cases[k].inm ? cases[k].inm : "-", cases[k].ims ? cases[k].ims : "-",
                                         rep.status);
                        assert_string_equal(rep.etag, etag);
                        assert_string_equal(rep.vary, "Accept");
                        if (rep.status == 304) {
                                assert_null(rep.body);
                                assert_null(rep.data);
                        }
                        api_reply_clear(&rep);
                        assert_int_equal(reads_of(f, &gp, uid).allowed, reads + 1 + (int)k);
                }
                if_none_match = if_modified_since = NULL;
        }
        /* the CDA wrapping has no validator: never 304 */
        accept = CDA_MIME;
        if_none_match = "*";
        req(f, &gp, "GET", bin, NULL, &rep, 0);
        assert_int_equal(rep.status, 200);
        assert_string_equal(rep.data_type, CDA_MIME);
        assert_string_equal(rep.etag, "");
        api_reply_clear(&rep);
        accept = NULL;
        /* refused whatever the preconditions, and traced so */
        int denied = reads_of(f, &nurse, uid).denied;
        if_none_match = etag;
        req(f, &nurse, "GET", bin, NULL, &rep, 0);
        expect_outcome(&rep, 403, "deny-not-authorised");
        if_none_match = NULL;
        if_modified_since = lm;
        req(f, &nurse, "GET", bin, NULL, &rep, 0);
        expect_outcome(&rep, 403, "deny-not-authorised");
        if_modified_since = NULL;
        assert_int_equal(reads_of(f, &nurse, uid).denied, denied + 2);

        /* natively: the strong ETag, the content's SHA-256 */
        accept = "";
        req(f, &gp, "GET", native, NULL, &rep, 0);
        assert_int_equal(rep.status, 200);
        assert_int_equal(strlen(rep.etag), 66);
        assert_string_equal(rep.etag, strong);
        api_reply_clear(&rep);
        char weak[API_ETAG_SIZE + 2];
        snprintf(weak, sizeof(weak), "W/%s", strong);
        const char *const match[] = {strong, weak, "*"};
        for (size_t i = 0; i < ELEMENTSOF(match); i++) {
                int reads = reads_of(f, &gp, uid).allowed;
                if_none_match = match[i];
                req(f, &gp, "GET", native, NULL, &rep, 0);
                assert_int_equal(rep.status, 304);
                assert_null(rep.data);
                assert_null(rep.stream.read);
                assert_string_equal(rep.etag, strong);
                api_reply_clear(&rep);
                assert_int_equal(reads_of(f, &gp, uid).allowed, reads + 1);
        }
        assert_int_equal(get_status(f, native, "\"0000\"", NULL), 200);
        /* not If-Modified-Since (it sends no Last-Modified), nor the CDA wrapping */
        assert_int_equal(get_status(f, native, NULL, "Fri, 31 Dec 9999 23:59:59 GMT"), 200);
        if_none_match = "*";
        req(f, &gp, "GET", native, NULL, &rep, 1, "format=cda");
        assert_int_equal(rep.status, 200);
        assert_string_equal(rep.etag, "");
        api_reply_clear(&rep);
        denied = reads_of(f, &nurse, uid).denied;
        req(f, &nurse, "GET", native, NULL, &rep, 0);
        assert_int_equal(rep.status, 403);
        api_reply_clear(&rep);
        assert_int_equal(reads_of(f, &nurse, uid).denied, denied + 1);
        /* a document held back from the patient: its bytes' 304 keeps the
         * warning header their 200 has (not the Binary resource's) */
        struct text_doc h;
        deposit_text(f, true, &h);
        const struct {
                const char *path, *accept, *warning;
        } held[] = {{h.native, "", NOT_VISIBLE}, {h.bin, "text/plain", NOT_VISIBLE}, {h.bin, FHIR_MIME, ""}};
        for (size_t i = 0; i < ELEMENTSOF(held); i++) {
                accept = held[i].accept;
                if_none_match = "*";
                req(f, &gp, "GET", held[i].path, NULL, &rep, 0);
                assert_int_equal(rep.status, 304);
                assert_string_equal(rep.warning, held[i].warning);
                api_reply_clear(&rep);
        }
        if_none_match = NULL;
        accept = NULL;
        /* the CapabilityStatement says so */
        req(f, NULL, "GET", FHIR_PREFIX "/metadata", NULL, &rep, 0);
        assert_string_equal(cap_cond_read(rep.body, "Binary"), "full-support");
        api_reply_clear(&rep);
}

/* created_at is a time FHIR can write (a dateTime's year has four
 * digits: R4 datatypes.html; carnet takes 1000 to 9999): one past it is
 * 400, not a DocumentReference whose attachment.creation no reader
 * accepts. */
UNIT_FIXTURE(fhir_creation_in_range, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        char body[512];
        static const char *const bad[] = {"253402300800", "-30610224001", "9223372036854775807", "\"999999999999\"",
                                          "\"0999-12-31\""};

        open_dossier(f);
        for (size_t i = 0; i < ELEMENTSOF(bad) + 1; i++) {
                snprintf(body, sizeof(body), "{\"type_code\": \"11488-4\", \"class_code\": \"10\", \"mime\": "
                         "\"text/plain\", \"title\": \"CR\", \"content_base64\": \"eA==\", \"created_at\": %s, "
                         "\"institution\": \"\", \"format_code\": \"urn:x\", \"role\": \"\", \"specialty\": \"\"}",
                         i < ELEMENTSOF(bad) ? bad[i] : "253402300799");
                req(f, &gp, "POST", "/v1/dossiers/" INS "/documents", body, &rep, 0);
                if (i < ELEMENTSOF(bad)) {
                        if (rep.status != 400 || strcmp(str_at(rep.body, "error.code"), "bad_field") != 0)
                                fail_msg("created_at %s: %u", bad[i], rep.status);
                        api_reply_clear(&rep);
                        continue;
                }
                assert_int_equal(rep.status, 201);
                api_reply_clear(&rep);
        }
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=" INS, "status=current");
        assert_string_equal(str_at(rep.body, "entry.0.resource.content.0.attachment.creation"), "9999-12-31T23:59:59Z");
        api_reply_clear(&rep);
}

/* A format carnet does not serve, asked with _format or Accept, is 406
 * (FHIR R4 formats.html: 406 when the Accept header asks for a format the
 * server does not support; http.html: _format overrides Accept, xml and
 * application/fhir+xml mean XML); JSON however written, or any type, is
 * served.  Binary's Accept names the bytes' own type: not refused. */
UNIT_FIXTURE(fhir_format_negotiation, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        /* RFC 9110 12.5.1: the most specific range weighs a type, so a
         * refused application/fhir+json is not taken back by a wildcard */
        static const char *const refused[] = {"application/fhir+xml", "application/xml", "text/turtle",
                                              "application/fhir+json;q=0, application/fhir+xml",
                                              "application/fhir+json;q=0, */*", "application/*;q=0, */*",
                                              "text/*", "application/fhir+json;q=2"};
        static const char *const served[] = {"*/*", "application/*", "application/json",
                                             "Application/FHIR+JSON; fhirVersion=4.0",
                                             "application/fhir+xml;q=0.9, application/fhir+json;q=0.8", "",
                                             "*/*;q=0, application/json", "json", "text/json",
                                             "application/fhir+json; x=\"a,q=0\""};

        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                accept = refused[i];
                req(f, NULL, "GET", FHIR_PREFIX "/metadata", NULL, &rep, 0);
                expect_outcome(&rep, 406, "not_acceptable");
        }
        for (size_t i = 0; i < ELEMENTSOF(served); i++) {
                accept = served[i];
                req(f, NULL, "GET", FHIR_PREFIX "/metadata", NULL, &rep, 0);
                if (rep.status != 200)
                        fail_msg("Accept: %s: %u", served[i], rep.status);
                api_reply_clear(&rep);
        }
        accept = NULL;
        req(f, NULL, "GET", FHIR_PREFIX "/metadata", NULL, &rep, 1, "_format=xml");
        expect_outcome(&rep, 406, "not_acceptable");
        req(f, NULL, "GET", FHIR_PREFIX "/metadata", NULL, &rep, 1, "_format=application/fhir+xml");
        expect_outcome(&rep, 406, "not_acceptable");
        /* _format overrides Accept */
        accept = "application/fhir+xml";
        req(f, NULL, "GET", FHIR_PREFIX "/metadata", NULL, &rep, 1, "_format=json");
        assert_int_equal(rep.status, 200);
        api_reply_clear(&rep);
        /* the issue type of a 406 */
        accept = NULL;
        req(f, NULL, "GET", FHIR_PREFIX "/metadata", NULL, &rep, 1, "_format=ttl");
        assert_string_equal(str_at(rep.body, "issue.0.code"), "not-supported");
        expect_outcome(&rep, 406, "not_acceptable");
        /* a search is refused before it is made */
        open_dossier(f);
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=" INS, "_format=xml");
        expect_outcome(&rep, 406, "not_acceptable");
        /* Binary: Accept is the content's type, _format still a FHIR format */
        accept = "application/pdf";
        req(f, &gp, "GET", FHIR_PREFIX "/Binary/" INS "-0123456789abcdef0123456789abcdef", NULL, &rep, 0);
        expect_outcome(&rep, 404, "no_such_document");
        accept = NULL;
        req(f, &gp, "GET", FHIR_PREFIX "/Binary/" INS "-0123456789abcdef0123456789abcdef", NULL, &rep, 1,
            "_format=xml");
        expect_outcome(&rep, 406, "not_acceptable");
}

/* A read by an id that names no resource is 404 (R4 http.html, read: "a
 * GET for an unknown resource returns 404 Not Found"): a valid FHIR id
 * that is no INS, no "INS-uid".  An id outside the FHIR id type
 * ([A-Za-z0-9\-\.]{1,64}, R4 datatypes.html#id) is 400 bad_id: it is
 * no id at all.  Either way no decision is made, nothing is traced. */
UNIT_FIXTURE(fhir_read_ids, fixture_setup, fixture_teardown) {
        static const char *const unknown[] = {
                FHIR_PREFIX "/Patient/185057800608400", /* a wrong key */
                FHIR_PREFIX "/Patient/1850578006084",   /* 13 digits */
                FHIR_PREFIX "/Patient/abc",
                FHIR_PREFIX "/Patient/" INS ".1",
        };
        static const char *const docs[] = {
                FHIR_PREFIX "/DocumentReference/abc",
                FHIR_PREFIX "/Binary/" INS "-0123",
        };
        static const char *const malformed[] = {
                FHIR_PREFIX "/Patient/a_b",
                FHIR_PREFIX "/Patient/" INS " ",
                FHIR_PREFIX "/Patient/\xc3\xa9", /* é */
                FHIR_PREFIX "/Patient/0123456789012345678901234567890123456789012345678901234567890123X",
                FHIR_PREFIX "/DocumentReference/" INS "_0123456789abcdef0123456789abcdef",
                FHIR_PREFIX "/Binary/a:b",
        };
        struct fixture *f = *state;
        struct api_reply rep;

        open_dossier(f);
        for (size_t i = 0; i < ELEMENTSOF(unknown); i++) {
                req(f, &gp, "GET", unknown[i], NULL, &rep, 0);
                if (rep.status != 404)
                        fail_msg("%s: %u", unknown[i], rep.status);
                assert_string_equal(str_at(rep.body, "issue.0.code"), "not-found");
                expect_outcome(&rep, 404, "no_dossier");
        }
        for (size_t i = 0; i < ELEMENTSOF(docs); i++) {
                req(f, &gp, "GET", docs[i], NULL, &rep, 0);
                expect_outcome(&rep, 404, "no_such_document");
        }
        for (size_t i = 0; i < ELEMENTSOF(malformed); i++) {
                req(f, &gp, "GET", malformed[i], NULL, &rep, 0);
                if (rep.status != 400)
                        fail_msg("%s: %u", malformed[i], rep.status);
                assert_string_equal(str_at(rep.body, "issue.0.code"), "invalid");
                expect_outcome(&rep, 400, "bad_id");
        }
        /* the id is judged after the session: no token, 401 */
        req(f, NULL, "GET", FHIR_PREFIX "/Patient/a_b", NULL, &rep, 0);
        expect_outcome(&rep, 401, "no_session");
        /* a good one still reads */
        req(f, &gp, "GET", FHIR_PREFIX "/Patient/" INS, NULL, &rep, 0);
        assert_int_equal(rep.status, 200);
        assert_string_equal(str_at(rep.body, "id"), INS);
        api_reply_clear(&rep);
}

/* A body in a format carnet does not read is 415 (FHIR R4 formats.html:
 * 415 Unsupported Media Type when the client posts a format that is not
 * supported), whatever its bytes; JSON however written goes on. */
UNIT_FIXTURE(fhir_body_media_type, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        static const char *const refused[] = {"application/fhir+xml", "application/xml; charset=utf-8",
                                              "text/plain", "application/x-www-form-urlencoded"};
        static const char *const read[] = {"application/fhir+json; fhirVersion=4.0", "Application/JSON",
                                           "application/fhir+json;charset=UTF-8"};

        open_dossier(f);
        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                content_type = refused[i];
                req(f, &gp, "POST", FHIR_PREFIX, "<Bundle xmlns=\"http://hl7.org/fhir\"/>", &rep, 0);
                expect_outcome(&rep, 415, "unsupported_media_type");
                /* JSON bytes under another type are not read either */
                req(f, &gp, "POST", FHIR_PREFIX "/", "{\"resourceType\":\"Bundle\"}", &rep, 0);
                expect_outcome(&rep, 415, "unsupported_media_type");
        }
        for (size_t i = 0; i < ELEMENTSOF(read) + 1; i++) {
                content_type = i < ELEMENTSOF(read) ? read[i] : NULL;
                req(f, &gp, "POST", FHIR_PREFIX, "{\"resourceType\":\"Bundle\",\"type\":\"batch\"}", &rep, 0);
                expect_outcome(&rep, 400, "bad_bundle");
        }
        content_type = NULL;
}

/* Unknown search parameters: refused (a filter silently ignored would show
 * more than was asked), unless the client prefers lenient handling;
 * _count, a page bound, is accepted. */
UNIT_FIXTURE(fhir_search_parameters, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;

        open_dossier(f);
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=" INS, "author=x");
        expect_outcome(&rep, 400, "unknown_parameter");
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=" INS, "_count=10");
        assert_int_equal(rep.status, 200);
        assert_string_equal(str_at(rep.body, "resourceType"), "Bundle");
        api_reply_clear(&rep);
        prefer = "return=representation, handling=lenient";
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=" INS, "author=x");
        prefer = NULL;
        assert_int_equal(rep.status, 200);
        api_reply_clear(&rep);
        /* a known parameter with a modifier carnet does not apply (status:not,
         * date:missing...) is refused even under lenient handling: ignored, it
         * would widen the search (the spec's OperationOutcome/searchfail) */
        static const char *const modified[] = {"status:not=current", "date:missing=true", "type:text=CR",
                                               "patient:Patient=" INS};
        for (size_t i = 0; i < 2 * ELEMENTSOF(modified); i++) {
                prefer = i % 2 ? "handling=lenient" : NULL;
                req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=" INS, modified[i / 2]);
                if (rep.status != 400)
                        fail_msg("%s (%s): %u", modified[i / 2], prefer ? prefer : "strict", rep.status);
                expect_outcome(&rep, 400, "unsupported_modifier");
        }
        prefer = NULL;
        /* a parameter given twice is refused before any search, lenient or
         * not, the one that names it in the diagnostics: a single-valued one
         * (_count, patient), and one FHIR repeats with AND (date=ge&date=le,
         * docs/fhir.md: carnet takes no such range), never its first value */
        static const char *const twice[][2] = {{"_count=1", "_count=50"},
                                               {"date=ge2020", "date=le2030"},
                                               {"status=current", "status=superseded"},
                                               {"_offset=0", "_offset=1"}};
        int64_t traced = audit_count(f);
        for (size_t i = 0; i < 2 * ELEMENTSOF(twice); i++) {
                const char *const *t = twice[i / 2];
                char diag[64];
                prefer = i % 2 ? "handling=lenient" : NULL;
                req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 3, "patient=" INS, t[0], t[1]);
                snprintf(diag, sizeof(diag), "parameter=%.*s", (int)strcspn(t[0], "="), t[0]);
                if (rep.status != 400 || strcmp(str_at(rep.body, "issue.0.diagnostics"), diag) != 0)
                        fail_msg("%s&%s (%s): %u %s", t[0], t[1], prefer ? prefer : "strict", rep.status,
                                 str_at(rep.body, "issue.0.diagnostics"));
                expect_outcome(&rep, 400, "bad_parameter");
        }
        prefer = NULL;
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=" INS, "patient=" INS);
        assert_string_equal(str_at(rep.body, "issue.0.diagnostics"), "parameter=patient");
        expect_outcome(&rep, 400, "bad_parameter");
        assert_int_equal(audit_count(f), traced);
        /* diagnostics quote the details, cut on a character: a long name
         * of two-byte characters keeps them (jansson refuses a cut one) */
        char q[1024] = "";
        for (size_t i = 0; i < 300; i++)
                strcat(q, "\xc3\xa9");
        strcat(q, "=x");
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=" INS, q);
        assert_int_equal(rep.status, 400);
        assert_int_equal(strncmp(str_at(rep.body, "issue.0.diagnostics"), "parameter=\xc3\xa9", 12), 0);
        api_reply_clear(&rep);
        /* RFC 7240 2: preference = token [ BWS "=" BWS word ], a word may be
         * quoted; a preference named otherwise is not this one */
        static const char *const lenient[] = {"handling = \"lenient\"", "Handling=lenient",
                                              "respond-async, handling=lenient; x=1"};
        static const char *const strict[] = {"x-handling=lenient", "handling=strict", "handling=lenientx",
                                             "return=\"handling=lenient\""};
        for (size_t i = 0; i < ELEMENTSOF(lenient) + ELEMENTSOF(strict); i++) {
                bool len = i < ELEMENTSOF(lenient);
                prefer = len ? lenient[i] : strict[i - ELEMENTSOF(lenient)];
                req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=" INS, "author=x");
                if (rep.status != (len ? 200 : 400))
                        fail_msg("Prefer: %s: %u", prefer, rep.status);
                api_reply_clear(&rep);
        }
        prefer = NULL;
}

/* A search parameter that names no INS (a wrong key, another length,
 * letters, another system or resource type) is 400 Bad Request (R4
 * http.html, search: "if the server cannot process a search parameter
 * value"), issue invalid, the parameter in the diagnostics, on every
 * search; natively and in a transaction's subject it stays 422.  A
 * well-formed INS of no dossier keeps its own answer. */
UNIT_FIXTURE(fhir_search_bad_ins, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        static const struct {
                const char *path, *param;
        } searches[] = {{"/DocumentReference", "patient"}, {"/DocumentReference", "patient.identifier"},
                        {"/AuditEvent", "patient"},        {"/AuditEvent", "patient.identifier"},
                        {"/Consent", "patient"},           {"/Consent", "patient.identifier"},
                        {"/Patient", "identifier"},        {"/Patient", "_id"}};
        static const char *const bad[] = {"185057800608400",         /* wrong key */
                                          "18505780060849",          /* 14 characters */
                                          "1850578006084911",        /* 16 */
                                          "18505780060849X",         /* a letter */
                                          "",
                                          "Practitioner/" INS,       /* not a Patient */
                                          "urn:oid:1.2.3|" INS,      /* another system */
                                          "|" INS};                  /* explicitly none */

        open_dossier(f);
        for (size_t i = 0; i < ELEMENTSOF(searches); i++)
                for (size_t j = 0; j < ELEMENTSOF(bad); j++) {
                        char path[64], q[128], diag[64];
                        snprintf(path, sizeof(path), FHIR_PREFIX "%s", searches[i].path);
                        snprintf(q, sizeof(q), "%s=%s", searches[i].param, bad[j]);
                        req(f, &patient, "GET", path, NULL, &rep, 1, q);
                        if (rep.status != 400)
                                fail_msg("%s?%s: %u", path, q, rep.status);
                        assert_string_equal(str_at(rep.body, "issue.0.code"), "invalid");
                        snprintf(diag, sizeof(diag), "parameter=%s;", searches[i].param);
                        if (!strstr(str_at(rep.body, "issue.0.diagnostics"), diag))
                                fail_msg("%s?%s: %s", path, q, str_at(rep.body, "issue.0.diagnostics"));
                        expect_outcome(&rep, 400, "bad_ins");
                }
        /* the problem is told: a wrong key, or malformed */
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 1, "patient=Patient/185057800608400");
        assert_string_equal(str_at(rep.body, "issue.0.diagnostics"), "parameter=patient; problem=wrong key");
        api_reply_clear(&rep);
        req(f, &gp, "GET", FHIR_PREFIX "/AuditEvent", NULL, &rep, 1, "patient.identifier=urn:oid:1.2.3|" INS);
        assert_string_equal(str_at(rep.body, "issue.0.diagnostics"),
                            "parameter=patient.identifier; problem=malformed");
        api_reply_clear(&rep);
        /* a well-formed INS of no dossier: the engine's answer, as before */
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 1, "patient=" INS2);
        expect_outcome(&rep, 404, "no_dossier");
        req(f, &gp, "GET", FHIR_PREFIX "/AuditEvent", NULL, &rep, 1, "patient=" INS2);
        expect_outcome(&rep, 404, "no_dossier");
        req(f, &gp, "GET", FHIR_PREFIX "/Consent", NULL, &rep, 1, "patient.identifier=" INS2);
        expect_outcome(&rep, 404, "no_dossier");
        req(f, &gp, "GET", FHIR_PREFIX "/Patient", NULL, &rep, 1, "identifier=" INS2);
        assert_int_equal(rep.status, 200);
        assert_int_equal(json_integer_value(json_object_get(rep.body, "total")), 0);
        api_reply_clear(&rep);
        /* a transaction's subject is a resource the server's rules refuse: 422 */
        char body[2048];
        snprintf(body, sizeof(body), "%s", PROVIDE(""));
        char *at = strstr(body, "Patient/" INS);
        memcpy(at + strlen("Patient/") + 13, "00", 2);
        req(f, &gp, "POST", FHIR_PREFIX, body, &rep, 0);
        assert_string_equal(str_at(rep.body, "issue.0.diagnostics"),
                            "parameter=DocumentReference.subject; problem=wrong key");
        expect_outcome(&rep, 422, "bad_ins");
}

/* The url of the link of relation rel in a Bundle, "" when it has none. */
static const char *link_of(const json_t *bundle, const char *rel) {
        json_t *l;
        size_t i;
        json_array_foreach(json_object_get(bundle, "link"), i, l) {
                if (strcmp(str_at(l, "relation"), rel) == 0)
                        return str_at(l, "url");
        }
        return "";
}

/* The query string of a link, split into "name=value" strings for req(). */
static size_t link_query(const char *url, char buf[8][256], const char *q[8]) {
        const char *s = strchr(url, '?');
        size_t n = 0;
        assert_non_null(s);
        char all[1024];
        strcpy_bounded(all, sizeof(all), s + 1);
        for (char *save = NULL, *t = strtok_r(all, "&", &save); t && n < 8; t = strtok_r(NULL, "&", &save)) {
                /* the links encode what is not unreserved: undo it */
                char *o = buf[n];
                for (const char *c = t; *c; c++) {
                        if (*c == '%' && c[1] && c[2]) {
                                char hex[3] = {c[1], c[2], 0};
                                *o++ = (char)strtol(hex, NULL, 16);
                                c += 2;
                        } else
                                *o++ = *c;
                }
                *o = 0;
                q[n] = buf[n];
                n++;
        }
        return n;
}

/* FHIR R4 search: the self link holds the parameters the search applied;
 * one ignored under Prefer: handling=lenient is in no link (self, next,
 * previous), the ones applied are, on every search. */
UNIT_FIXTURE(fhir_lenient_links, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        static const char *const searches[][2] = {
                {FHIR_PREFIX "/DocumentReference", "patient=" INS},
                {FHIR_PREFIX "/Patient", "identifier=" INS},
                {FHIR_PREFIX "/AuditEvent", "patient=" INS},
                {FHIR_PREFIX "/Consent", "patient=" INS},
        };

        open_dossier(f);
        for (int i = 0; i < 3; i++) {
                req(f, &gp, "POST", FHIR_PREFIX, PROVIDE(""), &rep, 0);
                assert_int_equal(rep.status, 200);
                api_reply_clear(&rep);
        }
        prefer = "handling=lenient";
        for (size_t i = 0; i < ELEMENTSOF(searches); i++) {
                bool own = strstr(searches[i][0], "Audit") || strstr(searches[i][0], "Consent"); /* the patient's */
                const struct dossier_actor *a = own ? &patient : &gp;
                req(f, a, "GET", searches[i][0], NULL, &rep, 5, searches[i][1], "author=x", "_count=1", "_offset=1",
                    "_format=json");
                assert_int_equal(rep.status, 200);
                const char *rels[] = {"self", "next", "previous"};
                for (size_t k = 0; k < ELEMENTSOF(rels); k++) {
                        const char *url = link_of(rep.body, rels[k]);
                        if (k == 0 || url[0]) {
                                char buf[8][256];
                                const char *q[8];
                                size_t n = link_query(url, buf, q);
                                bool author = false, applied = false, format = false;
                                for (size_t j = 0; j < n; j++) {
                                        author |= strncmp(q[j], "author=", 7) == 0;
                                        applied |= strcmp(q[j], searches[i][1]) == 0;
                                        format |= strcmp(q[j], "_format=json") == 0;
                                }
                                if (author || !applied || !format)
                                        fail_msg("%s %s link: %s", searches[i][0], rels[k], url);
                        }
                }
                assert_non_null(strstr(link_of(rep.body, "self"), "_count=1&_offset=1"));
                api_reply_clear(&rep);
        }
        prefer = NULL;
}

/* A search without _count over more matches than a page holds
 * (FHIR_PAGE_MAX): the first page holds FHIR_PAGE_MAX entries and a next
 * link saying that size, total is every match, the next page the rest;
 * a new version's relatesTo names the version it replaced though that
 * one is on another page. */
UNIT_FIXTURE(fhir_search_page_bounded, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        static const struct dossier_doc_meta m = {
                .type_code = "11488-4", .class_code = "10", .format_code = "urn:ihe:iti:xds:2017:mimeTypeSufficient",
                .mime = "text/plain", .title = "CR", .created_at = T0 - 60,
        };
        char oldest[DOSSIER_UID_SIZE], uid[DOSSIER_UID_SIZE], buf[8][256];
        const char *q[8];
        struct api_reply rep;

        open_dossier(f);
        assert_int_equal(dossier_batch_begin(f->e), 0);
        for (int i = 0; i < FHIR_PAGE_MAX + 1; i++)
                assert_int_equal(dossier_deposit(f->e, &gp, INS, &m, "hello", 5, i ? uid : oldest, NULL), 0);
        assert_int_equal(dossier_batch_commit(f->e), 0);
        f->now++;
        assert_int_equal(dossier_replace(f->e, &gp, INS, oldest, &m, "hello 2", 7, uid, NULL), 0);

        /* date= makes it a search of every status: the old version too */
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=Patient/" INS, "date=ge2000");
        assert_int_equal(rep.status, 200);
        assert_int_equal(json_integer_value(json_object_get(rep.body, "total")), FHIR_PAGE_MAX + 2);
        json_t *entries = json_object_get(rep.body, "entry");
        assert_int_equal(json_array_size(entries), FHIR_PAGE_MAX);
        char want[FHIR_DOC_ID_SIZE + 32];
        snprintf(want, sizeof(want), "DocumentReference/" INS "-%s", oldest);
        assert_string_equal(str_at(json_array_get(entries, 0), "resource.relatesTo.0.target.reference"), want);
        assert_string_equal(link_of(rep.body, "self"),
                            "http://localhost" FHIR_PREFIX "/DocumentReference?patient=Patient%2F" INS "&date=ge2000");
        char next[1024];
        strcpy_bounded(next, sizeof(next), link_of(rep.body, "next"));
        assert_non_null(strstr(next, "&_count=1000&_offset=1000"));
        api_reply_clear(&rep);

        size_t n = link_query(next, buf, q);
        assert_int_equal(n, 4);
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, n, q[0], q[1], q[2], q[3]);
        assert_int_equal(rep.status, 200);
        assert_int_equal(json_integer_value(json_object_get(rep.body, "total")), FHIR_PAGE_MAX + 2);
        entries = json_object_get(rep.body, "entry");
        assert_int_equal(json_array_size(entries), 2);
        snprintf(want, sizeof(want), INS "-%s", oldest);
        assert_string_equal(str_at(json_array_get(entries, 1), "resource.id"), want);
        assert_string_equal(link_of(rep.body, "next"), "");
        assert_non_null(strstr(link_of(rep.body, "previous"), "&_count=1000&_offset=0"));
        api_reply_clear(&rep);
}

/* Paging: _count bounds the page (never more entries than asked), total
 * is every match, the links carry the search's own parameters and walk
 * the pages; every page is a search of its own, traced; a malformed
 * _count or _offset is refused, lenient handling or not. */
UNIT_FIXTURE(fhir_paging, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        char seen[8][FHIR_DOC_ID_SIZE], buf[8][256];
        const char *q[8];
        size_t n_seen = 0;

        open_dossier(f);
        for (int i = 0; i < 5; i++) {
                char body[2048];
                snprintf(body, sizeof(body), PROVIDE(""));
                char *t = strstr(body, "11502-2");
                memcpy(t, i % 2 ? "11488-4" : "11502-2", 7); /* no duplicate-exam alert to mind */
                req(f, &gp, "POST", FHIR_PREFIX, body, &rep, 0);
                assert_int_equal(rep.status, 200);
                api_reply_clear(&rep);
        }
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=Patient/" INS, "status=current");
        assert_int_equal(json_integer_value(json_object_get(rep.body, "total")), 5);
        assert_int_equal(json_array_size(json_object_get(rep.body, "entry")), 5);
        /* without _count: one page, its self link, no other */
        assert_string_equal(link_of(rep.body, "self"),
                            "http://localhost" FHIR_PREFIX "/DocumentReference?patient=Patient%2F" INS "&status=current");
        assert_string_equal(link_of(rep.body, "next"), "");
        json_t *all = json_incref(json_object_get(rep.body, "entry"));
        api_reply_clear(&rep);

        int64_t traced = audit_count(f);
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 3, "patient=Patient/" INS, "status=current",
            "_count=2");
        for (int page = 0;; page++) {
                assert_int_equal(rep.status, 200);
                assert_int_equal(json_integer_value(json_object_get(rep.body, "total")), 5);
                json_t *entries = json_object_get(rep.body, "entry"), *e;
                size_t i;
                assert_true(json_array_size(entries) <= 2);
                assert_true(json_array_size(entries) > 0);
                json_array_foreach(entries, i, e) {
                        assert_true(n_seen < 8);
                        strcpy_bounded(seen[n_seen], sizeof(seen[n_seen]), str_at(e, "resource.id"));
                        /* in the order of the one-page search */
                        assert_string_equal(seen[n_seen], str_at(json_array_get(all, n_seen), "resource.id"));
                        n_seen++;
                }
                assert_true(strstr(link_of(rep.body, "self"), "_count=2&_offset=") != NULL);
                if (page > 0)
                        assert_true(strstr(link_of(rep.body, "previous"), "_count=2&_offset=") != NULL);
                else
                        assert_string_equal(link_of(rep.body, "previous"), "");
                char next[1024];
                strcpy_bounded(next, sizeof(next), link_of(rep.body, "next"));
                api_reply_clear(&rep);
                if (!next[0])
                        break;
                size_t n = link_query(next, buf, q);
                assert_int_equal(n, 4); /* patient, status, _count, _offset */
                req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, n, q[0], q[1], q[2], q[3]);
        }
        assert_int_equal(n_seen, 5);
        json_decref(all);
        assert_int_equal(audit_count(f), traced + 3); /* three pages, three lists */

        /* _count=0: the total only; a page past the end: empty */
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 3, "patient=Patient/" INS, "status=current",
            "_count=0");
        assert_int_equal(rep.status, 200);
        assert_int_equal(json_integer_value(json_object_get(rep.body, "total")), 5);
        assert_int_equal(json_array_size(json_object_get(rep.body, "entry")), 0);
        assert_string_equal(link_of(rep.body, "next"), "");
        api_reply_clear(&rep);
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 4, "patient=Patient/" INS, "status=current",
            "_count=0", "_offset=3");
        assert_int_equal(json_array_size(json_object_get(rep.body, "entry")), 0);
        assert_string_equal(link_of(rep.body, "next"), "");
        assert_string_equal(link_of(rep.body, "previous"), "");
        api_reply_clear(&rep);
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 4, "patient=Patient/" INS, "status=current",
            "_count=2", "_offset=9");
        assert_int_equal(json_array_size(json_object_get(rep.body, "entry")), 0);
        assert_true(strstr(link_of(rep.body, "previous"), "_count=2&_offset=7") != NULL);
        api_reply_clear(&rep);
        /* more than a page holds: cut to it, and the self link says so */
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=Patient/" INS, "_count=5000");
        assert_int_equal(rep.status, 200);
        assert_true(strstr(link_of(rep.body, "self"), "_count=1000&_offset=0") != NULL);
        api_reply_clear(&rep);

        /* malformed: refused before any search, lenient or not */
        traced = audit_count(f);
        static const char *const bad[] = {"_count=", "_count=-1", "_count=2x", "_count=2147483648",
                                          "_count=99999999999", "_offset=ten", "_offset=+1"};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=Patient/" INS, bad[i]);
                expect_outcome(&rep, 400, "bad_parameter");
        }
        prefer = "handling=lenient";
        req(f, &gp, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 2, "patient=Patient/" INS, "_count=x");
        prefer = NULL;
        expect_outcome(&rep, 400, "bad_parameter");
        assert_int_equal(audit_count(f), traced);
}

/* _summary=count (R4 search.html, "_summary": "Search only: just return a
 * count of the matching resources, without returning the actual
 * matches"): a searchset with its total and no entry, on every search;
 * the search is made, decided and traced as any other.  _summary=false
 * is the whole resources, as without it; carnet serves no other summary
 * (400, lenient or not), and a read takes no _summary. */
UNIT_FIXTURE(fhir_summary_count, fixture_setup, fixture_teardown) {
        static const struct {
                const char *path, *param;
                const struct dossier_actor *who;
        } searches[] = {
                {FHIR_PREFIX "/DocumentReference", "patient=Patient/" INS, &gp},
                {FHIR_PREFIX "/Patient", "identifier=" INS, &gp},
                {FHIR_PREFIX "/AuditEvent", "patient=Patient/" INS, &patient},
                {FHIR_PREFIX "/Consent", "patient=Patient/" INS, &patient},
        };
        struct fixture *f = *state;
        struct api_reply rep;

        open_dossier(f);
        for (int i = 0; i < 3; i++) {
                char body[2048];
                snprintf(body, sizeof(body), PROVIDE(""));
                memcpy(strstr(body, "11502-2"), i % 2 ? "11488-4" : "11502-2", 7);
                req(f, &gp, "POST", FHIR_PREFIX, body, &rep, 0);
                assert_int_equal(rep.status, 200);
                api_reply_clear(&rep);
        }
        for (size_t i = 0; i < ELEMENTSOF(searches); i++) {
                int64_t traced = audit_count(f);
                req(f, searches[i].who, "GET", searches[i].path, NULL, &rep, 1, searches[i].param);
                assert_int_equal(rep.status, 200);
                json_int_t total = json_integer_value(json_object_get(rep.body, "total"));
                assert_true(total > 0);
                assert_int_equal(json_array_size(json_object_get(rep.body, "entry")), (size_t)total);
                api_reply_clear(&rep);
                int64_t entries = audit_count(f) - traced;
                assert_true(entries > 0);

                traced = audit_count(f);
                req(f, searches[i].who, "GET", searches[i].path, NULL, &rep, 2, searches[i].param, "_summary=count");
                if (rep.status != 200)
                        fail_msg("%s _summary=count: %u", searches[i].path, rep.status);
                assert_string_equal(str_at(rep.body, "type"), "searchset");
                /* the AuditEvents count the readings before them */
                assert_int_equal(json_integer_value(json_object_get(rep.body, "total")),
                                 total + (i == 2 ? entries : 0));
                assert_null(json_object_get(rep.body, "entry"));
                assert_true(strstr(link_of(rep.body, "self"), "_summary=count") != NULL);
                assert_string_equal(link_of(rep.body, "next"), "");
                api_reply_clear(&rep);
                /* traced as the search it is */
                assert_int_equal(audit_count(f), traced + entries);
                /* with a page asked too: still the count alone */
                req(f, searches[i].who, "GET", searches[i].path, NULL, &rep, 3, searches[i].param, "_summary=count",
                    "_count=1");
                assert_int_equal(rep.status, 200);
                assert_null(json_object_get(rep.body, "entry"));
                assert_string_equal(link_of(rep.body, "next"), "");
                api_reply_clear(&rep);
                req(f, searches[i].who, "GET", searches[i].path, NULL, &rep, 2, searches[i].param, "_summary=false");
                assert_int_equal(rep.status, 200);
                assert_true(json_array_size(json_object_get(rep.body, "entry")) > 0);
                api_reply_clear(&rep);
                req(f, searches[i].who, "GET", searches[i].path, NULL, &rep, 2, searches[i].param, "_summary=true");
                expect_outcome(&rep, 400, "bad_parameter");
                prefer = "handling=lenient";
                req(f, searches[i].who, "GET", searches[i].path, NULL, &rep, 2, searches[i].param, "_summary=data");
                prefer = NULL;
                expect_outcome(&rep, 400, "bad_parameter");
        }
        /* a read is no search */
        req(f, &gp, "GET", FHIR_PREFIX "/Patient/" INS, NULL, &rep, 1, "_summary=count");
        expect_outcome(&rep, 400, "unknown_parameter");
}

UNIT_FIXTURE(fhir_audit_consent, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;

        open_dossier(f);
        assert_int_equal(dossier_set_access(f->e, &patient, INS, nurse.id, DOSSIER_ACCESS_BLOCK), 0);
        assert_int_equal(dossier_set_options(f->e, &patient, INS, 1, -1, -1, -1), 0);
        req(f, &gp, "GET", FHIR_PREFIX "/AuditEvent", NULL, &rep, 1, "patient=Patient/" INS);
        expect_outcome(&rep, 403, "deny-patient-only");
        /* a search by a professional of an establishment: its entry names it */
        struct dossier_actor clinic = gp;
        clinic.establishment = "Cabinet du Dr Martin";
        req(f, &clinic, "GET", FHIR_PREFIX "/DocumentReference", NULL, &rep, 1, "patient=Patient/" INS);
        assert_int_equal(rep.status, 200);
        api_reply_clear(&rep);
        req(f, &patient, "GET", FHIR_PREFIX "/AuditEvent", NULL, &rep, 1, "patient=Patient/" INS);
        assert_int_equal(rep.status, 200);
        json_t *ev;
        size_t k, named = 0;
        json_array_foreach(json_object_get(rep.body, "entry"), k, ev) {
                json_t *agents = json_object_get(json_object_get(ev, "resource"), "agent");
                if (json_array_size(agents) < 2)
                        continue;
                assert_string_equal(str_at(ev, "resource.agent.1.who.display"), "Cabinet du Dr Martin");
                assert_string_equal(str_at(ev, "resource.agent.1.type.coding.0.code"), "PROV");
                assert_false(json_is_true(json_object_get(json_array_get(agents, 1), "requestor")));
                assert_string_equal(str_at(ev, "resource.agent.0.who.identifier.value"), gp.id);
                named++;
        }
        assert_int_equal(named, 1);
        assert_string_equal(str_at(rep.body, "entry.0.resource.subtype.0.code"), "create");
        assert_string_equal(str_at(rep.body, "entry.0.resource.action"), "C");
        assert_string_equal(str_at(rep.body, "entry.0.resource.outcome"), "0");
        assert_string_equal(str_at(rep.body, "entry.0.resource.agent.0.who.identifier.value"), gp.id);
        api_reply_clear(&rep);
        req(f, &patient, "GET", FHIR_PREFIX "/Consent", NULL, &rep, 1, "patient=Patient/" INS);
        assert_int_equal(rep.status, 200);
        bool blocked = false, opposed = false, permit = false;
        json_t *e;
        size_t i;
        json_array_foreach(json_object_get(rep.body, "entry"), i, e) {
                const char *type = str_at(e, "resource.provision.type");
                const char *who = str_at(e, "resource.provision.actor.0.reference.identifier.value");
                blocked |= strcmp(type, "deny") == 0 && strcmp(who, nurse.id) == 0;
                permit |= strcmp(type, "permit") == 0 && strcmp(who, gp.id) == 0;
                opposed |= strcmp(str_at(e, "resource.provision.code.0.coding.0.code"), "emergency") == 0;
        }
        assert_true(blocked && opposed && permit);
        api_reply_clear(&rep);
}

UNIT(fhir_parsers) {
        int64_t lo, hi;
        char ins[16], uid[DOSSIER_UID_SIZE];
        assert_int_equal(fhir_parse_datetime("2024", &lo, &hi), 0);
        assert_int_equal(lo, 1704067200);
        assert_int_equal(hi, 1735689599);
        assert_int_equal(fhir_parse_datetime("2024-02", &lo, &hi), 0);
        assert_int_equal(hi - lo + 1, 29 * 86400);
        assert_int_equal(fhir_parse_datetime("2024-03-01T01:00:00+01:00", &lo, &hi), 0);
        assert_int_equal(lo, 1709251200);
        assert_int_equal(fhir_parse_datetime("2024-03-01T00:00:00.123Z", &lo, &hi), 0);
        assert_int_equal(lo, 1709251200);
        const char *bad[] = {"", "24", "2024-1", "2024-13", "2024-01-32", "2024-01-01T", "2024-01-01T10:00",
                             "2024-01-01T10:00:00", "2024-01-01T25:00:00Z", "2024-01-01 10:00:00Z"};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(fhir_parse_datetime(bad[i], &lo, &hi), -EINVAL);
        assert_int_equal(fhir_ins_of_reference("Patient/" INS, ins), 0);
        assert_int_equal(fhir_ins_of_reference("https://x/fhir/R4/Patient/" INS, ins), 0);
        assert_int_equal(fhir_ins_of_reference(INS, ins), 0);
        assert_int_equal(fhir_ins_of_reference("Practitioner/" INS, ins), -EINVAL);
        assert_int_equal(fhir_ins_of_reference("Patient/185057800608400", ins), -EBADMSG);
        assert_int_equal(fhir_ins_of_identifier("urn:oid:1.2.250.1.213.1.4.8|" INS, ins), 0);
        assert_int_equal(fhir_ins_of_identifier(INS, ins), 0); /* no system: any */
        assert_int_equal(fhir_ins_of_identifier("|" INS, ins), -EINVAL); /* explicitly none */
        assert_int_equal(fhir_ins_of_identifier("185057800608400", ins), -EBADMSG);
        /* a Corsican department in lower case names the dossier of its
         * canonical spelling, upper case (docs/fhir.md) */
        assert_int_equal(fhir_ins_of_identifier("urn:oid:1.2.250.1.213.1.4.8|185052a00101164", ins), 0);
        assert_string_equal(ins, "185052A00101164");
        assert_int_equal(fhir_ins_of_reference("Patient/285052b00101141", ins), 0);
        assert_string_equal(ins, "285052B00101141");
        assert_int_equal(fhir_doc_id_parse(INS "-0123456789abcdef0123456789abcdef", ins, uid), 0);
        assert_string_equal(uid, "0123456789abcdef0123456789abcdef");
        assert_int_equal(fhir_doc_id_parse(INS "-0123456789ABCDEF0123456789abcdef", ins, uid), -EINVAL);
        assert_int_equal(fhir_doc_id_parse(INS "_0123456789abcdef0123456789abcdef", ins, uid), -EINVAL);
        char *b = fhir_base64("hello", 5);
        assert_string_equal(b, "aGVsbG8=");
        free(b);
        b = fhir_base64("", 0);
        assert_string_equal(b, "");
        free(b);
}


/* A CDA document of INS, type 11488-4, by gp, as the JSON deposit's base64. */
static char *cda_deposit_body(const char *ins, const char *type, const char *mime) {
        struct cda_wrap w = {.id_root = "1.2.3.4", .ins = ins, .ins_oid = "1.2.250.1.213.1.4.10", .type_code = type,
                             .type_system = CDA_LOINC_OID, .title = "CR", .effective = T0, .confidentiality = "N",
                             .author_id = gp.id, .author_time = T0, .mime = "text/plain", .content = "x", .len = 1};
        char *xml = NULL, *body = NULL;
        size_t len = 0;
        assert_int_equal(cda_wrap_build(&w, &xml, &len), 0);
        char *b64 = fhir_base64(xml, len);
        assert_true(asprintf(&body, "{\"type_code\": \"11488-4\", \"class_code\": \"10\", \"mime\": \"%s\", "
                                    "\"title\": \"CR\", \"content_base64\": \"%s\"}", mime, b64) > 0);
        free(xml);
        free(b64);
        return body;
}

UNIT_FIXTURE(fhir_cda, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        char path[160];

        open_dossier(f);
        char *ok = cda_deposit_body(INS, "11488-4", CDA_MIME), *other = cda_deposit_body(INS2, "11488-4", "text/xml"),
             *type = cda_deposit_body(INS, "11502-2", CDA_MIME);
        req(f, &gp, "POST", "/v1/dossiers/" INS "/documents", ok, &rep, 0);
        assert_int_equal(rep.status, 201);
        api_reply_clear(&rep);
        req(f, &gp, "POST", "/v1/dossiers/" INS "/documents", other, &rep, 0);
        assert_int_equal(rep.status, 422);
        assert_string_equal(str_at(rep.body, "error.code"), "cda_patient_mismatch");
        api_reply_clear(&rep);
        req(f, &gp, "POST", "/v1/dossiers/" INS "/documents", type, &rep, 0);
        assert_string_equal(str_at(rep.body, "error.code"), "cda_type_mismatch");
        api_reply_clear(&rep);
        /* MIME types compare without case and with their parameters
         * (RFC 2045 5.1): another patient's CDA is refused however its type
         * is written */
        static const char *const spellings[] = {"Text/XML", "APPLICATION/HL7-CDA+XML", "text/xml;charset=utf-8",
                                                "application/xml;charset=UTF-8"};
        for (size_t i = 0; i < ELEMENTSOF(spellings); i++) {
                char *b = cda_deposit_body(INS2, "11488-4", spellings[i]);
                req(f, &gp, "POST", "/v1/dossiers/" INS "/documents", b, &rep, 0);
                free(b);
                if (rep.status != 422 || strcmp(str_at(rep.body, "error.code"), "cda_patient_mismatch") != 0)
                        fail_msg("mime %s: %u %s", spellings[i], rep.status, str_at(rep.body, "error.code"));
                api_reply_clear(&rep);
        }
        /* XML that is not a CDA, and a hostile one ("<!DOCTYPE x>" in base64) */
        req(f, &gp, "POST", "/v1/dossiers/" INS "/documents",
            "{\"type_code\": \"11488-4\", \"class_code\": \"10\", \"mime\": \"text/xml\", \"title\": \"x\", "
            "\"content_base64\": \"PGEvPg==\"}", &rep, 0);
        assert_string_equal(str_at(rep.body, "error.code"), "cda_malformed");
        api_reply_clear(&rep);
        req(f, &gp, "POST", "/v1/dossiers/" INS "/documents",
            "{\"type_code\": \"11488-4\", \"class_code\": \"10\", \"mime\": \"text/xml\", \"title\": \"x\", "
            "\"content_base64\": \"PCFET0NUWVBFIHg+\"}", &rep, 0);
        assert_string_equal(str_at(rep.body, "error.code"), "cda_refused");
        api_reply_clear(&rep);
        free(ok), free(other), free(type);
        /* a PDF retrieved wrapped in a CDA header */
        req(f, &gp, "POST", "/v1/dossiers/" INS "/documents",
            "{\"type_code\": \"11488-4\", \"class_code\": \"10\", \"mime\": \"application/pdf\", \"title\": \"PDF\", "
            "\"content_base64\": \"JVBERi0xLjQ=\"}", &rep, 0);
        assert_int_equal(rep.status, 201);
        snprintf(path, sizeof(path), "/v1/dossiers/" INS "/documents/%s/content", str_at(rep.body, "uid"));
        api_reply_clear(&rep);
        req(f, &gp, "GET", path, NULL, &rep, 1, "format=cda");
        assert_int_equal(rep.status, 200);
        assert_non_null(rep.data);
        assert_string_equal(rep.data_type, CDA_MIME);
        assert_true(rep.data_len > 0);
        struct cda_header h;
        static const char *const oids[] = {"1.2.250.1.213.1.4.10", NULL};
        assert_int_equal(cda_header_parse(rep.data, rep.data_len, oids, &h, NULL), 0);
        assert_string_equal(h.patient_ins, INS);
        assert_string_equal(h.media_type, "application/pdf");
        assert_string_equal(h.author_id, gp.id);
        api_reply_clear(&rep);
        req(f, &gp, "GET", path, NULL, &rep, 1, "format=xml");
        assert_int_equal(rep.status, 400);
        api_reply_clear(&rep);
}

/* Binary's three representations are chosen by one negotiation: _format
 * (which overrides Accept) is the Binary resource; else Accept's weights,
 * the highest above 0 taken (the bytes by their type's most specific
 * range), at equal weight the CDA wrapping, then the resource, before the
 * bytes; Vary: Accept on each. */
UNIT_FIXTURE(fhir_binary_negotiation, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        char path[160];
        static const struct {
                const char *accept, *format, *want; /* want: the Content-Type of bytes, or "Binary" */
        } cases[] = {
                {"application/fhir+json, application/hl7-cda+xml;q=0.1", NULL, "Binary"},
                {"application/hl7-cda+xml;q=0.1, application/fhir+json", NULL, "Binary"},
                {"application/hl7-cda+xml", "json", "Binary"},
                {"application/hl7-cda+xml", "application/fhir+json", "Binary"},
                {"application/hl7-cda+xml, application/fhir+json;q=0.5", NULL, CDA_MIME},
                {"application/fhir+json, application/hl7-cda+xml", NULL, CDA_MIME},
                {"text/plain, application/fhir+json;q=0.5", NULL, "text/plain"},
                {"text/*, application/fhir+json;q=0.5", NULL, "text/plain"},
                {"text/plain;q=0.9, application/fhir+json;q=0.5, application/hl7-cda+xml;q=0.7", NULL, "text/plain"},
                {"*/*;q=0.2, application/fhir+json;q=0.3", NULL, "Binary"},
                {"*/*, application/fhir+json", NULL, "Binary"},
                {"application/fhir+json;q=0, text/plain", NULL, "text/plain"},
                {"application/hl7-cda+xml;q=0, text/plain;q=0.1", NULL, "text/plain"},
                {"", NULL, "text/plain"},
                {"", "json", "Binary"},
        };

        open_dossier(f);
        provide_one(f, "Binary", path, sizeof(path));
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char fmt[64];
                accept = cases[i].accept;
                snprintf(fmt, sizeof(fmt), "_format=%s", cases[i].format ? cases[i].format : "");
                req(f, &gp, "GET", path, NULL, &rep, cases[i].format ? 1 : 0, fmt);
                const char *got = rep.body ? str_at(rep.body, "resourceType") : rep.data_type;
                if (rep.status != 200 || strcmp(got, cases[i].want) != 0 || strcmp(rep.vary, "Accept") != 0)
                        fail_msg("Accept: %s, _format %s: %u %s (Vary: %s), not %s", cases[i].accept,
                                 cases[i].format ? cases[i].format : "none", rep.status, got, rep.vary,
                                 cases[i].want);
                api_reply_clear(&rep);
        }
        accept = NULL;
}

/* A CDA document asked for as CDA (MHD: Accept is the DocumentReference's
 * attachment.contentType) is its stored bytes as they are, with their
 * validators, however Accept weighs the type: no header around a header. */
UNIT_FIXTURE(fhir_binary_cda_as_cda, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        char path[160];
        static const char *const accepts[] = {CDA_MIME, "application/hl7-cda+xml;q=0.1",
                                              "Application/HL7-CDA+XML, */*"};

        open_dossier(f);
        char *body = cda_deposit_body(INS, "11488-4", CDA_MIME);
        req(f, &gp, "POST", "/v1/dossiers/" INS "/documents", body, &rep, 0);
        assert_int_equal(rep.status, 201);
        snprintf(path, sizeof(path), FHIR_PREFIX "/Binary/" INS "-%s", str_at(rep.body, "uid"));
        api_reply_clear(&rep);
        accept = "";
        req(f, &gp, "GET", path, NULL, &rep, 0);
        assert_int_equal(rep.status, 200);
        void *stored = malloc(rep.data_len);
        size_t stored_len = rep.data_len;
        memcpy(stored, rep.data, stored_len);
        api_reply_clear(&rep);
        for (size_t i = 0; i < ELEMENTSOF(accepts); i++) {
                accept = accepts[i];
                req(f, &gp, "GET", path, NULL, &rep, 0);
                if (rep.status != 200)
                        fail_msg("Accept: %s: %u", accepts[i], rep.status);
                assert_string_equal(rep.data_type, CDA_MIME);
                assert_int_equal(rep.data_len, stored_len);
                assert_memory_equal(rep.data, stored, stored_len);
                assert_string_equal(rep.vary, "Accept");
                assert_string_equal(rep.etag, "W/\"1\"");
                api_reply_clear(&rep);
        }
        accept = NULL;
        free(stored);
        free(body);
}


/* Whether the CapabilityStatement cs says type has interaction code. */
static bool cap_has(const json_t *cs, const char *type, const char *code) {
        json_t *r, *in;
        size_t i, j;
        json_array_foreach(json_object_get(json_array_get(json_object_get(cs, "rest"), 0), "resource"), i, r) {
                if (strcmp(json_string_value(json_object_get(r, "type")), type) != 0)
                        continue;
                json_array_foreach(json_object_get(r, "interaction"), j, in)
                        if (strcmp(json_string_value(json_object_get(in, "code")), code) == 0)
                                return true;
        }
        return false;
}

/* The CapabilityStatement lists exactly the FHIR routes of the table. */
UNIT_FIXTURE(fhir_capabilities_are_the_routes, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        size_t n, listed = 0, served = 0;
        const struct api_route *r = api_routes(&n);
        json_t *res;
        size_t i;

        req(f, NULL, "GET", FHIR_PREFIX "/metadata", NULL, &rep, 0);
        assert_int_equal(rep.status, 200);
        for (size_t k = 0; k < n; k++) {
                char type[64];
                const char *p = r[k].path;
                if (strncmp(p, FHIR_PREFIX "/", strlen(FHIR_PREFIX) + 1) != 0 || strcmp(p, FHIR_PREFIX "/") == 0 ||
                    strcmp(p, FHIR_PREFIX "/metadata") == 0)
                        continue;
                p += strlen(FHIR_PREFIX) + 1;
                snprintf(type, sizeof(type), "%.*s", (int)strcspn(p, "/"), p);
                bool instance = strchr(p, '/') != NULL;
                assert_true(cap_has(rep.body, type, instance ? "read" : "search-type"));
                served++;
        }
        json_array_foreach(json_object_get(json_array_get(json_object_get(rep.body, "rest"), 0), "resource"), i, res)
                listed += json_array_size(json_object_get(res, "interaction"));
        assert_int_equal(listed, served);
        /* and the system-level transaction is POST /fhir/R4 */
        assert_string_equal(str_at(rep.body, "rest.0.interaction.0.code"), "transaction");
        bool transaction = false;
        for (size_t k = 0; k < n; k++)
                transaction |= strcmp(r[k].method, "POST") == 0 && strcmp(r[k].path, FHIR_PREFIX) == 0;
        assert_true(transaction);
        api_reply_clear(&rep);
}

/* The base of the FHIR URLs of a request with Host host, Forwarded fwd
 * (NULL: none), on the dossier host when workstation is set. */
static const char *base_of(const char *workstation, const char *host, const char *fwd, char *buf, size_t size) {
        struct api_kv h[2];
        size_t n = 0;
        if (host)
                h[n++] = (struct api_kv){"Host", host};
        if (fwd)
                h[n++] = (struct api_kv){"Forwarded", fwd};
        struct api_request r = {.method = "GET", .path = FHIR_PREFIX, .headers = h, .n_headers = n,
                                .workstation = workstation};
        return fhir_base(&r, buf, size);
}

/* fullUrl and the links start with what the client asked on: carnetd's
 * Host (http); on the host (https), what an agent's Forwarded names (RFC
 * 7239, the first element), which an agent writes from its own client's
 * request (fhir_forwarded()), and which carnetd's own clients cannot
 * use. */
UNIT(fhir_base_is_the_clients) {
        char b[FHIR_BASE_SIZE], fwd[FHIR_FORWARDED_SIZE];
        assert_string_equal(base_of(NULL, "localhost:8080", NULL, b, sizeof(b)), "http://localhost:8080" FHIR_PREFIX);
        assert_string_equal(base_of(NULL, NULL, NULL, b, sizeof(b)), "http://localhost" FHIR_PREFIX);
        assert_string_equal(base_of(NULL, "a/b", NULL, b, sizeof(b)), "http://localhost" FHIR_PREFIX);
        assert_string_equal(base_of(NULL, "localhost", "proto=https;host=elsewhere", b, sizeof(b)),
                            "http://localhost" FHIR_PREFIX);
        assert_string_equal(base_of("ws-a", "127.0.0.1:18543", NULL, b, sizeof(b)),
                            "https://127.0.0.1:18543" FHIR_PREFIX);
        assert_string_equal(base_of("ws-a", "127.0.0.1:18543", "proto=http;host=\"localhost\"", b, sizeof(b)),
                            "http://localhost" FHIR_PREFIX);
        assert_string_equal(base_of("ws-a", "h", "for=x;Host=\"[::1]:80\";PROTO=https, proto=http;host=two", b,
                                    sizeof(b)), "https://[::1]:80" FHIR_PREFIX);
        /* a Forwarded the host cannot use: its own Host and scheme */
        static const char *const bad[] = {"proto=ftp;host=x", "proto=http", "host=x", "proto=http;host=\"a/b\"",
                                          "proto=http;host=\"\"", "proto=http;host=x y"};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_string_equal(base_of("ws-a", "h:1", bad[i], b, sizeof(b)), "https://h:1" FHIR_PREFIX);
        /* what an agent sends: its own base, carried whole to the host */
        struct api_kv h[2] = {{"Host", "localhost:8080"}, {"Forwarded", "proto=https;host=ignored"}};
        struct api_request r = {.method = "GET", .path = FHIR_PREFIX, .headers = h, .n_headers = 2};
        assert_string_equal(fhir_forwarded(&r, fwd), "proto=http;host=\"localhost:8080\"");
        assert_string_equal(base_of("ws-a", "127.0.0.1:18543", fwd, b, sizeof(b)), "http://localhost:8080" FHIR_PREFIX);
        r.n_headers = 0;
        assert_string_equal(fhir_forwarded(&r, fwd), "proto=http;host=\"localhost\"");
        /* a host of the longest DNS name with a port still fits */
        char longest[FHIR_HOST_MAX];
        memset(longest, 'a', 253);
        strcpy(longest + 253, ":65535");
        h[0].value = longest;
        r.n_headers = 1;
        char want[FHIR_BASE_SIZE];
        snprintf(want, sizeof(want), "http://%s" FHIR_PREFIX, longest);
        assert_string_equal(base_of("ws-a", "h", fhir_forwarded(&r, fwd), b, sizeof(b)), want);
}

UNIT_GROUP("fhir", NULL, NULL)
