#!/bin/bash
# Lab test: the whole journey of issue 5, as a clinic would run it with
# carnetctl.  A patient's Carte Vitale (slot 0) and a doctor's CPS (slot 1)
# are inserted; the doctor logs in with the PIN, reads the card, opens the
# dossier with consent, deposits a consultation report and two
# prescriptions (an interaction alert from data/interactions.tsv); a
# pharmacist's CPS then logs in at the same workstation and sees the
# prescriptions and not the report (tests/fixtures/rights-journey.tsv: pharmacists
# see treatments only); the patient masks a prescription and the
# pharmacist no longer sees it while the médecin traitant still does; the
# blocked pharmacist is refused, even in emergency mode; a nurse's
# emergency access with a reason works until the patient opposes it, and
# shows in the patient's trail and notifications and the médecin
# traitant's notifications; pulling the doctor's card ends the session and
# the next call exits 5 (401).  carnetctl events --follow sees each card
# move.  The reader has two slots, so professionals take turns in slot 1.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
sock=$LAB_DIR/carnetd.sock
carnetd_conf "workstation = lab-ws-1" "database = $LAB_DIR/carnet.db" "rights_table = $top/tests/fixtures/rights-journey.tsv"
INS=280057512345674
DOCTOR=899700000001 PHARMACIST=899700000008

hasnt() { ! grep -q -- "$2" "$LAB_DIR/$1" || { echo "did not expect '$2' in $1:"; cat "$LAB_DIR/$1"; exit 1; }; }
step() { echo "== $*"; }
wait_cps() {
        for _ in $(seq 100); do ctl --json readers 2>/dev/null | grep -q '"type": "cps"' && return 0; sleep 0.1; done
        echo "carnetd never saw the CPS card"; exit 1
}
# cps PROFILE: the CPS card in slot 1 is now PROFILE's (the last one leaves)
cps() {
        if [ -e "$LAB_DIR/slot1.pid" ]; then
                sim_stop 1
                wait_card 1 absent
        fi
        sim_start 1 "$1"
        wait_card 1 present
        wait_cps
}
login() { printf '1234\n' >"$LAB_DIR/pin"; STDIN=$LAB_DIR/pin run 0 login; }
uid_of() { sed -n 's/^document \([0-9a-f]\{32\}\) deposited.*/\1/p' "$LAB_DIR/out"; }

sim_start 0 tests/profiles/vitale-family.profile
wait_card 0 present
carnetd_start
ctl --json events --follow --new >"$LAB_DIR/events" 2>"$LAB_DIR/events.err" &
follower=$!
sleep 0.3
trap 'kill $follower $daemon 2>/dev/null || true' EXIT

step "the doctor logs in and reads the Carte Vitale"
cps "$CARNET_PKI/cps-rsa.profile"
login
has out "logged in: LAMBERT CAMILLE, médecin (10)"
run 0 vitale
has out "holder  MARTIN *CLAIRE *1980-05-17 .* $INS"

step "the dossier, opened with the patient's consent"
run 2 dossier create
has err "needs --consent"
run 0 dossier create --consent --index 0 --test-ins
has out "dossier opened: MARTIN CLAIRE, INS $INS (consent recorded)"
secret=$(sed -n 's/^patient secret: //p' "$LAB_DIR/out")
[[ $secret =~ ^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$ ]] || { echo "secret: '$secret'"; exit 1; }
run 1 dossier create --consent --index 0 --test-ins
has err "dossier_exists"
run 0 dossier show $INS
has out "dossier:  $INS, open since"
has out "patient:  MARTIN CLAIRE, sex F, born 1980-05-17"

