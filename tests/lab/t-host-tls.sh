#!/bin/bash
# Lab test: carnet-hostd, the dossier host, over HTTPS with workstation
# certificates (docs/host.md), on SQLite:
#  - no client certificate, or one from a CA the host does not know: 403
#    workstation_refused (JSON: libmicrohttpd asks for a certificate and
#    the host refuses at the first request, so the TLS handshake itself
#    succeeds), traced in the trail (host-connect, untrusted-workstation);
#  - ws-a gets a challenge (64 hex, 60 s);
#  - forged session openings are 403 session_refused with their reason,
#    traced (host-session): a nonce that is no challenge, another
#    workstation's challenge, a record naming another workstation, a
#    random signature, a replayed challenge, an identity that is not the
#    certificate's, a certificate outside the host's trust anchors, a
#    revoked card (the host's own crl_path);
#  - a record signed with the test PKI's CPS key opens a host session:
#    GET /v1/host/sessions/current shows it, the engine answers
#    GET /v1/dossiers/{ins} (404 no_dossier JSON), ws-b cannot use
#    the token (401), a second carnet-hostd on the same database serves
#    it, mode changes, logout ends it;
#  - the host's server certificate (no clientAuth) names no workstation;
#  - a dossier opened from a "vitale" object (the card's index refused),
#    then the patient's own host session with its secret, from ws-b;
#  - the FHIR face on the host (docs/fhir.md): metadata, the Patient, the
#    patient's AuditEvents naming the workstation, a refusal as
#    OperationOutcome with the rule's reason, a DocumentReference's
#    conditional read (304 to its ETag);
#  - every response matches docs/openapi.yaml (tests/openapi/check-responses.js,
#    as t-openapi-responses does for carnetd's);
#  - SIGTERM stops carnet-hostd cleanly.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/host-pki.sh"

P=$LAB_DIR/host-pki
host_pki "$P"
DB=$LAB_DIR/host.db
PORT=18443
INS=185057800608491

