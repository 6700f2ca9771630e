#!/bin/sh
# tests/run-unit.sh DIR: runs every cmocka test binary in DIR.
# Prints one summary line "unit: N passed, N failed" and exits non-zero on
# any failure.
set -u
dir=$1
pass=0
fail=0
failed=""
for t in "$dir"/test-*; do
        [ -x "$t" ] || continue
        if "$t"; then
                pass=$((pass + 1))
        else
                fail=$((fail + 1))
                failed="$failed $(basename "$t")"
        fi
done
echo "$(basename "$dir") programs: $pass passed, $fail failed"
[ -z "$failed" ] || echo "failed:$failed" >&2
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
