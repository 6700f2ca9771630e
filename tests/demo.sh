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
log=$LAB_DIR/carnetd.log
ctl() { "$CARNET_BUILD/carnetctl" --socket "$sock" "$@"; }
# the simulated CPS card's PIN (the test PKI's cards, tests/pki/mkpki.sh)
PIN=1234

# What to try inside the lab: printed at the start and again above the
# shell.  carnetd's log goes to $log, never to this terminal, so that its
# lines cannot break into the shell's prompt.
banner() {
        echo "  the CPS card's PIN:  $PIN   (a simulated card and a throw-away PKI: nothing real)"
        echo "  log in:              echo $PIN | carnetctl login --pin-stdin   (or carnetctl login, and type it)"
        echo "  the Carte Vitale:    sim_cmd 0 remove    then  sim_cmd 0 insert   (carnetd reads it again)"
        echo "  the CPS card:        sim_cmd 1 remove    (ends the doctor's session)  then  sim_cmd 1 insert"
        echo "                       and log in again:  echo $PIN | carnetctl login --pin-stdin"
        echo "  carnetd's log:       tail $log"
}

say "carnet's demo"
banner

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
"$CARNET_BUILD/carnetd" --config "$LAB_DIR/carnetd.conf" 2>>"$log" &
echo "(its log: $log)"
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done

say "carnetctl status"
ctl status

say "carnetctl vitale: every person on the card, read once when it arrived"
ctl vitale

say "The doctor logs in: the CPS card checks the PIN ($PIN) and signs the session record"
echo "$PIN" | ctl login --pin-stdin

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
        banner
        echo "      (exit or Ctrl-D to end the demo)"
        PATH=$CARNET_BUILD:$PATH CARNET_SOCKET=$sock bash --rcfile <(echo ". tests/lab/lib.sh; PS1='carnet-lab\$ '") -i || true
fi
say "Demo over: the lab and everything in it go away now."
