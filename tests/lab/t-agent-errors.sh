#!/bin/bash
# Lab test: carnetd as the agent of a dossier host (docs/agent.md), against
# a stand-in host (tests/lab/host-standin.py, HTTPS with client
# certificates).  A host on a closed port, one that never answers, one that
# answers garbage, one that refuses the workstation's certificate: every
# dossier route answers 503 host_unreachable / host_timeout / host_bad_reply
# (each request bounded by curl's --max-time), and a professional login
# fails before the card signs.  A working host: the login's record carries
# the host's challenge, requests go there with the HOST token, the Vitale
# routes send the person read here, content comes back with its type (and
# a FHIR read with its ETag and Last-Modified), a deposit whose reply is
# lost is host_timeout and sent once, a refused mode changes nothing, patient
# sessions and logout reach the host; the headers the host reads go along
# (Accept, Prefer, preconditions, the raw deposit's) with Forwarded, no other.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

H=$LAB_DIR/host
mkdir -p "$H"
# ---- a CA, the host's certificate for 127.0.0.1, the workstation's -------
pki() {
        local d=$1 cn=$2
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$cn CA" -keyout "$d/ca.key" \
                -out "$d/ca.pem" 2>/dev/null
}
pki "$H" "stand-in"
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$H/server.key" -out "$H/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$H/server.ext"
openssl x509 -req -in "$H/server.csr" -CA "$H/ca.pem" -CAkey "$H/ca.key" -CAcreateserial -days 2 \
        -extfile "$H/server.ext" -out "$H/server.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=lab-ws" -keyout "$H/ws.key" -out "$H/ws.csr" 2>/dev/null
openssl x509 -req -in "$H/ws.csr" -CA "$H/ca.pem" -CAkey "$H/ca.key" -CAcreateserial -days 2 -out "$H/ws.pem" \
        2>/dev/null
# a workstation certificate from a CA the host does not trust
mkdir -p "$H/other"
pki "$H/other" "other"
openssl req -newkey rsa:2048 -nodes -subj "/CN=lab-ws" -keyout "$H/other/ws.key" -out "$H/other/ws.csr" 2>/dev/null
openssl x509 -req -in "$H/other/ws.csr" -CA "$H/other/ca.pem" -CAkey "$H/other/ca.key" -CAcreateserial -days 2 \
        -out "$H/other/ws.pem" 2>/dev/null

standin=
standin_start() { # MODE PORT
        rm -f "$H/ready"
        python3 "$(dirname "$0")/host-standin.py" "$1" "$2" "$H" 2>>"$H/standin.err" &
        standin=$!
        until_ok test -e "$H/ready"
}
standin_stop() {
        [ -z "$standin" ] || { kill "$standin" 2>/dev/null || true; wait "$standin" 2>/dev/null || true; }
        standin=
}
# agent_conf PORT [LINE...]: carnetd as the agent of https://127.0.0.1:PORT
agent_conf() {
        local port=$1
        shift
        carnetd_conf "workstation = lab-ws" "dossier_host = https://127.0.0.1:$port" "host_cert = $H/ws.pem" \
                "host_key = $H/ws.key" "host_ca = $H/ca.pem" "$@"
}
carnetd_stop() {
        kill "$daemon"
        wait "$daemon" || true
}
trap 'standin_stop' EXIT
# bounded: a carnetd that hangs on the host fails the test (curl says 000)
B=(--max-time 20)
SIGN='^> [0-9A-F]{2}87' # the CPS simulator's signature command, in its APDU log

lab_cards
birth='"birth_date": "1980-01-01"'

