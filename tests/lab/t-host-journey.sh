#!/bin/bash
# Lab test: shared dossiers (issue 10's journey). One private PostgreSQL
# cluster (tests/pg-cluster.sh: initdb as nobody, a Unix socket in the
# lab only, stopped whatever happens) with the roles of
# data/postgresql-setup.sql (the owner migrates with carnet-hostd
# --migrate; the hosts use the runtime role), two carnet-hostd processes
# on its one database, and two workstations: carnetd A ("ws-a", the readers of
# slots 0 and 1) and carnetd B ("ws-b", slot 1 only), each the host's
# agent with its own client certificate (tests/lab/host-pki.sh), each
# sending its requests to both host processes in turn (dossier_host lists
# both).  HOSTS=1 (tests/lab/t-host-journey-one.sh) runs the same journey
# with one host process.
#
#  1. A doctor logs in at A (CPS in slot 0), opens the dossier of the
#     patient on the Carte Vitale (slot 1) and deposits a report and a
#     prescription.
#  2. The Vitale leaves, a pharmacist's CPS goes into slot 1; the
#     pharmacist logs in at B: refused until the patient's consent is
#     recorded, then sees the prescription and not the report (the rights
#     of tests/fixtures/rights-journey.tsv), and reads it; the FHIR face
#     answers through the agents too (a refusal as an OperationOutcome).
#  3. Both agents deposit into the dossier at once: every deposit is
#     acknowledged once, the list has them all, the chain verifies.
#  4. A forged and a replayed session record, and a workstation
#     certificate from another CA, are refused by the host and traced.
#     The FHIR face through an agent (Accept, Prefer, its URLs) answers
#     as the host does to the same doctor directly.
#  5. PostgreSQL stops: both agents answer clear 503 errors; it starts
#     again: work resumes at once, no acknowledged deposit is lost; after
#     a restart no request saw, each host process answers its very first
#     request.
#  6. The Vitale comes back: the patient's own session at A reads the
#     trail, which shows the doctor at ws-a and the pharmacist at ws-b;
#     the chain verifies.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/host-pki.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

P=$LAB_DIR/host-pki
host_pki "$P"
pgdir=$LAB_DIR/pg
trap '"$top/tests/pg-cluster.sh" stop "$pgdir"' EXIT
"$top/tests/pg-cluster.sh" start "$pgdir" >/dev/null
# the roles of docs/operations.md: the owner migrates (carnet-hostd
# --migrate), the hosts run as the runtime role, which may only add to the
# trail; the test reads the database as the owner
psql "host=$pgdir dbname=postgres user=carnet" -q -v ON_ERROR_STOP=1 -v dbname=shared \
        -f "$top/data/postgresql-setup.sql" >"$LAB_DIR/setup.log" 2>&1 || { cat "$LAB_DIR/setup.log"; fail "setup"; }
owner="host=$pgdir dbname=shared user=carnet_owner"
check "carnet-hostd --migrate, as the owner" "$("$CARNET_BUILD/carnet-hostd" --migrate "$owner")" \
        "dossier store (PostgreSQL, conninfo not shown): schema version *"
psql "$owner" -q -v ON_ERROR_STOP=1 -f "$top/data/postgresql-grants.sql" >"$LAB_DIR/grants.log" 2>&1 ||
        { cat "$LAB_DIR/grants.log"; fail "grants"; }
