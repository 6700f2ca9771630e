# tests/lab/session-probe.sh: drives tests/lab/session-probe.c from a lab
# test (sourced by t-session.sh and t-session-cache.sh, after lib.sh; CA
# is the trust anchors' PEM).

# probe_start [IDLE]: starts session-probe as a coprocess, waits for "ready"
probe_start() {
        coproc PROBE { "$CARNET_BUILD/lab/session-probe" "$CA" "${1:-600}" 2>>"$LAB_DIR/probe.err"; }
        local line
        read -r -t 20 line <&"${PROBE[0]}" || { echo "probe: no answer"; cat "$LAB_DIR/probe.err"; exit 1; }
        [ "$line" = ready ] || { echo "probe: $line"; exit 1; }
}
# probe CMD: sends a command, prints the answer
probe() {
        local line
        echo "$1" >&"${PROBE[1]}"
        read -r -t 30 line <&"${PROBE[0]}" || { echo "probe: no answer to '$1'" >&2; cat "$LAB_DIR/probe.err" >&2; return 1; }
        echo "$line"
}
probe_stop() {
        echo quit >&"${PROBE[1]}"
        wait "$PROBE_PID" || { echo "probe exited with $?"; exit 1; }
}
expect() { # expect WHAT GOT PATTERN
        [[ $2 == $3 ]] || { echo "$1: got '$2', expected '$3'"; exit 1; }
        echo "$1: ok"
}
