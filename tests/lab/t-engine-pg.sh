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
for t in test-dossier test-dossier-file test-dossier-rules test-dossier-calendar test-dossier-revision \
        test-dossier-threads test-dossier-concurrent test-audit test-attempts test-crash test-host-sessions; do
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

# The least-privilege roles of docs/operations.md: data/postgresql-setup.sql
# (as the cluster's superuser), the owner migrates at its first open,
# data/postgresql-grants.sql, then the runtime role works every table but
# cannot rewrite the trail, nor migrate an empty database.
roles=$CARNET_BUILD/lab/store-roles
super="host=$pgdir dbname=postgres user=carnet"
owner="host=$pgdir dbname=carnet_roles user=carnet_owner"
runtime="host=$pgdir dbname=carnet_roles user=carnet_runtime"
psql "$super" -q -v ON_ERROR_STOP=1 -v dbname=carnet_roles -f "$top/data/postgresql-setup.sql" >"$LAB_DIR/setup.log" 2>&1 ||
        { cat "$LAB_DIR/setup.log"; fail "postgresql-setup.sql"; }
check "the runtime role cannot migrate" "$("$roles" "$runtime" open || true)" 'open: Permission denied'
check "the owner migrates" "$("$roles" "$owner" open)" 'open: ok'
psql "$owner" -q -v ON_ERROR_STOP=1 -f "$top/data/postgresql-grants.sql" >"$LAB_DIR/grants.log" 2>&1 ||
        { cat "$LAB_DIR/grants.log"; fail "postgresql-grants.sql"; }
out=$("$roles" "$runtime" engine) || { echo "$out"; fail "the runtime role cannot run the engine"; }
check "the runtime role runs the engine" "$(echo "$out" | grep -vc ': ok$' || true)" 0
check "the runtime role cannot rewrite the trail" "$("$roles" "$runtime" rewrite || true)" \
        $'open: ok\nupdate audit: Permission denied\ndelete audit: Permission denied'
check "the trail kept its entries" "$(psql "$owner" -Atc 'SELECT count(*), count(*) FILTER (WHERE workstation = '"'ws-roles'"') FROM audit')" '[1-9]*|[1-9]*'
echo "engine on PostgreSQL ok"
