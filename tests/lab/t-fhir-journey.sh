#!/bin/bash
# Lab test: the FHIR R4 face (docs/fhir.md) with a FHIR client nobody here
# wrote.  A doctor opens the family holder's dossier and deposits a report
# through /v1; the patient opens their session.  tests/fhir/journey.js
# (fhir-kit-client over a loopback TCP relay to carnetd's socket) finds
# the patient by INS, lists the documents (the native one among them),
# retrieves it as Binary, provides a new one and a new version of it
# (ITI-65, relatesTo replaces), reads the AuditEvents as the patient and
# gets refusals as OperationOutcome with the rule's reason; every
# resource it receives is validated against FHIR R4 (FHIR.js).  Then the
# native API lists the FHIR deposits, and the native trail and the
# AuditEvents hold the same entries; a search of a malformed INS is 400.
# Then a PDF: its DocumentReference's ETag and Last-Modified, conditional
# reads (304 to the ETag, each traced; 200 to a stale one); CDA R2: the PDF
# retrieved wrapped in a CDA header (natively and through FHIR), and that
# CDA deposited back is checked against its metadata.  Last, a blocked
# pharmacist is refused whatever the If-None-Match.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
modules=$CARNET_BUILD/fhir/node_modules
[ -d "$modules/fhir" ] && [ -d "$modules/fhir-kit-client" ] || { echo "no $modules: run 'make deps'"; exit 1; }

doctor_start
holder_dossier "$doctor"
out=$(api POST /v1/dossiers/$ins/documents "{\"type_code\": \"11488-4\", \"class_code\": \"10\", \"mime\": \"text/plain\",
        \"title\": \"Natif\", \"content_base64\": \"$(b64 'Compte rendu natif')\"}" "$doctor")
check "a native deposit" "$out" '201 *'
native=$(field uid "$out")
out=$(api POST /v1/patient-sessions "{\"index\": 0, \"secret\": \"$secret\"}")
check "the patient's session" "$out" '201 *'
patient=$(field token "$out")
check "the patient names the doctor médecin traitant" \
        "$(api PUT /v1/dossiers/$ins/access/899700000001 '{"relation": "traitant"}' "$patient")" '200 *'
check "blocks a pharmacist" "$(api PUT /v1/dossiers/$ins/access/899700000008 '{"blocked": true}' "$patient")" '200 *'
check "opposes emergency access" "$(api PUT /v1/dossiers/$ins/options '{"optout_emergency": true}' "$patient")" '200 *'

MODULES=$modules SOCK=$LAB_DIR/carnetd.sock DOCTOR=$doctor PATIENT=$patient INS=$ins NATIVE_DOC=$native OUT=$LAB_DIR \
        node "$top/tests/fhir/journey.js"

# a search whose patient is no INS: 400 (R4 http.html, search: a parameter
# value the server cannot process), an OperationOutcome naming the parameter;
# natively still 422
check "a document search of a NIR with a wrong key: 400" \
        "$(api GET "/fhir/R4/DocumentReference?patient=Patient/${ins:0:13}00" "" "$doctor")" \
        '400 *"resourceType":"OperationOutcome"*"code":"invalid"*"code":"bad_ins"*'\
'"diagnostics":"parameter=patient; problem=wrong key"*'
check "an AuditEvent search of another system: 400" \
        "$(api GET "/fhir/R4/AuditEvent?patient.identifier=urn:oid:1.2.3%7C$ins" "" "$patient")" \
        '400 *"code":"bad_ins"*"diagnostics":"parameter=patient.identifier; problem=malformed"*'
check "natively, 422" "$(api GET "/v1/dossiers/${ins:0:13}00/documents" "" "$doctor")" '422 *"code":"bad_ins"*'
# a parameter given twice: 400, an OperationOutcome naming it, never its
# first value: _count, and date=ge…&date=le…, FHIR's AND, which carnet
# does not take (docs/fhir.md)
for q in "_count=1&_count=50" "date=ge2020&date=le2030" "patient=Patient/$ins"; do
        check "a document search, ${q%%&*} twice: 400" \
                "$(api GET "/fhir/R4/DocumentReference?patient=Patient/$ins&$q" "" "$doctor")" \
                '400 *"resourceType":"OperationOutcome"*"code":"bad_parameter"*"diagnostics":"parameter='"${q%%=*}"'"*'
