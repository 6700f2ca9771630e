#!/bin/bash
# tests/lab/t-systemd-activate.sh: socket activation without a system
# manager.  systemd-socket-activate binds a socket, waits for the first
# connection and starts carnetd with it (LISTEN_FDS=1, fd 3); carnetd
# serves the API on it, says so, and on SIGTERM leaves the socket file
# alone (it belongs to whoever created it: systemd's RemoveOnStop= in
# carnetd.socket).  Runs inside tests/lab/lab-run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

fail() { echo "FAIL: $*" >&2; [ -f "$LAB_DIR/carnetd.err" ] && sed 's/^/carnetd: /' "$LAB_DIR/carnetd.err" >&2; exit 1; }
command -v systemd-socket-activate >/dev/null || fail "systemd-socket-activate not installed (package systemd)"

sock=$LAB_DIR/act.sock
sim_start 0 tests/profiles/vitale-family.profile
wait_card 0 present

# Like systemd, systemd-socket-activate gives the daemon a fresh
# environment: pass on the lab's state and data folders (-E).
systemd-socket-activate -l "$sock" -E STATE_DIRECTORY -E CARNET_DATA_DIR \
        "$CARNET_BUILD/carnetd" 2>"$LAB_DIR/carnetd.err" &
act=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || fail "systemd-socket-activate did not bind $sock"
# carnetd is not running yet: it starts on the first connection.
[ "$(cat /proc/$act/comm)" != carnetd ] || fail "carnetd started before any connection"

code=$(curl -s -m 20 -o "$LAB_DIR/r.json" -w '%{http_code}' --unix-socket "$sock" http://localhost/v1/status) || true
[ "$code" = 200 ] || fail "GET /v1/status through the activated socket: HTTP $code"
grep -q '"version"' "$LAB_DIR/r.json" || fail "status reply has no version: $(cat "$LAB_DIR/r.json")"
echo "ok: the first connection started carnetd and got its status"

# systemd-socket-activate execs carnetd in its own process.
[ "$(cat /proc/$act/comm)" = carnetd ] || fail "process $act is $(cat /proc/$act/comm), not carnetd"
grep -q "listening on the socket passed by systemd" "$LAB_DIR/carnetd.err" ||
        fail "carnetd did not say it took the passed socket"

# The same daemon answers the next callers, the reader state included
# (once its monitor, started with it, has looked at the card).
card_shown() {
        "$CARNET_BUILD/carnetctl" --socket "$sock" status >"$LAB_DIR/status.txt" || fail "carnetctl status"
        grep -Eq '^  Virtual PCD 00 00 +card present' "$LAB_DIR/status.txt"
}
until_ok card_shown || fail "card not shown: $(cat "$LAB_DIR/status.txt")"
for _ in 1 2; do
        card_shown || fail "card no longer shown: $(cat "$LAB_DIR/status.txt")"
done
[ "$(pgrep -xc carnetd)" = 1 ] || fail "$(pgrep -xc carnetd) carnetd processes, expected 1"
echo "ok: further requests served by the same carnetd"

kill -TERM "$act"
rc=0
wait "$act" || rc=$?
[ "$rc" = 0 ] || fail "carnetd exited with $rc after SIGTERM"
[ -S "$sock" ] || fail "carnetd removed a socket it did not create"
echo "ok: clean stop; the socket is left to its creator"
