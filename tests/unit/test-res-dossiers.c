/* tests/unit/test-res-dossiers.c: the dossier resources' handlers without
 * cards or HTTP: a real engine in a temporary folder, the caller's session
 * found in the test's own table (api_context.find_session) instead of a
 * card-signed one, each request run through its route's needs
 * (api_invoke).  Covers the
 * error mapping (reason codes, statuses), the request checks (fields,
 * codes, base64, dates), deposits in both forms, reading the content as a
 * stream, masking, the access list, options, the trail and the chain, a
 * deposit the store has no room for, that a refused request leaves the
 * stored documents as they were, and that opening a dossier with consent
 * and a PUT of several access changes are each one call of the engine,
 * which leaves other callers' calls their own (durable when answered).
 *
 * A dossier's opening can be held in its secret's hash, and that hash
 * made to fail (scrypt-wrap.h). */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"
#include <string.h>

#include "api/routes.h"
#include "api/context.h"
#include "dossier-fixture.h"
#include "http/router.h"
#include "engine/dossier-session.h"
#include "api/access.h"
#include "api/audit.h"
#include "api/documents.h"
#include "api/call.h"
#include "api/dossiers.h"
#include "api/notifications.h"
#include "api/replies.h"
#include "api/sessions.h"

#include "session-fixture.h"
#include "scrypt-wrap.h"

/* Runs req through the needs of h's route, as the router would. */
static void invoke(api_handler h, const struct api_request *req, struct api_reply *rep) {
        size_t n;
        const struct api_route *r = api_routes(&n);
        for (size_t i = 0; i < n; i++)
                if (r[i].handler == h) {
                        memset(rep, 0, sizeof(*rep));
                        assert_int_equal(api_invoke(&r[i], req, rep), 0);
                        /* a JSON reply written as text (api_ok_data) is
                         * read back as the client reads it */
                        if (rep->data && strcmp(rep->data_type, "application/json") == 0) {
                                rep->body = json_loadb(rep->data, rep->data_len, JSON_REJECT_DUPLICATES, NULL);
                                assert_non_null(rep->body);
                                /* the text jansson would have dumped, and its newline */
                                char *again = json_dumps(rep->body, JSON_COMPACT);
                                assert_non_null(again);
                                assert_int_equal(strlen(again) + 1, rep->data_len);
                                assert_memory_equal(again, rep->data, rep->data_len - 1);
                                assert_int_equal(rep->data[rep->data_len - 1], '\n');
                                free(again);
                        }
                        return;
                }
        fail_msg("no route for this handler");
}

/* One request to handler h as actor a (NULL: without a session). */
static void run(struct fixture *f, const struct dossier_actor *a, api_handler h, const char *method, const char *path,
                const struct api_kv *params, size_t n_params, const struct api_kv *query, size_t n_query,
                const struct api_kv *headers, size_t n_headers, const char *body, struct api_reply *rep) {
        struct api_context ctx = {.engine = f ? f->e : NULL, .find_session = find_session};
        struct api_kv h2[8];
        assert_true(n_headers < ELEMENTSOF(h2));
        if (n_headers)
                memcpy(h2, headers, n_headers * sizeof(*headers));
        if (a)
                h2[n_headers++] = (struct api_kv){API_SESSION_HEADER, a->session};
        struct api_request req = {
                .ctx = &ctx, .method = method, .path = path, .body = body, .body_len = body ? strlen(body) : 0,
                .params = params, .n_params = n_params, .query = query, .n_query = n_query,
                .headers = h2, .n_headers = n_headers,
        };
        current = a;
        invoke(h, &req, rep);
        current = NULL;
}

static const char *error_code(const struct api_reply *r) {
        const char *c = NULL;
        if (json_unpack(r->body, "{s:{s:s}}", "error", "code", &c) < 0)
                return "";
        return c;
}

static const char *error_reason(const struct api_reply *r) {
        const char *c = NULL;
        if (json_unpack(r->body, "{s:{s:{s:s}}}", "error", "details", "reason", &c) < 0)
                return "";
        return c;
}

/* The reply is the error status + code; cleared. */
static void expect_error(struct api_reply *rep, unsigned status, const char *code) {
        assert_int_equal(rep->status, status);
        assert_string_equal(error_code(rep), code);
        api_reply_clear(rep);
}

static void open_dossier(struct fixture *f) {
        char secret[DOSSIER_SECRET_SIZE];
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
}

/* POST /v1/dossiers/{ins}/documents as a, JSON body. */
static void deposit(struct fixture *f, const struct dossier_actor *a, const char *body, struct api_reply *rep) {
        struct api_kv p[] = {{"ins", INS}};
        run(f, a, res_documents_post, "POST", "/v1/dossiers/" INS "/documents", p, 1, NULL, 0, NULL, 0, body, rep);
}

static void list(struct fixture *f, const struct dossier_actor *a, struct api_reply *rep) {
        struct api_kv p[] = {{"ins", INS}};
        struct api_kv q[] = {{"status", "all"}};
        run(f, a, res_documents_list, "GET", "/v1/dossiers/" INS "/documents", p, 1, q, 1, NULL, 0, NULL, rep);
}

static size_t list_count(struct fixture *f, const struct dossier_actor *a) {
        struct api_reply rep;
        json_int_t n = -1;
        list(f, a, &rep);
        assert_int_equal(rep.status, 200);
        assert_int_equal(json_unpack(rep.body, "{s:I}", "count", &n), 0);
        api_reply_clear(&rep);
        return (size_t)n;
}

#define REPORT "{\"type_code\": \"11488-4\", \"class_code\": \"10\", \"mime\": \"text/plain\", " \
               "\"title\": \"Consultation\", \"content_base64\": \"aGVsbG8=\"}"

