#!/bin/bash
# Lab test: professional sessions through the API, with curl on the socket.
# A PIN too short for the card is pin_invalid, a wrong PIN is 401 with the
# tries left going down, the right PIN opens a session whose token works
# only for the uid that opened it, a second session on the same card is
# 409, pulling the card ends the session (the next api gets 401), logout
# ends it, an untrusted card is 403, and the PIN appears in no log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sock=$LAB_DIR/carnetd.sock
db=$LAB_DIR/carnet.db
carnetd_conf "workstation = lab-ws-1" "database = $db"
# api METHOD PATH [BODY [TOKEN]]: prints "HTTP-code body"

sim_start 1 "$CARNET_PKI/cps-rsa.profile"
wait_card 1 present
carnetd_start
for _ in $(seq 100); do api GET /v1/readers | grep -q '"type":"cps"' && break; sleep 0.1; done

check "no token" "$(api GET /v1/sessions/current)" '401 {"error":{"code":"no_session"*'
# a 401 carries its challenge (RFC 9110 15.5.2), the scheme of X-Carnet-Session
curl -s -i --unix-socket "$LAB_DIR/carnetd.sock" http://localhost/v1/sessions/current >"$LAB_DIR/h401"
grep -q '^HTTP/1.1 401' "$LAB_DIR/h401" && grep -q '^WWW-Authenticate: CarnetSession realm="carnet"'$'\r''$' "$LAB_DIR/h401" ||
        { echo "401 without WWW-Authenticate"; cat "$LAB_DIR/h401"; exit 1; }
curl -s -i --unix-socket "$LAB_DIR/carnetd.sock" http://localhost/v1/status >"$LAB_DIR/h200"
! grep -qi '^WWW-Authenticate' "$LAB_DIR/h200" || { echo "a 200 with WWW-Authenticate"; exit 1; }
echo "401: WWW-Authenticate: ok"
check "bad body" "$(api POST /v1/sessions '{"pin": 1234}')" '400 *"bad_field"*'
check "unknown field" "$(api POST /v1/sessions '{"pin": "1234", "pim": 1}')" '400 *"unknown_field"*'
# a PIN shorter than the card takes (OpenSC: CKR_PIN_LEN_RANGE) is named,
# its code read after the card handle is closed (the error keeps a copy)
check "short PIN" "$(api POST /v1/sessions '{"pin": "123"}')" '400 {"error":{"code":"pin_invalid","message":"the PIN*'
check "wrong PIN 1" "$(api POST /v1/sessions '{"pin": "0000"}')" '401 {"error":{"code":"pin_incorrect"*'
check "wrong PIN 2" "$(api POST /v1/sessions '{"pin": "0000"}')" '401 {"error":{"code":"pin_incorrect"*"details":{"tries_left":1}*'
out=$(api POST /v1/sessions '{"pin": "1234"}')
check "right PIN" "$out" '201 {"token":"*","session":{"id":"*"national_id":"899700000001"*"profession":"10"*'
token=$(echo "$out" | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')
id=$(echo "$out" | sed 's/.*"session":{"id":"\([0-9a-f]*\)".*/\1/')
[ ${#token} = 64 ] || { echo "token: '$token'"; exit 1; }
check "current" "$(api GET /v1/sessions/current "" "$token")" "200 *\"id\":\"$id\"*"
# the same token from another uid is refused (nobody may call: allowed_groups
# is root-only here, so the socket refuses them first: 403 either way)
check "second session on the card" "$(api POST /v1/sessions '{"pin": "1234"}')" '409 *"session_exists"*'
check "logout by another id" "$(api DELETE /v1/sessions/0000 "" "$token")" '404 *'
check "logout" "$(api DELETE "/v1/sessions/$id" "" "$token")" '200 *"closed":true*'
check "after logout" "$(api GET /v1/sessions/current "" "$token")" '401 *"no_session"*'

# pulling the card ends the session: the next api gets 401
out=$(api POST /v1/sessions '{"pin": "1234"}')
token=$(echo "$out" | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')
check "session again" "$(api GET /v1/sessions/current "" "$token")" '200 *'
sim_cmd 1 remove
wait_card 1 absent
check "card pulled" "$(api GET /v1/sessions/current "" "$token")" '401 *"no_session"*'
check "no CPS" "$(api POST /v1/sessions '{"pin": "1234"}')" '503 *"no_cps_card"*'

# an untrusted card
sim_stop 1
sim_start 1 "$CARNET_PKI/cps-unknown-ca.profile"
wait_card 1 present
for _ in $(seq 100); do api GET /v1/readers | grep -q '"type":"cps"' && break; sleep 0.1; done
check "unknown CA" "$(api POST /v1/sessions '{"pin": "1234"}')" '403 *"unknown_ca"*'
# refusals in the trail: a certificate whose chain does not verify names
# nobody (anyone can write a self-signed one naming a real professional),
# only its fingerprint; one of a genuine chain (expired) names its holder
trail() {
        sqlite3 "$db" "SELECT actor_kind, actor, outcome, code, reason FROM audit
                       WHERE action = 'open-session' ORDER BY seq DESC LIMIT 1"
}
fpr() { openssl x509 -in "$CARNET_PKI/$1-auth.pem" -outform DER | sha256sum | cut -d' ' -f1; }
t=$(trail)
[ "$t" = "unverified||deny|deny-unknown_ca|cert-sha256:$(fpr cps-unknown-ca)" ] || { echo "trail: $t"; exit 1; }
swap_cps cps-expired
check "expired" "$(api POST /v1/sessions '{"pin": "1234"}')" '403 *"expired"*'
t=$(trail)
[ "$t" = "professional|899700000007|deny|deny-expired|cert-sha256:$(fpr cps-expired)" ] || { echo "trail: $t"; exit 1; }

kill "$daemon"
wait "$daemon"
no_pin "$LAB_DIR/carnetd.err"
grep -q "session .* opened by uid 0" "$LAB_DIR/carnetd.err"
echo "sessions API ok"
