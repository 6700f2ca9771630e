#!/bin/bash
# tests/demo.sh: what 'make demo' runs inside the lab (tests/lab/lab-run).
#
# Puts a simulated Carte Vitale in the first virtual reader and a
# simulated CPS in the second, starts carnetd on a socket in the lab, and
# walks through what a clinical application sees.  On a terminal it then
# stays up so you can try carnetctl and curl yourself; Ctrl-C ends it and
# the whole lab goes away.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. tests/lab/lib.sh

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
sock=$LAB_DIR/carnetd.sock
ctl() { "$CARNET_BUILD/carnetctl" --socket "$sock" "$@"; }

say "Test PKI (throw-away, generated now: nothing of a real system)"
mkdir -p "$LAB_DIR/pki"
sh tests/pki/mkpki.sh "$LAB_DIR/pki" >"$LAB_DIR/pki.log" 2>&1 || { cat "$LAB_DIR/pki.log"; exit 1; }
ls "$LAB_DIR/pki" | sed 's/^/  /' | head -n 8

say "Inserting a Carte Vitale (slot 0) and a CPS card (slot 1)"
sim_start 0 tests/profiles/vitale-family.profile
sim_start 1 "$LAB_DIR/pki/cps-rsa.profile"
wait_card 0 present
wait_card 1 present
opensc-tool -l

say "Starting carnetd on $sock (trusting the test PKI's CA)"
cat >"$LAB_DIR/carnetd.conf" <<CONF
socket = $sock
trust_anchors = $LAB_DIR/pki/ca-chain.pem
workstation = demo-workstation
CONF
"$CARNET_BUILD/carnetd" --config "$LAB_DIR/carnetd.conf" &
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done

say "carnetctl status"
ctl status

say "carnetctl vitale: every person on the card, read once when it arrived"
ctl vitale

say "The doctor logs in: the CPS card checks the PIN (1234) and signs the session record"
echo 1234 | ctl login --pin-stdin

ins=280057512345674
say "The doctor opens the card holder's dossier, with her consent (the secret is for her)"
ctl dossier create --consent --index 0 --test-ins

say "...deposits a consultation report and a prescription (the interaction table speaks)"
printf 'Consultation du jour: examen clinique normal.\n' >"$LAB_DIR/report.txt"
ctl doc put "$ins" "$LAB_DIR/report.txt" --type 11488-4 --class 10 --title "Compte rendu de consultation"
printf 'warfarine 5 mg, aspirine 100 mg\n' >"$LAB_DIR/rx.txt"
ctl doc put "$ins" "$LAB_DIR/rx.txt" --type 57833-6 --class 42 --title "Ordonnance" \
        --medicine B01AA03 --medicine N02BA01 || true

say "carnetctl doc list: what this doctor may see"
ctl doc list "$ins"

say "Every access is in the hash-chained audit trail"
ctl audit verify

say "The patient takes their Vitale card back"
sim_cmd 0 remove
wait_card 0 absent
ctl status

say "...and inserts it again"
sim_cmd 0 insert
wait_card 0 present
ctl status

say "The same, as a clinical application sees it (curl on the Unix socket)"
curl -s --unix-socket "$sock" http://localhost/v1/status
say "An unknown route is a JSON error, never a crash"
curl -s --unix-socket "$sock" http://localhost/v1/nowhere

if [ -t 0 ] && [ -t 1 ]; then
        say "carnetd keeps running.  In another terminal you cannot reach this lab"
        echo "(it lives in private namespaces), so here is a shell inside it."
        echo "Try:  carnetctl status    carnetctl doc list $ins    carnetctl session"
        echo "      curl --unix-socket \$CARNET_SOCKET http://localhost/v1/status"
        echo "      sim_cmd 0 remove    sim_cmd 1 remove (ends the doctor's session)"
        echo "      (exit or Ctrl-D to end the demo)"
        PATH=$CARNET_BUILD:$PATH CARNET_SOCKET=$sock bash --rcfile <(echo ". tests/lab/lib.sh; PS1='carnet-lab\$ '") -i || true
fi
say "Demo over: the lab and everything in it go away now."
