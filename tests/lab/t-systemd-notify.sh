#!/bin/bash
# tests/lab/t-systemd-notify.sh: carnetd speaks systemd's notify protocol.
#
# A datagram socket stands in for systemd's NOTIFY_SOCKET (a python3
# listener writes each line it receives to a file).  carnetd started
# with NOTIFY_SOCKET, WATCHDOG_USEC=1 s and WATCHDOG_PID=its own pid must
# send READY=1 with a STATUS= line, then WATCHDOG=1 about every half
# second (the check below allows 3 to 20 in 4 s: counts with generous
# bounds, never tight timing), and STOPPING=1 on SIGTERM.  With the
# watchdog meant for another process, or not asked for, no WATCHDOG=1.
# Runs inside tests/lab/lab-run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

fail() { echo "FAIL: $*" >&2; [ -f "$msgs" ] && sed 's/^/notify: /' "$msgs" >&2; exit 1; }
notify=$LAB_DIR/notify.sock
msgs=$LAB_DIR/notify.msgs

python3 - "$notify" "$msgs" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        for line in s.recv(4096).decode(errors="replace").split("\n"):
            f.write(line + "\n")
PY
listener=$!
for _ in $(seq 100); do [ -S "$notify" ] && break; sleep 0.05; done
[ -S "$notify" ] || fail "notify listener did not start"

count() { grep -cx "$1" "$msgs" || true; }
wait_for() { # wait_for LINE SECONDS
        for _ in $(seq $(($2 * 20))); do grep -qx "$1" "$msgs" && return 0; sleep 0.05; done
        return 1
}

# start_carnetd N WATCHDOG_USEC PID_MODE: PID_MODE "self" puts carnetd's
# own pid in WATCHDOG_PID, "other" pid 1, "none" leaves both unset.  Sets
# pid (a child of this shell, so that wait gets its exit status).
start_carnetd() {
        local n=$1 usec=$2 mode=$3
        NOTIFY_SOCKET=$notify WD_USEC=$usec WD_MODE=$mode sh -c '
                case $WD_MODE in
                self) export WATCHDOG_USEC=$WD_USEC WATCHDOG_PID=$$ ;;
                other) export WATCHDOG_USEC=$WD_USEC WATCHDOG_PID=1 ;;
                esac
                exec "$0" --socket "$1"' "$CARNET_BUILD/carnetd" "$LAB_DIR/c$n.sock" >"$LAB_DIR/c$n.out" 2>"$LAB_DIR/c$n.err" &
        pid=$!
}

# 1. READY=1 and a status line, then watchdog pings while the API answers.
: >"$msgs"
start_carnetd 1 1000000 self
wait_for READY=1 10 || fail "no READY=1"
grep -q '^STATUS=..*' "$msgs" || fail "no STATUS= line"
echo "ok: READY=1 and $(grep -m1 '^STATUS=' "$msgs")"
before=$(count WATCHDOG=1)
sleep 4
pings=$(( $(count WATCHDOG=1) - before ))
[ "$pings" -ge 3 ] && [ "$pings" -le 20 ] || fail "$pings watchdog pings in 4 s with WatchdogSec=1s, expected about 8"
echo "ok: $pings watchdog pings in 4 s (WatchdogSec=1s: one every 0.5 s)"
grep -q "liveness check failed" "$msgs" && fail "the liveness check failed on a healthy carnetd"

# 2. SIGTERM: STOPPING=1, clean exit.
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 0 ] || fail "carnetd exited with $rc"
wait_for STOPPING=1 5 || fail "no STOPPING=1 on SIGTERM"
echo "ok: STOPPING=1 on SIGTERM, exit 0"

# 3. A watchdog for another process, or none: READY=1 but no pings.
for mode in other none; do
        : >"$msgs"
        start_carnetd 2 200000 "$mode"
        wait_for READY=1 10 || fail "no READY=1 ($mode)"
        sleep 1.5
        [ "$(count WATCHDOG=1)" = 0 ] || fail "watchdog pings with WATCHDOG_PID $mode"
        kill -TERM "$pid"
        wait "$pid" || fail "carnetd exited with $? ($mode)"
        echo "ok: no watchdog pings when the watchdog is not carnetd's ($mode)"
done
kill "$listener" 2>/dev/null || true
