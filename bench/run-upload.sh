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
set -euo pipefail

# ---- outside the lab ---------------------------------------------------------
if [ "${1:-}" != --in-lab ]; then
        build=${1:?usage: bench/run-upload.sh BUILD [ROUNDS]}
        rounds=${2:-3} n=16 mib=16
        [ -z "${BENCH_SMOKE:-}" ] || { rounds=1 n=4 mib=2; }
        case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
        for f in carnetd carnet-cardsim lab/lab-pcsc; do
                [ -x "$build/$f" ] || { echo "run-upload: $build/$f not built" >&2; exit 1; }
        done
        pki=$(mktemp -d /tmp/carnet-bench-pki.XXXXXX)
        mkdir -p "$build/bench-data"
        data=$(mktemp -d "$build/bench-data/upload.XXXXXX")
        out=$data.out
        trap 'rm -rf "$pki" "$data" "$out"' EXIT
        sh tests/pki/mkpki.sh "$pki" >/dev/null 2>&1
        CARNET_BUILD=$build tests/lab/lab-run --slot0 tests/profiles/vitale-family.profile \
                --slot1 "$pki/cps-rsa.profile" -- bash "$0" --in-lab "$pki" "$data" "$rounds" "$n" "$mib" | tee "$out"
        [ -n "${BENCH_SMOKE:-}" ] || exit 0
        num='[0-9]+(\.[0-9]+)?'
        grep -Eq "^\\| before \\| - \\| - \\| - \\| - \\| - \\| - \\| $num \\|$" "$out" ||
                { echo "run-upload: no row for carnetd before the uploads" >&2; exit 1; }
        grep -Eq "^\\| 1 \\| $n x $mib MiB \\| $n \\| 0 \\| 0 \\| $num \\| $num \\| $num \\|$" "$out" ||
                { echo "run-upload: no complete row with every deposit 201" >&2; exit 1; }
        grep -q "^read back: $n of $n intact$" "$out" || { echo "run-upload: contents not read back intact" >&2; exit 1; }
        exit 0
fi

# ---- inside the lab ------------------------------------------------------------
pki=$2 data=$3 rounds=$4 n=$5 mib=$6
# shellcheck source=tests/lab/lib.sh
. tests/lab/lib.sh
sock=$LAB_DIR/carnetd.sock
die() {
        echo "run-upload: $*" >&2
        [ ! -s "$LAB_DIR/carnetd.err" ] || tail -n 20 "$LAB_DIR/carnetd.err" >&2
        exit 1
}
meta='{"type_code":"11488-4","class_code":"10","title":"Compte rendu"}'
size=$((mib * 1024 * 1024))
# gen I: the content of deposit I, SIZE pseudo-random bytes
gen() { (openssl enc -aes-128-ctr -nosalt -pass "pass:bench-$1" -pbkdf2 -in /dev/zero 2>/dev/null || true) | head -c "$size"; }
hwm() { awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$carnetd/status"; }

CARNET_PKI=$pki
carnetd_conf "workstation = bench-ws-1" "database = $data/carnet.db" "connections_per_uid = 64"
carnetd_start >/dev/null || die "carnetd did not start"
carnetd=$daemon
until_ok cps_ready >/dev/null || die "no CPS seen"
until_ok eval 'api GET /v1/vitale | grep -q "^200"' >/dev/null || die "no Vitale read"
token=$(lab_login) || die "login"
out=$(api POST /v1/dossiers '{"index": 0, "consent": true}' "$token")
[[ $out == 201* ]] || die "dossier: $out"
ins=$(field ins "$out")
for i in $(seq "$n"); do gen "$i" >"$LAB_DIR/doc.$i"; done
# the peak so far is the dossier's opening (scrypt of the patient secret,
# 32 MiB for a moment): reset it (clear_refs 5), so that the rows give the
# uploads' own peak
echo 5 >"/proc/$carnetd/clear_refs"
before=$(hwm)

rows=""
for r in $(seq "$rounds"); do
        pids=()
        start=$(date +%s.%N)
        for i in $(seq "$n"); do
                curl -s -o "$LAB_DIR/reply.$r.$i" -w '%{http_code}' --unix-socket "$sock" -X POST \
                        -H "X-Carnet-Session: $token" -H 'Content-Type: application/pdf' \
                        -H "X-Carnet-Document: $meta" --data-binary @"$LAB_DIR/doc.$i" \
                        "http://localhost/v1/dossiers/$ins/documents" >"$LAB_DIR/code.$r.$i" 2>/dev/null &
                pids+=($!)
        done
        wait "${pids[@]}" || true
        end=$(date +%s.%N)
        ok=0 busy=0 other=0
        for i in $(seq "$n"); do
                case "$(cat "$LAB_DIR/code.$r.$i")" in
                201) ok=$((ok + 1)) ;;
                503) busy=$((busy + 1)) ;;
                *) other=$((other + 1)) ;;
                esac
        done
        rows+=$(awk -v r="$r" -v n="$n" -v mib="$mib" -v ok="$ok" -v busy="$busy" -v other="$other" \
                -v t0="$start" -v t1="$end" -v h="$(hwm)" 'BEGIN {
                t = t1 - t0; rate = t > 0 ? ok * mib / t : 0
                printf "| %d | %d x %d MiB | %d | %d | %d | %.2f | %.0f | %s |\n", r, n, mib, ok, busy, other, t, rate, h
                }')$'\n'
done

# every content of the last round read back
intact=0
for i in $(seq "$n"); do
        uid=$(field uid "$(cat "$LAB_DIR/reply.$rounds.$i")" || true)
        [ -n "$uid" ] || continue
        got=$(curl -s --unix-socket "$sock" -H "X-Carnet-Session: $token" \
                "http://localhost/v1/dossiers/$ins/documents/$uid/content" | sha256sum | cut -d' ' -f1)
        [ "$got" != "$(sha256sum <"$LAB_DIR/doc.$i" | cut -d' ' -f1)" ] || intact=$((intact + 1))
done
kill "$carnetd" 2>/dev/null || true
wait "$carnetd" 2>/dev/null || true

echo "## Uploads: $n raw deposits of $mib MiB at once from one uid, $rounds round(s)"
echo
echo "$(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), Linux $(uname -r);" \
        "database on $(df -T "$data" | awk 'NR == 2 {print $2}')"
echo
echo "| round | uploads | 201 | 503 | other | seconds | MiB/s stored | carnetd VmHWM MiB |"
echo "|--:|---|--:|--:|--:|--:|--:|--:|"
echo "| before | - | - | - | - | - | - | $before |"
printf '%s' "$rows"
echo
echo "read back: $intact of $n intact"
