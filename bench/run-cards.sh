#!/bin/bash
# bench/run-cards.sh BUILD [ROUNDS]: card insertion to identity and session
# opening, in the lab (see bench/card-bench.c).  Prints a Markdown table.
# BENCH_SMOKE=1 (bench/run.sh --smoke): 2 rounds, then checks that every
# row of the three tables is there with numbers.  CARDS_OPENSC_CONF=FILE:
# OpenSC reads FILE instead of /etc/opensc/opensc.conf (OPENSC_CONF), e.g.
# one whose ignored_readers names the Vitale's reader (docs/benchmarks.md).
set -euo pipefail
build=$1
rounds=${2:-20}
[ -z "${BENCH_SMOKE:-}" ] || rounds=2
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
pki=$(mktemp -d /tmp/carnet-bench-pki.XXXXXX)
out=$pki.out
trap 'rm -rf "$pki" "$out"' EXIT
sh tests/pki/mkpki.sh "$pki" >/dev/null 2>&1
echo "## Cards: insertion to identity, session opening ($rounds rounds)"
CARNET_BUILD=$build tests/lab/lab-run --slot1 "$pki/cps-rsa.profile" -- bash -c "
        . tests/lab/lib.sh
        sim_start 0 tests/profiles/vitale-family.profile --absent
        ${CARDS_OPENSC_CONF:+OPENSC_CONF=\"$CARDS_OPENSC_CONF\"} \"$build/bench/card-bench\" $rounds \"$pki/ca-chain.pem\"" | tee "$out"
[ -n "${BENCH_SMOKE:-}" ] || exit 0
num='[0-9]+(\.[0-9]+)?'
rows=$(grep -Ec "^\| (Vitale|CPS) \| .* \| [0-9]+ \| $num \| $num \|$" "$out" || true)
[ "$rows" = 5 ] || { echo "run-cards: $rows card rows of 5" >&2; exit 1; }
for row in "monitor:" "PKCS#11: search" "PKCS#11: the card's slot"; do
        grep -Eq "^\| $row[^|]*\| $num \| $num \|$" "$out" ||
                { echo "run-cards: no read-at-insertion row '$row'" >&2; exit 1; }
done
for row in total "card time" "carnet's own"; do
        grep -Eq "^\| $row[^|]*\|[ 0-9]*\| $num \| $num \|$" "$out" ||
                { echo "run-cards: no session row '$row'" >&2; exit 1; }
done