db="host=$pgdir dbname=shared user=carnet_runtime"
sql() { psql "$owner" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
HOSTS=${HOSTS:-2}
H1=127.0.0.1:18543 H2=127.0.0.1:18544
urls="https://$H1"
[ "$HOSTS" = 1 ] || urls="$urls https://$H2"
INS=280057512345674

# ---- two host processes on one database, as the runtime role
hostd_start() { # hostd_start ADDRESS N
        cat >"$LAB_DIR/hostd-$2.conf" <<EOC
listen = $1
tls_cert = $P/server.pem
tls_key = $P/server.key
tls_client_ca = $P/ca.pem
trust_path = $CARNET_PKI/ca-chain.pem
database = $db
rights_table = $top/tests/fixtures/rights-journey.tsv
interactions_table = $top/data/interactions.tsv
EOC
        # -v: a line for each request (its route, never its path)
        "$CARNET_BUILD/carnet-hostd" -c "$LAB_DIR/hostd-$2.conf" -v 2>>"$LAB_DIR/hostd-$2.log" &
        echo $! >"$LAB_DIR/hostd-$2.pid"
        until_ok curl -s -o /dev/null --cacert "$P/ca.pem" "https://$1/v1/status" ||
                { cat "$LAB_DIR/hostd-$2.log"; fail "carnet-hostd $2 did not start"; }
}
hostd_start $H1 1
[ "$HOSTS" = 1 ] || hostd_start $H2 2

# ---- two workstations, agents of both
agent_start() { # agent_start NAME READERS
        cat >"$LAB_DIR/$1.conf" <<EOC
socket = $LAB_DIR/$1.sock
trust_anchors = $CARNET_PKI/ca-chain.pem
workstation = $1
readers = $2
dossier_host = $urls
host_cert = $P/$1.pem
host_key = $P/$1.key
host_ca = $P/ca.pem
EOC
        # A receives large raw uploads into a spool folder, and sends them on from there
        [ "$1" != ws-a ] || echo "spool_dir = $LAB_DIR/ws-a-spool" >>"$LAB_DIR/$1.conf"
        "$CARNET_BUILD/carnetd" --config "$LAB_DIR/$1.conf" 2>>"$LAB_DIR/$1.err" &
        echo $! >"$LAB_DIR/$1.pid"
        until_ok test -S "$LAB_DIR/$1.sock" || { cat "$LAB_DIR/$1.err"; fail "carnetd $1 did not start"; }
}
at() { # at WS METHOD PATH [BODY [TOKEN]]: api on workstation WS
        local ws=$1
        shift
        CARNETD_SOCK=$LAB_DIR/$ws.sock api "$@"
}
sees() { # sees WS READER TYPE: carnetd WS sees a card of TYPE in READER
        at "$1" GET /v1/readers | grep -q "\"$2\",\"card_present\":true[^}]*\"type\":\"$3\""
}
login() { # login WS READER: prints the token of a CPS session
        local out
        out=$(at "$1" POST /v1/sessions "{\"pin\": \"1234\", \"reader\": \"$2\"}")
        [[ $out == 201* ]] || { echo "login at $1: $out" >&2; return 1; }
        field token "$out"
}
deposit() { # deposit WS TOKEN TYPE CLASS TITLE: prints the reply
        at "$1" POST /v1/dossiers/$INS/documents "{\"type_code\": \"$3\", \"class_code\": \"$4\",
                \"mime\": \"text/plain\", \"title\": \"$5\", \"content_base64\": \"$(b64 "$5")\"}" "$2"
}

sim_start 0 "$CARNET_PKI/cps-rsa.profile"
sim_start 1 tests/profiles/vitale-family.profile
wait_card 0 present
wait_card 1 present
agent_start ws-a "$LAB_READER0, $LAB_READER1"
agent_start ws-b "$LAB_READER1"
until_ok sees ws-a "$LAB_READER0" cps
until_ok eval 'at ws-a GET /v1/vitale | grep -q "^200"'
at ws-b GET /v1/readers | grep -q "$LAB_READER0" && fail "ws-b sees a reader it is not configured for"
echo "ws-b sees only its reader: ok"

# ---- 1. the doctor at workstation A
doctor=$(login ws-a "$LAB_READER0")
check "the host holds the doctor's session" "$(sql "SELECT workstation FROM host_sessions")" "ws-a"
out=$(at ws-a POST /v1/dossiers "{\"index\": 0, \"consent\": true, \"ins_oid\": \"1.2.250.1.213.1.4.10\", \"reader\": \"$LAB_READER1\"}" "$doctor")
check "A: the dossier, from the Vitale card" "$out" "201 {\"ins\":\"$INS\",\"status\":\"open\",\"secret\":\"*"
secret=$(field secret "$out")
out=$(deposit ws-a "$doctor" 11488-4 10 "Consultation report")
check "A: deposit the report" "$out" '201 {"uid":"*'
report=$(field uid "$out")
out=$(deposit ws-a "$doctor" 57833-6 42 "Ordonnance")
check "A: deposit the prescription" "$out" '201 {"uid":"*'
prescription=$(field uid "$out")
check "the dossier is on the host" "$(sql "SELECT count(*) FROM documents")" 2

# ---- 2. the pharmacist at workstation B
sim_stop 1
wait_card 1 absent
sim_start 1 "$CARNET_PKI/cps-pharma.profile"
wait_card 1 present
until_ok sees ws-b "$LAB_READER1" cps
pharma=$(login ws-b "$LAB_READER1")
check "B: not authorised yet" "$(at ws-b GET /v1/dossiers/$INS/documents "" "$pharma")" \
        '403 *"reason":"deny-not-authorised"*'
check "B: the patient's consent" "$(at ws-b POST /v1/dossiers/$INS/consent '{"consent": true}' "$pharma")" \
        '200 *"consent_recorded":true*'
out=$(at ws-b GET /v1/dossiers/$INS/documents "" "$pharma")
check "B: the prescription is listed" "$out" "200 *\"uid\":\"$prescription\"*"
[[ $out != *"$report"* ]] || fail "the pharmacist sees the consultation report: $out"
echo "B: the report is not listed: ok"
check "B: the report is refused" "$(at ws-b GET /v1/dossiers/$INS/documents/$report "" "$pharma")" \
        '403 *"reason":"deny-rights-matrix"*'
check "B: reads the prescription" "$(at ws-b GET /v1/dossiers/$INS/documents/$prescription/content "" "$pharma")" \
        '200 Ordonnance'

# ---- the FHIR face, forwarded by the agents like the rest (docs/fhir.md)
fhir_at() { # fhir_at WS PATH TOKEN: "HTTP-code content-type body"
        curl -s -w '\n%{http_code} %{content_type}' --unix-socket "$LAB_DIR/$1.sock" -H "X-Carnet-Session: $3" \
                "http://localhost$2" >"$LAB_DIR/fhir.out"
        echo "$(tail -n 1 "$LAB_DIR/fhir.out") $(head -n -1 "$LAB_DIR/fhir.out")"
}
check "A: FHIR Patient by INS, through the host" \
        "$(fhir_at ws-a "/fhir/R4/Patient?identifier=urn:oid:1.2.250.1.213.1.4.10%7C$INS" "$doctor")" \
        '200 application/fhir+json*"resourceType":"Bundle"*"resourceType":"Patient"*'
check "A: FHIR DocumentReference search" "$(fhir_at ws-a "/fhir/R4/DocumentReference?patient=$INS" "$doctor")" \
        "200 application/fhir+json*\"resourceType\":\"DocumentReference\"*"
bundle='{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:1","request":{"method":"POST","url":"DocumentReference"},"resource":{"resourceType":"DocumentReference","status":"current","type":{"coding":[{"system":"http://loinc.org","code":"11488-4"}]},"category":[{"coding":[{"code":"10"}]}],"subject":{"reference":"Patient/'$INS'"},"content":[{"attachment":{"contentType":"text/plain","url":"urn:uuid:2","title":"FHIR note"}}]}},{"fullUrl":"urn:uuid:2","request":{"method":"POST","url":"Binary"},"resource":{"resourceType":"Binary","contentType":"text/plain","data":"aGVsbG8="}}]}'
out=$(curl -s -w '\n%{http_code}' --unix-socket "$LAB_DIR/ws-a.sock" -H "X-Carnet-Session: $doctor" \
        -H 'Content-Type: application/fhir+json' --data-binary "$bundle" http://localhost/fhir/R4)
check "A: an ITI-65 transaction through the host" "$(echo "$out" | tail -n 1) $(echo "$out" | head -n -1)" \
        '200 *"type":"transaction-response"*"status":"201 Created"*'
check "the FHIR deposit is on the host, listed natively" "$(at ws-a GET /v1/dossiers/$INS/documents "" "$doctor")" \
        '200 *"title":"FHIR note"*'
check "B: a refusal as an OperationOutcome, with the rule's reason" \
        "$(fhir_at ws-b "/fhir/R4/DocumentReference/$INS-$report" "$pharma")" \
        '403 application/fhir+json*"resourceType":"OperationOutcome"*deny-rights-matrix*'

# ---- 3. concurrent deposits from both agents, through both host processes
burst() { # burst WS TOKEN TYPE CLASS N: N deposits, one 201 line each
        local i
        for i in $(seq "$5"); do deposit "$1" "$2" "$3" "$4" "$1 note $i" | cut -c1-3; done >"$LAB_DIR/burst-$1"
}
burst ws-a "$doctor" 11488-4 10 12 &
a=$!
burst ws-b "$pharma" 60593-1 42 12 &
b=$!
wait $a
wait $b
check "A's deposits acknowledged" "$(sort -u "$LAB_DIR/burst-ws-a")" 201
check "B's deposits acknowledged" "$(sort -u "$LAB_DIR/burst-ws-b")" 201
check "27 documents, one version each" "$(sql "SELECT count(*), count(DISTINCT uid), max(version) FROM documents")" "27|27|1"
for n in $(seq "$HOSTS"); do
        c=$(grep -c 'POST /v1/dossiers/{ins}/documents' "$LAB_DIR/hostd-$n.log" || true)
        [ "$c" -ge $((24 / HOSTS / 2)) ] || fail "host process $n took $c deposits of 24"
        echo "host process $n took $c deposits: ok"
done
check "the trail names both workstations' deposits" \
        "$(sql "SELECT string_agg(DISTINCT workstation, ',') FROM audit WHERE action = 'deposit'")" "ws-a,ws-b"
check "the chain verifies (A)" "$(at ws-a GET /v1/audit/verify "" "$doctor")" '200 {"intact":true*'
check "the chain verifies (B)" "$(at ws-b GET /v1/audit/verify "" "$pharma")" '200 {"intact":true*'
# two replacements of version 1 at once (the doctor's requests go to both
# host processes in turn): one wins, the other is refused
rep() { at ws-a POST /v1/dossiers/$INS/documents/$prescription/replace "{\"type_code\": \"57833-6\", \"class_code\": \"42\",
        \"mime\": \"text/plain\", \"title\": \"Ordonnance v2 $1\", \"content_base64\": \"$(b64 v2)\"}" "$doctor" >"$LAB_DIR/rep-$1"; }
rep 1 &
a=$!
rep 2 &
b=$!
wait $a
wait $b
cat "$LAB_DIR/rep-1" "$LAB_DIR/rep-2"
check "one replacement of version 1 wins" "$(cat "$LAB_DIR/rep-1" "$LAB_DIR/rep-2" | cut -c1-3 | sort | tr '\n' ' ')" "201 409 "
check "versions stay consistent" "$(sql "SELECT count(*) FROM documents WHERE version = 2")" 1

# ---- 4. what the host refuses, itself
hcurl() { # hcurl CERT METHOD PATH [BODY]
        local args=(-s -w ' %{http_code}' --cacert "$P/ca.pem" --cert "$P/$1.pem" --key "$P/$1.key" -X "$2")
        [ -z "${4:-}" ] || args+=(-H 'Content-Type: application/json' --data-binary "$4")
        curl "${args[@]}" "https://$H1$3"
}
check "a certificate from another CA" "$(hcurl rogue POST /v1/host/challenges)" '{"error":{"code":"workstation_refused"* 403'
check "traced" "$(sql "SELECT count(*) FROM audit WHERE action = 'host-connect' AND code = 'untrusted-workstation' AND outcome = 'deny' AND workstation = 'rogue'")" 1
# a record signed with the test PKI's doctor key (as the card would sign it)
sign_record() { # sign_record NONCE: prints the JSON body of POST /v1/host/sessions
        local cert=$CARNET_PKI/cps-rsa-auth.pem
        local fp
        fp=$(openssl x509 -in "$cert" -outform DER | sha256sum | cut -d' ' -f1)
        printf '{"card_serial":"0000000000000001","card_type":"CPS","cert_sha256":"%s","national_id":"%s","nonce":"%s","reader":"r","session_id":"%s","time":%s,"uid":1000,"version":1,"workstation":"ws-a"}' \
                "$fp" "$(openssl x509 -in "$cert" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p')" \
                "$1" "$(openssl rand -hex 16)" "$(date +%s)" >"$LAB_DIR/record"
        openssl dgst -sha256 -sign "$CARNET_PKI/cps-rsa-auth.key" -out "$LAB_DIR/record.sig" "$LAB_DIR/record"
        printf '{"record":%s,"signature":"%s","certificate":"%s"}' \
                "$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$LAB_DIR/record")" \
                "$(base64 -w0 "$LAB_DIR/record.sig")" "$(openssl x509 -in "$cert" -outform DER | base64 -w0)"
}
challenge=$(hcurl ws-a POST /v1/host/challenges | sed -n 's/.*"challenge":"\([0-9a-f]*\)".*/\1/p')
[ ${#challenge} = 64 ] || fail "no challenge"
body=$(sign_record "$challenge")
out=$(hcurl ws-a POST /v1/host/sessions "$body")
check "a card-signed record opens a session" "$out" '{"token":"*201'
direct=$(field token "$out") # the doctor's host session, asked directly below
check "the same record again: a replay" "$(hcurl ws-a POST /v1/host/sessions "$body")" \
        '{"error":{"code":"session_refused"*"reason":"bad_challenge"* 403'
challenge=$(hcurl ws-a POST /v1/host/challenges | sed -n 's/.*"challenge":"\([0-9a-f]*\)".*/\1/p')
forged=$(sign_record "$challenge" | sed 's/\\"uid\\":1000/\\"uid\\":0/')
check "a forged record" "$(hcurl ws-a POST /v1/host/sessions "$forged")" \
        '{"error":{"code":"session_refused"*"reason":"bad_signature"* 403'
check "both traced" "$(sql "SELECT string_agg(code, ',' ORDER BY seq) FROM audit WHERE action = 'host-session' AND outcome = 'deny'")" \
        "bad-challenge,bad-signature"
check "with no card, a workstation certificate opens nothing" \
        "$(hcurl ws-a GET /v1/dossiers/$INS/documents)" '{"error":{"code":"no_session"* 401'

# ---- the FHIR face through an agent answers as the host does directly
# (the doctor through A, and the doctor's own host session at one host
# process): the headers the host reads go along (Accept, Prefer), and the
# URLs it writes are the agent's client's (Forwarded), not the host's
fhir_get() { # fhir_get agent|host PATH [CURL ARGS...]: "HTTP-code content-type body"
        local where=$1 p=$2
        shift 2
        local args=(-s -w '\n%{http_code} %{content_type}' "$@")
        if [ "$where" = agent ]; then
                args+=(--unix-socket "$LAB_DIR/ws-a.sock" -H "X-Carnet-Session: $doctor" "http://localhost$p")
        else
                args+=(--cacert "$P/ca.pem" --cert "$P/ws-a.pem" --key "$P/ws-a.key" -H "X-Carnet-Session: $direct"
                        "https://$H1$p")
        fi
        curl "${args[@]}" >"$LAB_DIR/fhir.out"
        echo "$(tail -n 1 "$LAB_DIR/fhir.out") $(head -n -1 "$LAB_DIR/fhir.out")"
}
same() { # same WHAT GOT WANTED: the two texts are equal (not a pattern)
        [ "$2" = "$3" ] || fail "$1: got '$2', the host answered '$3'"
        echo "$1: ok"
}
binary=/fhir/R4/Binary/$INS-$report
out=$(fhir_get agent "$binary" -H 'Accept: application/fhir+json')
check "A: Binary as a FHIR resource (Accept)" "$out" \
        "200 application/fhir+json*{\"resourceType\":\"Binary\",*\"data\":\"$(b64 'Consultation report')\"}"
same "the same as the host's own" "$out" "$(fhir_get host "$binary" -H 'Accept: application/fhir+json')"
check "A: Binary as its bytes (no Accept)" "$(fhir_get agent "$binary" -H 'Accept:')" \
        '200 text/plain Consultation report'
check "A: Binary wrapped in CDA (Accept)" "$(fhir_get agent "$binary" -H 'Accept: application/hl7-cda+xml')" \
        '200 application/hl7-cda+xml*<ClinicalDocument *'
search="/fhir/R4/DocumentReference?patient=$INS&unknown=1&_count=2"
check "A: an unknown parameter, strict" "$(fhir_get agent "$search")" \
        '400 application/fhir+json*"resourceType":"OperationOutcome"*unknown_parameter*'
check "the host's own, strict" "$(fhir_get host "$search")" '400 application/fhir+json*unknown_parameter*'
out=$(fhir_get agent "$search" -H 'Prefer: handling=lenient')
check "A: the same search, lenient (Prefer)" "$out" \
        "200 application/fhir+json*\"fullUrl\":\"http://localhost/fhir/R4/DocumentReference/$INS-*"
# FHIR R4 search: the links hold the parameters applied, not the one ignored
next="http://localhost/fhir/R4/DocumentReference?patient=$INS&_count=2&_offset=2"
check "its next page, the parameters the search applied" "$out" "*{\"relation\":\"next\",\"url\":\"$next\"}*"
[[ $out != *"$H1"* && $out != *"${H2}"* ]] || fail "a host's address in A's answer: $out"
same "the host's own, lenient, with the host's URLs" "$out" \
        "$(fhir_get host "$search" -H 'Prefer: handling=lenient' | sed "s|https://$H1/|http://localhost/|g")"
check "A: URLs of the Host its client named" \
        "$(fhir_get agent "$search" -H 'Prefer: handling=lenient' -H 'Host: ws-a.example:8080')" \
        "200 *\"fullUrl\":\"http://ws-a.example:8080/fhir/R4/DocumentReference/$INS-*"
check "A: the CapabilityStatement's URL" "$(fhir_get agent /fhir/R4/metadata)" \
        '200 *"implementation":{*"url":"http://localhost/fhir/R4"}*'

# ---- 5. PostgreSQL stops mid-journey
before=$(sql "SELECT count(*) FROM documents")
"$top/tests/pg-cluster.sh" stop "$pgdir"
out=$(deposit ws-a "$doctor" 11488-4 10 "while the database is down")
check "A: a clear error while the database is down" "$out" '503 {"error":{"code":"*'
echo "  ($out)"
check "B: the same" "$(at ws-b GET /v1/dossiers/$INS/documents "" "$pharma")" '503 {"error":{"code":"*'
for n in $(seq "$HOSTS"); do kill -0 "$(cat "$LAB_DIR/hostd-$n.pid")" || fail "a host died with its database"; done
"$top/tests/pg-cluster.sh" start "$pgdir" >/dev/null
check "no acknowledged deposit lost" "$(sql "SELECT count(*) FROM documents")" "$before"
# no retry: a host process whose connections the stopped server ended
# makes them again before its next statement (engine/store-pg.c), even
# the session's lookup outside a transaction
check "A: work resumes at once" "$(deposit ws-a "$doctor" 11488-4 10 'after the restart')" '201 {"uid":"*'
check "B: work resumes at once" "$(at ws-b GET /v1/dossiers/$INS/documents "" "$pharma")" '200 *'
# the 503s above told one host process or two that their connections were
# gone; a restart with no request meanwhile tells none: the very first
# request each one gets after it, asked directly, succeeds
"$top/tests/pg-cluster.sh" stop "$pgdir"
"$top/tests/pg-cluster.sh" start "$pgdir" >/dev/null
for addr in $H1 $([ "$HOSTS" = 1 ] || echo $H2); do
        code=$(curl -s -o "$LAB_DIR/first.json" -w '%{http_code}' --cacert "$P/ca.pem" --cert "$P/ws-a.pem" \
                --key "$P/ws-a.key" -H "X-Carnet-Session: $direct" "https://$addr/v1/dossiers/$INS/documents")
        check "host process $addr: its first request after a restart" "$code $(head -c 80 "$LAB_DIR/first.json")" \
                "200 {\"ins\":\"$INS\"*"
done
check "A: work goes on" "$(deposit ws-a "$doctor" 11488-4 10 'after the second restart')" '201 {"uid":"*'
check "B: work goes on" "$(at ws-b GET /v1/dossiers/$INS/documents "" "$pharma")" '200 *'
# a conditional read through the agent (R4 http.html#cread): its
# If-None-Match goes to the host, the host's 304 comes back without a body;
# a refusal stays one whatever the preconditions
out=$(fhir_at ws-b "/fhir/R4/DocumentReference/$INS-$prescription" "$pharma")
check "B: the prescription's DocumentReference" "$out" '200 application/fhir+json*"resourceType":"DocumentReference"*'
vid=$(field versionId "$out")
code() { # code WS PATH TOKEN [CURL ARGS...]: the HTTP code, the ETag, the body's size
        local ws=$1 p=$2 t=$3
        shift 3
        curl -s -D "$LAB_DIR/ch" -o "$LAB_DIR/cb" -w '%{http_code} %{size_download}' \
                --unix-socket "$LAB_DIR/$ws.sock" -H "X-Carnet-Session: $t" "$@" "http://localhost$p" >"$LAB_DIR/cc"
        local c s
        read -r c s <"$LAB_DIR/cc"
        echo "$c $(sed -n 's/^[Ee][Tt][Aa][Gg]: *\(.*\)\r$/\1/p' "$LAB_DIR/ch") $s"
}
check "B: If-None-Match its ETag: 304 through the agent" \
        "$(code ws-b "/fhir/R4/DocumentReference/$INS-$prescription" "$pharma" -H "If-None-Match: W/\"$vid\"")" \
        "304 W/\"$vid\" 0"
no_body_fields "$LAB_DIR/ch" "B: the 304 through the agent"
check "B: a stale tag: 200" \
        "$(code ws-b "/fhir/R4/DocumentReference/$INS-$prescription" "$pharma" -H 'If-None-Match: W/"1.0"' |
                cut -d' ' -f1)" 200
check "B: the prescription's Binary, If-None-Match its ETag: 304" \
        "$(code ws-b "/fhir/R4/Binary/$INS-$prescription" "$pharma" -H "If-None-Match: W/\"$vid\"")" "304 W/\"$vid\" 0"
