#!/bin/bash
# Lab test: the capacity a professional session acts in (docs/rules.md §2).
# An occupational or fire-service doctor reaches a dossier only with the
# patient's express consent, which their own user action records
# (POST .../consent, traced as record-express-consent) and the patient's
# revocation ends; a session declared for an insurer, a complementary
# insurer, a bank or an employer is refused everything, whatever card it
# holds, each refusal traced.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

carnetd_conf
lab_cards
carnetd_start
cards_ready
ins=280057512345674
out=$(api POST /v1/sessions '{"pin": "1234"}')
check "session" "$out" '201 *"practice":"care"*'
doctor=$(field token "$out")
out=$(api POST /v1/dossiers '{"index": 0, "consent": true}' "$doctor")
check "create (care)" "$out" '201 *'
secret=$(field secret "$out")

check "bad practice" "$(api PUT /v1/sessions/current/mode '{"mode": "normal", "practice": "bailiff"}' "$doctor")" \
        '400 *"bad_field"*"practice"*'
check "now occupational" "$(api PUT /v1/sessions/current/mode '{"mode": "normal", "practice": "occupational"}' "$doctor")" \
        '200 *"practice":"occupational"*'
check "occupational: authorised for care is not enough" "$(api GET /v1/dossiers/$ins/documents "" "$doctor")" \
        '403 *"deny-no-express-consent"*'
check "the express consent, a user action" "$(api POST /v1/dossiers/$ins/consent '{"consent": true}' "$doctor")" '200 *'
check "occupational with express consent" "$(api GET /v1/dossiers/$ins/documents "" "$doctor")" '200 *"count":0*'

for role in insurer complementary_insurer bank employer; do
        check "acting for: $role" "$(api PUT /v1/sessions/current/mode "{\"mode\": \"normal\", \"practice\": \"$role\"}" "$doctor")" \
                "200 *\"practice\":\"$role\"*"
        check "$role: no documents" "$(api GET /v1/dossiers/$ins/documents "" "$doctor")" '403 *"deny-forbidden-role"*'
        check "$role: no consent" "$(api POST /v1/dossiers/$ins/consent '{"consent": true}' "$doctor")" '403 *"deny-forbidden-role"*'
        check "$role: no creation" "$(api POST /v1/dossiers '{"index": 1, "consent": true}' "$doctor")" \
                '403 *"deny-forbidden-role"*'
done
run 0 --session "$doctor" dossier mode normal --practice bank
has out "practice bank"
check "carnetctl --practice bank: refused" "$(api GET /v1/dossiers/$ins/documents "" "$doctor")" '403 *"deny-forbidden-role"*'
run 1 --session "$doctor" dossier mode normal --practice bailiff
has err "practice"
run 0 --session "$doctor" dossier mode normal --practice fire_service
has out "practice fire_service"
check "back to fire service" "$(api GET /v1/sessions/current "" "$doctor")" '200 *"practice":"fire_service"*'
check "fire service: the express consent recorded holds" "$(api GET /v1/dossiers/$ins/documents "" "$doctor")" \
        '200 *'

out=$(api POST /v1/patient-sessions "{\"index\": 0, \"secret\": \"$secret\"}")
check "patient session" "$out" '201 *'
patient=$(field token "$out")
trail=$(api GET /v1/dossiers/$ins/audit "" "$patient")
check "the trail shows the express consent" "$trail" '200 *"action":"record-express-consent"*"outcome":"allow"*'
check "the trail shows the refusals" "$trail" '200 *"action":"list"*"outcome":"deny"*"code":"deny-forbidden-role"*'
check "the patient revokes" "$(api PUT /v1/dossiers/$ins/access/899700000001 '{"relation": "none"}' "$patient")" '200 *'
check "revoked: no express consent any more" "$(api GET /v1/dossiers/$ins/documents "" "$doctor")" \
        '403 *"deny-no-express-consent"*'
check "the chain holds" "$(api GET /v1/audit/verify "" "$doctor")" '200 {"intact":true*'

kill "$daemon"
wait "$daemon"
echo "practices ok"