UNIT(denial_statuses) {
        const char *code;
        assert_int_equal(res_denial_status(ACCESS_DENY_NO_DOSSIER, &code), 404);
        assert_string_equal(code, "no_dossier");
        assert_int_equal(res_denial_status(ACCESS_DENY_CLOSED, &code), 409);
        assert_string_equal(code, "dossier_closed");
        assert_int_equal(res_denial_status(ACCESS_DENY_DOSSIER_EXISTS, &code), 409);
        assert_int_equal(res_denial_status(ACCESS_DENY_DOC_NOT_CURRENT, &code), 409);
        assert_int_equal(res_denial_status(ACCESS_DENY_BAD_SECRET, &code), 401);
        assert_int_equal(res_denial_status(ACCESS_DENY_MASKED, &code), 403);
        assert_string_equal(code, "access_denied");
        assert_int_equal(res_denial_status(ACCESS_DENY_RIGHTS_MATRIX, &code), 403);
        assert_int_equal(res_denial_status(ACCESS_DENY_BLOCKED, &code), 403);
}

UNIT(times) {
        int64_t t;
        assert_int_equal(res_parse_time("1700000000", &t), 0);
        assert_int_equal(t, 1700000000);
        assert_int_equal(res_parse_time("2026-01-15", &t), 0);
        assert_int_equal(t, 1768435200);
        assert_int_equal(res_parse_time("2026-01-15T01:02:03Z", &t), 0);
        assert_int_equal(t, 1768435200 + 3723);
        assert_int_equal(res_parse_time("2026-02-31", &t), -EINVAL);
        assert_int_equal(res_parse_time("2026-13-01", &t), -EINVAL);
        assert_int_equal(res_parse_time("yesterday", &t), -EINVAL);
        assert_int_equal(res_parse_time("", &t), -EINVAL);
        assert_int_equal(res_parse_time("2026-01-15T01:02:03", &t), -EINVAL);
        assert_int_equal(res_parse_time("99999999999999999999", &t), -EINVAL);
}

