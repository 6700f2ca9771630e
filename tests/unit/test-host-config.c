/* tests/unit/test-host-config.c: carnet-hostd.conf's keys, bounds and
 * messages (daemon/host-config.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"
#include "daemon/host-config.h"
#include "lib/macro.h"

#define REQUIRED "listen = 127.0.0.1:8443\ntls_cert = /c.pem\ntls_key = /k.pem\ntls_client_ca = /ca.pem\n"

/* Loads text over the defaults into c; err gets the message after the path. */
static int load(const char *text, struct host_config *c, char err[512]) {
        char path[64], msg[512];
        snprintf(path, sizeof(path), "/tmp/test-host-config-XXXXXX");
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        host_config_defaults(c);
        msg[0] = '\0';
        int r = host_config_load(c, path, msg, sizeof(msg));
        unlink(path);
        snprintf(err, 512, "%s", strncmp(msg, path, strlen(path)) == 0 ? msg + strlen(path) : msg);
        return r;
}

UNIT(host_every_key) {
        struct host_config c;
        char err[512];
        assert_int_equal(load(REQUIRED "trust_path = /t\ncrl_path = /crl\ncrl_stale = accept\n"
                                       "database = /var/lib/x.db\nrights_table = /r.tsv\ninteractions_table = /i.tsv\n"
                                       "session_idle_s = 60\nconnection_timeout = 5\nbody_max = 2048\n"
                                       "max_connections = 9\nlog_level = debug\nidentity.organisation = subject:O\n",
                              &c, err),
                         0);
        assert_string_equal(c.listen, "127.0.0.1:8443");
        assert_string_equal(c.tls_client_ca, "/ca.pem");
        assert_string_equal(c.crl_path, "/crl");
        assert_int_equal(c.crl_stale, 1);
        assert_string_equal(c.database, "/var/lib/x.db");
        assert_int_equal(c.session_idle_s, 60);
        assert_int_equal(c.body_max, 2048);
        assert_int_equal(c.max_connections, 9);
        assert_int_equal(c.log_level, LOG_DEBUG);
        assert_int_equal(c.identity_map.organisation.source, P11_SRC_SUBJECT);
}

UNIT(host_defaults) {
        struct host_config c;
        char err[512];
        assert_int_equal(load(REQUIRED, &c, err), 0);
        assert_int_equal(c.session_idle_s, 900);
        assert_int_equal(c.crl_stale, 0);
        assert_string_equal(c.crl_path, "");
}

UNIT(host_refusals) {
        static const char *const bad[][2] = {
                {"listen = 127.0.0.1:1\n", ": listen, tls_cert, tls_key and tls_client_ca are required"},
                {REQUIRED "socket = /x\n", ":5: socket: unknown key"},
                {REQUIRED "tls_cert = c.pem\n", ":5: tls_cert: tls_cert must be an absolute path"},
                {REQUIRED "session_idle_s = 5\n", ":5: session_idle_s: session_idle_s must be seconds, 10 to 86400"},
                {REQUIRED "session_idle_s = 10x\n", ":5: session_idle_s: session_idle_s must be seconds, 10 to 86400"},
                {REQUIRED "crl_stale = maybe\n", ":5: crl_stale: crl_stale must be refuse or accept"},
                {REQUIRED "log_level = loud\n", ":5: log_level: log_level must be error, warning, info or debug"},
                {REQUIRED "identity.nope = subject:CN\n", ":5: identity.nope: not a known identity field, or not a rule such as subject:CN"},
        };
        struct host_config c;
        char err[512];
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                assert_int_equal(load(bad[i][0], &c, err), -EINVAL);
                assert_string_equal(err, bad[i][1]);
        }
}
