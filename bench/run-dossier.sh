#!/bin/bash
# bench/run-dossier.sh BUILD: the dossier engine benchmark (issue 4,
# docs/benchmarks.md "Dossier engine").
#
# For each size in DOSSIER_BENCH_SIZES (default "10000 1000000" dossiers),
# generates a new database with DOSSIER_BENCH_DOCS documents per dossier
# (default 10), then measures it in a fresh process. Files go to
# DOSSIER_BENCH_DIR (default BUILD/bench-data) and are removed afterwards
# unless DOSSIER_BENCH_KEEP=1. BENCH_SMOKE=1 (bench/run.sh --smoke): 200
# dossiers of 3 documents, 50 lists (then 48 over 16 threads) and 20
# deposits, then checks that every
# measure line is there with its figures. Needs about 2.3 KB of disk per document
# (1M dossiers x 10 documents: ~23 GB) and, at 1M, about 20 minutes here.
set -euo pipefail
build=${1:?usage: bench/run-dossier.sh BUILD}
bin=$build/bench/dossier-bench
sizes=${DOSSIER_BENCH_SIZES:-10000 1000000}
docs=${DOSSIER_BENCH_DOCS:-10}
dir=${DOSSIER_BENCH_DIR:-$build/bench-data}
lists=${DOSSIER_BENCH_LISTS:-2000}
deposits=${DOSSIER_BENCH_DEPOSITS:-1000}
if [ -n "${BENCH_SMOKE:-}" ]; then
        sizes=200 docs=3 lists=50 deposits=20
fi

[ -x "$bin" ] || { echo "$bin: not built (make BUILD=$build bench)" >&2; exit 1; }
mkdir -p "$dir"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)," \
     "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), sqlite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1)"
for n in $sizes; do
        db=$dir/dossier-$n.db
        rm -f "$db" "$db-wal" "$db-shm"
        echo "-- $n dossiers x $docs documents"
        out=$dir/dossier-$n.out
        "$bin" gen --db "$db" --dossiers "$n" --docs "$docs" | tee "$out"
        "$bin" measure --db "$db" --lists "$lists" --deposits "$deposits" | tee -a "$out"
        [ "${DOSSIER_BENCH_KEEP:-0}" = 1 ] || rm -f "$db" "$db-wal" "$db-shm"
        if [ -n "${BENCH_SMOKE:-}" ]; then
                # every line, with the counts asked for and numbers where figures go
                for re in "^gen dossiers=$n docs_per_dossier=$docs seconds=[0-9.]+ " \
                        "^measure dossiers=$n documents=$((n * docs)) audit_entries=[0-9]+ file_bytes=[0-9]+ " \
                        "^measure list n=$lists docs_per_list=[0-9.]+ p50_us=[0-9]+ p99_us=[0-9]+ max_us=[0-9]+$" \
                        "^measure list_threads threads=[0-9]+ n=[0-9]+ per_second=[0-9]+ p50_us=[0-9]+ p99_us=[0-9]+ syncs=[0-9]+ lists_per_sync=[0-9.]+$" \
                        "^measure deposit n=$deposits p50_us=[0-9]+ p99_us=[0-9]+ max_us=[0-9]+$" \
                        "^measure maxrss_kib=[0-9]+$"; do
                        grep -Eq "$re" "$out" || { echo "run-dossier: no line matching $re" >&2; rm -f "$out"; exit 1; }
                done
        fi
        rm -f "$out"
done
