#!/bin/bash
# Lab test: configuration errors and SIGHUP.  A bad configuration, or a
# malformed data table, stops carnetd at start with the file and line
# named; SIGHUP after a valid change applies what can change (log level,
# tables) and names what needs a restart; SIGHUP with a broken file or
# table changes nothing and carnetd keeps serving.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sock=$LAB_DIR/carnetd.sock
conf=$LAB_DIR/carnetd.conf
err=$LAB_DIR/carnetd.err
status() { curl -s -o /dev/null -w '%{http_code}' --unix-socket "$sock" http://localhost/v1/status; }

# --- refused at start, the line named
printf 'socket = %s\n# a comment\nsocket_mode = 0660\nsession_idle_timeout = soon\n' "$sock" >"$conf"
if "$CARNET_BUILD/carnetd" --config "$conf" 2>"$err"; then echo "started on a bad configuration"; exit 1; fi
grep -q "carnetd.conf:4: session_idle_timeout:" "$err" || { cat "$err"; exit 1; }
printf 'socket = %s\nfavourite_colour = blue\n' "$sock" >"$conf"
if "$CARNET_BUILD/carnetd" --config "$conf" 2>"$err"; then echo "started with an unknown key"; exit 1; fi
grep -q "carnetd.conf:2: favourite_colour: unknown key" "$err" || { cat "$err"; exit 1; }
printf '10\t*\tallow\n21\tnonsense\n' >"$LAB_DIR/bad-rights.tsv"
printf 'socket = %s\nrights_table = %s\n' "$sock" "$LAB_DIR/bad-rights.tsv" >"$conf"
if "$CARNET_BUILD/carnetd" --config "$conf" 2>"$err"; then echo "started with a bad rights table"; exit 1; fi
grep -q "bad-rights.tsv:2:" "$err" || { cat "$err"; exit 1; }
echo "bad configurations refused with the line: ok"

# --- a good start, then reloads
printf 'socket = %s\nlog_level = info\n' "$sock" >"$conf"
"$CARNET_BUILD/carnetd" --config "$conf" 2>"$err" &
daemon=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
[ "$(status)" = 200 ]

reloads() { grep -c 'reload' "$err" || true; }
wait_reload() { # wait_reload N: until the log has N reload lines
        for _ in $(seq 100); do [ "$(reloads)" -ge "$1" ] && return 0; sleep 0.05; done
        echo "no reload line"; cat "$err"; exit 1
}
printf 'socket = %s\nlog_level = debug\nrights_table = %s\n' "$sock" "$PWD/tests/fixtures/rights-journey.tsv" >"$conf"
kill -HUP "$daemon"
wait_reload 1
grep -q "reload: applied rights_table, interactions_table, log_level$" "$err" || { cat "$err"; exit 1; }
[ "$(status)" = 200 ]
grep -q "debug: GET /v1/status" "$err" || { echo "log_level debug not applied"; exit 1; }
echo "valid change applied: ok"

printf 'socket = %s/other.sock\nlog_level = debug\n' "$LAB_DIR" >"$conf"
kill -HUP "$daemon"
wait_reload 2
grep -q "changed but needing a restart: socket_path" "$err" || { cat "$err"; exit 1; }
[ "$(status)" = 200 ]
echo "restart-only change named: ok"

printf 'socket = %s\nlog_level = loud\n' "$sock" >"$conf"
kill -HUP "$daemon"
wait_reload 3
grep -q "reload refused, the running configuration stays: .*carnetd.conf:2: log_level" "$err" || { cat "$err"; exit 1; }
printf 'socket = %s\nrights_table = %s\n' "$sock" "$LAB_DIR/bad-rights.tsv" >"$conf"
kill -HUP "$daemon"
wait_reload 4
grep -q "reload refused, the running tables stay: .*bad-rights.tsv:2:" "$err" || { cat "$err"; exit 1; }
[ "$(status)" = 200 ]
echo "broken reloads change nothing: ok"

kill "$daemon"
wait "$daemon"