done

# _pretty (R4 http.html, general parameters): indented JSON on the socket,
# as FHIR JSON; another value 400
curl -s -D "$LAB_DIR/ch" -o "$LAB_DIR/cb" --unix-socket "$LAB_DIR/carnetd.sock" -H "X-Carnet-Session: $doctor" \
        "http://localhost/fhir/R4/DocumentReference?patient=Patient/$ins&_pretty=true"
grep -qi '^content-type: application/fhir+json; charset=utf-8' "$LAB_DIR/ch" &&
        sed -n 2p "$LAB_DIR/cb" | grep -q '^  "' &&
        python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); assert b["type"] == "searchset"
assert "_pretty=true" in b["link"][0]["url"]' "$LAB_DIR/cb" ||
        { cat "$LAB_DIR/ch" "$LAB_DIR/cb"; echo "_pretty=true"; exit 1; }
echo "a search with _pretty=true: indented FHIR JSON: ok"
check "_pretty=yes: 400" "$(api GET "/fhir/R4/metadata?_pretty=yes" "" "$doctor")" \
        '400 *"code":"bad_parameter"*"diagnostics":"parameter=_pretty"*'
# '+' in a query is a character (RFC 3986 3.4), never a space: a FHIR
# _format and a date's offset as FHIR clients send them, unescaped
check "_format=application/fhir+json" \
        "$(api GET "/fhir/R4/DocumentReference?patient=Patient/$ins&_format=application/fhir+json" "" "$doctor")" \
        "200 *\"resourceType\":\"Bundle\"*\"id\":\"$ins-$native\"*"
check "date=ge…+01:00, a literal '+'" \
        "$(api GET "/fhir/R4/DocumentReference?patient=Patient/$ins&date=ge2024-03-01T10:00:00+01:00" "" "$doctor")" \
        "200 *\"resourceType\":\"Bundle\"*\"id\":\"$ins-$native\"*"
check "date=le…+01:00: none before" \
        "$(api GET "/fhir/R4/DocumentReference?patient=Patient/$ins&date=le2024-03-01T10:00:00+01:00" "" "$doctor")" \
        '200 *"resourceType":"Bundle"*"total":0*'

# what FHIR deposited, the native API lists, and the reverse was checked above
fdoc=$(cat "$LAB_DIR/fhir-doc-v2")
check "the native list shows the FHIR deposit" "$(api GET /v1/dossiers/$ins/documents "" "$doctor")" \
        "200 *\"uid\":\"$fdoc\",\"type_code\":\"11488-4\"*"
check "its content" "$(api GET /v1/dossiers/$ins/documents/$fdoc/content "" "$doctor")" '200 Compte rendu FHIR v2'
# the native trail and the AuditEvents: the same entries (the native
# reading adds its own, last)
trail=$(api GET /v1/dossiers/$ins/audit "" "$patient")
check "the native trail" "$trail" '200 *'
node -e '
const fhir = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const native = JSON.parse(process.argv[2].replace(/^200 /, "")).entries;
const f = fhir.entry.map((e) => [e.resource.id, e.resource.subtype[0].code, e.resource.outcomeDesc].join(" "));
const n = native.slice(0, f.length).map((e) => [String(e.seq), e.action, e.code].join(" "));
if (f.length < 5 || JSON.stringify(f) !== JSON.stringify(n)) {
        console.error("the trails differ:\nFHIR:   " + f.join("\n        ") + "\nnative: " + n.join("\n        "));
        process.exit(1);
}
console.log("the same " + f.length + " trail entries in both: ok");
' "$LAB_DIR/fhir-trail.json" "$trail"

# ---- CDA R2: a PDF retrieved wrapped in a CDA header, natively and through FHIR;
# a CDA deposit checked against its metadata
out=$(api POST /v1/dossiers/$ins/documents "{\"type_code\": \"11488-4\", \"class_code\": \"10\",
        \"mime\": \"application/pdf\", \"title\": \"PDF\", \"content_base64\": \"$(b64 '%PDF-1.4 lab')\"}" "$doctor")
