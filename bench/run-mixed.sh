#!/bin/bash
# bench/run-mixed.sh BUILD [SECONDS]: carnetd's reads beside large
# transfers (issue 15: a list does not wait behind a large deposit; content
# is streamed, so that memory does not grow with the bodies in flight;
# figures in docs/benchmarks.md, "Mixed load").  Prints a Markdown table.
#
# In the lab (tests/lab/lab-run: the family's Vitale on slot 0, a CPS on
# slot 1) it starts carnetd with a temporary configuration and database (in
# BUILD/bench-data, on disk, deleted afterwards), logs in with the CPS,
# opens the holder's dossier and deposits ten documents of 100 KB in it
# (the listed dossier, as in bench/run-http.sh), and opens a second
# dossier for the deposits (the Vitale's person 1; the same dossier when
# the Vitale has only one person).  Then, side by side in one run:
#
#  1. the document list at 1 keep-alive connection (bench/http-load),
#     SECONDS (default 5, after 1 s of warm-up), on its own;
#  2. the same list while 4 loops each deposit raw 16 MiB documents (the
#     largest content carnetd takes; spooled, being over 1 MiB) into the
#     second dossier, one after another, each its own curl; the deposits'
#     row counts those that completed within the window (from the loops'
#     start to the list's end), how many of all got anything but 201, and
#     the times of all those answered 201;
#  3. 16 downloads at once (curl) of one 16 MiB content, each body
#     compared with the deposited bytes (sha256): the round's wall time and
#     each download's time;
#  4. a large dossier: 20 000 documents of 1 KiB deposited into the second
#     dossier (bench/http-load, 16 connections), every page of its list
#     followed once to check that each document is listed, then the list
#     (its first page of 1000) at 16 connections, SECONDS.
#
# Each row gives carnetd's peak resident memory (VmHWM) over its run, the
# peak reset before it (echo 5 >/proc/PID/clear_refs).  Below the table:
# the ratio of the list's p99 during the deposits to its p99 alone (told,
# no target), and the target of issue 15: carnetd's peak RSS during the
# downloads at most 64 MiB, and listing the large dossier (the same bound:
# a reply is a page, whatever the dossier's size).
#
# BENCH_SMOKE=1 (bench/run.sh --smoke, what 'make check' runs): 0.3 s runs
# without warm-up, 2 MiB contents, 2 deposit loops, 4 downloads, a large
# dossier of 1 100 documents (two pages); then a
# check that every row is there with its figures, that every deposit got a
# 201 and every download came back intact, and that the ratio and the
# target are evaluated.  Never a judgement of the figures.
set -euo pipefail