hostd_conf() { # hostd_conf PORT
        cat <<EOC
listen = 127.0.0.1:$1
tls_cert = $P/server.pem
tls_key = $P/server.key
tls_client_ca = $P/ca.pem
trust_path = $CARNET_PKI/ca-chain.pem
crl_path = $CARNET_PKI/crl.pem
database = $DB
rights_table = $PWD/data/rights.tsv
interactions_table = $PWD/data/interactions.tsv
EOC
}
hostd_start() { # hostd_start PORT: sets $hostd
        hostd_conf "$1" >"$LAB_DIR/hostd-$1.conf"
        "$CARNET_BUILD/carnet-hostd" -c "$LAB_DIR/hostd-$1.conf" -v 2>>"$LAB_DIR/hostd.log" &
        hostd=$!
        until_ok curl -s -o /dev/null --cacert "$P/ca.pem" "https://127.0.0.1:$1/v1/status" ||
                { cat "$LAB_DIR/hostd.log"; fail "carnet-hostd did not start"; }
}
REC=$LAB_DIR/responses
mkdir -p "$REC"
echo 0 >"$REC/count"
# hcurl WS METHOD PATH [BODY] [TOKEN] [PORT] [CURL ARGS...]: "STATUS BODY" as
# workstation WS ("" for no certificate, "rogue" for the unknown CA's); each
# response is recorded in $REC for the OpenAPI check (N.meta, N.body)
hcurl() {
        local ws=$1 m=$2 p=$3 body=${4:-} tok=${5:-} port=${6:-$PORT} n
        shift $(($# < 6 ? $# : 6))
        n=$(($(cat "$REC/count") + 1))
        echo "$n" >"$REC/count"
        local out=$REC/$n.body
        local args=(-s -o "$out" -w '%{http_code} %{content_type}' --cacert "$P/ca.pem" -X "$m")
        [ -z "$ws" ] || args+=(--cert "$P/$ws.pem" --key "$P/$ws.key")
        [ -z "$body" ] || args+=(-H 'Content-Type: application/json' --data-binary "$body")
        [ -z "$tok" ] || args+=(-H "X-Carnet-Session: $tok")
        local w
        w=$(curl "${args[@]}" "$@" "https://127.0.0.1:$port$p") || w="curl-failed:$? none"
        # the route's template: the INS is {ins}, but FHIR's Patient/{id}
        local t=${p%%\?*}
        t=${t//$INS/\{ins\}}
        [ "$t" != "/fhir/R4/Patient/{ins}" ] || t="/fhir/R4/Patient/{id}"
        [[ $t != /fhir/R4/DocumentReference/\{ins\}-* ]] || t="/fhir/R4/DocumentReference/{id}"
        printf '{"method":"%s","path":"%s","status":%s,"content_type":"%s"}\n' "$m" "$t" "${w%% *}" \
                "${w#* }" >"$REC/$n.meta"
        echo "${w%% *} $(cat "$out" 2>/dev/null)"
}
trail() { sqlite3 "$DB" "SELECT actor_kind||'|'||actor||'|'||action||'|'||outcome||'|'||code FROM audit ORDER BY seq"; }
traced() { # traced WHAT LINE: the trail has LINE
        trail | grep -qxF "$2" || { trail; fail "$1: not in the trail: $2"; }
        echo "$1 traced: ok"
}

hostd_start $PORT

# ---- workstations the host does not know -----------------------------------
check "no client certificate" "$(hcurl "" GET /v1/status)" '403 {"error":{"code":"workstation_refused"*'
traced "no client certificate" "workstation||host-connect|deny|untrusted-workstation"
check "rogue CA" "$(hcurl rogue POST /v1/host/challenges)" '403 {"error":{"code":"workstation_refused"*'
traced "rogue CA" "workstation|rogue|host-connect|deny|untrusted-workstation"
check "rogue CA, engine route" "$(hcurl rogue GET /v1/dossiers/$INS)" '403 {"error":{"code":"workstation_refused"*'
check "a server certificate as a client's" "$(hcurl server GET /v1/status)" '403 {"error":{"code":"workstation_refused"*'
traced "a server certificate" "workstation|localhost|host-connect|deny|untrusted-workstation"
check "a known workstation" "$(hcurl ws-a GET /v1/status)" '200 {"version":*'
check "no readers on the host" "$(hcurl ws-a GET /v1/readers)" '404 {"error":*'

# ---- challenges ----------------------------------------------------------------
challenge() { # challenge WS: a fresh challenge of WS
        local out
        out=$(hcurl "$1" POST /v1/host/challenges)
        [[ $out == '201 {"challenge":"'*'","expires_in":60}' ]] || fail "challenge for $1: $out"
        field challenge "${out#201 }"
}
C1=$(challenge ws-a)
check "challenge is 64 hex" "$C1" "$(printf '%s' "$C1" | grep -xE '[0-9a-f]{64}')"

# ---- session records ---------------------------------------------------------
AUTH=$CARNET_PKI/cps-rsa-auth
CERT_B64=$(openssl x509 -in "$AUTH.pem" -outform DER | base64 -w0)
CERT_SHA=$(openssl x509 -in "$AUTH.pem" -outform DER | sha256sum | cut -c1-64)
NID=$(openssl x509 -in "$AUTH.pem" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p')
SID=$(openssl rand -hex 16)
# record NONCE [WORKSTATION] [NATIONAL_ID]: the canonical record (sorted keys, compact)
record() {
        printf '{"card_serial":"0001","card_type":"CPS","cert_sha256":"%s","national_id":"%s","nonce":"%s","reader":"Virtual PCD 00 01","session_id":"%s","time":%s,"uid":1000,"version":1,"workstation":"%s"}' \
                "$CERT_SHA" "${3:-$NID}" "$1" "$SID" "$(date +%s)" "${2:-ws-a}"
}
sign() { printf '%s' "$1" | openssl dgst -sha256 -sign "${2:-$AUTH.key}" | base64 -w0; }
session_body() { # session_body RECORD SIGNATURE [CERT_B64]
        python3 -c 'import json,sys; print(json.dumps({"record":sys.argv[1],"signature":sys.argv[2],"certificate":sys.argv[3]}))' \
                "$1" "$2" "${3:-$CERT_B64}"
}
refused() { # refused WHAT BODY [WS] REASON
        local out
        out=$(hcurl "$3" POST /v1/host/sessions "$2")
        check "$1" "$out" "403 {\"error\":{\"code\":\"session_refused\",*\"details\":{\"reason\":\"$4\"}}}"
        traced "$1" "workstation|$3|host-session|deny|${4//_/-}"
}

R=$(record "$(openssl rand -hex 32)")
refused "a nonce that is no challenge" "$(session_body "$R" "$(sign "$R")")" ws-a bad_challenge
CB=$(challenge ws-b)
R=$(record "$CB")
refused "another workstation's challenge" "$(session_body "$R" "$(sign "$R")")" ws-a bad_challenge
R=$(record "$(challenge ws-b)" ws-a)
refused "a record naming another workstation" "$(session_body "$R" "$(sign "$R")")" ws-b workstation_mismatch
R=$(record "$C1")
refused "a random signature" "$(session_body "$R" "$(openssl rand -base64 256 | tr -d '\n')")" ws-a bad_signature
refused "a replayed challenge" "$(session_body "$R" "$(sign "$R")")" ws-a bad_challenge
R=$(record "$(challenge ws-a)" ws-a 810000000099)
refused "another national id" "$(session_body "$R" "$(sign "$R")")" ws-a identity_mismatch
ROGUE_B64=$(openssl x509 -in "$P/rogue.pem" -outform DER | base64 -w0)
R=$(record "$(challenge ws-a)")
refused "a certificate outside the trust anchors" "$(session_body "$R" "$(sign "$R" "$P/rogue.key")" "$ROGUE_B64")" ws-a \
        untrusted_certificate
REVOKED_B64=$(openssl x509 -in "$CARNET_PKI/cps-revoked-auth.pem" -outform DER | base64 -w0)
R=$(record "$(challenge ws-a)")
refused "a revoked card (the host's own revocation lists)" \
        "$(session_body "$R" "$(sign "$R" "$CARNET_PKI/cps-revoked-auth.key")" "$REVOKED_B64")" ws-a untrusted_certificate
refused "not a record" '{"record":"{}","signature":"AA==","certificate":"AA=="}' ws-a malformed_record

# ---- a record the CPS key signed -------------------------------------------------
R=$(record "$(challenge ws-a)")
out=$(hcurl ws-a POST /v1/host/sessions "$(session_body "$R" "$(sign "$R")")")
check "a signed record opens a session" "$out" '201 {"token":"*","session":{*"kind":"professional"*'
TOK=$(field token "${out#201 }")
check "the session's national id" "$out" "*\"national_id\":\"$NID\"*"
traced "the session" "professional|$NID|open-session|allow|allow-card-signature"
ws=$(sqlite3 "$DB" "SELECT workstation FROM audit WHERE action = 'open-session' AND outcome = 'allow' ORDER BY seq DESC LIMIT 1")
[ "$ws" = ws-a ] || fail "the session's opening names the workstation: '$ws', not ws-a"
echo "the session's opening names its workstation: ok"
check "current session" "$(hcurl ws-a GET /v1/host/sessions/current "" "$TOK")" "200 {\"id\":\"$SID\",\"kind\":\"professional\",\"reader\":\"Virtual PCD 00 01\"*"
check "the engine answers" "$(hcurl ws-a GET /v1/dossiers/$INS "" "$TOK")" '404 {"error":{"code":"no_dossier"*'
VITALE='"vitale":{"surname":"DUPONT","first_name":"Jean","birth_date":"19850512","birth_rank":"1","nir":"'$INS'"}'
check "the card's index on the host" "$(hcurl ws-a POST /v1/dossiers '{"index":0,"consent":true}' "$TOK")" \
        '400 {"error":{"code":"bad_field"*'
out=$(hcurl ws-a POST /v1/dossiers "{$VITALE,\"consent\":true,\"ins_oid\":\"1.2.250.1.213.1.4.10\"}" "$TOK")
check "a dossier opened from the vitale object" "$out" '201 {*'
SECRET=$(field secret "${out#201 }")
check "the dossier" "$(hcurl ws-a GET /v1/dossiers/$INS "" "$TOK")" '200 {*"status":"open"*'
out=$(hcurl ws-b POST /v1/patient-sessions "{$VITALE,\"secret\":\"$SECRET\"}")
check "a patient session on the host" "$out" '201 {"token":"*","session":{*"kind":"patient"*'
PTOK=$(field token "${out#201 }")
check "the patient's session" "$(hcurl ws-b GET /v1/host/sessions/current "" "$PTOK")" "200 {*\"patient\":{\"ins\":\"$INS\"}*"
check "the patient's trail" "$(hcurl ws-b GET /v1/dossiers/$INS/audit "" "$PTOK")" '200 {*'
out=$(hcurl ws-b GET "/v1/dossiers/$INS/audit?limit=1" "" "$PTOK")
check "the trail's first page" "$out" '200 {"ins":"'$INS'","count":1,*"next":[1-9]*}'
next=${out##*\"next\":}
next=${next%\}}
out=$(hcurl ws-b GET "/v1/dossiers/$INS/audit?limit=1&after=$next" "" "$PTOK")
check "the trail's next page" "$out" '200 {"ins":"'$INS'","count":1,"entries":\[{"seq":*'
seq=$(sed -n 's/.*"entries":\[{"seq":\([0-9]*\),.*/\1/p' <<<"$out")
[ "$seq" -gt "$next" ] || fail "the next page starts at $seq, not after $next"
check "the trail, after no entry" "$(hcurl ws-b GET "/v1/dossiers/$INS/audit?after=99999999" "" "$PTOK")" \
        '400 {"error":{"code":"bad_parameter"*"details":{"parameter":"after"}}}'
# the FHIR face is served by the host too (docs/fhir.md)
check "FHIR metadata on the host" "$(hcurl ws-a GET /fhir/R4/metadata)" '200 {"resourceType":"CapabilityStatement"*'
check "FHIR Patient on the host" "$(hcurl ws-a GET /fhir/R4/Patient/$INS "" "$TOK")" \
        "200 {\"resourceType\":\"Patient\",\"id\":\"$INS\"*"
check "FHIR AuditEvent on the host, with the workstation" \
        "$(hcurl ws-b GET "/fhir/R4/AuditEvent?patient=Patient/$INS" "" "$PTOK")" \
        '200 {"resourceType":"Bundle"*"network":{"address":"ws-a"*'
check "a FHIR refusal on the host" "$(hcurl ws-a GET "/fhir/R4/AuditEvent?patient=Patient/$INS" "" "$TOK")" \
        '403 {"resourceType":"OperationOutcome"*"deny-patient-only"*'
# a conditional read on the host (R4 http.html#cread): 304 to the ETag, no body
out=$(hcurl ws-a POST /v1/dossiers/$INS/documents '{"type_code":"11488-4","class_code":"10","mime":"text/plain",
        "title":"Host","content_base64":"aG9zdA=="}' "$TOK")
check "a deposit on the host" "$out" '201 {*'
DOC=$(field uid "${out#201 }")
out=$(hcurl ws-a GET /fhir/R4/DocumentReference/$INS-$DOC "" "$TOK")
check "FHIR DocumentReference on the host" "$out" '200 {"resourceType":"DocumentReference"*'
VID=$(field versionId "${out#200 }")
check "If-None-Match its ETag: 304, no body" "$(hcurl ws-a GET /fhir/R4/DocumentReference/$INS-$DOC "" "$TOK" "$PORT" \
        -D "$REC/h304" -H "If-None-Match: W/\"$VID\"")" '304 '
no_body_fields "$REC/h304" "the host's 304"
check "a stale one: 200" \
        "$(hcurl ws-a GET /fhir/R4/DocumentReference/$INS-$DOC "" "$TOK" "$PORT" -H 'If-None-Match: W/"1.0"')" \
        '200 {"resourceType":"DocumentReference"*'
check "a wrong secret" "$(hcurl ws-b POST /v1/patient-sessions "{$VITALE,\"secret\":\"AAAA-AAAA-AAAA-AAAA\"}")" \
        '401 {"error":{"code":"bad_secret"*'
check "another workstation's token" "$(hcurl ws-b GET /v1/host/sessions/current "" "$TOK")" \
        '401 {"error":{"code":"no_session"*'
check "no local sessions on the host" "$(hcurl ws-a GET /v1/sessions/current "" "$TOK")" '404 {"error":*'
first=$hostd
hostd_start $((PORT + 1))
check "a second carnet-hostd serves it" "$(hcurl ws-a GET /v1/host/sessions/current "" "$TOK" $((PORT + 1)))" \
        "200 {\"id\":\"$SID\"*"
check "emergency mode" "$(hcurl ws-a PUT /v1/host/sessions/current/mode '{"mode":"emergency","reason":"unconscious"}' \
        "$TOK" $((PORT + 1)))" '200 {*"mode":"emergency","reason":"unconscious"*'
check "the mode, seen by the first" "$(hcurl ws-a GET /v1/host/sessions/current "" "$TOK")" '200 {*"mode":"emergency"*'
check "audit verify needs a session" "$(hcurl ws-a GET /v1/audit/verify)" '401 {"error":{"code":"no_session"*'
hcurl ws-a GET /v1/audit/verify "" "" "$PORT" -D "$LAB_DIR/h401" >/dev/null
grep -q '^WWW-Authenticate: CarnetSession realm="carnet"'$'\r''$' "$LAB_DIR/h401" ||
        { cat "$LAB_DIR/h401"; fail "the host's 401 without WWW-Authenticate"; }
echo "the host's 401: WWW-Authenticate: ok"
check "audit verify" "$(hcurl ws-a GET /v1/audit/verify "" "$TOK")" '200 {"intact":true*'
check "logout" "$(hcurl ws-a DELETE /v1/host/sessions/current "" "$TOK")" "200 {\"id\":\"$SID\",\"closed\":true}"
check "after logout" "$(hcurl ws-a GET /v1/host/sessions/current "" "$TOK" $((PORT + 1)))" '401 {"error":{"code":"no_session"*'
if sqlite3 "$DB" "SELECT token_sha256 FROM host_sessions" | grep -q "$TOK"; then fail "a token in the database"; fi

# ---- the responses, against the spec the host serves
modules=$CARNET_BUILD/openapi/node_modules
[ -d "$modules/ajv" ] || fail "no $modules/ajv: run 'make deps'"
spec=$LAB_DIR/spec.json
curl -s --cacert "$P/ca.pem" --cert "$P/ws-a.pem" --key "$P/ws-a.key" -o "$spec" "https://127.0.0.1:$PORT/v1/openapi.json"
OPENAPI_MODULES=$modules node tests/openapi/check-responses.js "$spec" "$REC" >"$LAB_DIR/check.log" ||
        { cat "$LAB_DIR/check.log"; fail "a response does not match docs/openapi.yaml"; }
echo "$(cat "$REC/count") responses match docs/openapi.yaml: ok"

kill -TERM "$hostd" "$first"
wait "$hostd" || fail "the second carnet-hostd exited with $?"
wait "$first" || fail "carnet-hostd exited with $?"
grep -q "stopping" "$LAB_DIR/hostd.log" || fail "no clean stop in the log"
echo "t-host-tls ok"