# Binary's representations are chosen by Accept: the host's Vary comes
# through the agent, on the 304 (RFC 9110 15.4.5) as on the 200
vary() { sed -n 's/^[Vv]ary: *\(.*\)\r$/\1/p' "$LAB_DIR/ch"; }
check "B: that 304's Vary" "$(vary)" Accept
check "B: the Binary's 200 and its Vary" "$(code ws-b "/fhir/R4/Binary/$INS-$prescription" "$pharma" |
        cut -d' ' -f1) $(vary)" "200 Accept"
# the native content's strong ETag (a quoted SHA-256) comes back whole
out=$(code ws-b "/v1/dossiers/$INS/documents/$prescription/content" "$pharma")
[[ $out =~ ^200\ (\"[0-9a-f]{64}\")\ [0-9]+$ ]] || fail "the content's ETag through the agent: $out"
sha=${BASH_REMATCH[1]}
check "B: the content, If-None-Match its ETag: 304 through the agent" \
        "$(code ws-b "/v1/dossiers/$INS/documents/$prescription/content" "$pharma" -H "If-None-Match: $sha")" \
        "304 $sha 0"
no_body_fields "$LAB_DIR/ch" "B: the 304 through the agent"
check "B: the report, If-None-Match *: still refused" \
        "$(code ws-b "/fhir/R4/DocumentReference/$INS-$report" "$pharma" -H 'If-None-Match: *' | cut -d' ' -f1)" 403

# ---- a large raw upload, spooled at A and sent on to the host from its file
head -c $((3 * 1024 * 1024)) /dev/urandom >"$LAB_DIR/big.pdf"
out=$(curl -s --unix-socket "$LAB_DIR/ws-a.sock" -H "X-Carnet-Session: $doctor" -H 'Content-Type: application/pdf' \
        -H 'X-Carnet-Document: {"type_code":"11488-4","class_code":"10","title":"Imagerie"}' \
        --data-binary @"$LAB_DIR/big.pdf" "http://localhost/v1/dossiers/$INS/documents")
check "A: a raw upload of 3 MiB, spooled" "$out" '{"uid":"*'
big=$(field uid "$out")
got=$(curl -s --unix-socket "$LAB_DIR/ws-a.sock" -H "X-Carnet-Session: $doctor" \
        "http://localhost/v1/dossiers/$INS/documents/$big/content" | sha256sum)
[ "$got" = "$(sha256sum <"$LAB_DIR/big.pdf")" ] || fail "the spooled upload came back different"
check "the host stored its digest" "$(sql "SELECT encode(sha256, 'hex') FROM documents WHERE uid = '$big'")" \
        "$(sha256sum <"$LAB_DIR/big.pdf" | cut -d' ' -f1)"
[ -z "$(ls -A "$LAB_DIR/ws-a-spool")" ] || fail "A's spool folder is not empty"
echo "A: the spooled upload reads back byte for byte: ok"

# ---- 6. the patient's trail names each workstation
sim_stop 1
wait_card 1 absent
sim_start 1 tests/profiles/vitale-family.profile
wait_card 1 present
until_ok eval 'at ws-a GET /v1/vitale | grep -q "^200"'
out=$(at ws-a POST /v1/patient-sessions "{\"index\": 0, \"secret\": \"$secret\", \"reader\": \"$LAB_READER1\"}")
check "the patient's session at A" "$out" '201 {"token":"*'
patient=$(field token "$out")
out=$(at ws-a GET /v1/dossiers/$INS/audit "" "$patient")
check "the trail: the doctor at ws-a" "$out" '200 *"actor":"899700000001"*"workstation":"ws-a"*'
check "the trail: the pharmacist at ws-b" "$out" '200 *"actor":"899700000008"*"workstation":"ws-b"*'
# in pages, through ws-a's agent (the query goes to the host with the
# path), from both host processes in turn, on PostgreSQL: the trail, then
# one reading a page (or more: a read the agent sent again is one more)
n_whole=$(grep -o '"seq":' <<<"$out" | wc -l)
after="" walked=0 pages=0
while :; do
        page=$(at ws-a GET "/v1/dossiers/$INS/audit?limit=5${after:+&after=$after}" "" "$patient")
        pages=$((pages + 1))
        [[ $page == 200* ]] || fail "trail page $pages through the agent: $page"
        n=$(grep -o '"seq":' <<<"$page" | wc -l)
        walked=$((walked + n))
        [[ $page == *'"next":null}' ]] && break
        after=$(sed -n 's/.*"next":\([0-9]*\)}$/\1/p' <<<"$page")
        [ "$n" = 5 ] && [ -n "$after" ] && [ "$pages" -lt 50 ] || fail "trail page $pages through the agent: $page"
done
check "the trail's last page through the agent" "$page" '200 *"action":"read-trail"*"next":null}'
[ "$pages" -gt 1 ] && [ "$walked" -ge $((n_whole + pages)) ] ||
        fail "$walked entries in $pages pages of 5 after a trail of $n_whole"
check "a bad limit through the agent" "$(at ws-a GET "/v1/dossiers/$INS/audit?limit=1001" "" "$patient")" \
        '400 {"error":{"code":"bad_parameter"*"details":{"parameter":"limit"}}}'
check "the chain verifies at the end" "$(at ws-a GET /v1/audit/verify "" "$doctor")" '200 {"intact":true*'
# the host forgets the doctor's session (its last use put back past
# session_idle_s): the agent's next forwarded call ends the local session
# too and says to log in again; a new login on the card is no 409
sid=$(field id "$(at ws-a GET /v1/sessions/current "" "$doctor")")
[ "$(sql "UPDATE host_sessions SET last_used = last_used - 100000 WHERE session_id = '$sid' RETURNING 1")" = 1 ] ||
        fail "no host session $sid"
check "the host forgot it: 401, log in again" "$(at ws-a GET /v1/dossiers/$INS "" "$doctor")" \
        '401 {"error":{"code":"no_session","message":"the dossier host*log in again*'
check "the local session ended with it" "$(at ws-a GET /v1/sessions/current "" "$doctor")" \
        '401 {"error":{"code":"no_session"*'
grep -q "ended: host_session_ended" "$LAB_DIR/ws-a.err" || fail "the end of $sid not reported"
doctor=$(login ws-a "$LAB_READER0") || fail "no new login after the host forgot the session"
check "the new session reaches the host" "$(at ws-a GET /v1/dossiers/$INS "" "$doctor")" '200 *'
# and GET /v1/sessions/current, which asks the host's side too
sid=$(field id "$(at ws-a GET /v1/sessions/current "" "$doctor")")
[ "$(sql "UPDATE host_sessions SET last_used = last_used - 100000 WHERE session_id = '$sid' RETURNING 1")" = 1 ] ||
        fail "no host session $sid"
check "current, the host forgot it: 401, log in again" "$(at ws-a GET /v1/sessions/current "" "$doctor")" \
        '401 {"error":{"code":"no_session","message":"the dossier host*log in again*'
doctor=$(login ws-a "$LAB_READER0") || fail "no new login after the host forgot the session"
procs="ws-a ws-b $(seq -f 'hostd-%g' "$HOSTS")"
for n in $procs; do kill "$(cat "$LAB_DIR/$n.pid")"; done
for n in $procs; do wait "$(cat "$LAB_DIR/$n.pid")" 2>/dev/null || true; done
! grep -h "$INS" "$LAB_DIR"/ws-*.err "$LAB_DIR"/hostd-*.log || fail "an INS in a log"
echo "shared dossiers with $HOSTS host process(es) ok"
