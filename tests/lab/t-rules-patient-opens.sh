#!/bin/bash
# Lab test: the patient opens their own dossier at the workstation
# (docs/rules.md §1): their Carte Vitale, the birth date they type, their
# consent, and no session (they have no secret yet).  They get the secret
# and the opening receipt, and log in with it; a wrong birth date, no
# consent, a person under 16 or a second opening are refused and leave no
# dossier behind.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ins=280057512345674
# open_own BODY: the patient's own opening, no session
open_own() { api POST /v1/patient-dossiers "$1"; }
carnetd_conf
lab_cards
carnetd_start
cards_ready
check "consent is required" "$(open_own '{"index": 0, "birth_date": "1980-05-17"}')" '400 *"bad_field"*"consent"*'
check "the birth date is required" "$(open_own '{"index": 0, "consent": true}')" '400 *"bad_field"*"birth_date"*'
check "a wrong birth date" "$(open_own '{"index": 0, "consent": true, "birth_date": "1980-05-18"}')" \
        '422 *"birth_date_conflict"*'
check "under 16" "$(open_own '{"index": 1, "consent": true, "birth_date": "2012-03-09"}')" '403 *"deny-under-16"*'
check "no patient session without a dossier" \
        "$(api POST /v1/patient-sessions '{"index": 0, "secret": "AAAA-AAAA-AAAA-AAAA"}')" '404 *'
out=$(open_own '{"index": 0, "consent": true, "birth_date": "1980-05-17"}')
check "the patient opens their dossier" "$out" \
        '201 {"ins":"280057512345674","status":"open","secret":"*"attestation":{"title":"Attestation d*"opened_by":{"national_id":"280057512345674","surname":"MARTIN","given_name":"CLAIRE","profession":null}*'
secret=$(field secret "$out")
check "once" "$(open_own '{"index": 0, "consent": true, "birth_date": "1980-05-17"}')" '409 *"dossier_exists"*'
out=$(api POST /v1/patient-sessions "{\"index\": 0, \"secret\": \"$secret\"}")
check "the secret opens their session" "$out" '201 *'
patient=$(field token "$out")
check "their dossier" "$(api GET /v1/dossiers/$ins "" "$patient")" '200 *"status":"open"*"reason":"allow-patient"*'
check "the trail shows the opening" "$(api GET /v1/dossiers/$ins/audit "" "$patient")" \
        '200 *"actor_kind":"patient"*"action":"create"*"code":"allow-create"*'

kill "$daemon"
wait "$daemon"
echo "patient opens ok"
