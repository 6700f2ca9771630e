#!/bin/sh
# bench/run.sh BUILD: runs every bench/run-*.sh with the build directory as
# its argument ('make bench'). Each script prints its own figures; this one
# reports which failed. Benchmarks are not tests and are not part of
# 'make check'.
set -u
build=${1:?usage: bench/run.sh BUILD}
failed=""
for s in bench/run-*.sh; do
        [ -f "$s" ] || continue
        echo "== $s"
        sh "$s" "$build" || failed="$failed $s"
done
[ -z "$failed" ] || { echo "bench failed:$failed" >&2; exit 1; }
