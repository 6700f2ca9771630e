#!/bin/sh
# tests/npm-ci.sh SRC DEST WHAT: installs the npm packages pinned by
# SRC/package.json and SRC/package-lock.json into DEST with 'npm ci' (no
# scripts run).  A no-op, without network, when DEST holds that very lock
# installed already.  Needs node and npm: Debian 12's nodejs and npm are
# installed when there is no npm (a machine with another Node.js and its
# npm keeps them).  WHAT names the tools in messages.  Used by
# tests/openapi/install.sh and tests/fhir/install.sh.
set -eu
src=$1 dest=$2 what=$3
if [ -f "$dest/node_modules/.package-lock.json" ] && cmp -s "$src/package-lock.json" "$dest/package-lock.json"; then
        echo "deps: $what present ($dest)"
        exit 0
fi
command -v npm >/dev/null || sh "$(dirname "$0")/deps.sh" nodejs npm
command -v npm >/dev/null || { echo "deps: npm is missing ($what need node and npm)" >&2; exit 1; }
mkdir -p "$dest"
cp "$src/package.json" "$src/package-lock.json" "$dest/"
echo "deps: installing $what into $dest"
cd "$dest"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
