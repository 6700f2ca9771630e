#!/bin/bash
# Lab test: after death (docs/rules.md §3).  A doctor with a relation
# records the patient's death: the dossier closes and nobody acts as the
# patient any more; an heir's request needs a doctor and one of the
# purposes the law gives (cause of death, the deceased's memory, the heir's
# rights), and lets that doctor read the closed dossier; a patient who
# opposed it while alive keeps their heirs out.  Each refusal is traced.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

doctor_start
holder_dossier "$doctor"
deposit_note "$doctor" "compte-rendu"
out=$(api POST /v1/patient-sessions "{\"index\": 0, \"secret\": \"$secret\"}")
patient=$(field token "$out")

# expect TOKEN METHOD PATH BODY PATTERN WHAT: one call and its answer
expect_call() { check "$6" "$(api "$2" "$3" "$4" "$1")" "$5"; }
expect_call "$doctor" POST /v1/dossiers/$ins/heir-requests '{"purpose": "cause_of_death"}' '409 *"not_deceased"*' \
        "no heir's request while alive"
expect_call "$patient" POST /v1/dossiers/$ins/deceased "" '403 *"deny-professional-only"*' "the patient records no death"
expect_call "$doctor" POST /v1/dossiers/$ins/deceased "" \
        '200 {"ins":"280057512345674","status":"closed","closed_at":[0-9]*,"deceased_at":[0-9]*}' "the doctor records the death"
while IFS='|' read -r who method path pattern what; do
        expect_call "${!who}" "$method" "$path" "" "$pattern" "$what"
done <<LIST
doctor|POST|/v1/dossiers/$ins/deceased|409 *"patient_deceased"*|once only
doctor|GET|/v1/dossiers/$ins|200 *"status":"closed"*"deceased_at":[0-9]*|the status shows it
patient|GET|/v1/dossiers/$ins/documents|409 *"deny-deceased"*|nobody acts as the patient
patient|POST|/v1/dossiers/$ins/reactivate|409 *"patient_deceased"*|nor reopens
doctor|GET|/v1/dossiers/$ins/documents/$doc|409 *"deny-dossier-closed"*|closed to the doctor
LIST

check "a purpose is needed" "$(api POST /v1/dossiers/$ins/heir-requests '{}' "$doctor")" '400 *"bad_field"*"purpose"*'
check "one the law gives" "$(api POST /v1/dossiers/$ins/heir-requests '{"purpose": "curiosity"}' "$doctor")" \
        '400 *"bad_field"*"purpose"*'
check "closed after a bad request" "$(api GET /v1/dossiers/$ins/documents/$doc "" "$doctor")" '409 *'
check "an heir's request" "$(api POST /v1/dossiers/$ins/heir-requests '{"purpose": "cause_of_death"}' "$doctor")" \
        '201 {"ins":"280057512345674","national_id":"899700000001","purpose":"cause_of_death"}'
check "the doctor reads for the heir" "$(api GET /v1/dossiers/$ins/documents/$doc "" "$doctor")" "200 *\"uid\":\"$doc\"*"
check "reading only" "$(api POST /v1/dossiers/$ins/documents "{\"type_code\": \"11488-4\", \"class_code\": \"10\",
        \"mime\": \"text/plain\", \"title\": \"x\", \"content_base64\": \"$(b64 x)\"}" "$doctor")" '409 *"deny-dossier-closed"*'

swap_cps cps-pharma
out=$(api POST /v1/sessions '{"pin": "1234"}')
pharmacist=$(field token "$out")
check "a pharmacist records no heir's request" \
        "$(api POST /v1/dossiers/$ins/heir-requests '{"purpose": "assert_rights"}' "$pharmacist")" '403 *"deny-not-doctor"*'
lab_end "$pharmacist" "after death"
