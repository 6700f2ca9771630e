# tests/tally.sh: counting the results of a suite, for tests/run-lab.sh
# and bench/run.sh (sourced; POSIX sh).
#
#   tally NAME STATUS [LOG]   counts one result (STATUS 0: passed) and
#                             prints "ok   NAME" or "FAIL NAME" and the log,
#                             indented, when there is one
#   tally_end SUITE           prints "SUITE: N passed, N failed"; fails on
#                             any failure, or when nothing ran
tally_pass=0
tally_fail=0
tally_failed=""

tally() {
        if [ "$2" = 0 ]; then
                tally_pass=$((tally_pass + 1))
                echo "ok   $1"
        else
                tally_fail=$((tally_fail + 1))
                tally_failed="$tally_failed $1"
                echo "FAIL $1"
                [ -z "${3:-}" ] || sed 's/^/     | /' "$3"
        fi
}

tally_end() {
        echo "$1: $tally_pass passed, $tally_fail failed"
        [ -z "$tally_failed" ] || echo "$1 failed:$tally_failed" >&2
        [ "$tally_fail" -eq 0 ] && [ "$tally_pass" -gt 0 ]
}
