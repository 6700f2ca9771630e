#!/bin/sh
# tests/deps.sh PKG...: installs the Debian packages that are missing.
# A no-op (and no network) when every package is already installed.
set -eu
missing=""
for p in "$@"; do
        st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        case "$st" in
        *" installed") ;;
        *) missing="$missing $p" ;;
        esac
done
if [ -z "$missing" ]; then
        echo "deps: all $# packages present"
        exit 0
fi
if [ "$(id -u)" != 0 ]; then
        echo "deps: missing packages:$missing" >&2
        echo "deps: run 'make deps' as root to install them" >&2
        exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