UNIT(base64) {
        uint8_t *out = NULL;
        size_t n;
        assert_int_equal(res_base64_decode("aGVsbG8=", 8, &out, &n), 0);
        assert_int_equal(n, 5);
        assert_memory_equal(out, "hello", 5);
        free(out);
        assert_int_equal(res_base64_decode("aGVsbG8", 7, &out, &n), 0); /* padding optional */
        assert_int_equal(n, 5);
        free(out);
        assert_int_equal(res_base64_decode("", 0, &out, &n), 0);
        assert_int_equal(n, 0);
        free(out);
        assert_int_equal(res_base64_decode("AP//", 4, &out, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(out[1], 0xff);
        free(out);
        assert_int_equal(res_base64_decode("aGVsbG9=", 8, &out, &n), -EINVAL);  /* bits past the end */
        assert_int_equal(res_base64_decode("aGVs bG8=", 9, &out, &n), -EINVAL); /* blank */
        assert_int_equal(res_base64_decode("a", 1, &out, &n), -EINVAL);
        assert_int_equal(res_base64_decode("a===", 4, &out, &n), -EINVAL);
        assert_int_equal(res_base64_decode("aG\x00s", 4, &out, &n), -EINVAL);
}

UNIT(codes) {
        assert_true(res_type_known("11488-4"));
        assert_true(res_type_known("EXPPAT_3"));
        assert_true(res_type_known("DOCPAT09"));
        /* the restricted types of docs/rights.md */
        static const char *const restricted[] = {"68599-0", "83901-9", "75496-0", "X-EHPAD-CARE-PLAN",
                                                 "83981-1", "ATTEST-RESID", "15508-5"};
        for (size_t i = 0; i < ELEMENTSOF(restricted); i++)
                assert_true(res_type_known(restricted[i]));
        assert_string_equal(res_section_of("ATTEST-RESID", "52"), "certificates");
        assert_string_equal(res_section_of("68599-0", "11"), "summary");
        assert_false(res_type_known("11488-5"));
        assert_false(res_type_known(""));
        assert_true(res_class_known("90"));
        assert_false(res_class_known("91"));
        assert_string_equal(res_section_of("18748-4", "31"), "imaging");
        assert_string_equal(res_section_of("11488-4", "90"), "personal");
        assert_null(res_section_of("REMB", "60"));
        assert_string_equal(res_section_parse("3"), "reports");
        assert_string_equal(res_section_parse("lab"), "lab");
        assert_null(res_section_parse("9"));
        assert_null(res_section_parse("Reports"));
        assert_int_equal(res_card_of(P11_CARD_CPF), ACCESS_CARD_CPF);
        assert_int_equal(res_card_of(P11_CARD_UNKNOWN), ACCESS_CARD_CPA);
}

UNIT_FIXTURE(no_engine_is_503, fixture_setup, fixture_teardown) {
        struct api_kv p[] = {{"ins", INS}};
        struct api_reply rep = {0};
        run(NULL, &gp, res_documents_list, "GET", "/v1/dossiers/" INS "/documents", p, 1, NULL, 0, NULL, 0, NULL,
            &rep);
        expect_error(&rep, 503, "dossiers_unavailable");
        /* and without a way to find sessions: no session manager */
        struct api_context ctx = {0};
        struct api_request req = {.ctx = &ctx, .method = "GET", .path = "/v1/dossiers/" INS "/documents",
                                  .params = p, .n_params = 1};
        invoke(res_documents_list, &req, &rep);
        expect_error(&rep, 503, "sessions_unavailable");
}

UNIT_FIXTURE(deposit_list_read, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        const char *uid;
        open_dossier(f);

        deposit(f, &gp, REPORT, &rep);
        assert_int_equal(rep.status, 201);
        assert_int_equal(json_unpack(rep.body, "{s:s}", "uid", &uid), 0);
        char id[DOSSIER_UID_SIZE];
        strcpy(id, uid);
        api_reply_clear(&rep);
        assert_int_equal(list_count(f, &gp), 1);

        /* the content, one buffer with its own type */
        struct api_kv p[] = {{"ins", INS}, {"uid", id}};
        run(f, &gp, res_document_content, "GET", "/content", p, 2, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 200);
        assert_null(rep.stream.read);
        assert_null(rep.body);
        assert_string_equal(rep.data_type, "text/plain");
        assert_int_equal(rep.data_len, 5);
        assert_memory_equal(rep.data, "hello", 5);
        api_reply_clear(&rep);
        assert_null(rep.data);

        /* metadata */
        run(f, &gp, res_document_get, "GET", "/", p, 2, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 200);
        const char *section, *status;
        json_int_t size;
        assert_int_equal(json_unpack(rep.body, "{s:s,s:s,s:I}", "section", &section, "status", &status, "size", &size), 0);
        assert_string_equal(section, "reports");
        assert_string_equal(status, "approved");
        assert_int_equal(size, 5);
        api_reply_clear(&rep);
}

/* GET .../documents with limit and after: pages of at most limit
 * documents, "next" the after of the following page (null on the last),
 * together the list once and in its order; the filters apply before the
 * limit; bad limits and cursors are 400 and name the parameter. */
static void list_query(struct fixture *f, const struct api_kv *q, size_t n_q, struct api_reply *rep) {
        struct api_kv p[] = {{"ins", INS}};
        run(f, &gp, res_documents_list, "GET", "/v1/dossiers/" INS "/documents", p, 1, q, n_q, NULL, 0, NULL, rep);
}

UNIT_FIXTURE(list_pages, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        char all[5][DOSSIER_UID_SIZE], next[DOSSIER_UID_SIZE] = "";
        json_int_t count;
        json_t *docs, *nx;
        open_dossier(f);

        for (int i = 0; i < 5; i++) {
                deposit(f, &gp, REPORT, &rep);
                assert_int_equal(rep.status, 201);
                api_reply_clear(&rep);
        }
        list_query(f, NULL, 0, &rep);
        assert_int_equal(rep.status, 200);
        assert_int_equal(json_unpack(rep.body, "{s:I,s:o,s:o}", "count", &count, "documents", &docs, "next", &nx), 0);
        assert_int_equal(count, 5);
        assert_true(json_is_null(nx));
        for (size_t i = 0; i < 5; i++)
                strcpy(all[i], json_string_value(json_object_get(json_array_get(docs, i), "uid")));
        api_reply_clear(&rep);

        size_t seen = 0;
        for (int page = 0; page < 3; page++) {
                struct api_kv q[] = {{"limit", "2"}, {"after", next}};
                list_query(f, q, next[0] ? 2 : 1, &rep);
                assert_int_equal(rep.status, 200);
                assert_int_equal(json_unpack(rep.body, "{s:I,s:o,s:o}", "count", &count, "documents", &docs, "next",
                                             &nx), 0);
                assert_int_equal(count, page < 2 ? 2 : 1);
                assert_int_equal(json_array_size(docs), (size_t)count);
                for (size_t i = 0; i < json_array_size(docs); i++)
                        assert_string_equal(json_string_value(json_object_get(json_array_get(docs, i), "uid")),
                                            all[seen++]);
                if (page < 2) {
                        assert_string_equal(json_string_value(nx), all[seen - 1]);
                        strcpy(next, json_string_value(nx));
                } else {
                        assert_true(json_is_null(nx));
                }
                api_reply_clear(&rep);
        }
        assert_int_equal(seen, 5);

        /* a filter that keeps nothing: an empty last page */
        struct api_kv lab[] = {{"section", "lab"}, {"limit", "1"}};
        list_query(f, lab, 2, &rep);
        assert_int_equal(rep.status, 200);
        assert_int_equal(json_unpack(rep.body, "{s:I,s:o}", "count", &count, "next", &nx), 0);
        assert_int_equal(count, 0);
        assert_true(json_is_null(nx));
        api_reply_clear(&rep);

        static const char *const bad_limits[] = {"0", "1001", "-1", "2x", "", "99999"};
        for (size_t i = 0; i < ELEMENTSOF(bad_limits); i++) {
                struct api_kv q[] = {{"limit", bad_limits[i]}};
                list_query(f, q, 1, &rep);
                assert_int_equal(rep.status, 400);
                assert_string_equal(error_code(&rep), "bad_parameter");
                api_reply_clear(&rep);
        }
        static const char *const bad_after[] = {"xyz", "0123456789ABCDEF0123456789ABCDEF",
                                                "0123456789abcdef0123456789abcdef"};
        for (size_t i = 0; i < ELEMENTSOF(bad_after); i++) {
                struct api_kv q[] = {{"after", bad_after[i]}};
                list_query(f, q, 1, &rep);
                assert_int_equal(rep.status, 400);
                const char *param = NULL;
                assert_int_equal(json_unpack(rep.body, "{s:{s:s,s:{s:s}}}", "error", "code", &(const char *) {NULL},
                                             "details", "parameter", &param), 0);
                assert_string_equal(param, "after");
                api_reply_clear(&rep);
        }
        assert_int_equal(list_count(f, &gp), 5);
}

/* GET .../audit with limit and after: pages of at most limit entries,
 * oldest first, "next" the after of the following page (null on the
 * last, whose last entry is its own reading), "count" the page's; bad
 * limits and cursors are 400 bad_parameter naming the parameter, an
 * unknown parameter 400 unknown_parameter. */
static void trail_query(struct fixture *f, const struct api_kv *q, size_t n_q, struct api_reply *rep) {
        struct api_kv p[] = {{"ins", INS}};
        run(f, &patient, res_audit_trail, "GET", "/v1/dossiers/" INS "/audit", p, 1, q, n_q, NULL, 0, NULL, rep);
}

static const char *error_parameter(const struct api_reply *r) {
        const char *c = NULL;
        if (json_unpack(r->body, "{s:{s:{s:s}}}", "error", "details", "parameter", &c) < 0)
                return "";
        return c;
}

/* Each of values as the query parameter name: 400 bad_parameter naming it. */
static void trail_refused(struct fixture *f, const char *name, const char *const *values) {
        struct api_reply rep;
        for (size_t i = 0; values[i]; i++) {
                struct api_kv q[] = {{name, values[i]}};
                trail_query(f, q, 1, &rep);
                assert_string_equal(error_parameter(&rep), name);
                expect_error(&rep, 400, "bad_parameter");
        }
}

UNIT_FIXTURE(trail_pages, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        json_int_t count, prev = 0;
        json_t *entries, *nx;
        char after[24] = "";
        open_dossier(f);

        for (int i = 0; i < 4; i++) {
                deposit(f, &gp, REPORT, &rep);
                assert_int_equal(rep.status, 201);
                api_reply_clear(&rep);
        }
        /* create, consent, 4 deposits: pages of 3, 3, then the readings */
        size_t seen = 0;
        for (int page = 0;; page++) {
                assert_true(page < 8);
                struct api_kv q[] = {{"limit", "3"}, {"after", after}};
                trail_query(f, q, after[0] ? 2 : 1, &rep);
                assert_int_equal(rep.status, 200);
                assert_int_equal(json_unpack(rep.body, "{s:s,s:I,s:o,s:o}", "ins", &(const char *) {NULL}, "count",
                                             &count, "entries", &entries, "next", &nx), 0);
                assert_int_equal(json_array_size(entries), (size_t)count);
                assert_true(count >= 1 && count <= 3);
                json_t *x;
                size_t i;
                json_array_foreach(entries, i, x) {
                        json_int_t seq = json_integer_value(json_object_get(x, "seq"));
                        assert_true(seq > prev);
                        prev = seq;
                }
                seen += (size_t)count;
                if (page < 2)
                        assert_int_equal(count, 3);
                if (json_is_null(nx)) {
                        x = json_array_get(entries, (size_t)count - 1);
                        assert_string_equal(json_string_value(json_object_get(x, "action")), "read-trail");
                        api_reply_clear(&rep);
                        break;
                }
                assert_true(json_is_integer(nx));
                assert_int_equal(json_integer_value(nx), prev);
                snprintf(after, sizeof(after), "%lld", (long long)prev);
                api_reply_clear(&rep);
        }
        assert_true(seen >= 7);
        /* without limit: every entry in one page */
        trail_query(f, NULL, 0, &rep);
        assert_int_equal(rep.status, 200);
        assert_int_equal(json_unpack(rep.body, "{s:I,s:o}", "count", &count, "next", &nx), 0);
        assert_true(json_is_null(nx));
        assert_true((size_t)count > seen);
        api_reply_clear(&rep);

        static const char *const bad_limits[] = {"0", "1001", "-1", "2x", "", "99999", NULL};
        trail_refused(f, "limit", bad_limits);
        /* malformed, then well formed but no entry of this trail (traced) */
        static const char *const bad_after[] = {"0", "-3", "x1", "", "1234567890123456789", "99999999", NULL};
        trail_refused(f, "after", bad_after);
        struct api_kv q[] = {{"page", "2"}};
        trail_query(f, q, 1, &rep);
        expect_error(&rep, 400, "unknown_parameter");
}

UNIT_FIXTURE(raw_deposit, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        open_dossier(f);
        struct api_kv p[] = {{"ins", INS}};
        struct api_kv h[] = {
                {"Content-Type", "application/pdf; name=x"},
                {"X-Carnet-Document", "{\"type_code\": \"18748-4\", \"class_code\": \"31\", \"title\": \"Radio\"}"},
        };
        run(f, &gp, res_documents_post, "POST", "/", p, 1, NULL, 0, h, 2, "%PDF-1.4", &rep);
        assert_int_equal(rep.status, 201);
        api_reply_clear(&rep);
        struct api_kv q[] = {{"section", "imaging"}};
        run(f, &gp, res_documents_list, "GET", "/", p, 1, q, 1, NULL, 0, NULL, &rep);
        const char *mime;
        assert_int_equal(json_unpack(rep.body, "{s:[{s:s}]}", "documents", "mime", &mime), 0);
        assert_string_equal(mime, "application/pdf");
        api_reply_clear(&rep);

        /* content_base64 has no place in the header form */
        struct api_kv h2[] = {{"X-Carnet-Document", "{\"type_code\": \"18748-4\", \"class_code\": \"31\", "
                                                    "\"title\": \"Radio\", \"content_base64\": \"\"}"}};
        run(f, &gp, res_documents_post, "POST", "/", p, 1, NULL, 0, h2, 1, "x", &rep);
        expect_error(&rep, 400, "unknown_field");
        assert_int_equal(list_count(f, &gp), 1);
}

/* A deposit the file has no room for (SQLite's max_page_count: SQLITE_FULL,
 * as on a full disk): SQLite rolls the shared transaction back, and the
 * answer is 503 storage_failed saying that nothing was kept; the stored
 * documents are as they were, and the next deposit that fits is kept. */
UNIT_FIXTURE(full_store_is_503_nothing_kept, fixture_setup, fixture_teardown) {
        static const char sql_pages[] = "PRAGMA page_count";
        static char big[256 * 1024 + 1];
        struct fixture *f = *state;
        struct api_reply rep;
        struct store_stmt *st = NULL;
        char sql[64];
        const char *message = NULL;

        SKIP_ON_PG(); /* no shared transaction there, no max_page_count */
        open_dossier(f);
        deposit(f, &gp, REPORT, &rep);
        assert_int_equal(rep.status, 201);
        api_reply_clear(&rep);
        struct store *s = dossier_engine_store(f->e);
        assert_int_equal(store_prepare(s, sql_pages, &st), 0);
        assert_int_equal(store_step(s, st), 1);
        long long pages = (long long) store_col_int64(st, 0);
        store_reset(st);
        snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", pages + 16);
        assert_int_equal(store_exec_script(s, sql), 0);

        memcpy(big, "%PDF-1.4 ", 9);
        memset(big + 9, 'x', sizeof(big) - 10);
        struct api_kv p[] = {{"ins", INS}};
        struct api_kv h[] = {
                {"Content-Type", "application/pdf"},
                {"X-Carnet-Document", "{\"type_code\": \"18748-4\", \"class_code\": \"31\", \"title\": \"Radio\"}"},
        };
        run(f, &gp, res_documents_post, "POST", "/", p, 1, NULL, 0, h, 2, big, &rep);
        assert_int_equal(rep.status, 503);
        assert_int_equal(json_unpack(rep.body, "{s:{s:s}}", "error", "message", &message), 0);
        assert_non_null(strstr(message, "nothing of it was kept"));
        expect_error(&rep, 503, "storage_failed");
        assert_int_equal(list_count(f, &gp), 1);
        deposit(f, &gp, REPORT, &rep);
        assert_int_equal(rep.status, 201);
        api_reply_clear(&rep);
        assert_int_equal(list_count(f, &gp), 2);
}

/* Each bad request is refused with its status and code, and the stored
 * documents stay as they were. */
UNIT_FIXTURE(bad_requests_change_nothing, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        static const struct {
                const char *body;
                unsigned status;
                const char *code;
        } cases[] = {
                {"{\"type_code\": ", 400, "bad_json"},
                {"[1]", 400, "bad_json"},
                {"{\"type_code\": \"11488-4\", \"type_code\": \"11488-4\"}", 400, "bad_json"},
                {"{\"typecode\": \"11488-4\"}", 400, "unknown_field"},
                {"{\"type_code\": \"11488-4\", \"class_code\": \"10\", \"mime\": \"text/plain\", \"content_base64\": \"\"}",
                 400, "bad_field"},
                {"{\"type_code\": \"11488-4\", \"class_code\": \"10\", \"mime\": \"text/plain\", \"title\": \"t\", "
                 "\"content_base64\": \"!!\"}", 400, "bad_field"},
                {"{\"type_code\": \"11488-4\", \"class_code\": \"10\", \"mime\": \"text plain\", \"title\": \"t\", "
                 "\"content_base64\": \"\"}", 400, "bad_field"},
                {"{\"type_code\": \"11488-4\", \"class_code\": \"10\", \"mime\": \"text/plain\", \"title\": \"t\", "
                 "\"created_at\": \"soon\", \"content_base64\": \"\"}", 400, "bad_field"},
                {"{\"type_code\": \"00000-0\", \"class_code\": \"10\", \"mime\": \"text/plain\", \"title\": \"t\", "
                 "\"content_base64\": \"\"}", 422, "unknown_type"},
                {"{\"type_code\": \"11488-4\", \"class_code\": \"99\", \"mime\": \"text/plain\", \"title\": \"t\", "
                 "\"content_base64\": \"\"}", 422, "unknown_class"},
                {"{\"type_code\": \"57833-6\", \"class_code\": \"42\", \"mime\": \"text/plain\", \"title\": \"t\", "
                 "\"medicines\": [\"b01aa03\"], \"content_base64\": \"\"}", 422, "bad_medicine"},
                {"{\"type_code\": \"DOCPAT04\", \"class_code\": \"10\", \"mime\": \"text/plain\", \"title\": \"t\", "
                 "\"content_base64\": \"\"}", 403, "access_denied"},
                {"{\"type_code\": \"DOCPAT01\", \"class_code\": \"90\", \"mime\": \"text/plain\", \"title\": \"t\", "
                 "\"content_base64\": \"\"}", 403, "access_denied"},
        };
        struct api_reply rep;
        open_dossier(f);
        deposit(f, &gp, REPORT, &rep);
        api_reply_clear(&rep);
        list(f, &gp, &rep);
        char *before = json_dumps(json_object_get(rep.body, "documents"), JSON_COMPACT);
        api_reply_clear(&rep);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                deposit(f, &gp, cases[i].body, &rep);
                if (rep.status != cases[i].status || strcmp(error_code(&rep), cases[i].code) != 0)
                        fail_msg("case %zu: %u %s", i, rep.status, error_code(&rep));
                api_reply_clear(&rep);
                list(f, &gp, &rep);
                char *after = json_dumps(json_object_get(rep.body, "documents"), JSON_COMPACT);
                assert_string_equal(before, after);
                free(after);
                api_reply_clear(&rep);
        }
        free(before);
        /* the class-90 and DOCPAT refusals name their rule */
        for (size_t i = ELEMENTSOF(cases) - 2; i < ELEMENTSOF(cases); i++) {
                deposit(f, &gp, cases[i].body, &rep);
                assert_string_equal(error_reason(&rep), "deny-class-reserved");
                api_reply_clear(&rep);
        }
}

UNIT_FIXTURE(ins_checked, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        struct api_kv p[] = {{"ins", "185057800608490"}};
        run(f, &gp, res_documents_list, "GET", "/", p, 1, NULL, 0, NULL, 0, NULL, &rep);
        expect_error(&rep, 422, "bad_ins");
        struct api_kv p2[] = {{"ins", INS}};
        run(f, &gp, res_documents_list, "GET", "/", p2, 1, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 404);
        assert_string_equal(error_code(&rep), "no_dossier");
        assert_string_equal(error_reason(&rep), "deny-no-dossier");
        api_reply_clear(&rep);
        struct api_kv p3[] = {{"ins", INS}, {"uid", "XYZ"}};
        run(f, &gp, res_document_get, "GET", "/", p3, 2, NULL, 0, NULL, 0, NULL, &rep);
        expect_error(&rep, 404, "no_such_document");
}

/* The patient masks: the nurse (authorised) loses the document, the gp
 * (its author) keeps it; a hold hides a document from the patient as if
 * it did not exist. */
UNIT_FIXTURE(masking_and_holds, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        const char *u;
        char id[DOSSIER_UID_SIZE], held[DOSSIER_UID_SIZE];
        open_dossier(f);
        assert_int_equal(dossier_record_consent(f->e, &nurse, INS), 0);
        deposit(f, &gp, REPORT, &rep);
        assert_int_equal(json_unpack(rep.body, "{s:s}", "uid", &u), 0);
        strcpy(id, u);
        api_reply_clear(&rep);
        deposit(f, &gp,
                "{\"type_code\": \"11488-4\", \"class_code\": \"10\", \"mime\": \"text/plain\", \"title\": \"t\", "
                "\"hidden_from_patient\": true, \"content_base64\": \"\"}",
                &rep);
        assert_int_equal(json_unpack(rep.body, "{s:s}", "uid", &u), 0);
        strcpy(held, u);
        api_reply_clear(&rep);
        assert_int_equal(list_count(f, &nurse), 2);

        struct api_kv p[] = {{"ins", INS}, {"uid", id}};
        run(f, &gp, res_document_mask, "POST", "/", p, 2, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 403);
        assert_string_equal(error_reason(&rep), "deny-patient-only");
        api_reply_clear(&rep);
        run(f, &patient, res_document_mask, "POST", "/", p, 2, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 200);
        api_reply_clear(&rep);
        assert_int_equal(list_count(f, &nurse), 1);
        assert_int_equal(list_count(f, &gp), 2);
        run(f, &nurse, res_document_get, "GET", "/", p, 2, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 403);
        assert_string_equal(error_reason(&rep), "deny-masked");
        api_reply_clear(&rep);
        /* masked: the entry's revision 2, dated, beside its XDS version */
        json_int_t version = 0, revision = 0, deposited = 0, updated = 0;
        run(f, &gp, res_document_get, "GET", "/", p, 2, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 200);
        assert_int_equal(json_unpack(rep.body, "{s:I,s:I,s:I,s:I}", "version", &version, "revision", &revision,
                                     "deposited_at", &deposited, "updated_at", &updated),
                         0);
        assert_int_equal(version, 2);
        assert_int_equal(revision, 2);
        assert_true(updated >= deposited && deposited > 0);
        api_reply_clear(&rep);

        /* the patient sees one (not the held one), and asking for it is a 404
         * that does not say why */
        assert_int_equal(list_count(f, &patient), 1);
        struct api_kv ph[] = {{"ins", INS}, {"uid", held}};
        run(f, &patient, res_document_get, "GET", "/", ph, 2, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 404);
        assert_string_equal(error_reason(&rep), "deny-no-document");
        api_reply_clear(&rep);
        run(f, &gp, res_document_get, "GET", "/", ph, 2, NULL, 0, NULL, 0, NULL, &rep);
        const char *warning;
        assert_int_equal(json_unpack(rep.body, "{s:s}", "warning", &warning), 0);
        assert_string_equal(warning, "this document is not visible to the patient");
        api_reply_clear(&rep);
        /* the content carries it too, as a header; a document not held back does not */
        run(f, &gp, res_document_content, "GET", "/content", ph, 2, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 200);
        assert_string_equal(rep.warning, "this document is not visible to the patient");
        api_reply_clear(&rep);
        assert_string_equal(rep.warning, "");
        run(f, &gp, res_document_content, "GET", "/content", p, 2, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 200);
        assert_string_equal(rep.warning, "");
        api_reply_clear(&rep);
}

UNIT_FIXTURE(access_options_trail, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        open_dossier(f);
        struct api_kv p[] = {{"ins", INS}, {"national_id", "810000000002"}};
        run(f, &patient, res_access_put, "PUT", "/", p, 2, NULL, 0, NULL, 0,
            "{\"relation\": \"traitant\", \"sees_masked\": true}", &rep);
        assert_int_equal(rep.status, 200);
        api_reply_clear(&rep);
        run(f, &patient, res_access_put, "PUT", "/", p, 2, NULL, 0, NULL, 0, "{\"relation\": \"boss\"}", &rep);
        assert_int_equal(rep.status, 400);
        api_reply_clear(&rep);
        run(f, &gp, res_access_put, "PUT", "/", p, 2, NULL, 0, NULL, 0, "{\"blocked\": true, \"relation\": \"none\"}",
            &rep);
        assert_int_equal(rep.status, 403);
        assert_string_equal(error_reason(&rep), "deny-patient-only");
        api_reply_clear(&rep);
        struct api_kv bad[] = {{"ins", INS}, {"national_id", "81"}};
        run(f, &patient, res_access_put, "PUT", "/", bad, 2, NULL, 0, NULL, 0, "{\"blocked\": true}", &rep);
        assert_int_equal(rep.status, 422);
        api_reply_clear(&rep);

        struct api_kv pi[] = {{"ins", INS}};
        run(f, &patient, res_access_list, "GET", "/", pi, 1, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 200);
        size_t i;
        json_t *x;
        bool found = false;
        json_array_foreach(json_object_get(rep.body, "professionals"), i, x) {
                if (strcmp(json_string_value(json_object_get(x, "national_id")), "810000000002") == 0) {
                        assert_string_equal(json_string_value(json_object_get(x, "relation")), "traitant");
                        assert_true(json_is_true(json_object_get(x, "sees_masked")));
                        assert_false(json_is_true(json_object_get(x, "blocked")));
                        found = true;
                }
        }
        assert_true(found);
        api_reply_clear(&rep);

        run(f, &patient, res_dossier_options, "PUT", "/", pi, 1, NULL, 0, NULL, 0, "{\"optout_emergency\": true}", &rep);
        assert_int_equal(rep.status, 200);
        api_reply_clear(&rep);
        run(f, &er, res_documents_list, "GET", "/", pi, 1, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 403);
        assert_string_equal(error_reason(&rep), "deny-emergency-opted-out");
        api_reply_clear(&rep);

        run(f, &patient, res_dossier_get, "GET", "/", pi, 1, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 200);
        int oe = 0;
        assert_int_equal(json_unpack(rep.body, "{s:{s:b}}", "options", "optout_emergency", &oe), 0);
        assert_true(oe);
        api_reply_clear(&rep);
        /* a professional not authorised: status, no traits */
        run(f, &er, res_dossier_get, "GET", "/", pi, 1, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 200);
        assert_true(json_is_null(json_object_get(rep.body, "identity")));
        assert_true(json_is_null(json_object_get(rep.body, "options")));
        api_reply_clear(&rep);

        run(f, &patient, res_audit_trail, "GET", "/", pi, 1, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 200);
        json_t *entries = json_object_get(rep.body, "entries");
        assert_true(json_array_size(entries) > 5);
        json_t *last = json_array_get(entries, json_array_size(entries) - 1);
        assert_string_equal(json_string_value(json_object_get(last, "action")), "read-trail");
        api_reply_clear(&rep);

        struct api_context ctx = {.engine = f->e};
        struct api_request req = {.ctx = &ctx, .method = "GET", .path = "/v1/audit/verify", .uid = 0};
        invoke(res_audit_verify, &req, &rep);
        assert_int_equal(rep.status, 200);
        assert_true(json_is_true(json_object_get(rep.body, "intact")));
        api_reply_clear(&rep);
}

UNIT_FIXTURE(lifecycle, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        open_dossier(f);
        struct api_kv pi[] = {{"ins", INS}};
        run(f, &patient, res_dossier_reactivate, "POST", "/", pi, 1, NULL, 0, NULL, 0, NULL, &rep);
        expect_error(&rep, 409, "dossier_open");
        run(f, &gp, res_dossier_close, "POST", "/", pi, 1, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 403);
        api_reply_clear(&rep);
        run(f, &patient, res_dossier_close, "POST", "/", pi, 1, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 200);
        api_reply_clear(&rep);
        deposit(f, &gp, REPORT, &rep);
        expect_error(&rep, 409, "dossier_closed");
        run(f, &gp, res_dossier_consent, "POST", "/", pi, 1, NULL, 0, NULL, 0, "{\"consent\": false}", &rep);
        assert_int_equal(rep.status, 400);
        api_reply_clear(&rep);
        run(f, &patient, res_dossier_delete, "DELETE", "/", pi, 1, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 200);
        api_reply_clear(&rep);
        run(f, &gp, res_dossier_get, "GET", "/", pi, 1, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 200);
        assert_string_equal(json_string_value(json_object_get(rep.body, "status")), "destroyed");
        api_reply_clear(&rep);
}

#define NIR3 "190017512345655"

/* POST /v1/dossiers as a, for the person nir given as the dossier host's
 * agent gives them (the "vitale" object: no card needed), with consent. */
static void post_dossier(struct fixture *f, const struct dossier_actor *a, const char *nir, struct api_reply *rep) {
        struct api_context ctx = {.engine = f->e, .find_session = find_session, .vitale_in_body = true};
        struct api_kv h[] = {{API_SESSION_HEADER, a->session}};
        char body[512];
        snprintf(body, sizeof(body),
                 "{\"consent\": true, \"ins_oid\": \"1.2.250.1.213.1.4.10\", \"vitale\": {\"surname\": \"DUPONT\", "
                 "\"first_name\": \"Jean\", \"birth_date\": \"19850512\", \"birth_rank\": \"1\", \"nir\": \"%s\"}}",
                 nir);
        struct api_request req = {
                .ctx = &ctx, .method = "POST", .path = "/v1/dossiers", .body = body, .body_len = strlen(body),
                .headers = h, .n_headers = 1,
        };
        current = a;
        invoke(res_dossiers_post, &req, rep);
        current = NULL;
}

struct opening_call {
        struct fixture *f;
        const char *nir;
        unsigned status;
        char code[64];
};

static void *post_dossier_thread(void *userdata) {
        struct opening_call *x = userdata;
        struct api_reply rep;
        post_dossier(x->f, &gp, x->nir, &rep);
        x->status = rep.status;
        snprintf(x->code, sizeof(x->code), "%s", rep.status >= 400 ? error_code(&rep) : "");
        api_reply_clear(&rep);
        return NULL;
}

/* Whether the access list of INS, as its patient sees it, shows id_nat
 * blocked. */
static bool blocked_in_list(struct fixture *f, const char *id_nat) {
        _cleanup_free_ struct dossier_access_entry *list = NULL;
        size_t n = 0;
        bool blocked = false;
        assert_int_equal(dossier_list_access(f->e, &patient, INS, &list, &n), 0);
        for (size_t i = 0; i < n; i++)
                if (strcmp(list[i].id_nat, id_nat) == 0)
                        blocked = list[i].blocked;
        return blocked;
}

/* While a professional's opening of a dossier (with consent) hashes the
 * new secret, the patient of another dossier blocks a professional: the
 * block is answered once it is on disk (its own commit and sync), and it
 * stays when the opening then fails (its hash fails: 500, nothing of it
 * kept).  The opening never held the writer's transaction for others'
 * calls to run inside, unsynced, and be undone with it. */
UNIT_FIXTURE(opening_leaves_others_calls_alone, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        struct opening_call x = {f, INS2, 0, ""};
        pthread_t t;

        open_dossier(f);
        struct store *s = dossier_engine_store(f->e);
        int64_t entries0 = audit_count(f);
        scrypt_fail = true;
        hold_next();
        assert_int_equal(pthread_create(&t, NULL, post_dossier_thread, &x), 0);
        hold_wait(); /* the opening is in its secret's hash */
        uint64_t syncs0 = store_syncs(s);
        struct api_kv p[] = {{"ins", INS}, {"national_id", "810000000002"}};
        run(f, &patient, res_access_put, "PUT", "/", p, 2, NULL, 0, NULL, 0, "{\"blocked\": true}", &rep);
        unsigned status = rep.status;
        api_reply_clear(&rep);
        uint64_t syncs = store_syncs(s);
        hold_release();
        pthread_join(t, NULL);
        scrypt_fail = false;
        assert_int_equal(status, 200);
        /* answered once durable */
        if (!test_pg())
                assert_true(syncs > syncs0);
        assert_int_equal(x.status, 500);
        /* the block stayed, the failed opening left nothing */
        assert_true(blocked_in_list(f, "810000000002"));
        run(f, &gp, res_dossier_get, "GET", "/", (struct api_kv[]){{"ins", INS2}}, 1, NULL, 0, NULL, 0, NULL, &rep);
        assert_int_equal(rep.status, 404);
        api_reply_clear(&rep);
        /* the block and its trail entry, the list of the access and the
         * status read; nothing of the opening */
        assert_int_equal(audit_count(f), entries0 + 3);
        /* and still there once the engine is opened again */
        f->e = dossier_engine_close(f->e);
        assert_int_equal(fixture_open_engine(f), 0);
        assert_true(blocked_in_list(f, "810000000002"));
        verify_chain(f);
}

/* Two professionals open two dossiers at once: the second, made while
 * the first hashes its secret, is opened as the first is (never 503
 * database_busy), each with its consent recorded. */
UNIT_FIXTURE(two_openings_at_once, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        struct opening_call x = {f, INS2, 0, ""};
        pthread_t t;

        hold_next();
        assert_int_equal(pthread_create(&t, NULL, post_dossier_thread, &x), 0);
        hold_wait();
        post_dossier(f, &gp, NIR3, &rep);
        hold_release();
        pthread_join(t, NULL);
        if (rep.status != 201)
                fail_msg("the second opening: %u %s", rep.status, error_code(&rep));
        assert_true(json_is_true(json_object_get(rep.body, "consent_recorded")));
        api_reply_clear(&rep);
        assert_int_equal(x.status, 201);
        /* both dossiers, gp authorised on each */
        const char *const nirs[] = {INS2, NIR3};
        for (size_t i = 0; i < ELEMENTSOF(nirs); i++) {
                struct api_kv p[] = {{"ins", nirs[i]}};
                struct api_kv q[] = {{"status", "all"}};
                run(f, &gp, res_documents_list, "GET", "/", p, 1, q, 1, NULL, 0, NULL, &rep);
                assert_int_equal(rep.status, 200);
                api_reply_clear(&rep);
        }
        /* a second opening of the same dossier: refused, traced, nothing else */
        int64_t entries0 = audit_count(f);
        post_dossier(f, &gp, NIR3, &rep);
        assert_int_equal(rep.status, 409);
        assert_string_equal(error_reason(&rep), "deny-dossier-exists");
        api_reply_clear(&rep);
        assert_int_equal(audit_count(f), entries0 + 1);
        verify_chain(f);
}

/* A PUT of several changes is one call of the engine: one member of the
 * writer's group commit (SQLite), one trail entry per change, and all of
 * the changes made. */
UNIT_FIXTURE(access_changes_are_one_call, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        uint64_t calls0 = 0, calls = 0;

        open_dossier(f);
        int64_t entries0 = audit_count(f);
        dossier_engine_group_counts(f->e, NULL, &calls0);
        struct api_kv p[] = {{"ins", INS}, {"national_id", "810000000002"}};
        run(f, &patient, res_access_put, "PUT", "/", p, 2, NULL, 0, NULL, 0,
            "{\"relation\": \"traitant\", \"blocked\": true, \"sees_masked\": true}", &rep);
        assert_int_equal(rep.status, 200);
        api_reply_clear(&rep);
        dossier_engine_group_counts(f->e, NULL, &calls);
        if (!test_pg())
                assert_int_equal(calls - calls0, 1);
        assert_int_equal(audit_count(f), entries0 + 3);
        assert_true(blocked_in_list(f, "810000000002"));
        /* refused for a professional: the first change's refusal traced, nothing else */
        entries0 = audit_count(f);
        run(f, &gp, res_access_put, "PUT", "/", p, 2, NULL, 0, NULL, 0, "{\"blocked\": false, \"relation\": \"none\"}",
            &rep);
        assert_int_equal(rep.status, 403);
        assert_string_equal(error_reason(&rep), "deny-patient-only");
        api_reply_clear(&rep);
        assert_int_equal(audit_count(f), entries0 + 1);
        assert_true(blocked_in_list(f, "810000000002"));
        verify_chain(f);
}

/* A Corsican INS typed with a lower-case department ("2a") names the same
 * dossier as the upper-case one, wherever it comes in: the path, the
 * opening's NIR; never a twin. */
UNIT_FIXTURE(ins_canonical, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct api_reply rep;
        post_dossier(f, &gp, "185052a00101164", &rep);
        assert_int_equal(rep.status, 201);
        assert_string_equal(json_string_value(json_object_get(rep.body, "ins")), "185052A00101164");
        api_reply_clear(&rep);
        post_dossier(f, &gp, "185052A00101164", &rep);
        assert_string_equal(error_reason(&rep), "deny-dossier-exists");
        expect_error(&rep, 409, "dossier_exists");
        struct api_kv lower[] = {{"ins", "185052a00101164"}}, upper[] = {{"ins", "185052A00101164"}};
        struct api_kv q[] = {{"status", "all"}};
        run(f, &gp, res_documents_post, "POST", "/", lower, 1, NULL, 0, NULL, 0, REPORT, &rep);
        unsigned deposited = rep.status;
        api_reply_clear(&rep);
        run(f, &gp, res_dossier_get, "GET", "/", lower, 1, NULL, 0, NULL, 0, NULL, &rep);
        char got[16] = "";
        snprintf(got, sizeof(got), "%s", json_string_value(json_object_get(rep.body, "ins")));
        api_reply_clear(&rep);
        run(f, &gp, res_documents_list, "GET", "/", upper, 1, q, 1, NULL, 0, NULL, &rep);
        json_int_t listed = json_integer_value(json_object_get(rep.body, "count"));
        api_reply_clear(&rep);
        assert_int_equal(deposited, 201);
        assert_string_equal(got, "185052A00101164");
        assert_int_equal(listed, 1);
        /* one dossier in the store */
        assert_int_equal(test_store_query_int(&f->ts, "SELECT count(*) FROM dossiers WHERE upper(ins) = ?1",
                                              "185052A00101164"), 1);
}

/* a test with a fresh engine (dossier-fixture.h) */

UNIT_GROUP("res-dossiers", NULL, NULL)
