#!/bin/sh
# tests/run-all.sh BUILD: everything 'make check' runs, in order: the
# layering check (tests/layers.sh), unit tests, the same unit tests under
# AddressSanitizer + UBSan, a short run of each fuzz target, the lab tests
# against pcscd, vpcd and the card simulators, then every benchmark once in
# its smoke mode.  Ends with one line "N passed, N failed" over all six
# suites.
set -u
build=$1
status=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "== layers"
make --no-print-directory BUILD="$build" check-layers >"$out.y" 2>&1; s=$?; cat "$out.y"; [ $s = 0 ] || status=1
echo "== unit tests"
sh tests/run-unit.sh "$build/unit" >"$out.u" 2>&1; s=$?; cat "$out.u"; [ $s = 0 ] || status=1
echo "== unit tests under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        sh tests/run-unit.sh "$build/asan/unit" >"$out.a" 2>&1; s=$?; cat "$out.a"; [ $s = 0 ] || status=1
echo "== fuzz targets, ${FUZZ_SMOKE_S:-4} s each (tests/run-fuzz.sh)"
sh tests/run-fuzz.sh "$build" "${FUZZ_SMOKE_S:-4}" >"$out.f" 2>&1; s=$?; cat "$out.f"; [ $s = 0 ] || status=1
echo "== lab tests"
sh tests/run-lab.sh "$build" >"$out.l" 2>&1; s=$?; cat "$out.l"; [ $s = 0 ] || status=1
echo "== benchmarks, once each, briefly (bench/run.sh --smoke)"
bash bench/run.sh "$build" --smoke >"$out.b" 2>&1; s=$?; cat "$out.b"; [ $s = 0 ] || status=1
# Totals over the three summary lines ("... N passed, N failed").
cat "$out.y" "$out.u" "$out.a" "$out.f" "$out.l" "$out.b" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' |
        awk '{p+=$1; f+=$2} END {printf "%d passed, %d failed\n", p, f}'
rm -f "$out.y" "$out.u" "$out.a" "$out.f" "$out.l" "$out.b"
exit $status
