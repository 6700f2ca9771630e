/* tests/unit/test-host-sessions.c: the dossier host's challenges and
 * sessions in the store (engine/host-sessions.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "unit.h"
#include "dossier-fixture.h"
#include "engine/audit.h"
#include "engine/dossier-host.h"
#include "engine/host-sessions.h"
#include "engine/interactions.h"
#include "engine/rights.h"
#include "engine/store.h"

#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define TOKEN2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

UNIT_FIXTURE(challenge_is_single_use, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char c[HOST_CHALLENGE_LEN + 1], c2[HOST_CHALLENGE_LEN + 1];

        assert_int_equal(host_challenge_issue(f->e, "ws-a", c), 0);
        assert_int_equal(strlen(c), HOST_CHALLENGE_LEN);
        assert_int_equal(strspn(c, "0123456789abcdef"), HOST_CHALLENGE_LEN);
        assert_int_equal(host_challenge_issue(f->e, "ws-a", c2), 0);
        assert_string_not_equal(c, c2);
        assert_int_equal(host_challenge_take(f->e, c, "ws-a"), 0);
        /* a second use is a replay */
        assert_int_equal(host_challenge_take(f->e, c, "ws-a"), -ENOENT);
        assert_int_equal(host_challenge_take(f->e, c2, "ws-a"), 0);
        assert_int_equal(host_challenge_take(f->e, "00", "ws-a"), -ENOENT);
        assert_int_equal(host_challenge_issue(f->e, "", c), -EINVAL);
}

UNIT_FIXTURE(challenge_expires, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char c[HOST_CHALLENGE_LEN + 1], c2[HOST_CHALLENGE_LEN + 1];

        assert_int_equal(host_challenge_issue(f->e, "ws-a", c), 0);
        assert_int_equal(host_challenge_issue(f->e, "ws-a", c2), 0);
        f->now += HOST_CHALLENGE_TTL_S;
        assert_int_equal(host_challenge_take(f->e, c2, "ws-a"), 0); /* the last second still counts */
        f->now += 1;
        assert_int_equal(host_challenge_take(f->e, c, "ws-a"), -ETIME);
        assert_int_equal(host_challenge_take(f->e, c, "ws-a"), -ENOENT);
}

UNIT_FIXTURE(challenge_is_bound_to_its_workstation, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char c[HOST_CHALLENGE_LEN + 1];

        assert_int_equal(host_challenge_issue(f->e, "ws-a", c), 0);
        assert_int_equal(host_challenge_take(f->e, c, "ws-b"), -EPERM);
        /* burnt by the wrong workstation: its owner cannot use it either */
        assert_int_equal(host_challenge_take(f->e, c, "ws-a"), -ENOENT);
}

UNIT_FIXTURE(session_found_by_token_and_workstation, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct host_session hs;

        assert_int_equal(host_session_put(f->e, TOKEN, "sid1", 0, "ws-a", "{\"x\":1}", 900), 0);
        assert_int_equal(host_session_put(f->e, TOKEN, "sid9", 0, "ws-a", "{}", 900), -EEXIST);
        f->now += 10;
        assert_int_equal(host_session_find(f->e, TOKEN, "ws-a", 900, &hs), 0);
        assert_string_equal(hs.session_id, "sid1");
        assert_string_equal(hs.info, "{\"x\":1}");
        assert_int_equal(hs.opened_at, T0);
        assert_int_equal(hs.last_used, T0 + 10);
        free(hs.info);
        assert_int_equal(host_session_find(f->e, TOKEN, "ws-b", 900, &hs), -ENOENT);
        assert_int_equal(host_session_find(f->e, TOKEN2, "ws-a", 900, &hs), -ENOENT);
        assert_int_equal(host_session_set_info(f->e, TOKEN, "ws-b", "{}"), -ENOENT);
        assert_int_equal(host_session_set_info(f->e, TOKEN, "ws-a", "{\"x\":2}"), 0);
        assert_int_equal(host_session_find(f->e, TOKEN, "ws-a", 900, &hs), 0);
        assert_string_equal(hs.info, "{\"x\":2}");
        free(hs.info);
        assert_int_equal(host_session_delete(f->e, TOKEN, "ws-b"), -ENOENT);
        assert_int_equal(host_session_delete(f->e, TOKEN, "ws-a"), 0);
        assert_int_equal(host_session_find(f->e, TOKEN, "ws-a", 900, &hs), -ENOENT);
        /* only the token's hash is stored */
        assert_int_equal(host_session_put(f->e, TOKEN, "sid2", 1, "ws-a", "{}", 900), 0);
        assert_int_equal(test_store_query_int(&f->ts, "SELECT count(*) FROM host_sessions WHERE token_sha256 = ?1", TOKEN),
                         0);
        assert_int_equal(test_store_query_int(&f->ts, "SELECT count(*) FROM host_sessions", NULL), 1);
}

