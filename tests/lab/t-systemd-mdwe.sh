#!/bin/bash
# tests/lab/t-systemd-mdwe.sh: the PKCS#11 stack and carnetd work without
# writable-and-executable memory, as carnetd.service's
# MemoryDenyWriteExecute=yes demands.
#
# systemd enforces that setting with a seccomp filter, which needs a
# system manager; the kernel's own PR_SET_MDWE (Linux 6.3+) refuses the
# same things (a W+X mapping, gaining PROT_EXEC later) and is kept across
# execve, so a tiny python3 wrapper sets it and executes the command.  A
# control first checks that a W+X mapping is really refused.  Then, under
# it: OpenSC's PKCS#11 module lists the simulated CPS, logs in and signs
# (pkcs11-tool, the module dlopen()ed as carnetd does), and carnetd
# serves its status.  Runs inside tests/lab/lab-run with CARNET_PKI set.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }
MODULE=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
W=$LAB_DIR/mdwe
mkdir -p "$W"

cat >"$W/mdwe.py" <<'PY'
# mdwe.py COMMAND...: runs COMMAND with PR_SET_MDWE(PR_MDWE_REFUSE_EXEC_GAIN).
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
    print("PR_SET_MDWE: " + os.strerror(ctypes.get_errno()), file=sys.stderr)
    sys.exit(77)
os.execvp(sys.argv[1], sys.argv[1:])
PY
cat >"$W/wx.py" <<'PY'
# wx.py: exit 0 when a writable and executable anonymous mapping is refused.
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
p = libc.mmap(None, 4096, 7, 0x22, -1, 0)  # PROT_READ|WRITE|EXEC, MAP_PRIVATE|ANONYMOUS
sys.exit(0 if p in (None, ctypes.c_void_p(-1).value) else 1)
PY
mdwe() { python3 "$W/mdwe.py" "$@"; }

rc=0
mdwe true 2>"$W/prctl.err" || rc=$?
if [ "$rc" = 77 ]; then
        echo "skipped: this kernel ($(uname -r)) has no PR_SET_MDWE ($(cat "$W/prctl.err"))"
        exit 0
fi
[ "$rc" = 0 ] || fail "the MDWE wrapper failed ($rc)"
python3 "$W/wx.py" && fail "control: W+X mapping refused even without MDWE"
mdwe python3 "$W/wx.py" || fail "control: W+X mapping allowed under MDWE: the wrapper does not work"
echo "ok: control: a W+X mapping is refused under the wrapper, allowed without it"

sim_start 1 "$CARNET_PKI/cps-rsa.profile"
wait_card 1 present
p11() { mdwe pkcs11-tool --module "$MODULE" "$@"; }
p11 -L >"$W/slots" 2>&1 || { cat "$W/slots"; fail "pkcs11-tool -L under MDWE"; }
grep -q "token label" "$W/slots" || { cat "$W/slots"; fail "no token seen under MDWE"; }
printf 'carnet lab: MDWE\n' >"$W/doc"
p11 --sign -m SHA256-RSA-PKCS --id 01 --pin 1234 -i "$W/doc" -o "$W/sig" >"$W/sign.log" 2>&1 ||
        { cat "$W/sign.log"; fail "signature under MDWE"; }
[ "$(stat -c %s "$W/sig")" = 256 ] || fail "signature is $(stat -c %s "$W/sig") bytes, expected 256"
echo "ok: OpenSC's PKCS#11 module lists the CPS, logs in and signs under MDWE"

sock=$LAB_DIR/carnetd.sock
python3 "$W/mdwe.py" "$CARNET_BUILD/carnetd" --socket "$sock" 2>"$W/carnetd.err" &
daemon=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
# the wrapper exec()ed carnetd in its own process, MDWE and all
[ "$(cat /proc/$daemon/comm)" = carnetd ] || fail "process $daemon is not carnetd"
"$CARNET_BUILD/carnetctl" --socket "$sock" status >"$W/status" || { cat "$W/carnetd.err"; fail "carnetd under MDWE"; }
grep -Eq '^  Virtual PCD 00 01 +card present' "$W/status" || { cat "$W/status"; fail "card not seen by carnetd under MDWE"; }
kill -TERM "$daemon"
wait "$daemon" || fail "carnetd under MDWE exited with $?"
echo "ok: carnetd serves under MDWE"
