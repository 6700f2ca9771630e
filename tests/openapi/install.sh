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
build=${1:-build}
src=$(cd "$(dirname "$0")" && pwd)
dest=$build/openapi
if [ -x "$dest/node_modules/.bin/redocly" ] && cmp -s "$src/package-lock.json" "$dest/package-lock.json"; then
        echo "deps: OpenAPI tools present ($dest)"
        exit 0
fi
command -v npm >/dev/null || sh "$src/../deps.sh" nodejs npm
command -v npm >/dev/null || { echo "deps: npm is missing (the OpenAPI checks need node >= 18.17 and npm)" >&2; exit 1; }
mkdir -p "$dest"
cp "$src/package.json" "$src/package-lock.json" "$dest/"
echo "deps: installing the OpenAPI tools into $dest"
cd "$dest"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
