#!/bin/bash
# Lab test: the document and dossier resources, with curl.  A raw deposit
# (metadata in X-Carnet-Document) comes back byte for byte with its own
# Content-Type; the search filters (section, type, class, status, dates)
# and the first search's defaults; replace deprecates the old version;
# archive; a document held back from the patient carries the warning for
# professionals, does not exist for the patient until released; the
# patient's access list and options; destruction.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sock=$LAB_DIR/carnetd.sock
carnetd_conf
count() { echo "$1" | grep -o '"count":[0-9]*' | head -1 | cut -d: -f2; }
deposit() { # deposit TYPE CLASS TITLE [EXTRA JSON MEMBERS]: prints the new uid
        local out
        out=$(api POST /v1/dossiers/$ins/documents "{\"type_code\": \"$1\", \"class_code\": \"$2\", \"mime\": \"text/plain\",
                \"title\": \"$3\", \"content_base64\": \"$(b64 "$3")\"${4:+, $4}}" "$doctor")
        [[ $out == 201* ]] || { echo "deposit $1: $out" >&2; return 1; }
        field uid "$out"
}

lab_cards
carnetd_start
cards_ready
out=$(api POST /v1/sessions '{"pin": "1234"}')
doctor=$(field token "$out")
check "session carries its mode" "$out" '201 *"kind":"professional"*"mode":"normal","reason":null*'
# the child: a beneficiary's own NIR, named by NIR
ins=112037512345629
out=$(api POST /v1/dossiers "{\"nir\": \"$ins\", \"consent\": true}" "$doctor")
check "create for a beneficiary" "$out" '201 {"ins":"112037512345629"*"first_names":"LUCAS"*"sex":"M","birth_place":"75123"*'
# self-access starts at 16 (docs/rules.md §3): Lucas, born 2012, is refused
# with his right secret, and that is no wrong secret for the brake
secret=$(field secret "$out")
for i in 1 2 3 4 5 6; do
        check "under 16: no patient session ($i)" "$(api POST /v1/patient-sessions "{\"nir\": \"$ins\", \"secret\": \"$secret\"}")" \
                '403 *"under_16"*"self-access to the dossier starts at 16*"deny-under-16"*'
done
# the rest with the holder's dossier (CLAIRE, adult)
ins=280057512345674
out=$(api POST /v1/dossiers "{\"nir\": \"$ins\", \"consent\": true}" "$doctor")
check "create for the holder" "$out" '201 {"ins":"280057512345674"*"first_names":"CLAIRE"*"sex":"F"*'
secret=$(field secret "$out")

# ---- raw deposit, raw content back
printf '%%PDF-1.4 \x00\x01\x02 binary\n' >"$LAB_DIR/doc.pdf"
out=$(api POST /v1/dossiers/$ins/documents @"$LAB_DIR/doc.pdf" "$doctor" -H 'Content-Type: application/pdf' \
        -H 'X-Carnet-Document: {"type_code": "18748-4", "class_code": "31", "title": "Radio thorax", "created_at": "2026-01-15"}')
check "raw deposit" "$out" '201 *'
imaging=$(field uid "$out")
curl -s -D "$LAB_DIR/h" -o "$LAB_DIR/got.pdf" --unix-socket "$sock" -H "X-Carnet-Session: $doctor" \
        "http://localhost/v1/dossiers/$ins/documents/$imaging/content"
cmp "$LAB_DIR/doc.pdf" "$LAB_DIR/got.pdf"
grep -qi '^Content-Type: application/pdf' "$LAB_DIR/h"
# one buffer with its length, not a chunked stream
grep -qi "^Content-Length: $(wc -c <"$LAB_DIR/doc.pdf")"$'\r'"\$" "$LAB_DIR/h" \
        || { echo "content without its Content-Length:"; cat "$LAB_DIR/h"; exit 1; }
