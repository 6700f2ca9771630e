#!/bin/bash
# bench/run-upload.sh BUILD [ROUNDS]: carnetd's memory while it receives
# large uploads (figures in docs/benchmarks.md, "Uploads").  Prints a
# Markdown table.
#
# In the lab (tests/lab/lab-run: a Vitale on slot 0, a CPS on slot 1) it
# starts carnetd with a temporary configuration and database (in
# BUILD/bench-data, on disk, deleted afterwards), logs in with the CPS and
# creates a dossier.  Then, ROUNDS times (default 3), 16 raw deposits of 16
# MiB (the largest content carnet takes) start at once from one uid, each
# its own curl; the round's row gives how many got 201, 503 or anything
# else, the wall time of the round, the throughput, and carnetd's peak
# resident memory (VmHWM, /proc/PID/status) after it.  The first row is
# carnetd's resident memory before any upload, once the peak of the setup
# (the dossier's scrypt) is reset (/proc/PID/clear_refs).  The last
# round's contents are read back and compared (sha256).
#
# BENCH_SMOKE=1 (bench/run.sh --smoke, what 'make check' runs): one round
# of 4 deposits of 2 MiB (spooled all the same: over 1 MiB), then a check
# that the table has its rows, with figures, every deposit 201 and read
# back intact.  Never a judgement of the figures.
#
# After the rounds, one more: 16 raw deposits of 20 MiB at once (issue
# 15's figure), over the 16 MiB a content may be: each is refused (413),
# and its row gives carnetd's peak while they came in (4 of 17 MiB in
# the smoke run, each refused).
set -euo pipefail

# ---- outside the lab ---------------------------------------------------------
if [ "${1:-}" != --in-lab ]; then
        . bench/lib.sh
        rounds=${2:-3} n=16 mib=16 over=20
        [ -z "${BENCH_SMOKE:-}" ] || { rounds=1 n=4 mib=2 over=17; }
        bench_prepare "${1:?usage: bench/run-upload.sh BUILD [ROUNDS]}" carnetd carnet-cardsim lab/lab-pcsc
        bench_lab "$rounds" "$n" "$mib" "$over"
        [ -n "${BENCH_SMOKE:-}" ] || exit 0
        num='[0-9]+(\.[0-9]+)?'
        bench_expect "^\\| before \\| - \\| - \\| - \\| - \\| - \\| - \\| - \\| $num \\|$" "no row for carnetd before the uploads"
        bench_expect "^\\| 1 \\| $n x $mib MiB \\| $n \\| 0 \\| 0 \\| 0 \\| $num \\| $num \\| $num \\|$" \
                "no complete row with every deposit 201"
        bench_expect "^\\| over \\| $n x $over MiB \\| 0 \\| 0 \\| 0 \\| $n \\| $num \\| - \\| $num \\|$" \
                "no complete row with every deposit over the limit refused (413)"
        bench_expect "^read back: $n of $n intact$" "contents not read back intact"
        exit 0
fi

# ---- inside the lab ------------------------------------------------------------
pki=$2 data=$3 rounds=$4 n=$5 mib=$6 over=$7
. bench/lib.sh
meta='{"type_code":"11488-4","class_code":"10","title":"Compte rendu"}'
size=$((mib * 1024 * 1024))
bench_carnetd "$pki" "$data"
bench_dossier 0
for i in $(seq "$n"); do
        gen "$i" "$size" >"$LAB_DIR/doc.$mib.$i"
        gen "$i" $((over * 1024 * 1024)) >"$LAB_DIR/doc.$over.$i"
done
# the peak so far is the dossier's opening (scrypt of the patient secret,
# 32 MiB for a moment): reset it (clear_refs 5), so that the rows give the
# uploads' own peak
echo 5 >"/proc/$carnetd/clear_refs"
before=$(hwm "$carnetd")

# upload R MIB: one round, $n raw deposits of MIB MiB at once (the files
# $LAB_DIR/doc.MIB.I); its row, named R, added to $rows.
rows=""
upload() {
        local r=$1 mib=$2 pids=() i start end ok=0 busy=0 large=0 other=0
        start=$(date +%s.%N)
        for i in $(seq "$n"); do
                raw_deposit "$ins" "$LAB_DIR/doc.$mib.$i" "$LAB_DIR/reply.$r.$i" >"$LAB_DIR/code.$r.$i" 2>/dev/null &
                pids+=($!)
        done
        wait "${pids[@]}" || true
        end=$(date +%s.%N)
        for i in $(seq "$n"); do
                case "$(cat "$LAB_DIR/code.$r.$i")" in
                201) ok=$((ok + 1)) ;;
                503) busy=$((busy + 1)) ;;
                413) large=$((large + 1)) ;;
                *) other=$((other + 1)) ;;
                esac
        done
        rows+=$(awk -v r="$r" -v n="$n" -v mib="$mib" -v ok="$ok" -v busy="$busy" -v large="$large" \
                -v other="$other" -v t0="$start" -v t1="$end" -v h="$(hwm "$carnetd")" 'BEGIN {
                t = t1 - t0; rate = t > 0 ? ok * mib / t : 0
                printf "| %s | %d x %d MiB | %d | %d | %d | %d | %.2f | %s | %s |\n", r, n, mib, ok, busy, other,
                        large, t, ok ? sprintf("%.0f", rate) : "-", h
                }')$'\n'
}
for r in $(seq "$rounds"); do upload "$r" "$mib"; done
# over the limit: the peak of these alone
echo 5 >"/proc/$carnetd/clear_refs"
upload over "$over"

# every content of the last round read back
intact=0
for i in $(seq "$n"); do
        uid=$(field uid "$(cat "$LAB_DIR/reply.$rounds.$i")" || true)
        [ -n "$uid" ] || continue
        got=$(curl -s --unix-socket "$sock" -H "X-Carnet-Session: $token" \
                "http://localhost/v1/dossiers/$ins/documents/$uid/content" | sha256sum | cut -d' ' -f1)
        [ "$got" != "$(sha256sum <"$LAB_DIR/doc.$mib.$i" | cut -d' ' -f1)" ] || intact=$((intact + 1))
done
kill "$carnetd" 2>/dev/null || true
wait "$carnetd" 2>/dev/null || true

echo "## Uploads: $n raw deposits of $mib MiB at once from one uid, $rounds round(s)"
echo
echo "$(bench_machine); database on $(fs_of "$data")"
echo
echo "| round | uploads | 201 | 503 | other | 413 | seconds | MiB/s stored | carnetd VmHWM MiB |"
echo "|--:|---|--:|--:|--:|--:|--:|--:|--:|"
echo "| before | - | - | - | - | - | - | - | $before |"
printf '%s' "$rows"
echo
echo "read back: $intact of $n intact"
