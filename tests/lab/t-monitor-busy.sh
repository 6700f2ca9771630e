#!/bin/bash
# Lab test: a card that another program holds exclusively when carnetd
# first sees it (SCardConnect: sharing violation).  While it is held,
# GET /v1/vitale is 503 card_busy (not 404 no_vitale_card) and
# POST /v1/sessions is 503 card_busy (not no_cps_card); once the other
# program lets it go, carnetd reads it without the card being taken out:
# the Vitale's persons are there, the CPS opens a session.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

carnetd_conf
hold() { # hold SLOT SECONDS: another program holds the card in SLOT; pid in $holder
        local reader=$LAB_READER0
        [ "$1" = 0 ] || reader=$LAB_READER1
        "$CARNET_BUILD/lab/lab-pcsc" hold "$reader" "$2" >"$LAB_DIR/hold$1.out" &
        holder=$!
        until_ok grep -q held "$LAB_DIR/hold$1.out"
}
release() { kill "$1"; wait "$1" || true; } # release PID: the holder lets go

sim_start 0 tests/profiles/vitale-family.profile
sim_start 1 "$CARNET_PKI/cps-rsa.profile"
wait_card 0 present
wait_card 1 present
hold 0 60
vitale_holder=$holder
hold 1 60
cps_holder=$holder
carnetd_start
until_ok eval 'api GET /v1/readers | grep -q "\"Virtual PCD 00 01\",\"card_present\":true"'

check "Vitale held" "$(api GET /v1/vitale)" '503 {"error":{"code":"card_busy","message":"*another program*'
check "CPS held" "$(api POST /v1/sessions '{"pin": "1234"}')" '503 {"error":{"code":"card_busy","message":"*another program*'
# still busy a while later: carnetd tries again, quietly, and says the same
sleep 2
check "Vitale still held" "$(api GET /v1/vitale)" '503 {"error":{"code":"card_busy"*'
[ "$(grep -c "read failed" "$LAB_DIR/carnetd.err")" -le 2 ] || { echo "every retry logged"; exit 1; }

# the other program lets the Vitale go: read in place, same insertion
release "$vitale_holder"
until_ok eval 'api GET /v1/vitale | grep -q "^200"'
check "Vitale read once free" "$(api GET /v1/vitale)" '200 *"surname":"MARTIN","first_name":"CLAIRE"*'
check "CPS still held" "$(api POST /v1/sessions '{"pin": "1234"}')" '503 {"error":{"code":"card_busy"*'

release "$cps_holder"
until_ok cps_ready
check "CPS read once free" "$(api POST /v1/sessions '{"pin": "1234"}')" '201 *"national_id":"899700000001"*'

kill "$daemon"
wait "$daemon" || true
echo "busy cards: 503 card_busy while held, read once released"
