#!/bin/bash
# Lab test: carnetctl's errors say what is wrong and what to do.
#
# - no socket (carnetd not running): exit 3, "carnetd is not running";
# - a stale socket (carnetd killed, nobody listening): exit 3, "stale";
# - a socket the caller may not open: exit 1, the group to join named;
# - no Carte Vitale: exit 7 (like no CPS card) and a hint to insert it;
# - login with a session already open: exit 1 and how to log out;
# - `carnetctl help help` works;
# - `auth revoke` of a professional never authorised: exit 1, says so and
#   changes nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sock=$LAB_DIR/carnetd.sock
INS=280057512345674 PHARMACIST=899700000008

# ---- no socket at all
run 3 status
has err "no socket at $sock: carnetd is not running"
echo "no carnetd: ok"

# ---- help help
run 0 help help
has out "^usage: carnetctl help \[COMMAND\]"
echo "help help: ok"

# ---- a socket nobody may open but root and group users
carnetd_conf "socket_group = users" "allowed_groups = users"
sim_start 1 "$CARNET_PKI/cps-rsa.profile"
wait_card 1 present
carnetd_start
trap 'kill $daemon 2>/dev/null || true' EXIT
rc=0
setpriv --reuid=nobody --regid=nogroup --clear-groups "$CARNET_BUILD/carnetctl" --socket "$sock" status \
        2>"$LAB_DIR/err" || rc=$?
[ "$rc" = 1 ] || { cat "$LAB_DIR/err"; fail "carnetctl as nobody on a 0660 root:users socket: exit $rc"; }
has err "you may not open carnetd's socket $sock (owner root, group users, mode 0660): join the group users"
! grep -q "Couldn't connect" "$LAB_DIR/err" || fail "curl's message instead of ours"
# a member of users gets in
setpriv --reuid=nobody --regid=nogroup --groups=users "$CARNET_BUILD/carnetctl" --socket "$sock" status \
        >/dev/null || fail "nobody in group users refused"
echo "permission: ok"

# ---- no Carte Vitale: exit 7, like no CPS card
run 7 vitale
has err "no_vitale_card"
has err "insert the patient's Carte Vitale"
echo "no Vitale card: ok"

# ---- login twice
until_ok cps_ready
printf '1234\n' >"$LAB_DIR/pin"
STDIN=$LAB_DIR/pin run 0 login
STDIN=$LAB_DIR/pin run 1 login
has err "session_exists"
has err "end it with 'carnetctl logout'"
echo "login twice: ok"

# ---- auth revoke of someone never authorised
sim_start 0 tests/profiles/vitale-family.profile
wait_card 0 present
until_ok eval 'api GET /v1/vitale | grep -q "^200"'
run 0 dossier create --consent --index 0 --test-ins
secret=$(sed -n 's/^patient secret: //p' "$LAB_DIR/out")
run 0 logout
printf '%s\n' "$secret" >"$LAB_DIR/secret"
STDIN=$LAB_DIR/secret run 0 patient login
run 1 --patient auth revoke $INS $PHARMACIST
has err "$PHARMACIST was never authorised on dossier $INS"
has err "nothing to revoke"
run 0 --patient auth list $INS
! grep -q "$PHARMACIST" "$LAB_DIR/out" || fail "a refused revoke added the pharmacist"
# one who is authorised is revoked as before
run 0 --patient auth grant $INS $PHARMACIST
run 0 --patient auth revoke $INS $PHARMACIST
has out "$PHARMACIST is no longer authorised"
run 1 --patient auth revoke $INS $PHARMACIST
has err "relation none"
echo "auth revoke: ok"

# ---- a stale socket: carnetd killed outright leaves it
kill -9 "$daemon"
wait "$daemon" 2>/dev/null || true
[ -S "$sock" ] || fail "no stale socket left by kill -9"
run 3 status
has err "$sock is a stale socket: no carnetd listens on it"
echo "stale socket: ok"
