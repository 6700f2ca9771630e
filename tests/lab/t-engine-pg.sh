#!/bin/bash
# Lab test: the dossier engine on PostgreSQL. A private cluster
# (tests/pg-cluster.sh: initdb as nobody, a Unix socket in $LAB_DIR only)
# runs for the test and is stopped whatever happens; the engine's unit
# test programs then run with CARNET_TEST_PG set, each test on a fresh
# schema of that database: the same rules, decisions and audit chain as on
# SQLite, the secret-guessing brake in the store, and several engines
# (connections) writing one dossier at once. Tests that only make sense on
# SQLite (old files, corrupt files) say SKIP. Fails if any program fails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
pgdir=$LAB_DIR/pg
trap '"$top/tests/pg-cluster.sh" stop "$pgdir"' EXIT
conninfo=$("$top/tests/pg-cluster.sh" start "$pgdir")
echo "cluster: $conninfo"
export CARNET_TEST_PG=$conninfo

failed=""
for t in test-dossier test-dossier-rules test-dossier-threads test-dossier-concurrent test-audit test-attempts \
        test-crash; do
        bin=$CARNET_BUILD/unit/$t
        [ -x "$bin" ] || fail "$bin is missing (make -j2 first)"
        if (cd "$top" && "$bin") >"$LAB_DIR/$t.log" 2>&1; then
                echo "$t: ok ($(grep -c '^\[       OK \]' "$LAB_DIR/$t.log") passed," \
                        "$(grep -c '^SKIP:' "$LAB_DIR/$t.log" || true) skipped)"
        else
                echo "$t: FAILED"
                cat "$LAB_DIR/$t.log"
                failed="$failed $t"
        fi
done
# the tests ran on PostgreSQL, not on files (this one skips on SQLite)
grep -q '^\[       OK \] test_pg_schema' "$LAB_DIR/test-audit.log" || fail "test_pg_schema did not run on PostgreSQL"
[ -z "$failed" ] || fail "on PostgreSQL:$failed"
echo "engine on PostgreSQL ok"
