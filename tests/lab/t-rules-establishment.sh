#!/bin/bash
# Lab test: masking and the author's establishment (docs/rules.md §3
# "Masking").  With identity.organisation naming the certificate's second O,
# a session knows its establishment (shown on the session); a document the
# patient masked stays visible to the doctor who deposited it and to another
# doctor of the same establishment, not to an authorised doctor elsewhere,
# whose refusal is traced; unmasked, everyone authorised sees it again.
# The trail's open-session entries name each session's establishment
# (docs/rules.md §7), none for the session that has none.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# session_on CARD PATTERN: the CPS CARD in slot 1, a session on it whose
# reply matches PATTERN; its token in $token
session_on() {
        local out
        [ "$1" = cps-clinic-a ] || swap_cps "$1"
        out=$(api POST /v1/sessions '{"pin": "1234"}')
        check "session on $1" "$out" "$2"
        token=$(field token "$out")
}

ins=280057512345674
db=$LAB_DIR/carnet.db
carnetd_conf "identity.organisation = subject:O#2" "database = $db"
lab_cards cps-clinic-a
carnetd_start
cards_ready
session_on cps-clinic-a '201 *"establishment":"Clinique des Tests"*'
a=$token
holder_dossier "$a"
deposit_note "$a" "Consultation"
check "the document names the establishment" "$(api GET /v1/dossiers/$ins/documents/$doc "" "$a")" \
        '200 *"establishment":"Clinique des Tests"*'

out=$(api POST /v1/patient-sessions "{\"index\": 0, \"secret\": \"$secret\"}")
check "patient session" "$out" '201 *'
patient=$(field token "$out")
for id in 899700000012 899700000001; do
        check "authorise $id" "$(api PUT /v1/dossiers/$ins/access/$id '{"relation": "authorised"}' "$patient")" '200 *'
done
check "the patient masks" "$(api POST /v1/dossiers/$ins/documents/$doc/mask "" "$patient")" '200 *"masked":true*'
check "the depositor still reads it" "$(api GET /v1/dossiers/$ins/documents/$doc "" "$a")" '200 *"masked":true*'

session_on cps-clinic-b '201 *"establishment":"Clinique des Tests"*'
b=$token
check "the same establishment reads the masked document" "$(api GET /v1/dossiers/$ins/documents/$doc "" "$b")" \
        '200 *"masked":true*'
check "and lists it" "$(api GET /v1/dossiers/$ins/documents "" "$b")" "200 *\"uid\":\"$doc\"*"

session_on cps-rsa '201 *"establishment":null*'
c=$token
check "elsewhere: masked" "$(api GET /v1/dossiers/$ins/documents/$doc "" "$c")" '403 *"deny-masked"*'
check "elsewhere: not listed" "$(api GET /v1/dossiers/$ins/documents "" "$c")" '200 *"count":0*'
check "unmasked" "$(api POST /v1/dossiers/$ins/documents/$doc/unmask "" "$patient")" '200 *"unmasked":true*'
check "elsewhere: visible again" "$(api GET /v1/dossiers/$ins/documents/$doc "" "$c")" '200 *'
check "the trail shows the refusal" "$(api GET /v1/dossiers/$ins/audit "" "$patient")" \
        '200 *"action":"read"*"outcome":"deny"*"code":"deny-masked"*'
check "the sessions' openings name their establishment" "$(sqlite3 "$db" \
        "SELECT group_concat(actor || '=' || establishment, ',') FROM audit WHERE action = 'open-session'")" \
        '*=Clinique des Tests,*=Clinique des Tests,*='
lab_end "$c" establishment