check "a PDF deposit" "$out" '201 *'
pdf=$(field uid "$out")
# a read's ETag and Last-Modified (R4 http.html, read; RFC 9110 8.8.2): the
# revision and meta.lastUpdated, as an IMF-fixdate; read in a later second
# than the deposit (in its own second a date is no validator yet: none)
sleep 1
curl -s -D "$LAB_DIR/h" -o "$LAB_DIR/docref.json" --unix-socket "$LAB_DIR/carnetd.sock" \
        -H "X-Carnet-Session: $doctor" "http://localhost/fhir/R4/DocumentReference/$ins-$pdf"
updated=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["meta"]["lastUpdated"])' \
        "$LAB_DIR/docref.json")
imf=$(LC_ALL=C date -u -d "$updated" '+%a, %d %b %Y %H:%M:%S GMT')
vid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["meta"]["versionId"])' "$LAB_DIR/docref.json")
[ "$vid" = 1 ] || { echo "versionId: $vid"; exit 1; }
grep -q '^HTTP/1.1 200' "$LAB_DIR/h" && grep -qiF "etag: W/\"$vid\"" "$LAB_DIR/h" &&
        grep -qi "^last-modified: $imf"$'\r'"\$" "$LAB_DIR/h" ||
        { cat "$LAB_DIR/h"; echo "ETag, Last-Modified: $imf"; exit 1; }
echo "a DocumentReference read: ETag W/\"$vid\", Last-Modified $imf"
# cget PATH TOKEN [CURL ARGS...]: a GET: "HTTP-code ETag bytes" (the ETag
# header, - when none; the body's size)
cget() {
        local p=$1 t=$2
        shift 2
        rm -f "$LAB_DIR/cb" # curl writes none for a reply without a body
        curl -s -D "$LAB_DIR/ch" -o "$LAB_DIR/cb" -w '%{http_code}' --unix-socket "$LAB_DIR/carnetd.sock" \
                -H "X-Carnet-Session: $t" "$@" "http://localhost$p" >"$LAB_DIR/cc"
        local e
        e=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\(.*\)\r$/\1/p' "$LAB_DIR/ch")
        echo "$(cat "$LAB_DIR/cc") ${e:--} $(cat "$LAB_DIR/cb" 2>/dev/null | wc -c)"
}
# reads: the trail's allowed reads of the PDF so far (asked as the patient)
reads() {
        api GET /v1/dossiers/$ins/audit "" "$patient" |
                { grep -o "\"action\":\"read\",\"document\":\"$pdf\"[^}]*\"outcome\":\"allow\"" || true; } | wc -l
}
dr=/fhir/R4/DocumentReference/$ins-$pdf
n=$(reads)
# conditional read (R4 http.html#cread; RFC 9110 13.1.2, 15.4.5): the
# ETag named is 304, no body, the ETag; a read in the trail all the same
check "If-None-Match: the ETag: 304" "$(cget "$dr" "$doctor" -H "If-None-Match: W/\"$vid\"")" "304 W/\"$vid\" 0"
no_body_fields "$LAB_DIR/ch" "the DocumentReference's 304"
check "the 304 is a read in the trail" "$(reads)" "$((n + 1))"
# two asked on one connection: the second on a new one, the first closed it
curl -s -o /dev/null -w '%{http_code} %{num_connects}\n' --unix-socket "$LAB_DIR/carnetd.sock" \
        -H "X-Carnet-Session: $doctor" -H "If-None-Match: W/\"$vid\"" "http://localhost$dr" "http://localhost$dr" \
        >"$LAB_DIR/two"
check "two 304s asked on one connection: two connections" "$(tr '\n' ' ' <"$LAB_DIR/two")" "304 1 304 1 "
# HEAD (RFC 9110 9.3.2, 8.6): the GET's 200 and Content-Length, or its 304
# hcode [CURL ARGS...]: a HEAD of the DocumentReference: "HTTP-code Content-Length"
hcode() {
        curl -s -I -D "$LAB_DIR/ch" -o /dev/null -w '%{http_code} ' --unix-socket "$LAB_DIR/carnetd.sock" \
                -H "X-Carnet-Session: $doctor" "$@" "http://localhost$dr"
        sed -n 's/^[Cc]ontent-[Ll]ength: *\([0-9]*\)\r$/\1/p' "$LAB_DIR/ch"
}
check "HEAD: 200, the GET's Content-Length" "$(hcode)" "200 $(stat -c %s "$LAB_DIR/docref.json")"
hcode -H "If-None-Match: W/\"$vid\"" >/dev/null
no_body_fields "$LAB_DIR/ch" "HEAD, If-None-Match the ETag"
check "If-None-Match: a list, the tag's strong form: 304" \
        "$(cget "$dr" "$doctor" -H "If-None-Match: \"x\", \"$vid\"")" "304 W/\"$vid\" 0"
