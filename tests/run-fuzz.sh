#!/bin/sh
# tests/run-fuzz.sh BUILD SECONDS [RUNS]: runs every libFuzzer target
# BUILD/fuzz/fuzz-NAME for SECONDS seconds (with RUNS: until RUNS
# executions, SECONDS at most; a target that stops short of RUNS fails)
# from its corpus
# tests/fuzz/corpus/NAME (read only: new inputs go to a temporary folder),
# under ASan and UBSan.  A crash, leak, sanitizer report or timeout fails
# the target; the crashing input is kept in BUILD/fuzz/crashes/.  Prints
# "ok   fuzz-NAME: N executions in S s" per target (S: the time it took) and
# "fuzz: N passed, N failed".  Without the targets (no clang-14) it says
# so and counts nothing as passed.
set -u
build=$1
secs=${2:-4}
runs=${3:-}
. tests/tally.sh
set -- "$build"/fuzz/fuzz-*
if [ ! -x "$1" ]; then
        echo "fuzz: SKIPPED, no targets in $build/fuzz (clang-14 and libclang-rt-14-dev missing?)"
        echo "fuzz: 0 passed, 0 failed"
        exit 1
fi
mkdir -p "$build/fuzz/crashes"
for bin in "$@"; do
        name=${bin##*/fuzz-}
        new=$(mktemp -d /tmp/carnet-fuzz-$name.XXXXXX)
        log=$(mktemp /tmp/carnet-fuzz-$name.XXXXXX.log)
        # a certificate is a few KiB: longer inputs only slow the target
        # down (OpenSSL's allocations under ASan), they reach no more code
        maxlen=65536
        [ "$name" != identity ] || maxlen=8192
        start=$(date +%s)
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
                "$bin" -max_total_time="$secs" ${runs:+-runs="$runs"} -timeout=10 -rss_limit_mb=2048 -max_len=$maxlen \
                -print_final_stats=1 -artifact_prefix="$build/fuzz/crashes/$name-" \
                "$new" "tests/fuzz/corpus/$name" >"$log" 2>&1
        rc=$?
        took=$(($(date +%s) - start))
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        if [ $rc = 0 ] && [ -n "$execs" ] && [ "$execs" -gt 0 ] && { [ -z "$runs" ] || [ "$execs" -ge "$runs" ]; }; then
                tally "fuzz-$name: $execs executions in $took s" 0
        elif [ $rc = 0 ] && [ -n "$execs" ]; then
                echo "only $execs executions of $runs in $secs s" >"$log.tail"
                tally "fuzz-$name (short of $runs executions)" 1 "$log.tail"
                rm -f "$log.tail"
        else
                tail -40 "$log" >"$log.tail"
                tally "fuzz-$name (exit $rc)" 1 "$log.tail"
                rm -f "$log.tail"
        fi
        rm -rf "$new" "$log"
done
tally_end fuzz
