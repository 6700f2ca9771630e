#!/bin/bash
# Lab test: carnetd's reader monitor and Vitale driver, with the faults the
# card work must survive: two cards at once, an unknown card, a hostile
# Vitale card, NIRs that do not check, a card pulled in the middle of the
# read, and pcscd killed and restarted.  Each gives a clear answer and
# carnetd keeps serving.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sock=$LAB_DIR/carnetd.sock
get() { # get PATH -> prints "HTTP-code body"
        local code
        code=$(curl -s -o "$LAB_DIR/body" -w '%{http_code}' --unix-socket "$sock" "http://localhost$1")
        echo "$code $(cat "$LAB_DIR/body")"
}
# until_ok SECONDS CMD...: retries CMD until it succeeds
# carnetd's own JSON is compact: match on it directly
card_is() { get /v1/status | grep -q "\"name\":\"$1\",\"card_present\":true,\"atr\":\"[0-9A-F]*\",\"card\":{\"type\":\"$2\""; }
no_card() { get /v1/status | grep -q "\"name\":\"$1\",\"card_present\":false"; }

"$CARNET_BUILD/carnetd" --socket "$sock" 2>"$LAB_DIR/carnetd.err" &
daemon=$!
until_ok -t 10 test -S "$sock"

# Two cards at once: a Vitale in slot 0, a CPS in slot 1.
sim_start 0 tests/profiles/vitale-family.profile
sim_start 1 "$CARNET_PKI/cps-rsa.profile"
until_ok -t 10 card_is "$LAB_READER0" vitale
until_ok -t 10 card_is "$LAB_READER1" cps
ctl vitale | grep -q 'MARTIN.*CLAIRE.*280057512345674'
out=$(get /v1/vitale)
[[ $out == 200* ]] && echo "$out" | grep -q '"nir_problem":"absent"'
echo "two cards: ok"

# An unknown card is named as such; there is no Vitale to read then.
sim_stop 0
until_ok -t 10 no_card "$LAB_READER0"
sim_start 0 tests/profiles/unknown-card.profile
until_ok -t 10 card_is "$LAB_READER0" unknown
sim_stop 1
until_ok -t 10 no_card "$LAB_READER1"
out=$(get /v1/vitale)
[[ $out == 404* ]] && echo "$out" | grep -q '"code":"no_vitale_card"' || { echo "unknown card: $out"; exit 1; }
echo "unknown card: ok"
sim_stop 0
until_ok -t 10 no_card "$LAB_READER0"

# A hostile Vitale card: a clear error, carnetd still answers.
sim_start 0 tests/profiles/vitale-hostile.profile
until_ok -t 10 card_is "$LAB_READER0" vitale
ctl --json status | grep -q '"error": "card_malformed"'
out=$(get /v1/vitale)
[[ $out == 422* ]] && echo "$out" | grep -q '"code":"card_malformed"' || { echo "hostile card: $out"; exit 1; }
kill -0 "$daemon"
echo "hostile card: ok"
sim_stop 0
until_ok -t 10 no_card "$LAB_READER0"

# NIRs that do not check are listed and flagged.
sim_start 0 tests/profiles/vitale-bad-nir.profile
until_ok -t 10 card_is "$LAB_READER0" vitale
out=$(get /v1/vitale)
echo "$out" | grep -q '"nir":"175012A12345699","nir_valid":false,"nir_problem":"wrong key"'
echo "$out" | grep -q '"first_name":"ZOE".*"nir_valid":false,"nir_problem":"absent"'
echo "bad NIRs: ok"
sim_stop 0
until_ok -t 10 no_card "$LAB_READER0"

# A card pulled in the middle of the read (after SELECT MF and READ).
sim_start 0 tests/profiles/vitale-family.profile --absent
sim_cmd 0 pull-after 3
sim_cmd 0 insert
# the card comes, is read, leaves during the read; carnetd must end with
# no card in the reader and no Vitale data
sleep 1
until_ok -t 10 no_card "$LAB_READER0"
out=$(get /v1/vitale)
[[ $out == 404* ]] || { echo "after a pulled card: $out"; exit 1; }
grep -q 'read failed' "$LAB_DIR/carnetd.err" || grep -q 'card removed' "$LAB_DIR/carnetd.err"
# put back, read normally
sim_cmd 0 insert
until_ok -t 10 card_is "$LAB_READER0" vitale
[[ $(get /v1/vitale) == 200* ]]
echo "card pulled mid-read: ok"

# pcscd killed and restarted: carnetd sees the readers and the card again.
kill "$(cat "$LAB_DIR/pcscd.pid")"
until_ok -t 10 bash -c "ctl() { \"$CARNET_BUILD/carnetctl\" --socket \"$sock\" \"\$@\"; }; ctl status | grep -q 'NOT reachable'"
out=$(get /v1/vitale)
[[ $out == 503* ]] && echo "$out" | grep -q pcscd_unreachable || { echo "pcscd down: $out"; exit 1; }
pcscd -f -c "$LAB_DIR/reader.conf.d" >>"$LAB_DIR/pcscd.log" 2>&1 &
echo $! >"$LAB_DIR/pcscd.pid"
# the simulator reconnects to the new vpcd by itself
until_ok -t 15 card_is "$LAB_READER0" vitale
[[ $(get /v1/vitale) == 200* ]]
echo "pcscd restart: ok"

kill "$daemon"
wait "$daemon"
grep -c . "$LAB_DIR/carnetd.err" >/dev/null
! grep -qiE 'MARTIN|CLAIRE|280057512345674' "$LAB_DIR/carnetd.err" || { echo "personal data in the log"; exit 1; }
echo "monitor ok"
