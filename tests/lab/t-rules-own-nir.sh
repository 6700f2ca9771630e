#!/bin/bash
# Lab test: a dossier is keyed by the person's own NIR, never the card
# holder's (docs/rules.md §5).  On a Carte Vitale whose beneficiary carries
# the holder's NIR, creating their dossier is refused (422 holder_nir) until
# the person's own NIR is typed in "own_nir", which is checked (key, not the
# holder's); a beneficiary with no NIR at all gets theirs the same way; a
# person with their own NIR on the card takes no own_nir.  No refusal
# leaves a dossier behind.  A Corsican NIR typed in lower case keys the
# dossier of its upper-case spelling, never a twin.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

carnetd_conf
sim_start 0 tests/profiles/vitale-shared-nir.profile
sim_start 1 "$CARNET_PKI/cps-rsa.profile"
wait_card 0 present
wait_card 1 present
carnetd_start
cards_ready
out=$(api POST /v1/sessions '{"pin": "1234"}')
check "session" "$out" '201 *'
doctor=$(field token "$out")
holder=280057512345674

check "the holder's NIR for a beneficiary: refused" \
        "$(api POST /v1/dossiers '{"index": 1, "consent": true}' "$doctor")" \
        '422 {"error":{"code":"holder_nir"*"own_nir"*'
check "no dossier under the holder's NIR" "$(api GET /v1/dossiers/$holder "" "$doctor")" '404 *"no_dossier"*'
check "own_nir with a wrong key" \
        "$(api POST /v1/dossiers '{"index": 1, "own_nir": "112037512345628", "consent": true}' "$doctor")" \
        '422 *"bad_ins"*"wrong key"*'
check "own_nir malformed" \
        "$(api POST /v1/dossiers '{"index": 1, "own_nir": "11203751234", "consent": true}' "$doctor")" \
        '422 *"bad_ins"*"malformed"*'
check "own_nir not a string" \
        "$(api POST /v1/dossiers '{"index": 1, "own_nir": 112037512345629, "consent": true}' "$doctor")" \
        '422 *"bad_ins"*'
check "own_nir = the holder's" \
        "$(api POST /v1/dossiers "{\"index\": 1, \"own_nir\": \"$holder\", \"consent\": true}" "$doctor")" \
        "422 *\"bad_ins\"*\"holder's NIR\"*"
check "still no dossier under the holder's NIR" "$(api GET /v1/dossiers/$holder "" "$doctor")" '404 *"no_dossier"*'
check "own_nir for the holder, who has one: 400" \
        "$(api POST /v1/dossiers '{"index": 0, "own_nir": "112037512345629", "consent": true}' "$doctor")" \
        '400 *"bad_field"*"own_nir"*'

# carnetctl says the same: refused without --own-nir, opened with it
run 1 --session "$doctor" dossier create --consent --index 1
has err "holder_nir"
run 0 --session "$doctor" dossier create --consent --index 1 --own-nir 112037512345629
has out "dossier opened: .* LUCAS, INS 112037512345629"
lucas_secret=$(sed -n 's/^patient secret: //p' "$LAB_DIR/out")
check "the beneficiary's own NIR" "$(api GET /v1/dossiers/112037512345629 "" "$doctor")" \
        '200 *"first_names":"LUCAS"*"birth_date":"2012-03-09","sex":"M","birth_place":"75123"*'
check "the holder's is still free" "$(api GET /v1/dossiers/$holder "" "$doctor")" '404 *"no_dossier"*'
check "no NIR on the card: say how to give it" "$(api POST /v1/dossiers '{"index": 2, "consent": true}' "$doctor")" \
        '422 *"bad_ins"*own_nir*"absent"*'
check "no NIR on the card, own_nir given" \
        "$(api POST /v1/dossiers '{"index": 2, "own_nir": "212037512345775", "consent": true}' "$doctor")" \
        '201 {"ins":"212037512345775"*"first_names":"EMMA"*"sex":"F"*'
# a Corsican NIR typed with its department in lower case ("2b", whose key
# is as good) is the dossier of its one spelling, upper case: the path in
# either case reaches it, and the other spelling is no second dossier
check "own_nir in lower case: the upper-case spelling's dossier" \
        "$(api POST /v1/dossiers '{"index": 2, "own_nir": "285052b00101141", "consent": true}' "$doctor")" \
        '201 {"ins":"285052B00101141"*'
check "the lower-case path reaches it" "$(api GET /v1/dossiers/285052b00101141 "" "$doctor")" \
        '200 {"ins":"285052B00101141","status":"open"*'
check "no twin under the upper-case spelling" \
        "$(api POST /v1/dossiers '{"index": 2, "own_nir": "285052B00101141", "consent": true}' "$doctor")" \
        '409 *"dossier_exists"*'
check "a document deposited by the lower-case path" \
        "$(api POST /v1/dossiers/285052b00101141/documents '{"type_code": "11488-4", "class_code": "10",
                "mime": "text/plain", "title": "CR", "content_base64": "aGVsbG8="}' "$doctor")" '201 *'
check "listed by the upper-case one" "$(api GET /v1/dossiers/285052B00101141/documents "" "$doctor")" \
        '200 *"count":1*'
out=$(api POST /v1/dossiers '{"index": 0, "consent": true}' "$doctor")
check "the holder's own dossier" "$out" '201 {"ins":"280057512345674"*"first_names":"CLAIRE"*'
check "the patient session of a beneficiary needs own_nir too" \
        "$(api POST /v1/patient-sessions '{"index": 1, "secret": "AAAA-AAAA-AAAA-AAAA"}')" '422 *"holder_nir"*'
# carnetctl patient login --own-nir reaches Lucas's dossier (and, born in
# 2012, is refused as under 16 with his right secret: the NIR was his)
printf '%s\n' "$lucas_secret" >"$LAB_DIR/secret"
STDIN=$LAB_DIR/secret run 1 patient login --index 1
has err "holder_nir"
STDIN=$LAB_DIR/secret run 6 patient login --index 1 --own-nir 112037512345629
has err "under_16"

kill "$daemon"
wait "$daemon"
echo "own NIR ok"
