/* tests/unit/test-p11wire.c: the messages between carnetd and
 * carnet-p11-helper (p11remote/p11-wire.h): the request table (unknown
 * type, wrong state, oversized length), the bounded codec (truncated and
 * overlong payloads) and whole messages on a socketpair. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "p11remote/p11-wire.h"

UNIT(table_types_and_states) {
        struct p11w_header h = {.type = P11W_LOGIN, .handle = 1, .len = 10};
        assert_int_equal(p11w_check(&h, P11W_ST_OPENED), 0);
        assert_int_equal(p11w_check(&h, P11W_ST_LOGGED_IN), -EPERM); /* logged in already */
        assert_int_equal(p11w_check(&h, P11W_ST_NONE), -EPERM);
        assert_int_equal(p11w_check(&h, 0), -EPERM); /* no such handle */
        h.type = P11W_SIGN;
        assert_int_equal(p11w_check(&h, P11W_ST_OPENED), -EPERM); /* sign before login */
        assert_int_equal(p11w_check(&h, P11W_ST_LOGGED_IN), 0);
        h.type = P11W_OPEN;
        assert_int_equal(p11w_check(&h, P11W_ST_NONE), 0);
        assert_int_equal(p11w_check(&h, P11W_ST_OPENED), -EPERM);
        h.type = P11W_CLOSE;
        h.len = 0;
        assert_int_equal(p11w_check(&h, P11W_ST_OPENED), 0);
        assert_int_equal(p11w_check(&h, P11W_ST_LOGGED_IN), 0);
        /* unknown types and a reply type are malformed */
        h.type = 0;
        assert_int_equal(p11w_check(&h, P11W_ST_NONE), -EBADMSG);
        h.type = _P11W_TYPE_MAX;
        assert_int_equal(p11w_check(&h, P11W_ST_NONE), -EBADMSG);
        h.type = P11W_LOGIN | P11W_REPLY;
        assert_int_equal(p11w_check(&h, P11W_ST_OPENED), -EBADMSG);
        assert_null(p11w_rule(999));
        assert_string_equal(p11w_rule(P11W_SIGN)->name, "sign");
}

UNIT(table_lengths) {
        struct p11w_header h = {.type = P11W_LOGIN, .handle = 1, .len = 1 + 2 + P11W_PIN_MAX};
        assert_int_equal(p11w_check(&h, P11W_ST_OPENED), 0);
        h.len++; /* a PIN longer than the bound: an error reply */
        assert_int_equal(p11w_check(&h, P11W_ST_OPENED), -EMSGSIZE);
        h.len = P11W_PAYLOAD_MAX + 1; /* over every bound: malformed */
        assert_int_equal(p11w_check(&h, P11W_ST_OPENED), -EBADMSG);
        h.type = P11W_CLOSE;
        h.len = 1;
        assert_int_equal(p11w_check(&h, P11W_ST_OPENED), -EMSGSIZE);
        h.len = 0;
        h.zero = 1;
        assert_int_equal(p11w_check(&h, P11W_ST_OPENED), -EBADMSG);
}

UNIT(codec_round_trip) {
        struct p11w_buf b;
        struct p11_token t = {.slot = 4, .reader = "Virtual PCD 00 01", .serial = "1234", .flags = 0x40d,
                              .protected_auth = true, .pin_state = P11_PIN_FINAL_TRY, .tries_left = 1};
        struct p11_identity id = {.national_id = "899700000001", .surname = "MARTIN", .card_type = P11_CARD_CPS,
                                  .bad_field = "specialty"};
        struct p11_map map, map2;
        struct p11_error e, e2;
        p11_map_default(&map);
        p11_error_set(&e, -EACCES, "pin_incorrect");
        e.tries_left = 2;
        p11w_init(&b);
        p11w_put_error(&b, &e);
        p11w_put_token(&b, &t);
        p11w_put_identity(&b, &id);
        p11w_put_map(&b, &map);
        assert_false(b.bad);

        struct p11_token t2;
        struct p11_identity id2;
        char code[P11W_CODE_MAX], bad[P11W_CODE_MAX];
        p11w_get_error(&b, &e2, code);
        p11w_get_token(&b, &t2);
        p11w_get_identity(&b, &id2, bad);
        p11w_get_map(&b, &map2);
        assert_true(p11w_done(&b));
        assert_int_equal(e2.err, -EACCES);
        assert_string_equal(e2.code, "pin_incorrect");
        assert_int_equal(e2.tries_left, 2);
        assert_int_equal(t2.slot, 4);
        assert_string_equal(t2.reader, "Virtual PCD 00 01");
        assert_true(t2.protected_auth);
        assert_int_equal(t2.pin_state, P11_PIN_FINAL_TRY);
        assert_string_equal(id2.national_id, "899700000001");
        assert_int_equal(id2.card_type, P11_CARD_CPS);
        assert_string_equal(id2.bad_field, "specialty");
        assert_memory_equal(&map.auth_cert, &map2.auth_cert, sizeof(map.auth_cert));
        assert_string_equal(map2.national_id.oid, map.national_id.oid);
}