step "a consultation report and two prescriptions: the second gets an interaction alert"
printf 'Compte rendu de consultation\nTA 12/8, examen normal.\n' >"$LAB_DIR/report.txt"
run 0 doc put $INS "$LAB_DIR/report.txt" --type 11488-4 --class 11 --title "Compte rendu de consultation"
report=$(uid_of)
hasnt out ALERT
printf 'Warfarine 5 mg, 1 cp le soir\n' >"$LAB_DIR/rx1.txt"
run 0 doc put $INS "$LAB_DIR/rx1.txt" --type 57833-6 --class 11 --title "Ordonnance warfarine" --medicine B01AA03
rx1=$(uid_of)
hasnt out ALERT
printf 'Aspirine 500 mg si douleur\n' >"$LAB_DIR/rx2.txt"
run 0 doc put $INS "$LAB_DIR/rx2.txt" --type 57833-6 --class 11 --title "Ordonnance aspirine" --medicine N02BA01
rx2=$(uid_of)
has out "ALERT drug interaction: avoid: warfarin + acetylsalicylic acid: bleeding risk (with document $rx1)"
[ -n "$report" ] && [ -n "$rx1" ] && [ -n "$rx2" ] || { echo "uids: $report $rx1 $rx2"; exit 1; }
run 0 --json doc put $INS "$LAB_DIR/rx2.txt" --type 57833-6 --class 11 --title "Ordonnance (copie)" --medicine M01AE01
has out '"kind": "interaction"'
run 0 doc list $INS
has out "$report .* reports  *11488-4"
has out "$rx1 .* treatments  *57833-6"
# asked a page of one document at a time: the same list, in four requests
cp "$LAB_DIR/out" "$LAB_DIR/list-whole"
run 0 doc list $INS --page 1
cmp "$LAB_DIR/list-whole" "$LAB_DIR/out" || { diff "$LAB_DIR/list-whole" "$LAB_DIR/out"; exit 1; }
has out "4 document(s)"
run 0 --json doc list $INS --page 2
has out '"count": 4'
has out '"next": null'
run 2 doc list $INS --page 0
has err "page takes a number of documents from 1 to 1000"
run 0 doc get $INS $rx1
has out "Warfarine 5 mg"
# a large upload from a terminal shows its progress
if command -v script >/dev/null; then
        head -c 3000000 /dev/urandom >"$LAB_DIR/scan.bin"
        script -qec "$CARNET_BUILD/carnetctl --socket $sock doc put $INS $LAB_DIR/scan.bin --type 18748-4 --class 11 --title Imagerie --mime application/octet-stream" /dev/null >"$LAB_DIR/tty" 2>&1 || {
                cat "$LAB_DIR/tty"; exit 1; }
        has tty "sending 2.9 MiB of 2.9 MiB (100%)"
        has tty "deposited in $INS"
fi
run 0 logout
echo "report $report, prescriptions $rx1 $rx2"

step "the patient, with their card and secret, names the doctor médecin traitant"
printf '%s\n' "$secret" >"$LAB_DIR/secret"
STDIN=$LAB_DIR/secret run 0 patient login
has out "patient session .* opened for INS $INS"
printf 'XXXX-XXXX-XXXX-XXXX\n' >"$LAB_DIR/badsecret"
STDIN=$LAB_DIR/badsecret run 5 patient login --print-token
has err "bad_secret"
run 0 --patient auth treating $INS $DOCTOR
has out "$DOCTOR is the médecin traitant"
run 0 --patient auth list $INS
has out "^$DOCTOR .*LAMBERT CAMILLE .*médecin (10) .*traitant"

step "the pharmacist logs in at the same workstation: prescriptions, not the report"
cps "$CARNET_PKI/cps-pharma.profile"
login
has out "DUBOIS NADIA, pharmacien (21)"
run 6 doc list $INS
has err "deny-not-authorised"
run 0 dossier consent $INS
has out "consent recorded: $PHARMACIST"
run 0 doc list $INS
has out "$rx1"
has out "$rx2"
hasnt out "$report"
run 6 doc show $INS $report
has err "deny-rights-matrix"

step "the patient masks a prescription: the pharmacist no longer sees it"
run 0 --patient doc mask $INS $rx1
has out "document $rx1: masked"
run 0 doc list $INS
hasnt out "$rx1"
has out "$rx2"
run 6 doc get $INS $rx1
has err "deny-masked"

step "a blocked professional is refused, whatever the mode"
run 0 --patient auth block $INS $PHARMACIST
run 6 doc list $INS
has err "deny-blocked"
run 0 dossier mode emergency --reason "test: blocked stays blocked"
run 6 doc list $INS
has err "deny-blocked"
run 0 logout

