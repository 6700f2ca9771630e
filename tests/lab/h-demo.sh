#!/bin/bash
# tests/lab/h-demo.sh (host test; it starts the lab itself, as make demo
# does): what make demo shows.
#
# 1. the demo's build step says one line and keeps the compiler's commands
#    in BUILD/demo-build.log (checked in a copy of the tree and the build
#    with one source touched, so something is really rebuilt);
# 2. tests/demo.sh in the lab, without a terminal, runs to its end; the
#    banner shows the test PIN and the hints for reinserting each card and
#    logging in again; no carnetd log line reaches the terminal (they are
#    in the lab's carnetd.log, which the banner names).
set -euo pipefail
# shellcheck source=tests/lab/host.sh
. "$(dirname "$0")/host.sh"
host_setup demo

# --- 1. the build step, in a copy
src=$tmp/carnet
mkdir "$src"
git ls-files -z --cached --others --exclude-standard | grep -zv '^build' |
        (while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
        tar --null -T - -cf - | tar -xf - -C "$src"
cp -a "$build" "$src/build"
touch "$src/cli/show.c" # carnetctl and the unit programs are relinked
make -C "$src" --no-print-directory _demo_build >"$tmp/build.out" 2>&1 || { cat "$tmp/build.out"; fail "_demo_build"; }
cat "$tmp/build.out"
[ "$(wc -l <"$tmp/build.out")" = 1 ] || fail "the demo's build said more than one line"
grep -q "^demo: building carnet" "$tmp/build.out" || fail "no build line"
grep -q -- "-c cli/show.c" "$src/build/demo-build.log" || fail "the build log lacks the compile of cli/show.c"
echo "quiet build: ok"

# --- 2. the demo itself, no terminal
BUILD=$build tests/lab/lab-run --demo -- tests/demo.sh </dev/null >"$tmp/demo.out" 2>&1 ||
        { cat "$tmp/demo.out"; fail "the demo failed"; }
d=$tmp/demo.out
grep -q "the CPS card's PIN:  1234" "$d" || { cat "$d"; fail "no PIN in the banner"; }
grep -q "sim_cmd 0 remove    then  sim_cmd 0 insert" "$d" || fail "no hint to reinsert the Vitale card"
grep -q "sim_cmd 1 remove .*then  sim_cmd 1 insert" "$d" || fail "no hint to reinsert the CPS card"
grep -q "and log in again:  echo 1234 | carnetctl login --pin-stdin" "$d" || fail "no hint to log in again"
grep -q "carnetd's log: *tail /run/carnet-lab/carnetd.log" "$d" || fail "the banner does not name the log"
grep -q "logged in: LAMBERT CAMILLE" "$d" || { cat "$d"; fail "the demo's login"; }
grep -q "Demo over" "$d" || fail "the demo did not reach its end"
if grep -nE '^<[0-7]>carnetd:|carnetd: (info|error|warning|debug):' "$d"; then
        fail "carnetd's log lines reach the terminal"
fi
echo "demo: banner, PIN, hints, no log lines on the terminal: ok"