! grep -qi '^Transfer-Encoding' "$LAB_DIR/h" || { echo "content sent chunked:"; cat "$LAB_DIR/h"; exit 1; }
echo "content back byte for byte, as application/pdf, with its Content-Length: ok"
sha=$(sha256sum "$LAB_DIR/doc.pdf" | cut -d' ' -f1)
check "metadata" "$(api GET /v1/dossiers/$ins/documents/$imaging "" "$doctor")" \
        "200 {\"uid\":\"$imaging\",\"type_code\":\"18748-4\",\"class_code\":\"31\",\"section\":\"imaging\"*\"mime\":\"application/pdf\"*\"created_at\":1768435200*\"sha256\":\"$sha\",\"status\":\"approved\",\"version\":1*"

# ---- search
report=$(deposit 11488-4 10 "Consultation")
lab=$(deposit 11502-2 10 "Bilan sanguin" '"created_at": "2020-03-01"')
check "first search: approved acts of the last two years (not the 2020 lab)" \
        "$(api GET /v1/dossiers/$ins/documents "" "$doctor")" '200 *"first_search":true,"count":2*'
check "by section" "$(api GET "/v1/dossiers/$ins/documents?section=reports" "" "$doctor")" "200 *\"count\":1,*\"uid\":\"$report\"*"
check "by section number" "$(api GET "/v1/dossiers/$ins/documents?section=4" "" "$doctor")" "200 *\"count\":1,*\"uid\":\"$imaging\"*"
check "by type: the 2020 lab is not in a first search" "$(api GET "/v1/dossiers/$ins/documents?type=11502-2" "" "$doctor")" \
        '200 *"first_search":true,"count":0,*'
check "by type, any date" "$(api GET "/v1/dossiers/$ins/documents?type=11502-2&status=approved" "" "$doctor")" \
        "200 *\"count\":1,*\"uid\":\"$lab\"*"
check "by class" "$(api GET "/v1/dossiers/$ins/documents?class=31" "" "$doctor")" "200 *\"count\":1,*"
check "by dates (act date)" "$(api GET "/v1/dossiers/$ins/documents?from=2020-01-01&to=2021-01-01" "" "$doctor")" \
        "200 *\"first_search\":false,\"count\":1,*\"uid\":\"$lab\"*"

# ---- replace, archive
out=$(api POST /v1/dossiers/$ins/documents/$report/replace "{\"type_code\": \"11488-4\", \"class_code\": \"10\",
        \"mime\": \"text/plain\", \"title\": \"Consultation (corrigée)\", \"content_base64\": \"$(b64 v2)\"}" "$doctor")
check "replace" "$out" "201 *\"replaces\":\"$report\"*"
report2=$(field uid "$out")
check "old version deprecated" "$(api GET /v1/dossiers/$ins/documents/$report "" "$doctor")" \
        "200 *\"status\":\"deprecated\"*\"replaced_by\":\"$report2\"*"
check "replace it again: not current" "$(api POST /v1/dossiers/$ins/documents/$report/replace "{\"type_code\": \"11488-4\",
        \"class_code\": \"10\", \"mime\": \"text/plain\", \"title\": \"x\", \"content_base64\": \"\"}" "$doctor")" \
        '409 *"document_not_current"*'
check "archive" "$(api POST /v1/dossiers/$ins/documents/$lab/archive "" "$doctor")" '200 *"archived":true*'
check "approved only by default" "$(api GET /v1/dossiers/$ins/documents "" "$doctor")" '200 *"count":2*'
check "status=all" "$(api GET "/v1/dossiers/$ins/documents?status=all" "" "$doctor")" '200 *"count":4*'
check "status=archived" "$(api GET "/v1/dossiers/$ins/documents?status=archived" "" "$doctor")" "200 *\"count\":1,*\"uid\":\"$lab\"*"

# ---- held back from the patient
held=$(deposit 11488-4 10 "Annonce" '"hidden_from_patient": true')
check "the warning for professionals" "$(api GET /v1/dossiers/$ins/documents/$held "" "$doctor")" \
        '200 *"hidden_from_patient":true*"warning":"this document is not visible to the patient"}'