check "If-None-Match: *: 304" "$(cget "$dr" "$doctor" -H 'If-None-Match: *')" "304 W/\"$vid\" 0"
check "If-None-Match: a stale tag: 200" "$(cget "$dr" "$doctor" -H 'If-None-Match: W/"0", W/"7"')" \
        "200 W/\"$vid\" $(stat -c %s "$LAB_DIR/docref.json")"
check "DocumentReference, If-Modified-Since its Last-Modified: 304" \
        "$(cget "$dr" "$doctor" -H "If-Modified-Since: $imf")" "304 W/\"$vid\" 0"
check "DocumentReference, If-Modified-Since a second before: 200" \
        "$(cget "$dr" "$doctor" -H "If-Modified-Since: $(LC_ALL=C date -u -d "$updated - 1 second" \
                '+%a, %d %b %Y %H:%M:%S GMT')" | cut -d' ' -f1)" 200
# Binary: the DocumentReference's ETag and Last-Modified (the content never
# changes), the same preconditions, and If-Modified-Since too
bin=/fhir/R4/Binary/$ins-$pdf
check "Binary: the DocumentReference's ETag" "$(cget "$bin" "$doctor")" "200 W/\"$vid\" 12"
grep -qi "^last-modified: $imf"$'\r'"\$" "$LAB_DIR/ch" ||
        { cat "$LAB_DIR/ch"; echo "Binary Last-Modified: $imf"; exit 1; }
n=$(reads)
check "Binary, If-None-Match the ETag: 304" "$(cget "$bin" "$doctor" -H "If-None-Match: W/\"$vid\"")" "304 W/\"$vid\" 0"
check "Binary as a resource, If-None-Match the ETag: 304" \
        "$(cget "$bin" "$doctor" -H 'Accept: application/fhir+json' -H "If-None-Match: W/\"$vid\"")" "304 W/\"$vid\" 0"
no_body_fields "$LAB_DIR/ch" "the Binary resource's 304"
check "Binary, If-Modified-Since its Last-Modified: 304" "$(cget "$bin" "$doctor" -H "If-Modified-Since: $imf")" \
        "304 W/\"$vid\" 0"
check "the three 304s are reads in the trail" "$(reads)" "$((n + 3))"
check "Binary, If-Modified-Since a second before: 200" \
        "$(cget "$bin" "$doctor" -H "If-Modified-Since: $(LC_ALL=C date -u -d "$updated - 1 second" \
                '+%a, %d %b %Y %H:%M:%S GMT')" | cut -d' ' -f1)" 200
check "Binary, a stale tag beside If-Modified-Since: If-None-Match decides, 200" \
        "$(cget "$bin" "$doctor" -H 'If-None-Match: W/"0"' -H "If-Modified-Since: $imf" | cut -d' ' -f1)" 200
# natively, the content's strong ETag: its SHA-256
sha=$(printf '%%PDF-1.4 lab' | sha256sum | cut -c1-64)
content=/v1/dossiers/$ins/documents/$pdf/content
check "the content's ETag, its SHA-256" "$(cget "$content" "$doctor")" "200 \"$sha\" 12"
check "the content, If-None-Match its ETag: 304" "$(cget "$content" "$doctor" -H "If-None-Match: \"$sha\"")" \
        "304 \"$sha\" 0"
no_body_fields "$LAB_DIR/ch" "the content's 304"
check "the content, a stale tag: 200" "$(cget "$content" "$doctor" -H 'If-None-Match: "00"')" "200 \"$sha\" 12"
cda=$(api GET "/v1/dossiers/$ins/documents/$pdf/content?format=cda" "" "$doctor")
check "the PDF wrapped in a CDA R2 header" "$cda" \
        "200 <?xml*<ClinicalDocument xmlns=\"urn:hl7-org:v3\">*<id root=\"1.2.250.1.213.1.4.*\" extension=\"$ins\"/>*mediaType=\"application/pdf\" representation=\"B64\">$(b64 '%PDF-1.4 lab')</text>*"
