#!/bin/sh
# tests/openapi/install.sh BUILD: installs the pinned OpenAPI tools of
# tests/openapi/package.json (the validator @redocly/cli; ajv and
# ajv-formats for tests/openapi/check-responses.js) into BUILD/openapi/
# with 'npm ci' from the committed package-lock.json.  Run by 'make deps';
# a no-op (and no network) when that lock is installed already.  Needs
# node >= 18.17 and npm: Debian 12's nodejs and npm are installed when
# there is no npm (a machine with another Node.js and its npm keeps them).
# Every package of the lock accepts node 18.17 (jsep is held at 1.4.0 by
# an override for that).
set -eu
src=$(cd "$(dirname "$0")" && pwd)
exec sh "$src/../npm-ci.sh" "$src" "${1:-build}/openapi" "the OpenAPI tools"
