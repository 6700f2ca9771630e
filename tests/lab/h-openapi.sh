#!/bin/bash
# Host test: every route carnetd or carnet-hostd (the dossier host) knows
# is in docs/openapi.yaml, and every operation there is a route one of them
# knows.  A route written with a trailing slash (POST /fhir/R4/, as FHIR
# clients post a transaction) is the operation without it.
set -euo pipefail
host=$("$CARNET_BUILD/carnet-hostd" --list-routes | sort)
[ -n "$host" ] || { echo "carnet-hostd listed no routes"; exit 1; }
server=$({ "$CARNET_BUILD/carnetd" --list-routes; echo "$host"; } | sed 's|\(.\)/$|\1|' | sort -u)
# "  /v1/x:" opens a path, "    get:" an operation under it
spec=$(awk '/^  \/(v1|fhir)/ {p=$1; sub(":$","",p)} /^    (get|post|put|patch|delete):/ {m=$1; sub(":$","",m); print toupper(m) " " p}' docs/openapi.yaml | sort)
[ -n "$server" ] || { echo "carnetd listed no routes"; exit 1; }
if [ "$server" != "$spec" ]; then
        echo "routes and docs/openapi.yaml differ:"
        diff <(echo "$server") <(echo "$spec") || true
        exit 1
fi
echo "$(echo "$server" | wc -l) routes ($(echo "$host" | wc -l) on the dossier host), all documented"