check "the same through FHIR (Accept: application/hl7-cda+xml)" \
        "$(api GET /fhir/R4/Binary/$ins-$pdf "" "$doctor" -H 'Accept: application/hl7-cda+xml')" "$cda"
# the wrapped document, deposited back as CDA: its header agrees
printf '%s' "${cda#200 }" >"$LAB_DIR/wrapped.xml"
meta='{"type_code": "11488-4", "class_code": "10", "title": "CDA"}'
out=$(api POST /v1/dossiers/$ins/documents "@$LAB_DIR/wrapped.xml" "$doctor" \
        -H 'Content-Type: application/hl7-cda+xml' -H "X-Carnet-Document: $meta")
check "a CDA deposit (raw, application/hl7-cda+xml)" "$out" '201 *'
# asked for as CDA, as an MHD consumer asks (Accept: the attachment's
# contentType): the stored bytes as they are, not 409 already_cda
curl -s -D "$LAB_DIR/ch" -o "$LAB_DIR/cb" --unix-socket "$LAB_DIR/carnetd.sock" -H "X-Carnet-Session: $doctor" \
        -H 'Accept: application/hl7-cda+xml' "http://localhost/fhir/R4/Binary/$ins-$(field uid "$out")"
grep -q '^HTTP/1.1 200' "$LAB_DIR/ch" && cmp -s "$LAB_DIR/cb" "$LAB_DIR/wrapped.xml" &&
        grep -qi '^vary: accept' "$LAB_DIR/ch" || { cat "$LAB_DIR/ch"; echo "a CDA Binary as CDA"; exit 1; }
echo "a CDA document's Binary asked for as CDA: its stored bytes: ok"
# one negotiation: Accept's weights, and _format over Accept
check "Binary, FHIR JSON weighed above CDA: the resource" \
        "$(api GET "$bin" "" "$doctor" -H 'Accept: application/fhir+json, application/hl7-cda+xml;q=0.1')" \
        '200 {"resourceType":"Binary"*'
check "Binary, _format=json over Accept: application/hl7-cda+xml: the resource" \
        "$(api GET "$bin?_format=json" "" "$doctor" -H 'Accept: application/hl7-cda+xml')" \
        '200 {"resourceType":"Binary"*'
check "a CDA deposit of another type: 422" "$(api POST /v1/dossiers/$ins/documents "@$LAB_DIR/wrapped.xml" "$doctor" \
        -H 'Content-Type: application/hl7-cda+xml' -H "X-Carnet-Document: ${meta/11488-4/11502-2}")" \
        '422 *"code":"cda_type_mismatch"*'

# a professional the rules refuse is refused, and traced so, whatever the
# request's preconditions: the decision comes first, never a 304
swap_cps cps-pharma
pharma=$(lab_login)
denied() {
        api GET /v1/dossiers/$ins/audit "" "$patient" |
                { grep -o "\"document\":\"$pdf\"[^}]*\"outcome\":\"deny\"" || true; } | wc -l
}
n=$(denied)
check "the blocked pharmacist, If-None-Match the ETag: 403" \
        "$(api GET "$dr" "" "$pharma" -H "If-None-Match: W/\"$vid\"")" '403 *"OperationOutcome"*"deny-blocked"*'
check "the blocked pharmacist, If-None-Match *: 403" "$(api GET "$dr" "" "$pharma" -H 'If-None-Match: *')" \
        '403 *"OperationOutcome"*"deny-blocked"*'
check "the blocked pharmacist, Binary with If-Modified-Since: 403" \
        "$(api GET "$bin" "" "$pharma" -H "If-Modified-Since: $imf")" '403 *"OperationOutcome"*"deny-blocked"*'
check "the blocked pharmacist, the content with If-None-Match: 403" \
        "$(api GET "$content" "" "$pharma" -H "If-None-Match: \"$sha\"")" '403 *"deny-blocked"*'
check "the four refusals in the trail" "$(denied)" "$((n + 4))"
lab_end "$pharma" "t-fhir-journey"
