#!/bin/bash
# Lab test: the acceptance journey of the API issue, with curl only.
#
# A patient's Carte Vitale (slot 0) and a doctor's CPS (slot 1) are
# inserted; the doctor logs in with the PIN, reads the card, opens the
# dossier with the patient's consent, deposits a consultation report and a
# prescription (which gets the interaction alert of data/interactions.tsv).
# The patient, with their card and secret, names the doctor médecin
# traitant.  A pharmacist's CPS then logs in at the same workstation: with
# the journey's rights table (tests/fixtures/rights-journey.tsv: carnet's
# shipped table lets a pharmacist see every type, the national one is not
# public) they see the prescription and not the report.  The patient masks
# the prescription: the pharmacist no longer sees it, the médecin traitant
# still does (and sees a masked document he did not write).  A blocked
# professional is refused.  A nurse's emergency access with a reason works
# while the patient has not opposed it, is refused once they have, and
# shows in the patient's trail and notifications and the traitant's
# notifications.  Pulling a card ends its session (401).  The event stream
# shows each card move.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

sock=$LAB_DIR/carnetd.sock
# at debug level, so that the checks of the log below cover every line
# carnetd writes (one a request, naming its route, never its path)
carnetd_conf "workstation = lab-ws-1" "rights_table = $top/tests/fixtures/rights-journey.tsv" "log_level = debug"
# api METHOD PATH [BODY [TOKEN [EXTRA CURL ARGS...]]]: prints "HTTP-code body"
login() { # login: opens a session on the CPS in slot 1, prints the token
        local out
        out=$(api POST /v1/sessions "{\"pin\": \"1234\", \"reader\": \"$LAB_READER1\"}")
        [[ $out == 201* ]] || { echo "login: $out" >&2; return 1; }
        field token "$out"
}

lab_cards
carnetd_start
curl -sN --unix-socket "$sock" http://localhost/v1/events >"$LAB_DIR/sse" &
stream=$!
until_ok grep -q '^retry: ' "$LAB_DIR/sse"
cards_ready

# ---- the doctor logs in, reads the card, opens the dossier
doctor=$(login)
echo "doctor logged in"
out=$(api GET /v1/vitale)
check "read the Vitale card" "$out" '200 *"index":0,"holder":true,"surname":"MARTIN"*"nir":"280057512345674","nir_valid":true*'
ins=280057512345674
check "no dossier yet" "$(api GET /v1/dossiers/$ins "" "$doctor")" '404 *"no_dossier"*'
check "no consent" "$(api POST /v1/dossiers '{"index": 0, "consent": false, "ins_oid": "1.2.250.1.213.1.4.10"}' "$doctor")" \
        '403 *"access_denied"*"reason":"deny-no-consent"*'
out=$(api POST /v1/dossiers '{"index": 0, "consent": true, "ins_oid": "1.2.250.1.213.1.4.10"}' "$doctor")
check "create with consent" "$out" '201 {"ins":"280057512345674","status":"open","secret":"*","consent_recorded":true,"attestation":{*"birth_name":"MARTIN"*'
secret=$(field secret "$out")
[[ $secret =~ ^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$ ]] || { echo "secret: '$secret'"; exit 1; }
check "again: exists" "$(api POST /v1/dossiers '{"index": 0, "consent": true}' "$doctor")" '409 *"dossier_exists"*'
check "status" "$(api GET /v1/dossiers/$ins "" "$doctor")" '200 *"status":"open"*"identity":{*"first_names":"CLAIRE"*'

# ---- two deposits; the prescription gets the interaction alert
out=$(api POST /v1/dossiers/$ins/documents "{\"type_code\": \"11488-4\", \"class_code\": \"10\", \"mime\": \"text/plain\",
        \"title\": \"Consultation du 22/11\", \"content_base64\": \"$(b64 'Consultation report: stable.')\"}" "$doctor")
check "deposit the consultation report" "$out" '201 {"uid":"*"warnings":[]*'
report=$(field uid "$out")
out=$(api POST /v1/dossiers/$ins/documents "{\"type_code\": \"57833-6\", \"class_code\": \"42\", \"mime\": \"text/plain\",
        \"title\": \"Ordonnance\", \"medicines\": [\"B01AA03\", \"N02BA01\"],
        \"content_base64\": \"$(b64 'warfarin 5 mg; aspirin 100 mg')\"}" "$doctor")
check "deposit the prescription: interaction alert" "$out" '201 *"warnings":[{"kind":"interaction"*warfarin*'
prescription=$(field uid "$out")
check "the doctor reads the report" "$(api GET /v1/dossiers/$ins/documents/$report/content "" "$doctor")" \
        '200 Consultation report: stable.'

# ---- the patient, with their card and secret, names the doctor médecin traitant
check "patient: wrong secret" "$(api POST /v1/patient-sessions '{"index": 0, "secret": "AAAA-AAAA-AAAA-AAAA"}')" \
        '401 *"bad_secret"*"deny-bad-secret"*'