# every route that reaches the host answers CODE (503) and the login fails
errors_are() { # WHAT CODE
        check "$1: audit verify (root)" "$(api GET /v1/audit/verify "" "" "${B[@]}")" "503 {\"error\":{\"code\":\"$2\"*"
        check "$1: patient opens a dossier" \
                "$(api POST /v1/patient-dossiers "{\"index\": 0, \"consent\": true, $birth}" "" "${B[@]}")" \
                "503 {\"error\":{\"code\":\"$2\"*"
        check "$1: patient session" "$(api POST /v1/patient-sessions '{"index": 0, "secret": "x"}' "" "${B[@]}")" \
                "503 {\"error\":{\"code\":\"$2\"*"
        : >"$LAB_DIR/slot1.apdu"
        check "$1: CPS login" "$(api POST /v1/sessions '{"pin": "1234"}' "" "${B[@]}")" "503 {\"error\":{\"code\":\"$2\"*"
        # the card was never asked to sign (GENERAL AUTHENTICATE, 87)
        ! grep -Eq "$SIGN" "$LAB_DIR/slot1.apdu" || fail "$1: the card signed"
        check "$1: no local session for a dossier call" "$(api GET /v1/dossiers/180017512345623 "" "" "${B[@]}")" \
                '401 {"error":{"code":"no_session"*'
        api GET /v1/dossiers/180017512345623 "" "" "${B[@]}" -D "$LAB_DIR/h401" >/dev/null
        grep -q '^WWW-Authenticate: CarnetSession realm="carnet"'$'\r''$' "$LAB_DIR/h401" ||
                fail "$1: the agent's 401 without WWW-Authenticate"
        check "$1: the readers are local" "$(api GET /v1/readers "" "" "${B[@]}")" '200 *'
}

# (a) nothing listens
agent_conf 9
carnetd_start
cards_ready
grep -q "agent mode: no local database" "$LAB_DIR/carnetd.err" || fail "carnetd did not say agent mode"
errors_are "closed port" host_unreachable
carnetd_stop

# (b) a host that completes the handshake and never answers
standin_start silent 8441
agent_conf 8441 "host_timeout_ms = 700"
carnetd_start
cards_ready
errors_are "silent host" host_timeout
carnetd_stop
standin_stop

# (c) a host that answers garbage
standin_start garbage 8442
agent_conf 8442
carnetd_start
cards_ready
errors_are "garbage host" host_bad_reply
carnetd_stop
standin_stop

# (d) a host that refuses the workstation's certificate (TLS handshake)
standin_start ok 8443
carnetd_conf "workstation = lab-ws" "dossier_host = https://127.0.0.1:8443" "host_cert = $H/other/ws.pem" \
        "host_key = $H/other/ws.key" "host_ca = $H/ca.pem"
carnetd_start
cards_ready
errors_are "refused certificate" host_unreachable
carnetd_stop
[ ! -s "$H/requests" ] || fail "the host saw a request through a refused handshake"

# ---- a working host --------------------------------------------------------
agent_conf 8443 "host_timeout_ms = 1500"
carnetd_start
cards_ready
: >"$LAB_DIR/slot1.apdu"
out=$(api POST /v1/sessions '{"pin": "1234"}' "" "${B[@]}")
check "login through the host" "$out" '201 {"token":"*'
token=$(field token "$out")
id=$(echo "$out" | sed 's/.*"session":{"id":"\([0-9a-f]*\)".*/\1/')
host_token=$(tail -1 "$H/tokens")
[ "$host_token" != "$token" ] || fail "the local token is the host's"
grep -q '"path": "/v1/host/challenges"' "$H/requests" || fail "no challenge asked"
grep -Eq "$SIGN" "$LAB_DIR/slot1.apdu" || fail "the card did not sign (or the log changed)"

ins=180017512345623
out=$(api GET "/v1/dossiers/$ins?x=1" "" "$token" "${B[@]}")
check "a dossier read goes to the host" "$out" "200 *\"method\":\"GET\",\"path\":\"/v1/dossiers/$ins\",\"query\":\"x=1\"*"
check "with the host token" "$out" "*\"token\":\"$host_token\"*"
check "a trail page's limit and cursor go to the host" \
        "$(api GET "/v1/dossiers/$ins/audit?limit=2&after=17" "" "$token" "${B[@]}")" \
        "200 *\"method\":\"GET\",\"path\":\"/v1/dossiers/$ins/audit\",\"query\":\"limit=2&after=17\"*"
# the headers the host's answer depends on go along, each field of them,
# and Forwarded with the scheme and Host this client asked on; nothing
# else: no hop-by-hop header, no client's Forwarded, no second session
out=$(api GET "/fhir/R4/DocumentReference?patient=$ins" "" "$token" "${B[@]}" -H 'Host: workstation.local:8080' \
        -H 'Accept: application/fhir+json' -H 'Prefer: handling=lenient' -H 'Prefer: return=minimal' \
        -H 'Forwarded: proto=https;host=elsewhere' -H "X-Carnet-Session: $(printf '%064d' 7)" \
        -H 'Connection: keep-alive, Upgrade' -H 'Keep-Alive: timeout=5' -H 'TE: trailers' -H 'Upgrade: h2c' \
        -H 'X-Other: 1' -H 'Accept-Encoding: gzip')
check "Accept and Prefer go to the host" "$out" \
        '200 *"accept":\["application/fhir+json"\],"prefer":\["handling=lenient","return=minimal"\]*'
check "with the client's own base, not its Forwarded" "$out" \
        '200 *"forwarded":\["proto=http;host=\\"workstation.local:8080\\""\]*'
check "one session, the host token" "$out" "200 *\"tokens\":\[\"$host_token\"\]*"
check "and no other header" "$out" \
        '200 *"names":\["accept","forwarded","host","prefer","x-carnet-session"\]}'
check "no Accept when the client sent none" "$(api GET "/v1/dossiers/$ins" "" "$token" "${B[@]}" -H Accept:)" \
        '200 *"accept":null,*"names":\["forwarded","host","x-carnet-session"\]}'
check "root's session goes along to the audit check" "$(api GET /v1/audit/verify "" "$token" "${B[@]}")" \
        "200 *\"path\":\"/v1/audit/verify\"*\"token\":\"$host_token\"*"
# several request threads share the client
pids=()
for i in $(seq 8); do
        api GET "/v1/dossiers/$ins?n=$i" "" "$token" "${B[@]}" >"$LAB_DIR/par.$i" &
        pids+=($!)
done
wait "${pids[@]}"
for i in $(seq 8); do
        check "parallel request $i" "$(cat "$LAB_DIR/par.$i")" "200 *\"query\":\"n=$i\",\"token\":\"$host_token\"*"
done
out=$(api POST /v1/dossiers '{"index": 0, "consent": true}' "$token" "${B[@]}")
check "opening: the person read here" "$out" '200 *"body":{*"vitale":{"surname":"MARTIN"*"nir":"280057512345674"}*'
[[ $out != *'"index"'* ]] || fail "the card's index went to the host: $out"
doc=0123456789abcdef0123456789abcdef
curl -s -D "$LAB_DIR/h" -o "$LAB_DIR/content" --max-time 20 --unix-socket "$LAB_DIR/carnetd.sock" \
        -H "X-Carnet-Session: $token" "http://localhost/v1/dossiers/$ins/documents/$doc/content"
grep -q "^HTTP/1.1 200" "$LAB_DIR/h" || fail "content: $(cat "$LAB_DIR/h")"
grep -qi "^content-type: text/plain" "$LAB_DIR/h" || fail "content type: $(cat "$LAB_DIR/h")"
grep -qi "^x-carnet-warning: stand-in warning" "$LAB_DIR/h" || fail "warning: $(cat "$LAB_DIR/h")"
[ "$(cat "$LAB_DIR/content")" = "hello content" ] || fail "content: $(cat "$LAB_DIR/content")"
echo "content relayed: ok"
# a FHIR read's ETag (R4 http.html, read) comes back through the agent
curl -s -D "$LAB_DIR/h" -o /dev/null --max-time 20 --unix-socket "$LAB_DIR/carnetd.sock" \
        -H "X-Carnet-Session: $token" "http://localhost/fhir/R4/DocumentReference/$ins-$doc"
grep -q "^HTTP/1.1 200" "$LAB_DIR/h" && grep -qi '^etag: W/"2"' "$LAB_DIR/h" || fail "FHIR ETag: $(cat "$LAB_DIR/h")"
# and its Last-Modified (RFC 9110 8.8.2; R4 http.html, read)
grep -qi '^last-modified: Tue, 14 Nov 2023 09:00:00 GMT' "$LAB_DIR/h" || fail "FHIR Last-Modified: $(cat "$LAB_DIR/h")"
echo "ETag and Last-Modified relayed: ok"
# a conditional read (R4 http.html#cread): the preconditions go to the host,
# each field of them, and its 304 comes back as it is, without a body
curl -s -D "$LAB_DIR/h" -o "$LAB_DIR/b304" --max-time 20 --unix-socket "$LAB_DIR/carnetd.sock" \
        -H "X-Carnet-Session: $token" -H 'If-None-Match: W/"2"' -H 'If-None-Match: "x"' \
        -H 'If-Modified-Since: Tue, 14 Nov 2023 09:00:00 GMT' "http://localhost/fhir/R4/DocumentReference/$ins-$doc"
grep -q "^HTTP/1.1 304" "$LAB_DIR/h" && grep -qi '^etag: W/"2"' "$LAB_DIR/h" || fail "304: $(cat "$LAB_DIR/h")"
[ ! -s "$LAB_DIR/b304" ] || fail "a 304 with a body: $(cat "$LAB_DIR/h")"
no_body_fields "$LAB_DIR/h" "the host's 304 relayed"
tail -n 1 "$H/requests" |
        grep -qF '"if_none_match": ["W/\"2\"", "\"x\""], "if_modified_since": "Tue, 14 Nov 2023 09:00:00 GMT"' ||
        fail "the preconditions sent: $(tail -n 1 "$H/requests")"
echo "If-None-Match and If-Modified-Since relayed, the 304 back: ok"
# the host's Vary comes back (RFC 9110 12.5.5: a cache in front of the agent
# keys on what the host's does), its fields as one list, on the 200 and
# the 304; a list too long to relay whole is "*", never a shorter one
vary() { # vary [CURL ARGS...]: the Binary read's status and Vary fields
        curl -s -D "$LAB_DIR/h" -o /dev/null -w '%{http_code}' --max-time 20 --unix-socket "$LAB_DIR/carnetd.sock" \
                -H "X-Carnet-Session: $token" "$@"
        echo "" $(sed -n 's/^[Vv]ary: *\(.*\)\r$/(\1)/p' "$LAB_DIR/h")
}
check "a Binary read: the host's two Vary fields, one list" \
        "$(vary "http://localhost/fhir/R4/Binary/$ins-$doc")" "200 (Accept, Prefer)"
check "its 304: the same Vary" \
        "$(vary -H 'If-None-Match: W/"2"' "http://localhost/fhir/R4/Binary/$ins-$doc")" "304 (Accept, Prefer)"
check "a Vary too long to relay: *" "$(vary "http://localhost/fhir/R4/Binary/$ins-$doc?vary=long")" "200 (\\*)"
# a parameter given twice is the agent's own 400, naming it: the host never
# sees the request
n=$(wc -l <"$H/requests")
check "a parameter twice: 400 before the host" "$(api GET "/v1/dossiers/$ins/documents?limit=5&limit=900" "" \
        "$token")" '400 {"error":{"code":"bad_parameter"*"details":{"parameter":"limit"}}}'
check "the host saw nothing of it" "$(wc -l <"$H/requests")" "$n"

check "a lost deposit reply" "$(api POST "/v1/dossiers/$ins/documents" 'raw bytes' "$token" "${B[@]}" \
        -H 'Content-Type: text/plain' -H 'X-Carnet-Document: {"title": "t"}')" '503 {"error":{"code":"host_timeout"*'
sleep 2 # a resend would have come by now
[ "$(grep -c '"method": "POST", "path": "/v1/dossiers/[0-9]*/documents"' "$H/requests")" = 1 ] ||
        fail "the deposit was not sent exactly once"
grep -q '"document": "{\\"title\\": \\"t\\"}", "length": 9' "$H/requests" || fail "the raw deposit's header or body"
check "JSON that is not JSON" "$(api GET /v1/notifications "" "$token" "${B[@]}")" \
        '503 {"error":{"code":"host_bad_reply"*'

check "mode refused by the host" "$(api PUT /v1/sessions/current/mode '{"mode": "call_centre"}' "$token" "${B[@]}")" \
        '403 {"error":{"code":"call_centre_refused"*'
check "the local mode unchanged" "$(api GET /v1/sessions/current "" "$token")" '200 *"mode":"normal"*'
check "mode taken by the host" \
        "$(api PUT /v1/sessions/current/mode '{"mode": "emergency", "reason": "coma"}' "$token" "${B[@]}")" \
        '200 *"mode":"emergency"*'

check "wrong secret: the host's refusal" \
        "$(api POST /v1/patient-sessions '{"index": 0, "secret": "bad"}' "" "${B[@]}")" '403 {"error":{"code":"bad_secret"*'
out=$(api POST /v1/patient-sessions '{"index": 0, "secret": "good"}' "" "${B[@]}")
check "patient session" "$out" '201 {"token":"*"kind":"patient"*'
ptoken=$(field token "$out")
phost=$(tail -1 "$H/tokens")
grep -q '"path": "/v1/patient-sessions".*"vitale": {' "$H/requests" || fail "the patient session's person"
check "the patient's calls carry their host token" "$(api GET "/v1/dossiers/$ins" "" "$ptoken" "${B[@]}")" \
        "200 *\"token\":\"$phost\"*"

check "logout" "$(api DELETE "/v1/sessions/$id" "" "$token" "${B[@]}")" '200 *"closed":true*'
grep -q "\"method\": \"DELETE\", \"path\": \"/v1/host/sessions/current\".*\"token\": \"$host_token\"" \
        "$H/requests" || fail "logout did not end the host session"

# the host refuses the session: relayed, and no local session is left
touch "$H/refuse"
check "session refused by the host" "$(api POST /v1/sessions '{"pin": "1234"}' "" "${B[@]}")" \
        '403 {"error":{"code":"session_refused"*"reason":"bad_challenge"*'
rm "$H/refuse"
touch "$H/refuse-workstation"
check "workstation refused at the challenge" "$(api POST /v1/sessions '{"pin": "1234"}' "" "${B[@]}")" \
        '403 {"error":{"code":"workstation_refused"*'
rm "$H/refuse-workstation"
out=$(api POST /v1/sessions '{"pin": "1234"}' "" "${B[@]}")
check "the card is free again" "$out" '201 *'
# the host forgot the session (idle past its session_idle_s): the 401
# no_session of a forwarded call ends the local session too (reported), says
# to log in again, and a new login is no 409 session_exists
token=$(field token "$out")
gone=$(tail -1 "$H/tokens")
touch "$H/forget"
check "the host forgot the session: 401, log in again" \
        "$(api GET /v1/dossiers/180017512345623 "" "$token" "${B[@]}" -D "$LAB_DIR/h401")" \
        '401 {"error":{"code":"no_session","message":"the dossier host*log in again*'
grep -q '^WWW-Authenticate: CarnetSession realm="carnet"'$'\r''$' "$LAB_DIR/h401" ||
        fail "the host's 401 through the agent without WWW-Authenticate"
rm "$H/forget"
check "the local session ended with it" "$(api GET /v1/sessions/current "" "$token")" \
        '401 {"error":{"code":"no_session"*'
until_ok grep -q 'ended: host_session_ended' "$LAB_DIR/carnetd.err" || fail "the session's end was not reported"
out=$(api POST /v1/sessions '{"pin": "1234"}' "" "${B[@]}")
check "a new login" "$out" '201 *'
! grep -q "\"method\": \"DELETE\", \"path\": \"/v1/host/sessions/current\".*\"token\": \"$gone\"" "$H/requests" ||
        fail "the host was asked to end a session it had forgotten"
# GET /v1/sessions/current asks the host's side too (and so keeps it in
# use): the host's 200 is the local session; its 401 ends the local one
token=$(field token "$out")
gone=$(tail -1 "$H/tokens")
check "current, the host asked" "$(api GET /v1/sessions/current "" "$token" "${B[@]}")" '200 {"id":*'
grep -q "\"method\": \"GET\", \"path\": \"/v1/host/sessions/current\".*\"token\": \"$gone\"" "$H/requests" ||
        fail "GET /v1/sessions/current did not ask the host"
touch "$H/forget"
check "current, the host forgot it" "$(api GET /v1/sessions/current "" "$token" "${B[@]}")" \
        '401 {"error":{"code":"no_session","message":"the dossier host*log in again*'
rm "$H/forget"
check "current, then: no local session" "$(api GET /v1/sessions/current "" "$token" "${B[@]}")" \
        '401 {"error":{"code":"no_session","message":"no live session*'
check "and a new login" "$(api POST /v1/sessions '{"pin": "1234"}' "" "${B[@]}")" '201 *'
# a session that ends with its card ends on the host too
last=$(tail -1 "$H/tokens")
sim_cmd 1 remove
wait_card 1 absent
until_ok grep -q "\"method\": \"DELETE\", \"path\": \"/v1/host/sessions/current\".*\"token\": \"$last\"" \
        "$H/requests" || fail "the card left, the host session stayed"
carnetd_stop
! grep -q "$host_token" "$LAB_DIR/carnetd.err" || fail "a host token is in the log"
! grep -Eq "$ins|280057512345674" "$LAB_DIR/carnetd.err" || fail "an INS is in the log"

# --check-config: the files must be readable
agent_conf 8443
"$CARNET_BUILD/carnetd" --config "$LAB_DIR/carnetd.conf" --check-config >"$LAB_DIR/cc" 2>&1 ||
        fail "check-config: $(cat "$LAB_DIR/cc")"
agent_conf 8443 "host_ca = $H/missing.pem"
! "$CARNET_BUILD/carnetd" --config "$LAB_DIR/carnetd.conf" --check-config >"$LAB_DIR/cc" 2>&1 ||
        fail "check-config took a missing host_ca"
grep -q "missing.pem" "$LAB_DIR/cc" || fail "check-config: $(cat "$LAB_DIR/cc")"
echo "agent errors ok"