UNIT_FIXTURE(session_idle_expiry, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct host_session hs;

        assert_int_equal(host_session_put(f->e, TOKEN, "sid1", 0, "ws-a", "{}", 100), 0);
        f->now += 100;
        assert_int_equal(host_session_find(f->e, TOKEN, "ws-a", 100, &hs), 0); /* used: the clock restarts */
        free(hs.info);
        f->now += 100;
        assert_int_equal(host_session_find(f->e, TOKEN, "ws-a", 100, &hs), 0);
        free(hs.info);
        f->now += 101;
        assert_int_equal(host_session_find(f->e, TOKEN, "ws-a", 100, &hs), -ENOENT);
        /* the next opening deletes it */
        assert_int_equal(host_session_put(f->e, TOKEN2, "sid2", 0, "ws-a", "{}", 100), 0);
        assert_int_equal(host_session_find(f->e, TOKEN, "ws-a", 100000, &hs), -ENOENT);
}

/* Ends the engine's connections from the server's side, as a restart or
 * an administrator's pg_terminate_backend does, and waits until they are
 * gone (PostgreSQL 14's timeout). */
static void terminate_backends(struct fixture *f) {
        char sql[256];
        snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                 "WHERE application_name = '%s' AND pid <> pg_backend_pid()", f->ts.schema);
        test_store_exec(&f->ts, sql);
}

/* PostgreSQL: a connection the server ended while it was idle is made
 * again before the next statement outside a transaction (a session's
 * lookup, the first thing each host request does), so that the first
 * request after a restart does not fail (503 store_unavailable); its
 * statements are prepared again, whether they had been or not. */
UNIT_FIXTURE(session_found_after_the_server_ended_the_connection, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        struct host_session hs;
        char c[HOST_CHALLENGE_LEN + 1];

        if (!test_pg()) {
                print_message("SKIP: PostgreSQL only (CARNET_TEST_PG is not set)\n");
                skip();
        }
        assert_int_equal(host_session_put(f->e, TOKEN, "sid1", 0, "ws-a", "{}", 900), 0);
        assert_int_equal(host_session_find(f->e, TOKEN, "ws-a", 900, &hs), 0);
        free(hs.info);
        terminate_backends(f);
        /* the lookup was prepared on the connection that ended */
        assert_int_equal(host_session_find(f->e, TOKEN, "ws-a", 900, &hs), 0);
        assert_string_equal(hs.session_id, "sid1");
        free(hs.info);
        terminate_backends(f);
        /* one never prepared yet, and writes outside a transaction */
        assert_int_equal(host_session_set_info(f->e, TOKEN, "ws-a", "{\"x\":1}"), 0);
        terminate_backends(f);
        assert_int_equal(host_challenge_issue(f->e, "ws-a", c), 0);
        assert_int_equal(host_challenge_take(f->e, c, "ws-a"), 0);
        assert_int_equal(host_session_find(f->e, TOKEN, "ws-a", 900, &hs), 0);
        assert_string_equal(hs.info, "{\"x\":1}");
        free(hs.info);
}

UNIT_FIXTURE(host_refusal_in_trail, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        int64_t n = audit_count(f);

        assert_int_equal(dossier_host_refused(f->e, "workstation", "", "rogue", "host-connect", "untrusted-workstation"), 0);
        assert_int_equal(audit_count(f), n + 1);
        assert_int_equal(dossier_host_refused(f->e, "workstation", "", "ws", "host connect", "x"), -EINVAL);
        verify_chain(f);
}
