# tests/lab/lib.sh: helpers for commands run inside tests/lab/lab-run.
# Needs LAB_DIR and CARNET_BUILD (set by lab-run).

LAB_READER0="Virtual PCD 00 00"
LAB_READER1="Virtual PCD 00 01"

# sim_start SLOT PROFILE [cardsim options...]: starts a simulated card on
# slot 0 or 1; its control FIFO is $LAB_DIR/slotN.ctl and its APDU log
# $LAB_DIR/slotN.apdu.
sim_start() {
        local slot=$1 profile=$2
        shift 2
        "$CARNET_BUILD/carnet-cardsim" --profile "$profile" --port $((35963 + slot)) \
                --control "$LAB_DIR/slot$slot.ctl" --log "$LAB_DIR/slot$slot.apdu" "$@" \
                2>>"$LAB_DIR/slot$slot.err" &
        echo $! >"$LAB_DIR/slot$slot.pid"
        # wait for the FIFO so that sim_cmd cannot race the start
        local i
        for i in $(seq 1 100); do
                [ -p "$LAB_DIR/slot$slot.ctl" ] && return 0
                kill -0 "$(cat "$LAB_DIR/slot$slot.pid")" 2>/dev/null || break
                sleep 0.05
        done
        echo "sim_start: simulator on slot $slot did not start:" >&2
        cat "$LAB_DIR/slot$slot.err" >&2
        return 1
}

# sim_cmd SLOT COMMAND: insert | remove | pull-after N | quit
sim_cmd() {
        local slot=$1
        shift
        echo "$*" >"$LAB_DIR/slot$slot.ctl"
}

# sim_stop SLOT: ends the simulator (the card is removed).
sim_stop() {
        local pid
        pid=$(cat "$LAB_DIR/slot$1.pid" 2>/dev/null) || return 0
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        rm -f "$LAB_DIR/slot$1.pid" "$LAB_DIR/slot$1.ctl"
}

# apdu_count SLOT: how many command APDUs the card on SLOT has received.
apdu_count() {
        grep -c "^>" "$LAB_DIR/slot$1.apdu" 2>/dev/null || true
}

# wait_card SLOT present|absent [SECONDS]: waits for pcscd to see it.
wait_card() {
        local reader
        [ "$1" = 0 ] && reader=$LAB_READER0 || reader=$LAB_READER1
        "$CARNET_BUILD/lab/lab-pcsc" wait "$reader" "$2" "${3:-10}"
}

lab_wait_pcscd() {
        local i
        for i in $(seq 1 100); do
                [ -S /run/pcscd/pcscd.comm ] && "$CARNET_BUILD/lab/lab-pcsc" list >/dev/null 2>&1 && return 0
                sleep 0.1
        done
        return 1
}
