#!/bin/bash
# Host test: the shipped carnetd holds no test seam.  Tests build their own
# fixtures (a session table of their own through api_context.find_session,
# say); a function or variable named for tests that is linked into the
# product is a way around its checks.  Every symbol nm lists counts, so a
# libc or library symbol with "test" in its name would need the list
# restricted to carnet's own objects (nm --defined-only): none does today.
set -euo pipefail
bin="$CARNET_BUILD/carnetd"
[ -x "$bin" ] || { echo "no $bin"; exit 1; }
syms=$(nm "$bin") || { echo "nm could not read $bin (stripped?)"; exit 1; }
[ -n "$syms" ] || { echo "nm listed no symbols in $bin"; exit 1; }
seams=$(echo "$syms" | awk '{print $NF}' | grep -i test || true)
if [ -n "$seams" ]; then
        echo "test seams linked into carnetd:"
        echo "$seams"
        exit 1
fi
echo "$(echo "$syms" | wc -l) symbols, none a test seam"