UNIT(codec_truncated_and_bad) {
        struct p11w_buf b;
        struct p11_token t = {.reader = "r"}, t2;
        p11w_init(&b);
        p11w_put_token(&b, &t);
        b.len -= 3; /* truncated */
        p11w_get_token(&b, &t2);
        assert_true(b.bad);
        assert_false(p11w_done(&b));

        /* a string longer than its field, a string with a NUL inside */
        char s[8];
        p11w_init(&b);
        p11w_put_str(&b, "much too long");
        p11w_get_str(&b, s, sizeof(s));
        assert_true(b.bad);
        assert_string_equal(s, "");
        p11w_init(&b);
        p11w_put_bytes(&b, "a\0b", 3);
        p11w_get_str(&b, s, sizeof(s));
        assert_true(b.bad);

        /* bytes left over are not "done" */
        p11w_init(&b);
        p11w_put_u32(&b, 1);
        p11w_put_u8(&b, 2);
        (void)p11w_get_u32(&b);
        assert_false(p11w_done(&b));

        /* writing past the buffer */
        static uint8_t big[P11W_PAYLOAD_MAX];
        p11w_init(&b);
        p11w_put_bytes(&b, big, sizeof(big)); /* + 2 length bytes: too much */
        assert_true(b.bad);

        /* out-of-range enumerations */
        struct p11_error e;
        char code[P11W_CODE_MAX];
        p11w_init(&b);
        p11w_put_u64(&b, 0);
        p11w_put_u32(&b, 0);
        p11w_put_u32(&b, 77); /* pin state */
        p11w_put_u32(&b, (uint32_t)-1);
        p11w_put_u8(&b, 0);
        p11w_put_str(&b, "ok");
        p11w_get_error(&b, &e, code);
        assert_true(b.bad);

        /* the wipe */
        p11w_init(&b);
        p11w_put_str(&b, "1234");
        p11w_wipe(&b);
        for (size_t i = 0; i < 16; i++)
                assert_int_equal(b.data[i], 0);
}

UNIT(messages_on_a_socket) {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        static struct p11w_buf b, r;
        struct p11w_header h;
        p11w_init(&b);
        p11w_put_str(&b, "Virtual PCD 00 01");
        assert_int_equal(p11w_send(sv[0], P11W_TOKEN_FOR, 0, &b), 0);
        assert_int_equal(p11w_recv(sv[1], &h, &r, 1000), 0);
        assert_int_equal(h.type, P11W_TOKEN_FOR);
        assert_int_equal(h.len, b.len);
        assert_memory_equal(r.data, b.data, b.len);
        /* nothing comes: a timeout */
        assert_int_equal(p11w_recv(sv[1], &h, &r, 50), -ETIMEDOUT);
        /* a header claiming more than the bound */
        struct p11w_header big = {.type = P11W_CERT, .len = P11W_PAYLOAD_MAX + 1};
        assert_int_equal(write(sv[0], &big, sizeof(big)), (ssize_t)sizeof(big));
        assert_int_equal(p11w_recv(sv[1], &h, &r, 1000), -EBADMSG);
        /* a message cut short, then the end of file */
        struct p11w_header cut = {.type = P11W_CERT, .len = 4};
        assert_int_equal(write(sv[0], &cut, sizeof(cut)), (ssize_t)sizeof(cut));
        assert_int_equal(write(sv[0], "ab", 2), 2);
        close(sv[0]);
        assert_int_equal(p11w_recv(sv[1], &h, &r, 1000), -ECONNRESET);
        close(sv[1]);
}

UNIT_GROUP("p11wire", NULL, NULL)
