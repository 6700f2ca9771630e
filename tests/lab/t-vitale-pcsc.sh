#!/bin/bash
# Lab test: a PC/SC application reads every person on the simulated Vitale
# card, whichever way the card answers READ BINARY (data at once, 61xx then
# GET RESPONSE, 6Cxx then the right Le), and sees the card's removal
# through SCardGetStatusChange.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

expected='MARTIN|CLAIRE|19800517||280057512345674
MARTIN|LUCAS|20120309|1|112037512345629
MARTIN|EMMA|20120309|2|
read-done'

for mode in family 61xx 6cxx; do
        profile=tests/profiles/vitale-$mode.profile
        [ "$mode" = family ] && profile=tests/profiles/vitale-family.profile
        sim_start 0 "$profile"
        wait_card 0 present
        : >"$LAB_DIR/slot0.apdu"
        got=$("$CARNET_BUILD/lab/vitale-read" "$LAB_READER0")
        if [ "$got" != "$expected" ]; then
                echo "mode $mode: unexpected persons:"; echo "$got"; exit 1
        fi
        # The exchanges the card saw: 2 SELECT + 2 READ, plus one extra
        # command per READ in the 61xx and 6Cxx modes.
        n=$(apdu_count 0)
        case $mode in family) want=4 ;; *) want=6 ;; esac
        [ "$n" = "$want" ] || { echo "mode $mode: $n APDUs, expected $want"; cat "$LAB_DIR/slot0.apdu"; exit 1; }
        grep -q '^> 00C00000' "$LAB_DIR/slot0.apdu" && [ $mode != 61xx ] && { echo "GET RESPONSE in mode $mode"; exit 1; }
        [ $mode != 61xx ] || grep -q '^> 00C00000' "$LAB_DIR/slot0.apdu" || { echo "61xx: no GET RESPONSE"; exit 1; }
        echo "mode $mode: ok ($n APDUs)"
        sim_stop 0
        wait_card 0 absent
done

# Removal seen through SCardGetStatusChange while the reader is watched.
sim_start 0 tests/profiles/vitale-family.profile
wait_card 0 present
"$CARNET_BUILD/lab/vitale-read" "$LAB_READER0" --wait-removal 10 >"$LAB_DIR/watch.out" &
watcher=$!
for _ in $(seq 50); do grep -q read-done "$LAB_DIR/watch.out" && break; sleep 0.1; done
grep -q read-done "$LAB_DIR/watch.out" || { echo "watcher did not read the card"; exit 1; }
sim_cmd 0 remove
wait "$watcher" || { echo "removal not seen (exit $?)"; cat "$LAB_DIR/watch.out"; exit 1; }
grep -q '^removed$' "$LAB_DIR/watch.out"
echo "removal seen"

# A card pulled in the middle of the read gives an error, not garbage.
sim_cmd 0 insert
wait_card 0 present
sim_cmd 0 pull-after 3
if "$CARNET_BUILD/lab/vitale-read" "$LAB_READER0" >"$LAB_DIR/pulled.out" 2>&1; then
        echo "a read interrupted by removal succeeded:"; cat "$LAB_DIR/pulled.out"; exit 1
fi
grep -q read-done "$LAB_DIR/pulled.out" && { echo "partial read reported as done"; exit 1; }
echo "pulled mid-read: $(tail -n1 "$LAB_DIR/pulled.out")"
