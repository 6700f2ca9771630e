#!/bin/bash
# Lab test (issue 14, secrets): after POST /v1/sessions (a session token)
# and POST /v1/dossiers (a patient secret) have been answered, and two
# PINs refused before reaching the card (early returns), neither the
# token, nor the secret, nor those PINs is anywhere in carnetd's memory, freed heap
# included (tests/lab/memscan.py reads /proc/PID/mem; a word carnetd does
# keep, the reader's name, is found, so the scan can see); once the Carte
# Vitale left, none of its NIRs and names is either.  At log level debug,
# the log names neither them, nor the NIR, nor the INS.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

carnetd_conf "database = $LAB_DIR/carnet.db" "log_level = debug"
lab_cards
carnetd_start
cards_ready
token=$(lab_login)
out=$(api POST /v1/dossiers '{"index": 0, "consent": true}' "$token")
[[ $out == 201* ]] || { echo "create: $out"; exit 1; }
secret=$(field secret "$out")
[ ${#secret} -ge 8 ] && [ ${#token} = 64 ] || { echo "no secret or token: $out"; exit 1; }
# PINs refused before they reach the card (early returns): wiped as well.
# Not in carnetd's memory before (no library happens to hold these digits)
pre=$(python3 tests/lab/memscan.py "$daemon" 59173046 48265913)
[ "$pre" = "$(printf '59173046: 0\n48265913: 0')" ] || { echo "the PINs are in memory before use: $pre"; exit 1; }
check "PIN with a bad reader" "$(api POST /v1/sessions '{"pin": "59173046", "reader": 5}')" '400 *"bad_field"*'
check "PIN with an unknown field" "$(api POST /v1/sessions '{"pin": "48265913", "readr": "x"}')" '400 *"unknown_field"*'
# a few more calls with the token, then let the connections close
for _ in 1 2 3; do api GET /v1/sessions/current "" "$token" >/dev/null; done
sleep 1

scan=$(python3 tests/lab/memscan.py "$daemon" "$secret" "$token" 59173046 48265913 "Virtual PCD 00 01")
echo "$scan"
grep -q '^Virtual PCD 00 01: [1-9]' <<<"$scan" || { echo "the scan finds nothing: it cannot see"; exit 1; }
grep -q "^$secret: 0$" <<<"$scan" || { echo "the patient secret is still in carnetd's memory"; exit 1; }
grep -q "^$token: 0$" <<<"$scan" || { echo "the session token is still in carnetd's memory"; exit 1; }
grep -q "^59173046: 0$" <<<"$scan" && grep -q "^48265913: 0$" <<<"$scan" ||
        { echo "a refused PIN is still in carnetd's memory"; exit 1; }

# the Carte Vitale's data (a beneficiary's NIR and name, which no request
# above asked for) is in memory while the card is in (the monitor's copy:
# the scan sees it), and nowhere once it left: the monitor's copy, the
# files as read from the card and the parse's copy are all wiped
nir1=112037512345629
scan=$(python3 tests/lab/memscan.py "$daemon" "$nir1" LUCAS)
grep -q "^$nir1: [1-9]" <<<"$scan" || { echo "the scan does not see the card's data: $scan"; exit 1; }
sim_cmd 0 remove
wait_card 0 absent
until_ok eval '! api GET /v1/readers | grep -q "\"type\":\"vitale\""'
scan=$(python3 tests/lab/memscan.py "$daemon" "$nir1" LUCAS)
[ "$scan" = "$(printf '%s: 0\nLUCAS: 0' "$nir1")" ] || { echo "the Carte Vitale's data outlived it: $scan"; exit 1; }

ins=280057512345674
grep -q 'debug' "$LAB_DIR/carnetd.err" || { echo "no debug lines: the log level did not apply"; exit 1; }
for w in "$secret" "$token" "$ins" "${ins:0:13}"; do
        ! grep -q "$w" "$LAB_DIR/carnetd.err" || { echo "the log holds $w"; exit 1; }
done
kill "$daemon"; wait "$daemon" || true
echo "token, secret and the card's data wiped; none in the debug log, nor the NIR or INS"