out=$(api POST /v1/patient-sessions "{\"index\": 0, \"secret\": \"$secret\"}")
check "patient session" "$out" '201 {"token":"*","session":{*"kind":"patient"*'
patient=$(field token "$out")
check "patient: traitant" "$(api PUT /v1/dossiers/$ins/access/899700000001 '{"relation": "traitant"}' "$patient")" \
        '200 *"relation":"traitant"*'
out=$(api POST /v1/dossiers/$ins/documents "{\"type_code\": \"DOCPAT01\", \"class_code\": \"90\", \"mime\": \"text/plain\",
        \"title\": \"Mes notes\", \"content_base64\": \"$(b64 'my own notes')\"}" "$patient")
check "patient: personal deposit" "$out" '201 *'
notes=$(field uid "$out")
check "patient: mask own notes" "$(api POST /v1/dossiers/$ins/documents/$notes/mask "" "$patient")" '200 *"masked":true*'
check "professional may not mask" "$(api POST /v1/dossiers/$ins/documents/$report/mask "" "$doctor")" \
        '403 *"reason":"deny-patient-only"*'

# ---- a pharmacist logs in at the same workstation
swap_cps cps-pharma
check "doctor's card pulled: 401" "$(api GET /v1/sessions/current "" "$doctor")" '401 *"no_session"*'
pharma=$(login)
check "pharmacist not authorised yet" "$(api GET /v1/dossiers/$ins/documents "" "$pharma")" \
        '403 *"reason":"deny-not-authorised"*'
check "pharmacist records the patient's consent" "$(api POST /v1/dossiers/$ins/consent '{"consent": true}' "$pharma")" \
        '200 *"consent_recorded":true*'
out=$(api GET /v1/dossiers/$ins/documents "" "$pharma")
check "pharmacist sees the prescription" "$out" "200 *\"uid\":\"$prescription\"*"
[[ $out != *"$report"* ]] || { echo "the pharmacist sees the consultation report: $out"; exit 1; }
echo "pharmacist does not see the report: ok"
check "pharmacist may not read the report" "$(api GET /v1/dossiers/$ins/documents/$report "" "$pharma")" \
        '403 *"reason":"deny-rights-matrix"*'

# ---- the patient masks the prescription: the pharmacist loses it
check "patient masks the prescription" "$(api POST /v1/dossiers/$ins/documents/$prescription/mask "" "$patient")" '200 *'
out=$(api GET /v1/dossiers/$ins/documents "" "$pharma")
check "pharmacist list after masking" "$out" '200 *"count":0*'
check "pharmacist may not read it" "$(api GET /v1/dossiers/$ins/documents/$prescription/content "" "$pharma")" \
        '403 *"reason":"deny-masked"*'

# ---- a blocked professional is refused
check "patient blocks the pharmacist" "$(api PUT /v1/dossiers/$ins/access/899700000008 '{"blocked": true}' "$patient")" \
        '200 *"blocked":true*'
check "blocked: refused" "$(api GET /v1/dossiers/$ins/documents "" "$pharma")" '403 *"reason":"deny-blocked"*'
check "blocked even in emergency" "$(api PUT /v1/sessions/current/mode '{"mode": "emergency", "reason": "test"}' "$pharma" >/dev/null;
        api GET /v1/dossiers/$ins/documents "" "$pharma")" '403 *"reason":"deny-blocked"*'

# ---- emergency access by a nurse who was never authorised
swap_cps cps-ec
nurse=$(login)
check "nurse, normal mode" "$(api GET /v1/dossiers/$ins/documents "" "$nurse")" '403 *"reason":"deny-not-authorised"*'
check "emergency needs a reason" "$(api PUT /v1/sessions/current/mode '{"mode": "emergency"}' "$nurse")" \
        '400 *"reason_required"*'
check "emergency mode" "$(api PUT /v1/sessions/current/mode '{"mode": "emergency", "reason": "unconscious at the practice"}' "$nurse")" \
        '200 *"mode":"emergency","reason":"unconscious at the practice"*'
check "emergency access works" "$(api GET /v1/dossiers/$ins/documents "" "$nurse")" "200 *\"uid\":\"$report\"*"
check "patient opposes emergency access" "$(api PUT /v1/dossiers/$ins/options '{"optout_emergency": true}' "$patient")" '200 *'
check "emergency access refused" "$(api GET /v1/dossiers/$ins/documents "" "$nurse")" \
        '403 *"reason":"deny-emergency-opted-out"*'