# ---- outside the lab ---------------------------------------------------------
if [ "${1:-}" != --in-lab ]; then
        . bench/lib.sh
        secs=${2:-5} warm=1 mib=16 loops=4 n=16 big=20000
        [ -z "${BENCH_SMOKE:-}" ] || { secs=0.3 warm=0 mib=2 loops=2 n=4 big=1100; }
        bench_prepare "${1:?usage: bench/run-mixed.sh BUILD [SECONDS]}" \
                carnetd carnet-p11-helper carnet-cardsim lab/lab-pcsc bench/http-load
        bench_lab "$secs" "$warm" "$mib" "$loops" "$n" "$big"
        [ -n "${BENCH_SMOKE:-}" ] || exit 0
        num='[0-9]+(\.[0-9]+)?'
        figs="$num \\| $num \\| $num \\| $num \\| $num"
        for row in "list alone" "list during deposits" "deposits beside the list"; do
                bench_expect "^\\| $row \\| [^|]+ \\| $figs \\| 0 \\| $num \\| $num \\|$" \
                        "no complete row for the $row, without failures"
        done
        bench_expect "^\\| downloads \\| [^|]+ \\| $figs \\| 0 \\| $num \\| $num \\|$" "no complete row for the downloads"
        bench_expect "^\\| large list \\| [^|]+ \\| $figs \\| 0 \\| $num \\| $num \\|$" "no complete row for the large list"
        bench_expect "^large dossier: $big documents deposited, [0-9]+ listed in 2 pages of at most 1000, each once$" \
                "the large dossier's pages do not list each document once"
        made=$(sed -En 's/^deposits: ([0-9]+) made, ([0-9]+) answered 201 .*/\1 \2/p' "$out")
        # shellcheck disable=SC2086
        set -- $made
        if [ $# != 2 ] || [ "$1" != "$2" ] || [ "$1" -lt "$loops" ]; then
                echo "run-mixed: not every deposit answered 201 ($made)" >&2
                exit 1
        fi
        bench_expect "^downloads: $n of $n intact" "not every download intact"
        bench_expect "^list p99 during deposits / alone: $num \\(report only, no target\\)$" "no p99 ratio"
        bench_expect "^carnetd peak RSS during $n x $mib MiB downloads <= 64 MiB: (met|not met) \\($num MiB\\)$" \
                "the RSS target is not evaluated"
        bench_expect "^carnetd peak RSS listing a dossier of [0-9]+ documents at 16 connections <= 64 MiB: (met|not met) \\($num MiB\\)$" \
                "the large list's RSS target is not evaluated"
        exit 0
fi

# ---- inside the lab ------------------------------------------------------------
pki=$2 data=$3 secs=$4 warm=$5 mib=$6 loops=$7 n=$8 big=$9
. bench/lib.sh
load=$CARNET_BUILD/bench/http-load
size=$((mib * 1024 * 1024))
meta='{"type_code":"11488-4","class_code":"10","title":"Compte rendu de consultation"}'
bench_carnetd "$pki" "$data"

# the listed dossier: the holder's, with ten documents of 100 KB
bench_dossier 0
list_ins=$ins
head -c 102400 /dev/urandom >"$LAB_DIR/small.bin"
for _ in $(seq 10); do
        code=$(raw_deposit "$list_ins" "$LAB_DIR/small.bin" "$LAB_DIR/body")
        [ "$code" = 201 ] || die "deposit: $code $(cat "$LAB_DIR/body")"
done
# the dossier the loops deposit into
if grep -q '^person\.1\.' "$bench_vitale"; then
        bench_dossier 1
        into="another dossier"
else
        into="the same dossier"
fi
dep_ins=$ins
for l in $(seq "$loops"); do gen "$l" "$size" >"$LAB_DIR/doc.$l"; done
# the downloaded content: the first loop's, deposited once before the runs
code=$(raw_deposit "$dep_ins" "$LAB_DIR/doc.1" "$LAB_DIR/body")
[ "$code" = 201 ] || die "deposit: $code $(cat "$LAB_DIR/body")"
dl_uid=$(field uid "$(cat "$LAB_DIR/body")")
want=$(sha256sum <"$LAB_DIR/doc.1" | cut -d' ' -f1)

# list_run LABEL: the list at 1 connection, $secs s after $warm s of
# warm-up; http-load's line in $LAB_DIR/LABEL.load.
list_run() {
        "$load" -c 1 -w "$warm" -d "$secs" -l "$1" -H "$auth" "$sock" GET "/v1/dossiers/$list_ins/documents" \
                >"$LAB_DIR/$1.load" 2>"$LAB_DIR/$1.err" || true
        [ -s "$LAB_DIR/$1.load" ] || die "http-load: $(cat "$LAB_DIR/$1.err")"
        [ ! -s "$LAB_DIR/$1.err" ] || sed "s/^/  $1: /" "$LAB_DIR/$1.err" >&2
}
# deposit_loop L: deposits doc.L again and again until $LAB_DIR/stop
# exists (at least once); a line "STATUS SECONDS END-TIME" a deposit in
# $LAB_DIR/deposits.L.
deposit_loop() {
        local code
        while :; do
                code=$(raw_deposit "$dep_ins" "$LAB_DIR/doc.$1" "$LAB_DIR/reply.dep.$1" \
                        -w '%{http_code} %{time_total}' 2>/dev/null) || true
                echo "${code:-000 0} $(date +%s.%N)" >>"$LAB_DIR/deposits.$1"
                [ ! -e "$LAB_DIR/stop" ] || break
        done
}
reset_peak() { echo 5 >"/proc/$carnetd/clear_refs"; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# 1. the list alone (the set-up's peak, the scrypt of the dossiers'
# secrets, reset first)
reset_peak
list_run alone
hwm_alone=$(hwm "$carnetd")

# 2. the list beside the deposit loops
reset_peak
lpids=()
t0=$(date +%s.%N)
for l in $(seq "$loops"); do
        : >"$LAB_DIR/deposits.$l"
        deposit_loop "$l" &
        lpids+=($!)
done
list_run during
t1=$(date +%s.%N)
touch "$LAB_DIR/stop"
wait "${lpids[@]}"
hwm_during=$(hwm "$carnetd")

# 3. the downloads, all at once
reset_peak
pids=()
d0=$(date +%s.%N)
for i in $(seq "$n"); do
        curl -s -o "$LAB_DIR/dl.$i" -w '%{http_code} %{time_total}\n' --unix-socket "$sock" -H "$auth" \
                "http://localhost/v1/dossiers/$dep_ins/documents/$dl_uid/content" >"$LAB_DIR/dl.$i.code" 2>/dev/null &
        pids+=($!)
done
wait "${pids[@]}" || true
d1=$(date +%s.%N)
hwm_dl=$(hwm "$carnetd")
intact=0
: >"$LAB_DIR/downloads"
for i in $(seq "$n"); do
        read -r status t <"$LAB_DIR/dl.$i.code" || status=000 t=0
        ok=0
        [ "$status" != 200 ] || [ "$(sha256sum <"$LAB_DIR/dl.$i" | cut -d' ' -f1)" != "$want" ] || ok=1
        intact=$((intact + ok))
        echo "$ok $t" >>"$LAB_DIR/downloads"
        rm -f "$LAB_DIR/dl.$i"
done

# 4. the large dossier: filled, every page followed once, then listed
head -c 1024 /dev/urandom >"$LAB_DIR/tiny.bin"
"$load" -c 16 -n "$big" -l fill -b "$LAB_DIR/tiny.bin" -H "$auth" -H 'Content-Type: application/pdf' \
        -H "X-Carnet-Document: $meta" "$sock" POST "/v1/dossiers/$dep_ins/documents" >"$LAB_DIR/fill.load" \
        2>"$LAB_DIR/fill.err" || die "filling the large dossier: $(cat "$LAB_DIR/fill.err")"
grep -q " ok=$big " "$LAB_DIR/fill.load" || die "filling the large dossier: $(cat "$LAB_DIR/fill.load")"
after="" pages=0
: >"$LAB_DIR/listed"
while :; do
        code=$(curl -s -o "$LAB_DIR/page" -w '%{http_code}' --unix-socket "$sock" -H "$auth" \
                "http://localhost/v1/dossiers/$dep_ins/documents${after:+?after=$after}")
        [ "$code" = 200 ] || die "the large dossier's page after '$after': $code $(cat "$LAB_DIR/page")"
        pages=$((pages + 1))
        after=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["count"] == len(d["documents"]) <= 1000
with open(sys.argv[2], "a") as f:
    f.writelines(x["uid"] + "\n" for x in d["documents"])
print(d["next"] or "")' "$LAB_DIR/page" "$LAB_DIR/listed") || die "the large dossier's page: $(head -c 300 "$LAB_DIR/page")"
        [ -n "$after" ] || break
done
listed=$(wc -l <"$LAB_DIR/listed")
[ "$(sort -u "$LAB_DIR/listed" | wc -l)" = "$listed" ] || die "a document listed twice in the large dossier's pages"
[ "$listed" -ge "$big" ] || die "the large dossier's pages list $listed documents of $big and more"
reset_peak
"$load" -c 16 -w "$warm" -d "$secs" -l big -H "$auth" "$sock" GET "/v1/dossiers/$dep_ins/documents" \
        >"$LAB_DIR/big.load" 2>"$LAB_DIR/big.err" || true
[ -s "$LAB_DIR/big.load" ] || die "http-load: $(cat "$LAB_DIR/big.err")"
hwm_big=$(hwm "$carnetd")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
kill "$carnetd" 2>/dev/null || true
wait "$carnetd" 2>/dev/null || true
cat "$LAB_DIR"/deposits.* >"$LAB_DIR/deposits"

# ---- the table -----------------------------------------------------------------
echo "## Mixed load: the document list beside $mib MiB deposits, $n downloads of $mib MiB, ${secs} s a run"
echo
echo "$(bench_machine); SQLite $(sqlite3 --version | cut -d' ' -f1); database on $(fs_of "$data");" \
        "load average $load_before before, $load_after after"
echo
echo "| run | load | p50 ms | p99 ms | max ms | per second | completed | failed | seconds | carnetd VmHWM MiB |"
echo "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"
# the three list rows, from http-load's lines
for run in alone during big; do
        case $run in alone) h=$hwm_alone ;; during) h=$hwm_during ;; big) h=$hwm_big ;; esac
        awk -v h="$h" -v loops="$loops" -v mib="$mib" -v listed="$listed" '
        function v(k,   i) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
        {
                name = v("label") == "alone" ? "list alone | 1 connection" : \
                        v("label") == "during" ? \
                        "list during deposits | 1 connection, beside " loops " loops of " mib " MiB deposits" : \
                        "large list | 16 connections, a dossier of " listed " documents: its first page of 1000"
                printf "| %s | %s | %s | %s | %s | %d | %d | %s | %s |\n", name, v("p50_ms"), v("p99_ms"), v("max_ms"),
                        v("rps"), v("ok"), v("non2xx") + v("errors"), v("seconds"), h
        }' "$LAB_DIR/$run.load"
