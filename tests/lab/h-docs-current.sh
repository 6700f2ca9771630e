#!/bin/bash
# tests/lab/h-docs-current.sh (host test, outside the lab): the docs
# describe what the code does today.
#
# 1. every man page passes `mandoc -Tlint -Wstyle` with nothing to say
#    (no error, warning or style message), as written and as installed with
#    PREFIX=/usr (make install rewrites their paths);
# 2. README.md, docs/ and man/ hold none of the phrases that promise work
#    instead of describing it ("when it lands", "the work to come"...);
# 3. docs/operations.md says where real trust anchors come from (IGC-Santé)
#    and which PKCS#11 module real CPS3/CPS4 cards use (the national module
#    or OpenSC's iasecc driver).
set -euo pipefail
# shellcheck source=tests/lab/host.sh
. "$(dirname "$0")/host.sh"
host_setup docs
command -v mandoc >/dev/null || fail "mandoc not installed (make deps)"

# --- 1. mandoc, as written and as installed
pages=(man/*.[158])
[ ${#pages[@]} -ge 3 ] || fail "man pages missing: ${pages[*]}"
mandoc -Tlint -Wstyle "${pages[@]}" >"$tmp/lint" 2>&1 || true
[ ! -s "$tmp/lint" ] || { cat "$tmp/lint"; fail "mandoc -Tlint on man/"; }
make -s --no-print-directory BUILD="$build" -o "$build/carnetd" -o "$build/carnetctl" \
        install PREFIX=/usr DESTDIR="$tmp/root" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "make install"; }
mandoc -Tlint -Wstyle "$tmp"/root/usr/share/man/man*/* >"$tmp/lint" 2>&1 || true
[ ! -s "$tmp/lint" ] || { cat "$tmp/lint"; fail "mandoc -Tlint on the installed pages"; }
echo "mandoc -Tlint -Wstyle: nothing to say on ${#pages[@]} pages, as written and installed"

# --- 2. no promises
if grep -rniE "when it lands|the work to come|with the configuration work|once it lands|not implemented yet" \
        README.md docs man >"$tmp/promises"; then
        cat "$tmp/promises"
        fail "docs describe work to come"
fi
echo "no promises in README.md, docs/, man/"

# --- 3. real cards and their PKI
grep -q "IGC-Santé" docs/operations.md || fail "operations.md: no IGC-Santé"
grep -q "national health PKI" docs/operations.md || fail "operations.md: the national health PKI"
grep -q "CPS3 and CPS4" docs/operations.md || fail "operations.md: CPS3/CPS4"
grep -q "national PKCS#11" docs/operations.md || fail "operations.md: the national PKCS#11 module"
grep -q "iasecc" docs/operations.md || fail "operations.md: OpenSC's iasecc driver"
echo "operations.md: trust anchors and modules for real cards"
