#!/bin/bash
# Lab test (issue 14, errors): every bad input gets carnetd's one error
# shape, {"error":{"code","message"}}, valid UTF-8 and valid JSON, with the
# right status, and the stored data stays as it was.  Invalid UTF-8 in a
# path or query, an encoded NUL in either or an encoded '/' in the path
# (400 bad_encoding); a field name or reader name whose
# length limit cuts a multi-byte character (400/404, the quote cut on a
# character boundary); malformed framing, sent raw (bad and doubled
# Content-Length, Content-Length with chunked, bad chunk size, header line
# without a colon, HTTP/0.9, a foreign HTTP version, request line or
# headers too large): JSON from carnetd, not libmicrohttpd's HTML; a short
# body: a close, and carnetd still answers.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sock=$LAB_DIR/carnetd.sock
db=$LAB_DIR/carnet.db
carnetd_conf "database = $db" "header_max = 4K" "connection_timeout = 3"
ins=280057512345674

# shape WHAT STATUS CODE "STATUS BODY": the body is one JSON error object
# of that code, with a message, and nothing else at the top level.
shape() {
        local got_status=${4%% *} body=${4#* }
        [ "$got_status" = "$2" ] || { echo "$1: status $got_status, expected $2: $4"; exit 1; }
        printf '%s' "$body" | python3 -c '
import json, sys
raw = sys.stdin.buffer.read()
raw.decode("utf-8")                      # strict: a cut character fails here
j = json.loads(raw)
assert list(j) == ["error"], j
e = j["error"]
assert e["code"] == sys.argv[1], e
assert isinstance(e["message"], str) and e["message"], e
' "$3" || { echo "$1: not the error shape $3: $4"; exit 1; }
        echo "$1: $2 $3"
}
raw() { python3 tests/lab/rawhttp.py "$sock" "$@"; }
stored() { sqlite3 "file:$db?mode=ro" .dump | sha256sum; }
docs() { api GET "/v1/dossiers/$ins/documents?status=all" "" "$doctor"; }

lab_cards
carnetd_start
cards_ready
doctor=$(lab_login)
check "create" "$(api POST /v1/dossiers '{"index": 0, "consent": true}' "$doctor")" '201 *'
check "deposit" "$(api POST /v1/dossiers/$ins/documents "{\"type_code\": \"11488-4\", \"class_code\": \"10\",
        \"mime\": \"text/plain\", \"title\": \"t\", \"content_base64\": \"$(b64 note)\"}" "$doctor")" '201 *'
before_docs=$(docs)
sqlite3 "file:$db?mode=ro" .dump >"$LAB_DIR/before.sql"
before_db=$(stored)

# ---- invalid UTF-8 in the path and the query
shape "reader %ff" 400 bad_encoding "$(api GET /v1/readers/%ff)"
shape "route %ff" 400 bad_encoding "$(api GET /v1/%ff)"
shape "dossier %ff" 400 bad_encoding "$(api GET /v1/dossiers/$ins%ff "" "$doctor")"
shape "documents %c3 (cut)" 400 bad_encoding "$(api POST /v1/dossiers/$ins%c3/documents '{}' "$doctor")"
shape "query name %ff" 400 bad_encoding "$(api GET "/v1/events?%ff=1")"
shape "query value %ff" 400 bad_encoding "$(api GET "/v1/dossiers/$ins/documents?status=%ff" "" "$doctor")"
shape "overlong %c0%af" 400 bad_encoding "$(api GET /v1/readers/%c0%af)"
# a NUL would cut a segment, a name or a value short; a '/' would split a
# segment: refused as they came, before libmicrohttpd decodes them
shape "path %00" 400 bad_encoding "$(api GET /v1/openapi.json%00junk)"
shape "reader %00" 400 bad_encoding "$(api GET /v1/readers/a%00b)"
shape "query value %00" 400 bad_encoding "$(api GET "/v1/dossiers/$ins/documents?limit=5%00x" "" "$doctor")"
shape "query name %00" 400 bad_encoding "$(api GET "/v1/events?a%00b=1")"
shape "dossier %2F" 400 bad_encoding "$(api GET "/v1/dossiers/$ins%2Fdocuments" "" "$doctor")"
shape "reader %2f" 400 bad_encoding "$(api GET /v1/readers/a%2fb)"
check "%2F in a query value is a '/'" "$(api GET "/v1/dossiers/$ins/documents?after=a%2Fb" "" "$doctor")" \
        '400 *bad_parameter*'
# the query is decoded by carnet, not as a form: '+' stays '+' (%2B too),
# %20 is a space, a '%' without two hex digits after it stays as it came
check "_format=application/fhir+json" "$(api GET "/fhir/R4/metadata?_format=application/fhir+json")" \
        '200 *"resourceType":"CapabilityStatement"*'
check "_format=application/fhir%2Bjson" "$(api GET "/fhir/R4/metadata?_format=application/fhir%2Bjson")" \
        '200 *"resourceType":"CapabilityStatement"*'
check "a '+', a %2B, a %20 and a bare '%' in a value, as sent" \
        "$(api GET "/fhir/R4/metadata?_format=a+b%2Bc%20d%zz%4")" '406 *"diagnostics":"_format=a+b+c d%zz%4"*'
check "a '+' in a name" "$(api GET "/v1/events?a+b=1")" '400 *"parameter":"a+b"*'

# ---- a length limit that cuts a multi-byte character
a63=$(printf 'a%.0s' $(seq 63))
out=$(api POST /v1/nir/check "{\"nir\": \"1\", \"${a63}é\": 1}")
shape "field name cut inside é" 400 unknown_field "$out"
echo "$out" | grep -q "unknown field '$a63'" || { echo "the quote is not cut before é: $out"; exit 1; }
a127=$(printf 'a%.0s' $(seq 127))
shape "reader name cut inside é" 404 no_such_reader "$(api GET "/v1/readers/${a127}%c3%a9")"
shape "query name cut inside é" 400 unknown_parameter "$(api GET "/v1/events?${a63}%c3%a9=1")"

# ---- framing, sent as raw bytes
post="POST /v1/dossiers/$ins/documents HTTP/1.1\r\nHost: x\r\nX-Carnet-Session: $doctor\r\nContent-Type: application/json\r\n"
shape "Content-Length abc" 400 bad_request "$(printf "${post}Content-Length: abc\r\n\r\n{}" | raw)"
shape "Content-Length -1" 400 bad_request "$(printf "${post}Content-Length: -1\r\n\r\n{}" | raw)"
shape "two Content-Length" 400 bad_request "$(printf "${post}Content-Length: 2\r\nContent-Length: 30\r\n\r\n{}" | raw)"
shape "Content-Length and chunked" 400 bad_request \
        "$(printf "${post}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n" | raw)"
shape "bad chunk size" 400 bad_request "$(printf "${post}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n" | raw)"
shape "header line without a colon" 400 bad_request "$(printf "GET /v1/status HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n" | raw)"
shape "HTTP/0.9 request line" 400 bad_request "$(printf "GET /v1/status\r\n\r\n" | raw)"
shape "HTTP/7.0" 505 http_version_not_supported "$(printf "GET /v1/status HTTP/7.0\r\nHost: x\r\n\r\n" | raw)"
long=$(head -c 70000 /dev/zero | tr '\0' a)
shape "request line of 70 kB" 414 uri_too_long "$(printf "GET /v1/$long HTTP/1.1\r\nHost: x\r\n\r\n" | raw)"
shape "header of 70 kB" 431 headers_too_large "$(printf "GET /v1/status HTTP/1.1\r\nHost: x\r\nX-A: $long\r\n\r\n" | raw)"
shape "headers over header_max" 431 headers_too_large \
        "$(printf "GET /v1/status HTTP/1.1\r\nHost: x\r\nX-A: ${long:0:5000}\r\n\r\n" | raw)"
# a body shorter than its Content-Length: nobody to answer once the
# caller has stopped sending; carnetd closes (at once on a half-close,
# after connection_timeout otherwise)
out=$(printf "${post}Content-Length: 40\r\n\r\n{}" | raw --half-close)
[[ $out == closed* ]] || { echo "short body, half-closed: $out"; exit 1; }
out=$(printf "${post}Content-Length: 40\r\n\r\n{}" | raw --wait 10)
[[ $out == closed* ]] || { echo "short body: $out"; exit 1; }
echo "short body: closed"

# ---- nothing changed, and carnetd still answers
[ "$(stored)" = "$before_db" ] ||
        { echo "the database changed:"; sqlite3 "file:$db?mode=ro" .dump | diff "$LAB_DIR/before.sql" - | head -20; exit 1; }
[ "$(docs)" = "$before_docs" ] || { echo "the documents changed"; exit 1; }
check "still answering" "$(api GET /v1/status)" '200 *'
echo "every bad input: JSON error, data unchanged"
