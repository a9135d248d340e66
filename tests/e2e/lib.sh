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
free_port() { "$BIN/jad-probe" port; }
# pubkey FILE: the Z85 public key in a key file
pubkey() { sed -n 's/^public-key = //p' "$1"; }
# wait_for SECONDS COMMAND...: retry COMMAND every 0.25 s until it succeeds
# (each try of a status command starts an ASan program: polling faster
# costs the other tests running beside it more CPU than it saves)
wait_for() {
    deadline=$(( $(date +%s) + $1 )); shift
    while :; do
        if "$@" >/dev/null 2>&1; then return 0; fi
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.25
    done
}
# make_roster FILE NAME:ROLE:COUNTRY...: keys in $T/keys, roster in FILE;
# each participant line carries the CURVE key, signing key and key id of
# $T/keys/NAME.pub.
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
        pub=$T/keys/$name.pub
        echo "participant   $name $role ${cc:--} $(pubkey "$pub")" \
            "$(sed -n 's/^sign-public-key = //p' "$pub")" \
            "$(sed -n 's/^key-id = //p' "$pub")" >> "$out"
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

# start_agent CC: the daemon for agent-cc (country CC), data in $T/agents/CC
start_agent() {
    cc=$1; name=agent-$(echo "$cc" | tr 'A-Z' 'a-z')
    mkdir -p "$T/agents"
    "$BIN/jad-agent" run --data "$T/agents/$cc" --country "$cc" \
        --key "$T/keys/$name.secret" --hub-key "$T/keys/hub.pub" \
        --hub "$HUB_EP" --feed "$FEED_EP" >>"$T/$name.log" 2>&1 &
    eval "AGENT_$cc=$!"
    PIDS="$PIDS $!"
}
agent_pid() { eval "echo \$AGENT_$1"; }
# reports CC PREFIX FROM TO: JSON lines with refs PREFIX-FROM..PREFIX-TO
reports() {
    awk -v cc="$1" -v p="$2" -v a="$3" -v b="$4" 'BEGIN { for (i = a; i <= b; i++)
        printf "{\"type\":\"checks\",\"country\":\"%s\",\"parcels\":%d,\"ref\":\"%s-%d\"}\n", cc, i, p, i }'
}
# submit CC: submit stdin through agent CC's outbox; fails unless all accepted
submit() {
    "$BIN/jad-agent" submit --data "$T/agents/$1" --country "$1" - > "$T/submit.out" \
        || fail "submit $1: $(grep -v accepted "$T/submit.out" | head -5)"
}
# converged N CC...: the hub holds N entries, every outbox is empty and
# every mirror holds N entries
converged() {
    n=$1; shift
    "$BIN/jad-hub" status --data "$T/hub" --json > "$T/hubst" 2>/dev/null || return 1
    [ "$(jq_num head_seq "$T/hubst")" = "$n" ] || return 1
    for cc in "$@"; do
        "$BIN/jad-agent" status --data "$T/agents/$cc" --json > "$T/agst" 2>/dev/null || return 1
        [ "$(jq_num outbox_depth "$T/agst")" = 0 ] || return 1
        [ "$(jq_num mirror_seq "$T/agst")" = "$n" ] || return 1
    done
}
# wait_converged SECONDS N CC...: converged, or fail with the state
wait_converged() {
    secs=$1; shift
    wait_for "$secs" converged "$@" && return 0
    echo "hub: $(cat "$T/hubst" 2>/dev/null)" >&2
    for cc in $(echo "$@" | cut -d' ' -f2-); do
        echo "$cc: $("$BIN/jad-agent" status --data "$T/agents/$cc" --json 2>&1)" >&2
    done
    tail -20 "$T/hub.log" >&2
    fail "not converged on $1 entries within $secs s"
}
# exactly_once N CC...: the hub's journal has N entries, each ref exactly
# once, and every mirror equals it entry for entry
exactly_once() {
    n=$1; shift
    "$BIN/jad-journal" dump --data "$T/hub/journal" > "$T/hub.dump" || fail "dump hub"
    expect_eq "$(wc -l < "$T/hub.dump")" "$n" "hub entries"
    dups=$(grep -o '"ref":"[^"]*"' "$T/hub.dump" | sort | uniq -d | head -3)
    [ -z "$dups" ] || fail "duplicated reports: $dups"
    expect_eq "$(grep -o '"ref":"[^"]*"' "$T/hub.dump" | sort -u | wc -l)" "$n" "distinct refs"
    for cc in "$@"; do
        "$BIN/jad-journal" dump --data "$T/agents/$cc/mirror" > "$T/m.dump" || fail "dump $cc"
        cmp -s "$T/hub.dump" "$T/m.dump" || fail "mirror $cc differs from the hub's journal"
    done
}
# sim_op [ARGS...]: $T/op, the data directory of a finished `jad-sim run
# tests/data/armstrong-vii.jsonl ARGS` (hub journal, mirrors, keys, roster,
# logs).  The simulation runs once per set of ARGS and test run (tests/run.sh
# sets JAD_FIXTURES; alone, a test makes its own), under a lock so tests
# running side by side wait for the one that makes it; each test gets a
# copy.  Every process of the simulation has stopped when it is copied.
sim_op() {
    fx=${JAD_FIXTURES:-$T/fixtures}
    mkdir -p "$fx"
    key=sim-$(echo "$*" | cksum | cut -d' ' -f1)
    (
        flock 9
        if [ ! -f "$fx/$key.done" ]; then
            rm -rf "$fx/$key"
            "$BIN/jad-sim" run tests/data/armstrong-vii.jsonl --data "$fx/$key" "$@" \
                > "$fx/$key.log" 2>&1 && touch "$fx/$key.done"
        fi
    ) 9> "$fx/$key.lock"
    [ -f "$fx/$key.done" ] || fail "jad-sim $*: $(tail -3 "$fx/$key.log")"
    cp -a "$fx/$key" "$T/op"
}
