#!/bin/bash
# tests/lab/t-systemd-journal.sh: carnetd's log goes to the journal as
# structured entries when its stderr is the journal's stream, and to
# stderr as plain lines otherwise (daemon/log.h).
#
# Inside the lab /run is a private tmpfs, so a datagram socket at
# /run/systemd/journal/socket can stand in for journald; JOURNAL_STREAM
# names the device and inode of the file carnetd's stderr goes to, as
# systemd does for a service whose stderr is the journal.  No journald,
# no host file is touched.  Runs inside tests/lab/lab-run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }
sock=$LAB_DIR/carnetd.sock
entries=$LAB_DIR/journal.entries

mkdir -p /run/systemd/journal
python3 - /run/systemd/journal/socket "$entries" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b"----\n")
PY
listener=$!
for _ in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
[ -S /run/systemd/journal/socket ] || fail "fake journald did not start"

# 1. stderr is "the journal": structured entries, nothing on stderr.
: >"$LAB_DIR/stderr"
stream=$(stat -c '%d:%i' "$LAB_DIR/stderr")
JOURNAL_STREAM=$stream "$CARNET_BUILD/carnetd" --socket "$sock" 2>>"$LAB_DIR/stderr" &
daemon=$!
for _ in $(seq 100); do grep -q "listening on" "$entries" 2>/dev/null && break; sleep 0.05; done
kill -TERM "$daemon"
wait "$daemon" || fail "carnetd exited with $?"
cat "$entries"
entry=$(awk '/^MESSAGE=carnetd .* listening on /,/^----$/' "$entries")
[ -n "$entry" ] || fail "no journal entry for the start"
for field in "PRIORITY=6" "SYSLOG_IDENTIFIER=carnetd" "CODE_FILE=daemon/carnetd.c" "CODE_FUNC=main"; do
        echo "$entry" | grep -qx "$field" || fail "start entry lacks $field"
done
echo "$entry" | grep -q "^CODE_LINE=[0-9][0-9]*$" || fail "start entry lacks CODE_LINE"
grep -q "^MESSAGE=signal .*: stopping$" "$entries" || fail "no journal entry for the stop"
[ ! -s "$LAB_DIR/stderr" ] || { cat "$LAB_DIR/stderr"; fail "carnetd wrote to stderr while logging to the journal"; }
echo "ok: journal entries with PRIORITY, SYSLOG_IDENTIFIER and the code location; stderr silent"

# 2. JOURNAL_STREAM inherited but stderr redirected elsewhere: plain lines.
: >"$entries"
JOURNAL_STREAM=$stream "$CARNET_BUILD/carnetd" --socket "$sock" 2>"$LAB_DIR/stderr2" &
daemon=$!
for _ in $(seq 100); do grep -q "listening on" "$LAB_DIR/stderr2" && break; sleep 0.05; done
kill -TERM "$daemon"
wait "$daemon" || fail "carnetd exited with $?"
grep -q '^<6>carnetd: info: carnetd .* listening on ' "$LAB_DIR/stderr2" || { cat "$LAB_DIR/stderr2"; fail "no stderr line"; }
[ ! -s "$entries" ] || { cat "$entries"; fail "journal used although stderr is not the journal stream"; }
echo "ok: stderr lines when stderr is not the journal's stream"
kill "$listener" 2>/dev/null || true
