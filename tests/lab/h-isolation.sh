#!/bin/bash
# Host test (run outside the lab, by tests/run-lab.sh): lab-run leaves
# nothing behind on the host, whether its command succeeds, fails, leaves
# children running, or lab-run itself is killed with SIGKILL.
set -euo pipefail
here=$(dirname "$0")
profile=tests/profiles/vitale-family.profile

# Every process these labs start inherits this tag in its environment, so
# that the count below sees only this test's labs, not others running on
# the same machine at the same time.  Only the labs get it, not this shell.
tag=isolation-$$
lab() { CARNET_LAB_TAG=$tag "$here/lab-run" "$@"; }
tagged() { # tagged: processes of ours still alive, by name
        grep -lz "^CARNET_LAB_TAG=$tag\$" /proc/[0-9]*/environ 2>/dev/null |
                sed 's|/environ||' | while read -r d; do cat "$d/comm" 2>/dev/null; done | sort | tr '\n' ' '
}
snapshot() {
        echo "ours: [$(tagged)]"
        ls -d /run/pcscd 2>/dev/null || echo "no /run/pcscd"
}

before=$(snapshot)

# 1. a command that leaves a child behind
lab --slot0 "$profile" -- bash -c 'exec -a carnet-lab-marker sleep 1000 & exit 0'
# 2. a failing command: its exit status comes through
set +e
lab --slot0 "$profile" -- bash -c 'exit 7' 2>/dev/null
rc=$?
set -e
[ "$rc" = 7 ] || { echo "exit status $rc, expected 7"; exit 1; }
# 3. lab-run killed outright while its command runs
# (a simple command, so that $! is lab-run itself, which becomes unshare)
CARNET_LAB_TAG=$tag "$here/lab-run" --slot0 "$profile" -- bash -c 'exec -a carnet-lab-marker sleep 1000' &
victim=$!
for _ in $(seq 100); do pgrep -f carnet-lab-marker >/dev/null && break; sleep 0.1; done
pgrep -f carnet-lab-marker >/dev/null || { echo "lab command did not start"; exit 1; }
kill -KILL "$victim"
wait "$victim" 2>/dev/null || true
for _ in $(seq 50); do [ -z "$(tagged)" ] && break; sleep 0.1; done

after=$(snapshot)
if [ "$before" != "$after" ]; then
        echo "the lab left traces on the host:"
        echo "before: $before"
        echo "after:  $after"
        exit 1
fi
echo "nothing leaked: $after" | tr '\n' ' '
echo
