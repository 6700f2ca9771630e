#!/bin/bash
# Lab test: the client libraries against carnetd, with the family's Carte
# Vitale (slot 0) and a doctor's CPS (slot 1).  Python: clients/python is
# installed with pip (offline: Debian's setuptools, --no-build-isolation
# --no-index) into a folder of its own, then its unittest suite and its
# examples run from that install.  Node: clients/node's node --test suite
# and its examples, against a fresh carnetd and database.  The examples
# are the snippets of docs/clients.md (tests/lab/h-clients-doc.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
sock=$LAB_DIR/carnetd.sock
py=/usr/bin/python3

# fresh_carnetd NAME: (re)starts carnetd on an empty database NAME.db
fresh_carnetd() {
        if [ -n "${daemon:-}" ]; then
                kill "$daemon"
                wait "$daemon" || true
        fi
        carnetd_conf "workstation = lab-ws-1" "database = $LAB_DIR/$1.db"
        carnetd_start
        cards_ready
}
# example PROGRAM ARGS...: runs an example (stdin as given), its output in $LAB_DIR/out
example() { "$@" >"$LAB_DIR/out" 2>&1 || { echo "$*: failed:"; cat "$LAB_DIR/out"; exit 1; }; }
# has_line WHAT FILE REGEX: FILE has a line matching REGEX
has_line() { grep -qE "$3" "$2" || { echo "$1: no line matching '$3' in:"; cat "$2"; exit 1; }; echo "$1: ok"; }

lab_cards
fresh_carnetd python

# ---- Python: install, then everything from the install (from a copy: a
# build writes build/ and *.egg-info beside the sources)
cp -r "$top/clients/python" "$LAB_DIR/python-src"
"$py" -m pip install -q --no-index --no-build-isolation --no-warn-script-location --target "$LAB_DIR/py" \
        "$LAB_DIR/python-src" 2>&1 | grep -v "as the 'root' user" || true
[ -f "$LAB_DIR/py/carnet_client/__init__.py" ] || { echo "pip did not install carnet_client"; exit 1; }
export PYTHONPATH=$LAB_DIR/py
where=$(cd /tmp && "$py" -B -s -c 'import carnet_client; print(carnet_client.__file__)')
[ "$where" = "$LAB_DIR/py/carnet_client/__init__.py" ] || { echo "carnet_client came from $where"; exit 1; }
echo "python: carnet_client installed by pip: ok"
CARNET_SOCKET=$sock "$py" -B -s -m unittest discover -v -s "$top/clients/python/tests" 2>&1 | tee "$LAB_DIR/unittest.log" | tail -3
grep -q '^OK$' "$LAB_DIR/unittest.log" || { cat "$LAB_DIR/unittest.log"; exit 1; }
# the examples (stdin: the PIN, getpass reads it there without a terminal)
fresh_carnetd python-examples
ex=$top/clients/python/examples
example "$py" -B -s "$ex/bare.py" "$sock"
has_line "bare.py" "$LAB_DIR/out" '^Virtual PCD 00 01 True$'
has_line "bare.py: the error" "$LAB_DIR/out" '^401 no_session$'
example "$py" -B -s "$ex/status.py" "$sock"
has_line "status.py" "$LAB_DIR/out" '^Virtual PCD 00 00: vitale$'
echo 1234 | example "$py" -B -s "$ex/deposit.py" "$sock"
has_line "deposit.py: a new dossier" "$LAB_DIR/out" "^dossier opened; the patient's secret, for the receipt only: [A-Z0-9-]{19}$"
has_line "deposit.py: the alert" "$LAB_DIR/out" '^ALERT interaction .*warfarin'
has_line "deposit.py: the refusal" "$LAB_DIR/out" '^refused by the rules: deny-patient-only$'
echo 1234 | example "$py" -B -s "$ex/deposit.py" "$sock"
! grep -q "dossier opened" "$LAB_DIR/out" || { echo "deposit.py opened the dossier twice"; exit 1; }
has_line "deposit.py again: the dossier exists" "$LAB_DIR/out" '^deposited [0-9a-f]{32}$'
example timeout 20 "$py" -B -s "$ex/events.py" "$sock" 3
[ "$(wc -l <"$LAB_DIR/out")" = 3 ] || { echo "events.py: not 3 lines:"; cat "$LAB_DIR/out"; exit 1; }
has_line "events.py" "$LAB_DIR/out" '^1 (card_inserted|reader_added|pcscd_up) '
unset PYTHONPATH

# ---- Node: the module as it is in the tree (no dependency, nothing to install)
fresh_carnetd node
CARNET_SOCKET=$sock node --test "$top/clients/node/test/" >"$LAB_DIR/node-test.log" 2>&1 ||
        { cat "$LAB_DIR/node-test.log"; exit 1; }
grep -E '^# (tests|pass|fail)' "$LAB_DIR/node-test.log"
grep -q '^# fail 0$' "$LAB_DIR/node-test.log" && ! grep -q '^# pass 0$' "$LAB_DIR/node-test.log"
fresh_carnetd node-examples
ex=$top/clients/node/examples
# the examples require('carnet-client'), found as installed: by NODE_PATH
mkdir -p "$LAB_DIR/node_modules"
ln -s "$top/clients/node" "$LAB_DIR/node_modules/carnet-client"
export NODE_PATH=$LAB_DIR/node_modules
example node "$ex/bare.js" "$sock"
has_line "bare.js" "$LAB_DIR/out" '^Virtual PCD 00 01 true$'
has_line "bare.js: the error" "$LAB_DIR/out" '^401 no_session$'
example node "$ex/status.js" "$sock"
has_line "status.js" "$LAB_DIR/out" '^Virtual PCD 00 00: vitale$'
echo 1234 | example node "$ex/deposit.js" "$sock"
has_line "deposit.js: a new dossier" "$LAB_DIR/out" "^dossier opened; the patient's secret, for the receipt only: [A-Z0-9-]{19}$"
has_line "deposit.js: the alert" "$LAB_DIR/out" '^ALERT interaction .*warfarin'
has_line "deposit.js: the refusal" "$LAB_DIR/out" '^refused by the rules: deny-patient-only$'
example timeout 20 node "$ex/events.js" "$sock" 3
[ "$(wc -l <"$LAB_DIR/out")" = 3 ] || { echo "events.js: not 3 lines:"; cat "$LAB_DIR/out"; exit 1; }
has_line "events.js" "$LAB_DIR/out" '^1 (card_inserted|reader_added|pcscd_up) '

unset NODE_PATH

# ---- curl (bash): the PIN on stdin; run in a folder of its own (it writes copy.pdf)
fresh_carnetd curl
mkdir "$LAB_DIR/curl" && cd "$LAB_DIR/curl"
printf '%%PDF-1.4 carnet test\n' >ordonnance.pdf
echo 1234 | example bash "$top/clients/curl/examples/deposit.sh" "$sock" ordonnance.pdf
has_line "deposit.sh: the dossier" "$LAB_DIR/out" '^\{"ins":"280057512345674","status":"open","secret":'
has_line "deposit.sh: the list" "$LAB_DIR/out" '^\{"ins":"280057512345674","first_search":true,"count":1,'
has_line "deposit.sh: the content" "$LAB_DIR/out" '^200$'
has_line "deposit.sh: read back" "$LAB_DIR/out" '^read back: the same bytes$'
has_line "deposit.sh: the events" "$LAB_DIR/out" '^\{"events":\[\{"id":1,'
cd "$top"

kill "$daemon"
wait "$daemon" || true
no_pin "$LAB_DIR/carnetd.err"
echo "clients ok"