done
# ROWS-FILE lines "OK SECONDS [...]" (OK: 1 a success): percentiles of the
# successes' times (nearest rank), in ms
pct() {
        awk '$1 == 1 {print $2 * 1000}' "$1" | sort -n | awk '
        { t[++n] = $1 }
        function at(q,   k) { k = int(q * n + 0.999999); if (k < 1) k = 1; return n ? sprintf("%.1f", t[k]) : "-" }
        END { print at(0.5) " | " at(0.99) " | " at(1) }'
}
awk '{ print $1 == 201 ? 1 : 0, $2 }' "$LAB_DIR/deposits" >"$LAB_DIR/deposits.ok"
made=$(wc -l <"$LAB_DIR/deposits")
ok201=$(awk '$1 == 201' "$LAB_DIR/deposits" | wc -l)
done_win=$(awk -v t1="$t1" '$1 == 201 && $3 <= t1' "$LAB_DIR/deposits" | wc -l)
awk -v p="$(pct "$LAB_DIR/deposits.ok")" -v d="$done_win" -v bad="$((made - ok201))" -v t0="$t0" -v t1="$t1" \
        -v h="$hwm_during" -v loops="$loops" -v mib="$mib" -v into="$into" 'BEGIN {
        printf "| deposits beside the list | %d loops of raw %d MiB deposits, into %s | %s | %.2f | %d | %d | %.2f | %s |\n",
                loops, mib, into, p, d / (t1 - t0), d, bad, t1 - t0, h
}'
awk -v p="$(pct "$LAB_DIR/downloads")" -v ok="$intact" -v n="$n" -v d0="$d0" -v d1="$d1" -v h="$hwm_dl" \
        -v mib="$mib" 'BEGIN {
        printf "| downloads | %d x %d MiB at once, one content | %s | %.2f | %d | %d | %.2f | %s |\n",
                n, mib, p, ok / (d1 - d0), ok, n - ok, d1 - d0, h
}'
echo
echo "deposits: $made made, $ok201 answered 201 ($done_win completed within the window, the list's run;" \
        "the rest after it); p50/p99/max: the times of all the deposits answered 201"
