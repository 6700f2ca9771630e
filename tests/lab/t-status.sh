#!/bin/bash
# Lab test: carnetd's first thin path.  carnetctl status shows both virtual
# readers and which holds a card, follows a removal, and reports pcscd
# going away; curl gets JSON for known and unknown routes; the socket has
# mode 0660; a second carnetd refuses to take over a live socket.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sock=$LAB_DIR/carnetd.sock

sim_start 0 tests/profiles/vitale-family.profile
wait_card 0 present
"$CARNET_BUILD/carnetd" --socket "$sock" 2>"$LAB_DIR/carnetd.err" &
daemon=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done

mode=$(stat -c %a "$sock")
[ "$mode" = 660 ] || { echo "socket mode $mode, expected 660"; exit 1; }

out=$(ctl status)
echo "$out"
echo "$out" | grep -Eq '^  Virtual PCD 00 00 +card present' || { echo "slot 0 should hold a card"; exit 1; }
echo "$out" | grep -Eq '^  Virtual PCD 00 01 +no card' || { echo "slot 1 should be empty"; exit 1; }
echo "$out" | grep -q '^pcscd:   reachable'

json=$(ctl --json status)
echo "$json" | grep -q '"card_present": true'

# shown PATTERN: carnetctl status shows a line matching PATTERN within 10 s
# (pcscd has seen the change; carnetd's reader monitor follows it at its
# next wake-up, later on a loaded machine: a liveness bound, not a time)
shown() {
        for _ in $(seq 100); do ctl status | grep -Eq "$1" && return 0; sleep 0.1; done
        ctl status
        return 1
}

# The card leaves: status follows.
sim_cmd 0 remove
wait_card 0 absent
shown '^  Virtual PCD 00 00 +no card' || { echo "removal not shown"; exit 1; }

# A card arrives on slot 1.
sim_start 1 tests/profiles/vitale-61xx.profile
wait_card 1 present
shown '^  Virtual PCD 00 01 +card present' || { echo "slot 1 card not shown"; exit 1; }

# Raw HTTP with curl: JSON everywhere, errors included.
code=$(curl -s -o "$LAB_DIR/r.json" -w '%{http_code}' --unix-socket "$sock" http://localhost/v1/status)
[ "$code" = 200 ] && grep -q '"version"' "$LAB_DIR/r.json"
code=$(curl -s -o "$LAB_DIR/r.json" -w '%{http_code}' --unix-socket "$sock" http://localhost/v1/no/such/route)
[ "$code" = 404 ] && grep -q '"code":"not_found"' "$LAB_DIR/r.json"
code=$(curl -s -o "$LAB_DIR/r.json" -w '%{http_code}' -X PUT -d '{"x":' --unix-socket "$sock" http://localhost/v1/status)
[ "$code" = 405 ] && grep -q '"code":"method_not_allowed"' "$LAB_DIR/r.json"

# A second carnetd must not steal the socket of a live one.
if "$CARNET_BUILD/carnetd" --socket "$sock" 2>"$LAB_DIR/second.err"; then
        echo "second carnetd started on a live socket"; exit 1
fi
grep -q "another carnetd" "$LAB_DIR/second.err"
ctl status >/dev/null

# pcscd goes away: carnetd keeps answering and says so.
kill "$(cat "$LAB_DIR/pcscd.pid")"
for _ in $(seq 300); do [ -S /run/pcscd/pcscd.comm ] || break; sleep 0.1; done
# carnetd's reader monitor notices at its next PC/SC call: give it time (up to 30 s: a liveness bound, the machine may be loaded)
for _ in $(seq 300); do ctl status | grep -q '^pcscd:   NOT reachable' && break; sleep 0.1; done
ctl status | grep -q '^pcscd:   NOT reachable' || { echo "pcscd loss not reported"; exit 1; }

# carnetctl without a daemon: exit code 3 and a clear message.
kill "$daemon"
wait "$daemon"
[ ! -e "$sock" ] || { echo "socket left behind after SIGTERM"; exit 1; }
set +e
ctl status 2>"$LAB_DIR/ctl.err"
rc=$?
set -e
[ "$rc" = 3 ] || { echo "carnetctl exit $rc without a daemon, expected 3"; exit 1; }
grep -q "no socket at $sock: carnetd is not running" "$LAB_DIR/ctl.err"
echo "status path ok"
