#!/bin/bash
# bench/run.sh BUILD [--smoke]: runs every bench/run-*.sh with the build
# directory as its argument ('make bench'). Each script prints its own
# figures; this one reports which failed, as "bench: N passed, N failed".
#
# With --smoke (what 'make check' runs), each benchmark runs once, briefly
# (BENCH_SMOKE=1: few rounds, small data, short runs), and checks that its
# output is complete and well formed: every row present, every figure a
# number, no failed request.  Timings are never judged: a benchmark is not
# a test of speed, the smoke run only keeps it from rotting.
set -u
build=${1:?usage: bench/run.sh BUILD [--smoke]}
[ "${2:-}" != --smoke ] || export BENCH_SMOKE=1
. tests/tally.sh
for s in bench/run-*.sh; do
        [ -f "$s" ] || continue
        echo "== $s"
        bash "$s" "$build"
        tally "$(basename "$s" .sh)" $?
done
tally_end bench
