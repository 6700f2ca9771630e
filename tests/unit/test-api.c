/* tests/unit/test-api.c: the API router, the error shape, the status
 * document and the configuration parser, without HTTP or PC/SC. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "../../daemon/api.h"
#include "../../daemon/config.h"
#include "../../daemon/status.h"

static void assert_error_shape(const struct api_reply *r, unsigned status, const char *code) {
        const char *c = NULL, *m = NULL;
        assert_int_equal(r->status, status);
        assert_non_null(r->body);
        assert_int_equal(json_unpack(r->body, "{s:{s:s,s:s}}", "error", "code", &c, "message", &m), 0);
        assert_string_equal(c, code);
        assert_true(strlen(m) > 0);
}

static void unknown_route_is_json_404(void **state) {
        struct api_request req = {.method = "GET", .path = "/v1/nothing-here"};
        struct api_reply rep;
        assert_int_equal(api_handle(&req, &rep), 0);
        assert_error_shape(&rep, 404, "not_found");
        api_reply_clear(&rep);
}

static void hostile_path_is_json_404(void **state) {
        char path[8192];
        memset(path, 'A', sizeof(path) - 1);
        path[0] = '/';
        path[sizeof(path) - 1] = '\0';
        struct api_request req = {.method = "GET", .path = path};
        struct api_reply rep;
        assert_int_equal(api_handle(&req, &rep), 0);
        assert_error_shape(&rep, 404, "not_found");
        api_reply_clear(&rep);
}

static void wrong_method_is_405(void **state) {
        struct api_request req = {.method = "DELETE", .path = "/v1/status"};
        struct api_reply rep;
        assert_int_equal(api_handle(&req, &rep), 0);
        assert_error_shape(&rep, 405, "method_not_allowed");
        api_reply_clear(&rep);
}

static void routes_are_versioned_and_unique(void **state) {
        size_t n;
        const struct api_route *r = api_routes(&n);
        assert_true(n > 0);
        for (size_t i = 0; i < n; i++) {
                assert_memory_equal(r[i].path, "/v1/", 4);
                assert_non_null(r[i].handler);
                for (size_t j = i + 1; j < n; j++)
                        assert_false(strcmp(r[i].method, r[j].method) == 0 &&
                                     strcmp(r[i].path, r[j].path) == 0);
        }
}

static void status_document_lists_readers(void **state) {
        struct reader_snapshot snap = {.pcscd_reachable = true, .n = 2};
        strcpy(snap.r[0].name, "Reader A");
        snap.r[0].card_present = true;
        snap.r[0].atr_len = 3;
        memcpy(snap.r[0].atr, "\x3B\x75\x13", 3);
        strcpy(snap.r[1].name, "Reader B");
        json_t *j = status_json(&snap);
        assert_non_null(j);
        const char *v, *n0, *n1, *atr0;
        int reach, p0, p1;
        json_t *err, *atr1;
        assert_int_equal(json_unpack(j, "{s:s,s:{s:b,s:o},s:[{s:s,s:b,s:s},{s:s,s:b,s:o}]}", "version", &v,
                                     "pcscd", "reachable", &reach, "error", &err, "readers", "name", &n0,
                                     "card_present", &p0, "atr", &atr0, "name", &n1, "card_present",
                                     &p1, "atr", &atr1),
                         0);
        assert_string_equal(v, CARNET_VERSION);
        assert_true(reach);
        assert_true(json_is_null(err));
        assert_string_equal(n0, "Reader A");
        assert_true(p0);
        assert_string_equal(atr0, "3B7513");
        assert_string_equal(n1, "Reader B");
        assert_false(p1);
        assert_true(json_is_null(atr1));
        json_decref(j);
}

static void status_document_when_pcscd_down(void **state) {
        struct reader_snapshot snap = {.pcscd_reachable = false};
        strcpy(snap.error, "Service not available.");
        json_t *j = status_json(&snap);
        const char *e;
        int reach;
        json_t *readers;
        assert_int_equal(json_unpack(j, "{s:{s:b,s:s},s:o}", "pcscd", "reachable", &reach, "error", &e,
                                     "readers", &readers),
                         0);
        assert_false(reach);
        assert_string_equal(e, "Service not available.");
        assert_int_equal(json_array_size(readers), 0);
        json_decref(j);
}

/* Writes text to a temporary file; returns its path (static buffer). */
static const char *write_conf(const char *text) {
        static char path[] = "/tmp/carnet-test-conf.XXXXXX";
        strcpy(path, "/tmp/carnet-test-conf.XXXXXX");
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        return path;
}

static void config_reads_known_keys(void **state) {
        struct config c;
        char err[256] = "";
        config_defaults(&c);
        const char *p = write_conf("# comment\n\nsocket = /run/x/api.sock\nsocket_mode = 0600\n"
                                   "connection_timeout = 12  # trailing comment\nlog_level = debug\n");
        assert_int_equal(config_load(&c, p, err, sizeof(err)), 0);
        unlink(p);
        assert_string_equal(c.socket_path, "/run/x/api.sock");
        assert_int_equal(c.socket_mode, 0600);
        assert_int_equal(c.connection_timeout_s, 12);
        assert_int_equal(c.log_level, LOG_DEBUG);
}

static void config_names_the_bad_line(void **state) {
        static const struct {
                const char *text, *expect;
        } cases[] = {
                {"socket = /a\nbogus = 1\n", ":2: bogus: unknown key"},
                {"socket = relative\n", ":1: socket: socket must be an absolute path"},
                {"\n\nsocket_mode = 9999\n", ":3: socket_mode:"},
                {"connection_timeout = -4\n", ":1: connection_timeout:"},
                {"connection_timeout = 0\n", ":1: connection_timeout:"},
                {"log_level = loud\n", ":1: log_level:"},
                {"just words\n", ":1: expected 'key = value'"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct config c;
                char err[256] = "";
                config_defaults(&c);
                const char *p = write_conf(cases[i].text);
                assert_int_equal(config_load(&c, p, err, sizeof(err)), -EINVAL);
                unlink(p);
                if (!strstr(err, cases[i].expect))
                        fail_msg("case %zu: '%s' does not contain '%s'", i, err, cases[i].expect);
                /* a refused file changes nothing */
                assert_string_equal(c.socket_path, CONFIG_DEFAULT_SOCKET);
        }
}

static void config_missing_file(void **state) {
        struct config c;
        char err[256];
        config_defaults(&c);
        assert_int_equal(config_load(&c, "/nonexistent/carnetd.conf", err, sizeof(err)), -ENOENT);
        assert_non_null(strstr(err, "/nonexistent/carnetd.conf"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(unknown_route_is_json_404),
                cmocka_unit_test(hostile_path_is_json_404),
                cmocka_unit_test(wrong_method_is_405),
                cmocka_unit_test(routes_are_versioned_and_unique),
                cmocka_unit_test(status_document_lists_readers),
                cmocka_unit_test(status_document_when_pcscd_down),
                cmocka_unit_test(config_reads_known_keys),
                cmocka_unit_test(config_names_the_bad_line),
                cmocka_unit_test(config_missing_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
