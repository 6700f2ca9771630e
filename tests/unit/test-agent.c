/* tests/unit/test-agent.c: the dossier host's client (agent/agent.h) and
 * the session record's nonce hook (session/nonce.h), without a host:
 * configuration checks, the stable error codes, a closed port, and what
 * the hook's failures become.  tests/lab/t-agent-errors.sh runs them
 * against stand-in hosts. */
#include "unit.h"
#include <errno.h>
#include <string.h>

#include "agent/agent.h"
#include "session/nonce.h"

UNIT(refuses_anything_but_https) {
        struct agent *a = NULL;
        assert_int_equal(agent_new(&(struct agent_config){.url = "http://127.0.0.1:8443"}, &a), -EINVAL);
        assert_int_equal(agent_new(&(struct agent_config){.url = NULL}, &a), -EINVAL);
        assert_null(a);
        assert_int_equal(agent_new(&(struct agent_config){.url = "https://127.0.0.1:1/"}, &a), 0);
        agent_free(a);
}

UNIT(stable_codes) {
        assert_string_equal(agent_error_code(-EHOSTUNREACH), "host_unreachable");
        assert_string_equal(agent_error_code(-ETIMEDOUT), "host_timeout");
        assert_string_equal(agent_error_code(-EBADMSG), "host_bad_reply");
        assert_string_equal(agent_error_code(-ENOMEM), "internal");
}

/* Port 1 on the loopback: nothing listens, the connection is refused. */
UNIT(closed_port_is_unreachable) {
        struct agent *a = NULL;
        struct agent_reply rep = {0};
        char c[AGENT_TOKEN_LEN + 1];
        assert_int_equal(agent_new(&(struct agent_config){.url = "https://127.0.0.1:1", .timeout_ms = 5000}, &a), 0);
        assert_int_equal(agent_challenge(a, c), -EHOSTUNREACH);
        assert_int_equal(agent_forward(a, "GET", "/v1/dossiers/x y", &(struct agent_param){"q", "a&b"}, 1, "tok",
                                       NULL, 0, NULL, 0, &rep),
                         -EHOSTUNREACH);
        assert_int_equal(rep.status, 0);
        assert_int_equal(agent_forward(a, "GET", "no-slash", NULL, 0, NULL, NULL, 0, NULL, 0, &rep), -EINVAL);
        assert_int_equal(agent_close_session(a, "tok"), -EHOSTUNREACH);
        agent_free(a);
}

static int hook_err;
static const char *hook_value;
static int hook(void *userdata, char ret[SESSION_NONCE_MAX]) {
        if (hook_value)
                memcpy(ret, hook_value, strlen(hook_value) + 1 > SESSION_NONCE_MAX ? SESSION_NONCE_MAX
                                                                                   : strlen(hook_value) + 1);
        return hook_err;
}

UNIT(nonce_hook) {
        struct session_config cfg = {0};
        char n[SESSION_NONCE_MAX];
        const char *code = NULL;
        assert_int_equal(session_nonce(&cfg, n, &code), 0);
        assert_int_equal(strlen(n), 32); /* random: 16 bytes in hex */
        cfg.nonce = hook;
        hook_value = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        hook_err = 0;
        assert_int_equal(session_nonce(&cfg, n, &code), 0);
        assert_string_equal(n, hook_value);
        static const struct {
                int err;
                const char *code;
        } cases[] = {{-EHOSTUNREACH, "host_unreachable"}, {-ETIMEDOUT, "host_timeout"},
                     {-EBADMSG, "host_bad_reply"},        {-EACCES, "workstation_refused"},
                     {-EIO, "nonce_unavailable"}};
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                hook_err = cases[i].err;
                code = NULL;
                assert_int_equal(session_nonce(&cfg, n, &code), cases[i].err);
                assert_string_equal(code, cases[i].code);
        }
        /* a hook that says yes but writes nothing usable */
        hook_err = 0;
        hook_value = "";
        assert_int_equal(session_nonce(&cfg, n, &code), -EBADMSG);
        assert_string_equal(code, "host_bad_reply");
}