step "a nurse's emergency access: allowed with a reason, refused once the patient opposes it"
cps "$CARNET_PKI/cps-ec.profile"
login
has out "MOREAU ANTOINE, infirmier (60)"
run 6 doc list $INS
has err "deny-not-authorised"
run 2 dossier mode emergency
has err "needs its reason"
run 0 dossier mode emergency --reason "malaise au cabinet, patiente inconsciente"
has out "mode emergency (reason: malaise au cabinet, patiente inconsciente)"
run 0 session
has out "^mode: *emergency"
run 0 doc list $INS
has out "$report"
has out "$rx2"
hasnt out "$rx1"
run 0 --patient dossier options $INS --optout-emergency yes
run 6 doc list $INS
has err "deny-emergency-opted-out"
run 0 --patient dossier show $INS
has out "emergency access OPPOSED"
run 0 --patient audit show $INS
has out "professional 899700000002 .*list .*EMERGENCY .*allow .*allow-emergency .*reason: malaise au cabinet"
has out "professional 899700000002 .*EMERGENCY .*DENY .*deny-emergency-opted-out"
has out "professional $PHARMACIST .*DENY .*deny-blocked"
# in pages of 3: the same trail, then the walk's readings (one a page,
# each traced before its page is read), printed as one
whole=$(sed -n 's/^dossier .*: \([0-9]*\) trail entr.*/\1/p' "$LAB_DIR/out")
grep '^[0-9]' "$LAB_DIR/out" >"$LAB_DIR/trail-whole"
run 0 --patient audit show $INS --page 3
paged=$(sed -n 's/^dossier .*: \([0-9]*\) trail entr.*/\1/p' "$LAB_DIR/out")
grep '^[0-9]' "$LAB_DIR/out" | head -n "$whole" | cmp - "$LAB_DIR/trail-whole" ||
        fail "the pages do not start with the trail"
[ "$(grep '^[0-9]' "$LAB_DIR/out" | tail -n +$((whole + 1)) | grep -vc ' read-trail ')" = 0 ] ||
        fail "after the trail, only the walk's readings: $(cat "$LAB_DIR/out")"
# k pages, one reading each: whole + k entries, the first k - 1 pages full
k=$((paged - whole))
[ "$k" -ge 2 ] && [ $((3 * (k - 1))) -lt "$paged" ] && [ "$paged" -le $((3 * k)) ] ||
        fail "$paged entries in pages of 3 with $k readings after the $whole before"
run 0 --patient --json audit show $INS --page 3
has out '"next": null'
[ "$(grep -c '"seq":' "$LAB_DIR/out")" = "$(sed -n 's/^  "count": \([0-9]*\),*$/\1/p' "$LAB_DIR/out")" ] ||
        fail "--json: count is not the entries: $(cat "$LAB_DIR/out")"
run 2 --patient audit show $INS --page 1
has err "page takes a number of entries from 2 to 1000"
run 0 --patient notifications $INS
has out "emergency-access"
run 0 logout

step "the médecin traitant still sees the masked prescription and is told of the emergency"
cps "$CARNET_PKI/cps-rsa.profile"
login
run 0 doc list $INS
has out "$rx1 .* masked"
run 0 doc get $INS $rx1
has out "Warfarine 5 mg"
run 0 notifications
has out "emergency-access"

step "pulling the doctor's card ends the session: the next call exits 5 (401)"
sim_cmd 1 remove
wait_card 1 absent
run 5 doc list $INS
has err "no_session"
[ ! -e "$XDG_RUNTIME_DIR/carnet/session" ] || { echo "the dead token is still stored"; exit 1; }
run 0 audit verify
has out "audit chain intact"

step "the event stream saw each card move"
sleep 0.5
kill "$follower" 2>/dev/null || true
cps_in=$(grep -c '"type":"card_inserted","reader":"Virtual PCD 00 01","detail":"cps"' "$LAB_DIR/events" || true)
cps_out=$(grep -c '"type":"card_removed","reader":"Virtual PCD 00 01"' "$LAB_DIR/events" || true)
[ "$cps_in" = 4 ] && [ "$cps_out" = 4 ] || { echo "CPS moves: $cps_in in, $cps_out out"; cat "$LAB_DIR/events"; exit 1; }
grep -q '"type":"session_started"' "$LAB_DIR/events"
grep -q '"type":"session_ended"' "$LAB_DIR/events"
echo "events: $cps_in CPS insertions, $cps_out removals, $(grep -c session_ "$LAB_DIR/events") session events"

kill "$daemon"
wait "$daemon" || true
trap - EXIT
no_pin "$LAB_DIR/carnetd.err"
! grep -q "$secret" "$LAB_DIR/carnetd.err" || { echo "the patient secret appears in carnetd's log"; exit 1; }
echo "journey with carnetctl ok"
