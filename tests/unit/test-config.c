/* tests/unit/test-config.c: carnetd.conf's keys, bounds and messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon/config.h"

static char path[64];

/* Loads text as a configuration over the defaults; err gets the message. */
static int load(const char *text, struct config *c, char *err, size_t errlen) {
        snprintf(path, sizeof(path), "/tmp/test-config-XXXXXX");
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        config_defaults(c);
        err[0] = '\0';
        int r = config_load(c, path, err, errlen);
        unlink(path);
        return r;
}

/* The message after "path:" for a configuration that must be refused. */
static const char *refused(const char *text) {
        static char err[512];
        struct config c;
        assert_int_equal(load(text, &c, err, sizeof(err)), -EINVAL);
        assert_memory_equal(err, path, strlen(path));
        return err + strlen(path);
}

UNIT(every_key) {
        struct config c;
        char err[512];
        assert_int_equal(load("# carnetd\n"
                              "socket = /run/x/carnetd.sock\nsocket_mode = 0600\nsocket_group = staff\n"
                              "connection_timeout = 40\nbody_max = 2M\nheader_max = 8K\n"
                              "max_connections = 10\nconnections_per_uid = 2\nevents_keepalive = 5\n"
                              "allowed_groups = a, b c\npkcs11_module = /lib/p11.so\n"
                              "trust_anchors = /etc/ta.pem\ndatabase = /var/x.db\nrights_table = /r.tsv\n"
                              "interactions_table = /i.tsv\nsession_idle_timeout = 60\nworkstation = ws-1\n"
                              "identity.national_id = subject:CN\nlog_level = debug\n",
                              &c, err, sizeof(err)),
                         0);
        assert_string_equal(c.socket_path, "/run/x/carnetd.sock");
        assert_int_equal(c.socket_mode, 0600);
        assert_string_equal(c.socket_group, "staff");
        assert_int_equal(c.connection_timeout_s, 40);
        assert_int_equal(c.body_max, 2u << 20);
        assert_int_equal(c.header_max, 8u << 10);
        assert_int_equal(c.max_connections, 10);
        assert_int_equal(c.connections_per_uid, 2);
        assert_int_equal(c.events_keepalive_s, 5);
        assert_true(c.events_keepalive_set);
        assert_true(c.allowed_groups_set);
        assert_int_equal(c.n_allowed_groups, 3);
        assert_string_equal(c.allowed_groups[2], "c");
        assert_string_equal(c.pkcs11_module, "/lib/p11.so");
        assert_string_equal(c.trust_anchors, "/etc/ta.pem");
        assert_string_equal(c.database, "/var/x.db");
        assert_string_equal(c.rights_table, "/r.tsv");
        assert_string_equal(c.interactions_table, "/i.tsv");
        assert_int_equal(c.session_idle_timeout_s, 60);
        assert_string_equal(c.workstation, "ws-1");
        assert_int_equal(c.log_level, LOG_DEBUG);
}

UNIT(keepalive_follows_timeout) {
        struct config c;
        char err[512];
        assert_int_equal(load("connection_timeout = 8\n", &c, err, sizeof(err)), 0);
        assert_false(c.events_keepalive_set);
        assert_int_equal(c.events_keepalive_s, 4);
        assert_string_equal(refused("connection_timeout = 5\nevents_keepalive = 5\n"),
                            ": events_keepalive (5s) must be shorter than connection_timeout (5s)");
}

