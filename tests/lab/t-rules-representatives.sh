#!/bin/bash
# Lab test: legal representatives (docs/rules.md §3).  A doctor records the
# holder of the family's Carte Vitale as the parental authority of her
# under-16 son; she then opens his session with her own card entry and his
# dossier's secret (acting_for), and acts as the patient, traced as the
# representative, but never sees the document he withheld from her (CSP
# L1111-5).  One not recorded, or no longer, is refused; refusals traced.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

doctor_start
out=$(api POST /v1/dossiers '{"index": 1, "consent": true}' "$doctor")
check "the son's dossier" "$out" '201 *'
ins=$(field ins "$out")
secret=$(field secret "$out")
mother=280057512345674
check "the son's INS" "$ins" 112037512345629
deposit_note "$doctor" "vaccination"
seen=$doc
out=$(api POST /v1/dossiers/$ins/documents "{\"type_code\": \"11488-4\", \"class_code\": \"10\",
        \"mime\": \"text/plain\", \"title\": \"confidentiel\", \"hidden_from_representatives\": true,
        \"content_base64\": \"$(b64 confidentiel)\"}" "$doctor")
check "a deposit withheld from the representatives" "$out" '201 *'
withheld=$(field uid "$out")

session_for() { api POST /v1/patient-sessions "{\"index\": 0, \"acting_for\": \"$ins\", \"secret\": \"$1\"}"; }
check "not yet a representative" "$(session_for "$secret")" '403 *"deny-not-representative"*'
# one not recorded learns nothing of the secret (a wrong one gets the
# same refusal) and locks nobody out: none of these counts against the
# dossier's brake, which five wrong secrets would close
for i in 1 2 3 4 5 6; do
        check "not yet a representative, a wrong secret ($i)" "$(session_for AAAA-AAAA-AAAA-AAA$i)" \
                '403 *"deny-not-representative"*'
done
check "the son alone, under 16" "$(api POST /v1/patient-sessions "{\"index\": 1, \"secret\": \"$secret\"}")" \
        '403 *"under_16"*'
check "a bad kind" "$(api PUT /v1/dossiers/$ins/representatives/$mother '{"kind": "aunt"}' "$doctor")" \
        '400 *"bad_field"*"kind"*'
check "not the patient himself" "$(api PUT /v1/dossiers/$ins/representatives/$ins '{"kind": "guardian"}' "$doctor")" \
        '422 *"bad_ins"*'
check "the doctor records the mother" \
        "$(api PUT /v1/dossiers/$ins/representatives/$mother '{"kind": "parental-authority"}' "$doctor")" \
        "200 {\"ins\":\"$ins\",\"representative\":\"$mother\",\"kind\":\"parental-authority\"}"

check "a wrong secret" "$(session_for AAAA-AAAA-AAAA-AAAA)" '401 *"bad_secret"*'
out=$(session_for "$secret")
check "the mother opens her son's session" "$out" \
        "201 *\"patient\":{\"ins\":\"$ins\"},\"representative\":{\"ins\":\"$mother\"}*"
mother_token=$(field token "$out")
# the calls TOKEN|METHOD|PATH|BODY|PATTERN|WHAT, in order
while IFS='|' read -r who method path body pattern what; do
        check "$what" "$(api "$method" "$path" "$body" "${!who}")" "$pattern"
done <<LIST
mother_token|PUT|/v1/dossiers/$ins/representatives/$mother|{"kind": "guardian"}|403 *"professional_only"*|she records no representative
mother_token|GET|/v1/dossiers/$ins/documents||200 *"uid":"$seen"*|she lists the dossier
mother_token|GET|/v1/dossiers/$ins/documents/$seen||200 *"uid":"$seen"*|she reads the vaccination
mother_token|GET|/v1/dossiers/$ins/documents/$withheld||404 *"no_such_document"*|never the withheld document
mother_token|PUT|/v1/dossiers/$ins/options|{"notify": false}|200 *|she sets his options
mother_token|GET|/v1/dossiers/$ins/audit||200 *"actor_kind":"representative","actor":"$mother"*|she reads his trail, as herself
doctor|GET|/v1/dossiers/$ins/documents/$withheld||200 *"hidden_from_representatives":true*|the doctor still reads it
LIST
# neither her list nor her trail names the withheld document
for path in documents audit; do
        out=$(api GET /v1/dossiers/$ins/$path "" "$mother_token")
        [[ $out == 200* && $out != *"$withheld"* ]] || fail "the representative's $path shows the withheld document"
done

check "the doctor removes her" "$(api DELETE /v1/dossiers/$ins/representatives/$mother "" "$doctor")" \
        "200 {\"ins\":\"$ins\",\"representative\":\"$mother\",\"removed\":true}"
check "no longer" "$(api DELETE /v1/dossiers/$ins/representatives/$mother "" "$doctor")" '404 *"no_such_representative"*'
check "her open session acts no more" "$(api GET /v1/dossiers/$ins/documents "" "$mother_token")" \
        '403 *"deny-not-representative"*'
lab_end "$doctor" "legal representatives"
