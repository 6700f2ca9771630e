#!/bin/sh
# tests/run-lab.sh BUILD [TEST...]: runs the lab tests, each in a fresh lab.
#
# A lab test is an executable tests/lab/t-*.sh; run-lab.sh starts it with
# tests/lab/lab-run (pcscd + vpcd in private namespaces, no card inserted:
# the test starts the simulators it needs with sim_start from lib.sh).
# Host tests, tests/lab/h-*.sh, run outside the lab (they check the lab
# itself).  Before the tests, a throw-away test PKI is generated into a temporary
# folder exported as CARNET_PKI (see tests/pki/mkpki.sh).
# Prints "lab: N passed, N failed" and exits non-zero on any failure.
set -u
build=$1
shift
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
export CARNET_BUILD="$build"

CARNET_PKI=$(mktemp -d /tmp/carnet-pki.XXXXXX)
export CARNET_PKI
trap 'rm -rf "$CARNET_PKI"' EXIT
if ! sh tests/pki/mkpki.sh "$CARNET_PKI" >"$CARNET_PKI.log" 2>&1; then
        echo "lab: test PKI generation failed:" >&2
        cat "$CARNET_PKI.log" >&2
        rm -f "$CARNET_PKI.log"
        exit 1
fi
rm -f "$CARNET_PKI.log"

tests=${*:-$(ls tests/lab/h-*.sh tests/lab/t-*.sh)}
. tests/tally.sh
for t in $tests; do
        name=$(basename "$t" .sh)
        log=$(mktemp /tmp/carnet-$name.XXXXXX.log)
        case "$name" in
        h-*) set -- timeout 300 "$t" ;;
        *) set -- timeout 300 tests/lab/lab-run -- "$t" ;;
        esac
        "$@" >"$log" 2>&1
        tally "$name" $? "$log"
        rm -f "$log"
done
tally_end lab
