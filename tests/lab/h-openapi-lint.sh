#!/bin/bash
# Host test: docs/openapi.yaml is a valid OpenAPI 3.0 document by Redocly's
# validator (@redocly/cli, the version pinned in tests/openapi/package.json,
# installed by 'make deps' into $CARNET_BUILD/openapi): no error with its
# recommended rules (warnings are shown, not counted).  Offline: telemetry
# and the update check are off.
set -euo pipefail
redocly=$CARNET_BUILD/openapi/node_modules/.bin/redocly
[ -x "$redocly" ] || { echo "no $redocly: run 'make deps'"; exit 1; }
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
out=$("$redocly" lint --format stylish docs/openapi.yaml 2>&1) && rc=0 || rc=$?
echo "$out" | grep -v '[║╔╚]' | sed '/^$/d'
[ "$rc" = 0 ] || { echo "redocly lint: docs/openapi.yaml is not valid"; exit 1; }
echo "$out" | grep -q 'Your API description is valid' || { echo "redocly lint said nothing about validity"; exit 1; }
echo "redocly $("$redocly" --version 2>/dev/null | tail -1): docs/openapi.yaml valid"
