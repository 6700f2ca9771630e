#!/bin/bash
# Lab test: the journey of issue 5 from a small Python client using only
# the standard library (tests/clients/journey.py over
# clients/python/carnet_client: http.client on the Unix socket).  The
# same journey as t-journey-cli.sh (python3 -B -E -s -S: no site-packages,
# so a third-party module could not even be imported); this script only
# starts carnetd and gives journey.py a helper that moves the CPS cards in
# slot 1 (the patient's Carte Vitale stays in slot 0).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

sock=$LAB_DIR/carnetd.sock
carnetd_conf "workstation = lab-ws-1" "database = $LAB_DIR/carnet.db" "rights_table = $top/tests/fixtures/rights-journey.tsv"

# cards.sh doctor|pharmacist|nurse|pull: the CPS card in slot 1
cat >"$LAB_DIR/cards.sh" <<HELPER
#!/bin/bash
set -eu
exec >>"$LAB_DIR/cards.log" 2>&1
. "$top/tests/lab/lib.sh"
case \$1 in
doctor) profile=$CARNET_PKI/cps-rsa.profile ;;
pharmacist) profile=$CARNET_PKI/cps-pharma.profile ;;
nurse) profile=$CARNET_PKI/cps-ec.profile ;;
pull) profile= ;;
*) echo "cards.sh: \$1?"; exit 2 ;;
esac
if [ -e "$LAB_DIR/slot1.pid" ]; then
        sim_stop 1
        wait_card 1 absent
fi
if [ -n "\$profile" ]; then
        sim_start 1 "\$profile"
        wait_card 1 present
fi
HELPER
chmod +x "$LAB_DIR/cards.sh"

sim_start 0 tests/profiles/vitale-family.profile
wait_card 0 present
carnetd_start

rc=0
python3 -B -E -s -S "$top/tests/clients/journey.py" --socket "$sock" --cards "$LAB_DIR/cards.sh" || rc=$?
sim_stop 1
kill "$daemon"
wait "$daemon" || true
if [ "$rc" != 0 ]; then
        echo "--- carnetd log (last lines) ---"
        tail -20 "$LAB_DIR/carnetd.err"
        exit 1
fi
no_pin "$LAB_DIR/carnetd.err"
echo "journey with Python ok"
