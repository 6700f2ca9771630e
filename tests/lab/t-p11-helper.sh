#!/bin/bash
# Lab test: the PKCS#11 module runs in carnet-p11-helper, not in carnetd
# (docs/pkcs11.md, "The helper process").  A session opens through the
# helper; carnetd's memory maps hold no PKCS#11 module and the helper's
# do, and the helper runs as the configured user (nobody), with
# no_new_privs.  The helper killed (SIGKILL) in the middle of a login, while
# the card holds its VERIFY, is a clear 503 pkcs11_helper_failed for that
# login, carnetd lives on, and the next login works with a new helper.  A
# helper that hangs is the same error after pkcs11_helper_timeout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

carnetd_conf "workstation = lab-ws-1" "pkcs11_helper_timeout = 3"
sim_start 1 "$CARNET_PKI/cps-rsa.profile"
wait_card 1 present
carnetd_start
for _ in $(seq 100); do api GET /v1/readers | grep -q '"type":"cps"' && break; sleep 0.1; done

# the helper: carnetd's child
helper_pid() { ps -o pid= --ppid "$daemon" | tr -d ' ' | head -n 1; }
helper=$(helper_pid)
[ -n "$helper" ] || { echo "no helper process under carnetd"; exit 1; }
check "helper is carnet-p11-helper" "$(readlink /proc/$helper/exe)" "*/carnet-p11-helper"
check "helper user" "$(awk '/^Uid:/ {print $2}' /proc/$helper/status)" "$(id -u nobody)"
check "helper no_new_privs" "$(awk '/^NoNewPrivs:/ {print $2}' /proc/$helper/status)" "1"
check "helper seccomp filter" "$(awk '/^Seccomp:/ {print $2}' /proc/$helper/status)" "2"
fds=$(ls /proc/$helper/fd | tr '\n' ' ')
check "helper descriptors (0-2, its socket; pcscd's)" "$fds" "0 1 2 3 *"

# the same confinement, probed: no file outside the system folders (the
# state directory), nothing written, no network socket, no namespace (clone
# with its flags; clone3, whose flags seccomp cannot read, is ENOSYS and
# glibc falls back to clone: threads and fork work), no execve
echo secret >"$STATE_DIRECTORY/probe"
"$CARNET_BUILD/lab/sandbox-probe" "$STATE_DIRECTORY/probe" >"$LAB_DIR/probe.out"
check "sandbox" "$(tr '\n' '|' <"$LAB_DIR/probe.out")" \
        "landlock: on|seccomp: on|read state file: refused*|read /etc/hostname: ok|create in /tmp: refused*|\
AF_INET socket: refused (Address family not supported by protocol)|AF_UNIX socket: ok|\
clone new user namespace: refused (Operation not permitted)|\
clone new network namespace: refused (Operation not permitted)|\
clone new mount namespace: refused (Operation not permitted)|clone3: refused (Function not implemented)|\
thread: ok|fork: ok|execute /bin/true: refused (Operation not permitted)|"

out=$(api POST /v1/sessions '{"pin": "1234"}')
check "login through the helper" "$out" '201 {"token":"*","session":{"id":"*"national_id":"899700000001"*'
token=$(echo "$out" | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')
id=$(echo "$out" | sed 's/.*"session":{"id":"\([0-9a-f]*\)".*/\1/')
if grep -Ei 'opensc|pkcs11|softhsm' "/proc/$daemon/maps"; then
        echo "carnetd maps a PKCS#11 module"; exit 1
fi
grep -q 'opensc-pkcs11' "/proc/$helper/maps" || { echo "the helper does not map opensc-pkcs11"; exit 1; }
! nm -D "$CARNET_BUILD/carnetd" | grep -qw dlopen || { echo "carnetd calls dlopen"; exit 1; }
check "logout" "$(api DELETE "/v1/sessions/$id" "" "$token")" '200 *"closed":true*'

# SIGKILL during the login: the card stalls its VERIFY, the helper dies
helper_killed_in_login "$helper"
out=$(api POST /v1/sessions '{"pin": "1234"}')
check "next login, new helper" "$out" '201 {"token":"*'
token=$(echo "$out" | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')
id=$(echo "$out" | sed 's/.*"session":{"id":"\([0-9a-f]*\)".*/\1/')
new=$(helper_pid)
[ -n "$new" ] && [ "$new" != "$helper" ] || { echo "no new helper ($new)"; exit 1; }
! grep -Ei 'opensc|pkcs11' "/proc/$daemon/maps" || { echo "carnetd maps a PKCS#11 module"; exit 1; }

# the helper dies while a session is open: the session ends (its card
# handle is gone), carnetd lives on
kill -KILL "$new"
for _ in $(seq 50); do
        api GET /v1/sessions/current "" "$token" | grep -q '^401' && break
        sleep 0.1
done
check "session of a dead helper" "$(api GET /v1/sessions/current "" "$token")" '401 *"no_session"*'

# a helper that hangs: the login fails after pkcs11_helper_timeout
out=$(api POST /v1/sessions '{"pin": "1234"}')
check "login again" "$out" '201 {"token":"*'
token=$(echo "$out" | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')
id=$(echo "$out" | sed 's/.*"session":{"id":"\([0-9a-f]*\)".*/\1/')
check "logout again" "$(api DELETE "/v1/sessions/$id" "" "$token")" '200 *'
# after a logout the card, still there, is read again in the background
# for the next login (docs/pkcs11.md, "The card read at insertion"): that
# read is let end first, so that the hang meets the login itself
sleep 1
hung=$(helper_pid)
kill -STOP "$hung"
check "hung helper" "$(api POST /v1/sessions '{"pin": "1234"}')" '503 {"error":{"code":"pkcs11_helper_failed"*'
check "after the hang" "$(api POST /v1/sessions '{"pin": "1234"}')" '201 {"token":"*'

kill "$daemon"
wait "$daemon" || true
no_pin "$LAB_DIR/carnetd.err"
echo "p11 helper ok"
