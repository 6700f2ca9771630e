#!/bin/sh
# bench/run-cards.sh BUILD [ROUNDS]: card insertion to identity and session
# opening, in the lab (see bench/card-bench.c).  Prints a Markdown table.
set -eu
build=$1
rounds=${2:-20}
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
pki=$(mktemp -d /tmp/carnet-bench-pki.XXXXXX)
trap 'rm -rf "$pki"' EXIT
sh tests/pki/mkpki.sh "$pki" >/dev/null 2>&1
echo "## Cards: insertion to identity, session opening ($rounds rounds)"
CARNET_BUILD=$build tests/lab/lab-run --slot1 "$pki/cps-rsa.profile" -- sh -c "
        . tests/lab/lib.sh
        sim_start 0 tests/profiles/vitale-family.profile --absent
        \"$build/bench/card-bench\" $rounds \"$pki/ca-chain.pem\""
