#!/bin/bash
# Lab test: carnetd with pkcs11_helper_socket, as under systemd
# (docs/pkcs11.md, "Under systemd").  systemd-socket-activate --accept
# stands in for carnet-p11-helper.socket (Accept=yes): each connection
# gets its own carnet-p11-helper, the connection on fd 3, started through
# setpriv as an unprivileged user (the unit's User=), never as root and
# never as carnetd's child.  A login goes through it; the helper killed
# during a login is a clear 503 pkcs11_helper_failed, carnetd lives on and
# the next login connects again and gets a new helper; a hung helper is
# the same error after pkcs11_helper_timeout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

fail() { echo "FAIL: $*" >&2; sed 's/^/carnetd: /' "$LAB_DIR/carnetd.err" >&2 || true; exit 1; }
command -v systemd-socket-activate >/dev/null || fail "systemd-socket-activate not installed (package systemd)"
command -v setpriv >/dev/null || fail "setpriv not installed (package util-linux)"

sock=$LAB_DIR/p11.sock
user=nobody
systemd-socket-activate --accept -l "$sock" \
        setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups \
        "$CARNET_BUILD/carnet-p11-helper" --fd 3 2>"$LAB_DIR/activate.err" &
act=$!
until_ok test -S "$sock"
trap 'kill "$act" 2>/dev/null || true' EXIT

carnetd_conf "workstation = lab-ws-1" "pkcs11_helper_timeout = 3" "pkcs11_helper_socket = $sock"
sim_start 1 "$CARNET_PKI/cps-rsa.profile"
wait_card 1 present
carnetd_start
for _ in $(seq 100); do api GET /v1/readers | grep -q '"type":"cps"' && break; sleep 0.1; done

# the helpers: children of the socket's owner, none of carnetd
helper_pid() { ps -o pid= --ppid "$act" | tr -d ' ' | tail -n 1; }
until_ok test -n "$(helper_pid)"
helper=$(helper_pid)
[ -z "$(ps -o pid= --ppid "$daemon")" ] || fail "carnetd started a helper of its own"
check "helper is carnet-p11-helper" "$(readlink /proc/$helper/exe)" "*/carnet-p11-helper"
huid=$(awk '/^Uid:/ {print $2}' /proc/$helper/status)
duid=$(awk '/^Uid:/ {print $2}' /proc/$daemon/status)
check "helper user" "$huid" "$(id -u "$user")"
[ "$huid" != "$duid" ] || fail "the helper runs as carnetd's uid $duid"
check "helper no_new_privs" "$(awk '/^NoNewPrivs:/ {print $2}' /proc/$helper/status)" "1"
check "helper seccomp filter" "$(awk '/^Seccomp:/ {print $2}' /proc/$helper/status)" "2"

cps_login "login through the socket's helper" '201 {"token":"*","session":{"id":"*"national_id":"899700000001"*'
! grep -Ei 'opensc|pkcs11|softhsm' "/proc/$daemon/maps" || fail "carnetd maps a PKCS#11 module"
grep -q 'opensc-pkcs11' "/proc/$helper/maps" || fail "the helper does not map opensc-pkcs11"
check "logout" "$(api DELETE "/v1/sessions/$id" "" "$token")" '200 *"closed":true*'

# SIGKILL during the login: the card stalls its VERIFY, the helper dies
helper_killed_in_login "$helper"
cps_login "next login, new connection, new helper"
new=$(helper_pid)
[ -n "$new" ] && [ "$new" != "$helper" ] || fail "no new helper ($new)"
check "new helper user" "$(awk '/^Uid:/ {print $2}' /proc/$new/status)" "$(id -u "$user")"
check "logout again" "$(api DELETE "/v1/sessions/$id" "" "$token")" '200 *'

# a hung helper: the login fails after pkcs11_helper_timeout, the next
# one connects again
# after a logout the card, still there, is read again in the background
# for the next login (docs/pkcs11.md, "The card read at insertion"): that
# read is let end first, so that the hang meets the login itself
sleep 1
kill -STOP "$new"
check "hung helper" "$(api POST /v1/sessions '{"pin": "1234"}')" '503 {"error":{"code":"pkcs11_helper_failed"*'
check "after the hang" "$(api POST /v1/sessions '{"pin": "1234"}')" '201 {"token":"*'
kill -KILL "$new"

kill "$daemon"
wait "$daemon" || true
no_pin "$LAB_DIR/carnetd.err"
echo "p11 helper socket ok"