echo "downloads: $intact of $n intact (sha256 of the deposited bytes), $(awk -v ok="$intact" -v mib="$mib" \
        -v d0="$d0" -v d1="$d1" 'BEGIN { printf "%.0f", ok * mib / (d1 - d0) }') MiB/s in all"
echo "large dossier: $big documents deposited, $listed listed in $pages pages of at most 1000, each once"
echo
awk -v a="$(sed -n 's/.* p99_ms=\([0-9.]*\).*/\1/p' "$LAB_DIR/alone.load")" \
        -v d="$(sed -n 's/.* p99_ms=\([0-9.]*\).*/\1/p' "$LAB_DIR/during.load")" 'BEGIN {
        printf "list p99 during deposits / alone: %s (report only, no target)\n", (a > 0 ? sprintf("%.2f", d / a) : "-")
}'
awk -v h="$hwm_dl" -v n="$n" -v mib="$mib" 'BEGIN {
        printf "carnetd peak RSS during %d x %d MiB downloads <= 64 MiB: %s (%s MiB)\n", n, mib, (h <= 64 ? "met" : "not met"), h
}'
awk -v h="$hwm_big" -v n="$listed" 'BEGIN {
        printf "carnetd peak RSS listing a dossier of %d documents at 16 connections <= 64 MiB: %s (%s MiB)\n", n,
                (h <= 64 ? "met" : "not met"), h
}'
echo
echo "Raw http-load lines:"
sed 's/^/    /' "$LAB_DIR/alone.load" "$LAB_DIR/during.load" "$LAB_DIR/fill.load" "$LAB_DIR/big.load"