curl -s -D "$LAB_DIR/h" -o /dev/null --unix-socket "$sock" -H "X-Carnet-Session: $doctor" \
        "http://localhost/v1/dossiers/$ins/documents/$held/content"
grep -qi '^X-Carnet-Warning: this document is not visible to the patient' "$LAB_DIR/h" \
        || { echo "no warning header on the held-back content:"; cat "$LAB_DIR/h"; exit 1; }
echo "the warning on the content, as X-Carnet-Warning: ok"
out=$(api POST /v1/patient-sessions "{\"nir\": \"$ins\", \"secret\": \"$secret\"}")
check "patient session (by NIR)" "$out" '201 *'
patient=$(field token "$out")
out=$(api GET "/v1/dossiers/$ins/documents?status=all" "" "$patient")
[[ $out != *"$held"* ]] || { echo "the patient sees the held-back document: $out"; exit 1; }
check "patient: held back does not exist" "$(api GET /v1/dossiers/$ins/documents/$held "" "$patient")" \
        '404 *"no_such_document"*"deny-no-document"*'
check "release" "$(api POST /v1/dossiers/$ins/documents/$held/release "" "$doctor")" '200 *"released":true*'
check "patient now reads it" "$(api GET /v1/dossiers/$ins/documents/$held/content "" "$patient")" '200 Annonce'

# ---- the patient's list, options, status
check "access list" "$(api GET /v1/dossiers/$ins/access "" "$patient")" \
        '200 *"national_id":"899700000001","surname":"LAMBERT"*"relation":"authorised","blocked":false*'
check "several changes at once" "$(api PUT /v1/dossiers/$ins/access/899700000002 '{"relation": "care_team", "sees_masked": true}' "$patient")" \
        '200 *"relation":"care_team","sees_masked":true*'
check "the list shows them" "$(api GET /v1/dossiers/$ins/access "" "$patient")" \
        '200 *"national_id":"899700000002"*"relation":"care_team","blocked":false,"sees_masked":true*'
check "professionals may not see the list" "$(api GET /v1/dossiers/$ins/access "" "$doctor")" '403 *"deny-patient-only"*'
check "options" "$(api PUT /v1/dossiers/$ins/options '{"optout_call_centre": true, "notify": false}' "$patient")" \
        '200 *"changed":{"optout_call_centre":true,"notify":false}*'
check "the patient's status view" "$(api GET /v1/dossiers/$ins "" "$patient")" \
        '200 *"status":"open"*"options":{"optout_emergency":false,"optout_call_centre":true,"notify":false,"optout_heirs":false}*'
check "no options for professionals" "$(api GET /v1/dossiers/$ins "" "$doctor")" '200 *"options":null*'
check "patient notifications" "$(api GET /v1/dossiers/$ins/notifications "" "$patient")" '200 {"ins":"280057512345674","notifications":[*'
check "trail" "$(api GET /v1/dossiers/$ins/audit "" "$patient")" '200 *"action":"create"*"action":"verify-secret"*"action":"read-trail"*'
check "sessions current (patient)" "$(api GET /v1/sessions/current "" "$patient")" "200 *\"kind\":\"patient\"*\"ins\":\"$ins\"*"

# ---- destruction
check "destroy" "$(api DELETE /v1/dossiers/$ins "" "$patient")" '200 *"status":"destroyed"*'
check "destroyed: no documents" "$(api GET /v1/dossiers/$ins/documents "" "$doctor")" '409 *"dossier_destroyed"*'
check "status destroyed" "$(api GET /v1/dossiers/$ins "" "$doctor")" '200 *"status":"destroyed"*"identity":null*'
check "logout" "$(api DELETE /v1/sessions/$(field id "$(api GET /v1/sessions/current "" "$patient")") "" "$patient")" '200 *'

kill "$daemon"
wait "$daemon"
echo "dossier documents ok"
