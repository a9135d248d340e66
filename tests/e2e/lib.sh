# Shared helpers for the process-level tests: a private temporary
# directory removed on exit, and assertions that name what failed.
T=$(mktemp -d /tmp/jad-e2e.XXXXXX)
PIDS=""
cleanup() {
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    [ -n "${KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; }
# jq_num KEY FILE: the integer value of "KEY": in a one-line JSON file
jq_num() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2" | head -1; }

# free_port: a free TCP port on 127.0.0.1
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# pubkey FILE: the Z85 public key in a key file
pubkey() { sed -n 's/^public-key = //p' "$1"; }
# wait_for SECONDS COMMAND...: retry COMMAND every 0.1 s until it succeeds
wait_for() {
    n=$(( $1 * 10 )); shift
    while [ "$n" -gt 0 ]; do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1; n=$((n - 1))
    done
    return 1
}
# make_roster FILE NAME:ROLE:COUNTRY...: keys in $T/keys, roster in FILE
make_roster() {
    out=$1; shift
    {
        echo "operation     Test Operation"
        echo "operation_id  00112233445566778899aabbccddeeff"
        echo "start         2020-11-16T00:00:00Z"
        echo "end           2020-11-22T00:00:00Z"
    } > "$out"
    for spec in "$@"; do
        name=${spec%%:*}; rest=${spec#*:}; role=${rest%%:*}
        case "$rest" in *:*) cc=${rest#*:} ;; *) cc= ;; esac
        [ -f "$T/keys/$name.pub" ] || "$BIN/jad-keygen" "$name" --out "$T/keys" >/dev/null
        echo "participant   $name $role ${cc:--} $(pubkey "$T/keys/$name.pub")" >> "$out"
    done
}
# start_hub: a hub on free ports with $T/roster; sets HUB_EP FEED_EP HUB_PID
start_hub() {
    HUB_PORT=${HUB_PORT:-$(free_port)}; FEED_PORT=${FEED_PORT:-$(free_port)}
    HUB_EP=tcp://127.0.0.1:$HUB_PORT; FEED_EP=tcp://127.0.0.1:$FEED_PORT
    "$BIN/jad-hub" --data "$T/hub" --roster "$T/roster" --key "$T/keys/hub.secret" \
        --listen "$HUB_EP" --publish "$FEED_EP" --log-level info "$@" >>"$T/hub.log" 2>&1 &
    HUB_PID=$!
    PIDS="$PIDS $HUB_PID"
    wait_for 10 test -f "$T/hub/status.json" || fail "hub did not start: $(cat "$T/hub.log")"
}
stop_pid() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null || true; }