UNIT(messages) {
        assert_string_equal(refused("log_level = info\nfavourite_colour = blue\n"), ":2: favourite_colour: unknown key");
        assert_string_equal(refused("\n\n\nsession_idle_timeout = 5\n"),
                            ":4: session_idle_timeout: session_idle_timeout must be seconds, 10 to 86400");
        assert_string_equal(refused("socket = run/x\n"), ":1: socket: socket must be an absolute path");
        assert_string_equal(refused("socket_mode = 0999\n"),
                            ":1: socket_mode: socket_mode must be an octal mode such as 0660");
        assert_string_equal(refused("max_connections = 0\n"), ":1: max_connections: max_connections must be 1 to 1024");
        assert_string_equal(refused("connections_per_uid = 1025\n"),
                            ":1: connections_per_uid: connections_per_uid must be 1 to 1024");
        assert_string_equal(refused("body_max = 1023\n"),
                            ":1: body_max: body_max must be bytes (K, M, G suffixes), 1K to 1G");
        assert_string_equal(refused("header_max = 2M\n"),
                            ":1: header_max: header_max must be bytes (K, M suffixes), 1K to 1M");
        assert_string_equal(refused("database = x.db\n"), ":1: database: must be an absolute path");
        assert_string_equal(refused("workstation =\n"), ":1: workstation: workstation must be a name of 1 to 127 bytes");
        assert_string_equal(refused("log_level = loud\n"), ":1: log_level: log_level must be error, warning, info or debug");
        assert_string_equal(refused("allowed_groups = a b c d e f g h i j k l m n o p q\n"),
                            ":1: allowed_groups: at most 16 groups");
        assert_string_equal(refused("just words\n"), ":1: expected 'key = value'");
        assert_memory_equal(refused("identity.nonsense = x\n"), ":1: identity.nonsense: not a known identity field", 49);
}

UNIT(long_values) {
        char text[1100];
        snprintf(text, sizeof(text), "socket = /%0120d\n", 0);
        assert_string_equal(refused(text), ":1: socket: socket path too long (107 bytes at most)");
        snprintf(text, sizeof(text), "socket_group = %070d\n", 0);
        assert_string_equal(refused(text), ":1: socket_group: group name too long");
        snprintf(text, sizeof(text), "workstation = %0130d\n", 0);
        assert_string_equal(refused(text), ":1: workstation: workstation must be a name of 1 to 127 bytes");
        snprintf(text, sizeof(text), "k = %01030d\n", 0);
        assert_string_equal(refused(text), ":1: line too long");
}

UNIT_GROUP("config", NULL, NULL)

UNIT(agent_keys) {
        struct config c;
        char err[512];
        config_defaults(&c);
        assert_int_equal(c.host_timeout_ms, 10000);
        assert_string_equal(c.dossier_host, "");
        assert_int_equal(load("dossier_host = https://127.0.0.1:8443\nhost_cert = /etc/ws.pem\nhost_key = /etc/ws.key\n"
                              "host_ca = /etc/ca.pem\nhost_timeout_ms = 120000\n"
                              "readers = Virtual PCD 00 00, *Omnikey*\n",
                              &c, err, sizeof(err)),
                         0);
        assert_string_equal(c.dossier_host, "https://127.0.0.1:8443");
        assert_string_equal(c.host_cert, "/etc/ws.pem");
        assert_string_equal(c.host_key, "/etc/ws.key");
        assert_string_equal(c.host_ca, "/etc/ca.pem");
        assert_int_equal(c.host_timeout_ms, 120000);
        assert_string_equal(c.readers, "Virtual PCD 00 00, *Omnikey*");
        assert_string_equal(refused("host_timeout_ms = 0\n"),
                            ":1: host_timeout_ms: host_timeout_ms must be milliseconds, 1 to 120000");
        assert_string_equal(refused("host_timeout_ms = 120001\n"),
                            ":1: host_timeout_ms: host_timeout_ms must be milliseconds, 1 to 120000");
        assert_string_equal(refused("host_cert = ws.pem\n"), ":1: host_cert: must be an absolute path");
        assert_string_equal(refused("dossier_host = http://h:80\nhost_cert = /c\nhost_key = /k\n"),
                            ": dossier_host must be https://HOST:PORT, or up to 8 of them separated by spaces");
        /* several host processes on one database, used in turn */
        assert_int_equal(load("dossier_host = https://h1:8443, https://h2:8443\nhost_cert = /c\nhost_key = /k\n", &c, err, sizeof(err)), 0);
        assert_string_equal(c.dossier_host, "https://h1:8443, https://h2:8443");
        assert_string_equal(refused("dossier_host = https://h1:8443 http://h2:80\nhost_cert = /c\nhost_key = /k\n"),
                            ": dossier_host must be https://HOST:PORT, or up to 8 of them separated by spaces");
        assert_string_equal(refused("dossier_host = https://h:443\nhost_cert = /c\n"),
                            ": dossier_host needs host_cert and host_key (the workstation's certificate and key)");
}
