#!/bin/bash
# Lab test: carnetctl login, session and logout against carnetd with a
# doctor's CPS card.  The PIN comes from standard input (a pipe), or from a
# terminal without echo; never from the command line.  A wrong PIN exits 5
# with carnetd's message and the tries left; the token is stored in
# $XDG_RUNTIME_DIR/carnet/session, mode 0600 in a 0700 folder; a file
# others may read is refused; logout ends the session and removes the
# file; pulling the card ends the session, and the next call exits 5 and
# forgets the token; --session and CARNET_SESSION override the file; a
# blocked PIN exits 6, a PIN the card cannot take (too short) 1.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sock=$LAB_DIR/carnetd.sock
carnetd_conf "workstation = lab-ws-1"
sfile=$XDG_RUNTIME_DIR/carnet/session
pin() { printf '%s\n' "$1" >"$LAB_DIR/pin"; echo "$LAB_DIR/pin"; }

sim_start 1 "$CARNET_PKI/cps-rsa.profile"
wait_card 1 present
carnetd_start
for _ in $(seq 100); do ctl --json readers 2>/dev/null | grep -q '"type": "cps"' && break; sleep 0.1; done

# ---- no session yet
run 5 session
has err "not logged in"
run 5 logout
# the PIN is never an argument
run 2 login 1234
has err "never given on the command line"
STDIN=/dev/null run 2 login
has err "no PIN given"
STDIN=$(pin 12345678901234567) run 2 login
has err "PIN too long"
# a PIN shorter than the card takes: refused by carnetd (400), no try spent
STDIN=$(pin 123) run 1 login
has err "pin_invalid"
echo "no session: ok"

# ---- wrong PINs: exit 5, carnetd's message, the tries left on the last one
STDIN=$(pin 0000) run 5 login
has err "pin_incorrect"
STDIN=$(pin 0000) run 5 login
has err "pin_incorrect"
has err "tries left: 1"
[ ! -e "$sfile" ] || { echo "a wrong PIN left a session file"; exit 1; }
echo "wrong PIN: ok ($(head -1 "$LAB_DIR/err"))"

# ---- the right PIN, from a pipe
STDIN=$(pin 1234) run 0 login
has out "logged in: LAMBERT CAMILLE, médecin (10), specialty SM26, CPS card 899700000001"
has out "token in $sfile"
[ "$(stat -c %a "$sfile")" = 600 ] || { echo "session file mode $(stat -c %a "$sfile")"; exit 1; }
[ "$(stat -c %a "$(dirname "$sfile")")" = 700 ] || { echo "session folder mode"; exit 1; }
grep -Eq '^[0-9a-f]{64}$' "$sfile" || { echo "session file: $(cat "$sfile")"; exit 1; }
token=$(cat "$sfile")
run 0 session
has out "^professional: LAMBERT CAMILLE, médecin (10)"
has out "^reader: *Virtual PCD 00 01"
run 0 --json session
has out '"national_id": "899700000001"'
id=$(sed -n 's/^  "id": "\([0-9a-f]*\)",$/\1/p' "$LAB_DIR/out")
[ -n "$id" ] || { echo "no session id in --json session"; exit 1; }
# --json login never prints the token
! grep -q "$token" "$LAB_DIR/out"
echo "login: ok (session $id)"

# a second session on the same card: carnetd says 409, exit 1
STDIN=$(pin 1234) run 1 login --print-token
has err "session_exists"
[ "$(cat "$sfile")" = "$token" ] || { echo "a refused login replaced the token"; exit 1; }

# ---- overrides: --session and CARNET_SESSION come before the file
run 5 --session 00112233 session
has err "no_session"
[ -e "$sfile" ] || { echo "an override's 401 removed the session file"; exit 1; }
CARNET_SESSION="$token" run 0 session
run 2 --session 'abc
X-Evil: 1' session
has err "is not a token"

# ---- the file must be the user's alone
chmod 0644 "$sfile"
run 5 session
has err "not yours alone"
chmod 0600 "$sfile"
chmod 0755 "$(dirname "$sfile")"
run 5 session
chmod 0700 "$(dirname "$sfile")"
ln -s /etc/passwd "$LAB_DIR/link"
mv "$sfile" "$LAB_DIR/saved" && ln -s "$LAB_DIR/saved" "$sfile"
run 5 session
rm "$sfile" && mv "$LAB_DIR/saved" "$sfile"
run 0 session
echo "session file checks: ok"

# ---- logout
run 0 logout
has out "logged out: session $id closed"
[ ! -e "$sfile" ] || { echo "logout left the session file"; exit 1; }
run 5 session
run 5 --session "$token" session
has err "no_session"
echo "logout: ok"

# ---- a terminal: the prompt, no echo, the token stored
if command -v script >/dev/null; then
        # typed once the prompt is up (input typed ahead is discarded, as getpass does)
        { sleep 1; printf '1234\n'; } | script -qec "$CARNET_BUILD/carnetctl --socket $sock login" /dev/null >"$LAB_DIR/tty" 2>&1 || {
                echo "login on a terminal failed:"; cat "$LAB_DIR/tty"; exit 1; }
        has tty "CPS PIN: "
        has tty "logged in: LAMBERT"
        ! grep -qw 1234 "$LAB_DIR/tty" || { echo "the PIN was echoed:"; cat "$LAB_DIR/tty"; exit 1; }
        [ -s "$sfile" ]
        run 0 logout
        echo "terminal: ok"
fi

# ---- pulling the card ends the session: exit 5, the token is forgotten
STDIN=$(pin 1234) run 0 login
token=$(cat "$sfile")
cp -p "$sfile" "$LAB_DIR/dead"
sim_cmd 1 remove
wait_card 1 absent
run 5 session
has err "no_session"
has err "log in again"
[ ! -e "$sfile" ] || { echo "the dead token is still stored"; exit 1; }
# logging out of a session that already ended just forgets it
cp -p "$LAB_DIR/dead" "$sfile"
run 0 logout
has out "already ended"
[ ! -e "$sfile" ] || { echo "logout left the dead token"; exit 1; }
run 5 --session "$token" session
STDIN=$(pin 1234) run 7 login
has err "no_cps_card"
echo "card removal: ok"

# ---- the runtime folder of /run/user when XDG_RUNTIME_DIR is not set
sim_cmd 1 insert
wait_card 1 present
for _ in $(seq 100); do ctl --json readers 2>/dev/null | grep -q '"type": "cps"' && break; sleep 0.1; done
mkdir -p -m 0700 "/run/user/$(id -u)"
STDIN=$(pin 1234) XDG_RUNTIME_DIR= run 0 login
has out "token in /run/user/$(id -u)/carnet/session"
[ "$(stat -c %a "/run/user/$(id -u)/carnet/session")" = 600 ]
XDG_RUNTIME_DIR= run 0 logout
[ ! -e "/run/user/$(id -u)/carnet/session" ]
echo "/run/user: ok"

# ---- a blocked PIN: exit 6 (the card counts three wrong PINs)
for i in 1 2; do STDIN=$(pin 9999) run 5 login; done
STDIN=$(pin 9999) run 6 login
has err "pin_locked"
STDIN=$(pin 1234) run 6 login
echo "blocked PIN: ok"

kill "$daemon"
wait "$daemon"
no_pin "$LAB_DIR/carnetd.err"
echo "carnetctl login ok"
