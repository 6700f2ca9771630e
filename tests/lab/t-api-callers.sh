#!/bin/bash
# Lab test: who may call carnetd.  With allowed_groups unset (and no group
# "carnet" in the lab) only root and carnetd's own uid are allowed: nobody
# gets 403 forbidden_caller even on a world-writable socket.  With
# allowed_groups set, membership counts by primary or supplementary group,
# as the kernel recorded it at connect().  Each uid has at most
# connections_per_uid connections: one more gets 429 too_many_connections,
# other uids are not affected, and closing one frees a slot.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sock=$LAB_DIR/carnetd.sock
conf=$LAB_DIR/carnetd.conf
users_gid=$(getent group users | cut -d: -f3)
[ -n "$users_gid" ] || { echo "the lab needs a group 'users'"; exit 1; }
! getent group carnet >/dev/null || { echo "a group 'carnet' exists: the default policy test would not hold"; exit 1; }

# as WHO-ARGS -- CMD...: runs CMD as nobody with the given setpriv group options
as_nobody() {
        local groups=$1
        shift
        # shellcheck disable=SC2086
        setpriv --reuid=nobody $groups "$@"
}
code_as() { # code_as GROUP-OPTS PATH: HTTP code and body for nobody
        as_nobody "$1" curl -s -w ' %{http_code}' --unix-socket "$sock" "http://localhost$2"
}
code() { curl -s -o /dev/null -w '%{http_code}' --unix-socket "$sock" "http://localhost$1"; }

start() {
        "$CARNET_BUILD/carnetd" -c "$conf" --socket "$sock" 2>>"$LAB_DIR/carnetd.err" &
        daemon=$!
        until_ok -t 10 test -S "$sock"
}
stop() {
        kill "$daemon"
        wait "$daemon"
}

# ---- the default policy: root only (no group "carnet" here)
cat >"$conf" <<CONF
socket_mode = 0666
connection_timeout = 10
events_keepalive = 1
connections_per_uid = 2
CONF
start
grep -q 'callers allowed: root, uid 0 (allowed_groups is not set and there is no group carnet)' "$LAB_DIR/carnetd.err"
[ "$(code /v1/status)" = 200 ]
out=$(code_as "--regid=nogroup --clear-groups" /v1/status)
[[ $out == *' 403' ]] && echo "$out" | grep -q '"code":"forbidden_caller"' || { echo "nobody: $out"; exit 1; }
out=$(code_as "--regid=nogroup --groups=$users_gid" /v1/readers)
[[ $out == *' 403' ]] || { echo "nobody in users, default policy: $out"; exit 1; }
set +e
as_nobody "--regid=nogroup --clear-groups" "$CARNET_BUILD/carnetctl" --socket "$sock" status 2>"$LAB_DIR/ctl.err"
rc=$?
set -e
[ "$rc" = 1 ] && grep -q forbidden_caller "$LAB_DIR/ctl.err" || { echo "carnetctl as nobody: rc $rc"; exit 1; }
grep -q 'refusing uid 65534' "$LAB_DIR/carnetd.err"
echo "default policy: root only"

# ---- connections per uid: two event streams, then the third is refused
curl -sN --unix-socket "$sock" http://localhost/v1/events >/dev/null &
s1=$!
curl -sN --unix-socket "$sock" http://localhost/v1/events >/dev/null &
s2=$!
sleep 0.5
curl -s -D "$LAB_DIR/h" -o "$LAB_DIR/body" -w '%{http_code}' --unix-socket "$sock" http://localhost/v1/status >"$LAB_DIR/code" || true
[ "$(cat "$LAB_DIR/code")" = 429 ] && grep -q '"code":"too_many_connections"' "$LAB_DIR/body" ||
        { echo "third connection: $(cat "$LAB_DIR/code") $(cat "$LAB_DIR/body")"; exit 1; }
# the refused connection is closed, not kept
grep -qi '^Connection: close' "$LAB_DIR/h" || { echo "429 without Connection: close"; cat "$LAB_DIR/h"; exit 1; }
kill "$s1"
wait "$s1" || true
# carnetd notices the closed stream at its next keep-alive (1 s here)
status_ok() { [ "$(code /v1/status)" = 200 ]; }
until_ok -t 5 status_ok
echo "connections per uid: ok"
kill "$s2"
wait "$s2" || true
stop

# ---- allowed_groups: primary or supplementary group
cat >"$conf" <<CONF
socket_mode = 0666
allowed_groups = users
connection_timeout = 10
events_keepalive = 1
connections_per_uid = 1
CONF
start
out=$(code_as "--regid=$users_gid --clear-groups" /v1/status)
[[ $out == *' 200' ]] || { echo "nobody, primary group users: $out"; exit 1; }
out=$(code_as "--regid=nogroup --groups=$users_gid" /v1/status)
[[ $out == *' 200' ]] || { echo "nobody, supplementary group users: $out"; exit 1; }
out=$(code_as "--regid=nogroup --clear-groups" /v1/status)
[[ $out == *' 403' ]] || { echo "nobody without users: $out"; exit 1; }
# root holds its one connection: nobody (another uid) still gets in
curl -sN --unix-socket "$sock" http://localhost/v1/events >/dev/null &
s1=$!
sleep 0.5
[ "$(code /v1/status)" = 429 ]
out=$(code_as "--regid=nogroup --groups=$users_gid" /v1/readers)
[[ $out == *' 200' ]] || { echo "another uid while root is at its limit: $out"; exit 1; }
kill "$s1"
wait "$s1" || true
stop
echo "api callers ok"