out=$(api GET /v1/dossiers/$ins/audit "" "$patient")
check "in the patient's trail" "$out" '200 *"actor":"899700000002"*"mode":"emergency","reason":"unconscious at the practice","outcome":"allow"*'
check "the refusal too" "$out" '200 *"mode":"emergency"*"outcome":"deny","code":"deny-emergency-opted-out"*'
# the same trail in pages of 4, each asked with the next of the one before:
# the entries read above once and in their order, then one reading a page
# (each page's own entry, traced before it is read), the last page's last
seqs() { grep -o '"seq":[0-9]*' <<<"$1" | cut -d: -f2 | tr '\n' ' '; }
whole=$(seqs "$out")
n_whole=$(wc -w <<<"$whole")
[ "$n_whole" -gt 8 ] || fail "a trail of $n_whole entries does not make pages"
walked="" after="" pages=0
while :; do
        page=$(api GET "/v1/dossiers/$ins/audit?limit=4${after:+&after=$after}" "" "$patient")
        pages=$((pages + 1))
        [[ $page == 200* ]] || fail "trail page $pages: $page"
        s=$(seqs "$page")
        n=$(wc -w <<<"$s")
        [[ $page == *"\"count\":$n,"* ]] || fail "trail page $pages: count is not its $n entries: $page"
        walked="$walked$s"
        last=${s% }
        last=${last##* }
        if [[ $page == *'"next":null}' ]]; then
                check "the last page ends with its own reading" "$page" '200 *"action":"read-trail"*"next":null}'
                break
        fi
        check "trail page $pages: full, next is its last seq" "$n $page" "4 200 *\"next\":$last}"
        after=$last
        [ "$pages" -lt 50 ] || fail "the trail's pages never end"
done
check "the pages: the trail once, in order, then the walk's readings" "$(wc -w <<<"$walked") ${walked:0:${#whole}}" \
        "$((n_whole + pages)) $whole"
[ "$(tr ' ' '\n' <<<"$walked" | grep . | sort -n | uniq | wc -l)" = "$((n_whole + pages))" ] || fail "seqs repeat: $walked"
[ "$(tr ' ' '\n' <<<"$walked" | grep . | sort -n | tr '\n' ' ')" = "$walked" ] || fail "seqs out of order: $walked"
check "a page after the last entry: its own reading only" \
        "$(api GET "/v1/dossiers/$ins/audit?after=$last" "" "$patient")" \
        '200 {"ins":"'$ins'","count":1,"entries":\[{"seq":*"action":"read-trail"*}\],"next":null}'
check "in the patient's notifications" "$(api GET /v1/dossiers/$ins/notifications "" "$patient")" \
        '200 *"kind":"emergency-access"*'

# ---- the médecin traitant still sees what the patient masked
swap_cps cps-rsa
doctor=$(login)
out=$(api GET /v1/dossiers/$ins/documents "" "$doctor")
check "traitant sees the masked prescription" "$out" "200 *\"uid\":\"$prescription\"*\"masked\":true*"
check "and the patient's masked notes" "$out" "200 *\"uid\":\"$notes\"*"
check "traitant told of the emergency" "$(api GET /v1/notifications "" "$doctor")" '200 *"kind":"emergency-access"*'
check "chain intact" "$(api GET /v1/audit/verify "" "$doctor")" '200 {"intact":true*'

# ---- pulling the doctor's card ends the session; the next api gets 401
sim_cmd 1 remove
wait_card 1 absent
check "card pulled" "$(api GET /v1/dossiers/$ins/documents "" "$doctor")" '401 *"no_session"*'
# the patient's session ends with their card too
sim_cmd 0 remove
wait_card 0 absent
check "Vitale pulled" "$(api GET /v1/dossiers/$ins/audit "" "$patient")" '401 *"no_session"*'

# ---- the event stream saw each card move
until_ok eval '[ $(grep -c "^event: card_removed" "$LAB_DIR/sse") -ge 5 ]'
ins_n=$(grep -c '^event: card_inserted' "$LAB_DIR/sse")
rem_n=$(grep -c '^event: card_removed' "$LAB_DIR/sse")
[ "$ins_n" -ge 3 ] && [ "$rem_n" -ge 5 ] || { echo "events: $ins_n inserted, $rem_n removed"; cat "$LAB_DIR/sse"; exit 1; }
grep -q '^event: session_started' "$LAB_DIR/sse"
grep -q '^event: session_ended' "$LAB_DIR/sse"
# dossier notifications reach the stream by kind, never naming the patient
grep -q '^data: {.*"type":"notification".*"detail":"emergency-access"' "$LAB_DIR/sse" ||
        { echo "no emergency-access notification event"; cat "$LAB_DIR/sse"; exit 1; }
! grep -qE '280057512345674|MARTIN' "$LAB_DIR/sse" || { echo "personal data on the event stream"; exit 1; }
echo "events: $ins_n card_inserted, $rem_n card_removed, sessions started and ended"

kill "$stream" 2>/dev/null || true
kill "$daemon"
wait "$daemon"
! grep -q "$secret" "$LAB_DIR/carnetd.err" || { echo "the patient secret is in the log"; exit 1; }
grep -q 'debug: GET /v1/dossiers/{ins}/documents uid=' "$LAB_DIR/carnetd.err" ||
        { echo "no request line at debug level"; cat "$LAB_DIR/carnetd.err"; exit 1; }
! grep -qi "MARTIN\|CLAIRE\|$ins" "$LAB_DIR/carnetd.err" || { echo "personal data in the log"; exit 1; }
echo "journey ok"
