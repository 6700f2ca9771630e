/* tests/unit/test-host-api.c: the dossier host's side of the API: the
 * "vitale" object that replaces the card on the host (res_vitale_person),
 * and the host's route table (api/host-routes.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"
#include "api/call.h"
#include "api/context.h"
#include "api/dossiers.h"
#include "api/host-routes.h"

#define NIR "185057800608491"

/* res_vitale_person on body (JSON text) with the host's context or
 * carnetd's; the reply's error code into code ("" on success). */
static int person(bool host, const char *text, struct vitale_person *p, char code[64]) {
        struct api_context ctx = {.vitale_in_body = host};
        struct api_request req = {.ctx = &ctx};
        struct api_reply rep = {0};
        char reader[READER_NAME_MAX] = "x";
        uint64_t insertion = 7;
        json_t *body = json_loads(text, 0, NULL);
        assert_non_null(body);
        int r = res_vitale_person(&req, body, p, reader, &insertion, &rep);
        json_decref(body);
        code[0] = '\0';
        if (rep.body)
                snprintf(code, 64, "%s", json_string_value(json_object_get(json_object_get(rep.body, "error"), "code")));
        if (r == 0) {
                assert_string_equal(reader, "");
                assert_int_equal(insertion, 0);
        }
        api_reply_clear(&rep);
        return r;
}

UNIT(vitale_object_on_the_host) {
        struct vitale_person p;
        char code[64];

        assert_int_equal(person(true, "{\"vitale\":{\"surname\":\"DUPONT\",\"first_name\":\"Jean\",\"birth_date\":"
                                      "\"19850512\",\"birth_rank\":\"1\",\"nir\":\"" NIR "\"}}", &p, code), 0);
        assert_string_equal(p.surname, "DUPONT");
        assert_string_equal(p.nir, NIR);
        assert_true(p.nir_valid);
        assert_true(p.birth_date_valid);
        assert_string_equal(p.birth_rank, "1");
        /* an empty rank is allowed, as on a card without one */
        assert_int_equal(person(true, "{\"vitale\":{\"surname\":\"A\",\"first_name\":\"B\",\"birth_date\":"
                                      "\"19850512\",\"birth_rank\":\"\",\"nir\":\"" NIR "\"}}", &p, code), 0);
}

UNIT(vitale_object_checked) {
        static const char *const bad[][2] = {
                {"{}", "bad_field"},
                {"{\"vitale\":[]}", "bad_field"},
                {"{\"vitale\":{\"surname\":\"A\",\"first_name\":\"B\",\"birth_date\":\"19850512\",\"birth_rank\":\"1\"}}",
                 "bad_field"},
                {"{\"vitale\":{\"surname\":\"\",\"first_name\":\"B\",\"birth_date\":\"19850512\",\"birth_rank\":\"1\","
                 "\"nir\":\"" NIR "\"}}", "bad_field"},
                {"{\"vitale\":{\"surname\":\"A\",\"first_name\":\"B\",\"birth_date\":\"19850230\",\"birth_rank\":\"1\","
                 "\"nir\":\"" NIR "\"}}", "bad_field"},
                {"{\"vitale\":{\"surname\":\"A\",\"first_name\":\"B\",\"birth_date\":\"1985-05-12\",\"birth_rank\":\"1\","
                 "\"nir\":\"" NIR "\"}}", "bad_field"},
                {"{\"vitale\":{\"surname\":\"A\",\"first_name\":\"B\",\"birth_date\":\"19850512\",\"birth_rank\":\"x\","
                 "\"nir\":\"" NIR "\"}}", "bad_field"},
                {"{\"vitale\":{\"surname\":\"A\",\"first_name\":\"B\",\"birth_date\":\"19850512\",\"birth_rank\":\"1\","
                 "\"nir\":\"185057800608492\"}}", "bad_ins"},
                {"{\"vitale\":{\"surname\":\"A\",\"first_name\":\"B\",\"birth_date\":\"19850512\",\"birth_rank\":\"1\","
                 "\"nir\":\"" NIR "\",\"extra\":1}}", "unknown_field"},
                {"{\"vitale\":{\"surname\":\"A\",\"first_name\":\"B\",\"birth_date\":\"19850512\",\"birth_rank\":\"1\","
                 "\"nir\":\"" NIR "\"},\"index\":0}", "bad_field"},
                {"{\"vitale\":{\"surname\":\"A\\u0001\",\"first_name\":\"B\",\"birth_date\":\"19850512\","
                 "\"birth_rank\":\"1\",\"nir\":\"" NIR "\"}}", "bad_field"},
                {"{\"vitale\":{\"surname\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
                 "\"first_name\":\"B\",\"birth_date\":\"19850512\",\"birth_rank\":\"1\",\"nir\":\"" NIR "\"}}",
                 "bad_field"},
        };
        struct vitale_person p;
        char code[64];
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                assert_true(person(true, bad[i][0], &p, code) < 0);
                if (strcmp(code, bad[i][1]) != 0)
                        fail_msg("%s: %s, expected %s", bad[i][0], code, bad[i][1]);
        }
}

UNIT(vitale_object_refused_by_carnetd) {
        struct vitale_person p;
        char code[64];
        assert_true(person(false, "{\"vitale\":{\"surname\":\"A\",\"first_name\":\"B\",\"birth_date\":\"19850512\","
                                  "\"birth_rank\":\"1\",\"nir\":\"" NIR "\"}}", &p, code) < 0);
        assert_string_equal(code, "bad_field");
}

static const struct api_route *route(const char *method, const char *path) {
        size_t n;
        const struct api_route *r = api_host_routes(&n);
        for (size_t i = 0; i < n; i++)
                if (strcmp(r[i].method, method) == 0 && strcmp(r[i].path, path) == 0)
                        return &r[i];
        return NULL;
}

UNIT(host_route_table) {
        assert_non_null(route("POST", "/v1/host/challenges"));
        assert_non_null(route("POST", "/v1/host/sessions"));
        assert_non_null(route("GET", "/v1/dossiers/{ins}"));
        assert_non_null(route("GET", "/v1/status"));
        /* the cards are on the workstations */
        assert_null(route("GET", "/v1/readers"));
        assert_null(route("GET", "/v1/vitale"));
        assert_null(route("GET", "/v1/events"));
        assert_null(route("POST", "/v1/sessions"));
        /* no uid 0 and no session manager on the host */
        const struct api_route *v = route("GET", "/v1/audit/verify");
        assert_non_null(v);
        assert_false(v->needs & API_NEED_ROOT_OK);
        assert_true(v->needs & API_NEED_SESSION);
        const struct api_route *ps = route("POST", "/v1/patient-sessions");
        assert_non_null(ps);
        assert_false(ps->needs & API_NEED_SESSIONS);
        /* a request without a workstation is refused before any handler */
        struct api_request req = {.method = "GET", .path = "/v1/status"};
        struct api_reply rep = {0};
        assert_int_equal(api_dispatch(api_host_table(), &req, &rep), 0);
        assert_int_equal(rep.status, 403);
        assert_string_equal(json_string_value(json_object_get(json_object_get(rep.body, "error"), "code")),
                            "workstation_refused");
        api_reply_clear(&rep);
}
