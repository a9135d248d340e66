# Field harness: several hosts on bad links, on one machine (issue 7).
# Sourced by tests/e2e/5x-field-*.sh and bench/field/run.sh after BIN is
# set; sources tests/e2e/lib.sh.  See tests/field/README.md.
#
# The network, all inside network namespaces this run creates (names carry
# the shell's pid, so runs never meet) — nothing is added to the root
# namespace:
#
#     jadfPID-sw   "the switch": bridge br0, one port p-NAME per host
#     jadfPID-hub  the hub's host, eth0 = NET.1
#     jadfPID-cc   one per agent (cc = its country, lower case), eth0 =
#                  NET.11, NET.12, ...; lo up (the delay relay listens there)
#
# joined by veth pairs (p-NAME in the switch, eth0 in the host) in the
# private 10.213.X.0/24 (NET), X from the pid.  jad-hub runs in the hub's
# namespace bound to NET.1:7401/7402, each jad-agent in its own namespace;
# the files ($T) are shared, so `jad-agent submit`, `status` and the
# journal dumps run from here as they would on each host.
#
# Link impairments (on the path between a host and the switch):
#   field_loss PCT WHO...     nftables on the receiving host's input hook,
#                             both ends; field_loss_clear heals
#   field_slow RATE WHO...    tc tbf on both ends' egress; field_slow_clear
#   field_delay MS JIT CC...  jad-delay relays in each agent's namespace
#                             (before field_start); field_delay_heal
#   field_cut WHO... / field_heal WHO...   the switch port down / up
#   field_flap SECS DOWN UP WHO...         down/up cycles for SECS seconds
# WHO is a country code or "hub".
#
# A trap stops every process started here (by pid, then `ip netns pids`
# for stragglers) and deletes every namespace, on success, failure and
# interrupt.  If this machine does not allow namespaces (not root, or a
# container without CAP_SYS_ADMIN) or lacks a tool a case needs, the case
# prints "SKIP: <reason>" and exits 77; any other failure is a failure.

# FIELD_ROOT: the source tree (default: two levels above the script that
# sources this file, which is where tests/e2e/NN-*.sh and bench/field/run.sh
# live).
FIELD_ROOT=${FIELD_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$FIELD_ROOT/tests/e2e/lib.sh"
# Our own temporary directory's name, so a field run's leftovers (KEEP=1)
# say what they are; lib.sh's cleanup removes whatever $T is.
rmdir "$T"
T=$(mktemp -d /tmp/jad-field.XXXXXX)

FIELD_ID=jadf$$
FIELD_NET=10.213.$(( $$ % 250 + 1 ))
FIELD_HUB_ADDR=$FIELD_NET.1
FIELD_NS=""             # namespaces created, deleted by the trap
FIELD_PIDS=""           # daemons and relays, stopped by the trap
FIELD_FEEDERS=""        # background submitters, each its own process group
FIELD_AGENTS=""         # country codes, in order
FIELD_HEAL_T=""         # when the links last healed (field_now)
FIELD_WATCHDOG=""
FIELD_CLEANED=""

# Seconds since boot (CLOCK_BOOTTIME): durations that a wall-clock step
# cannot bend.
field_now() { cut -d' ' -f1 /proc/uptime; }
field_secs() { cut -d. -f1 /proc/uptime; }
# field_since T0: seconds since T0 with one decimal
field_since() { awk -v a="$1" -v b="$(field_now)" 'BEGIN { printf "%.1f", b - a }'; }
field_log() { echo "[$(date +%T)] $*"; }

field_skip() { echo "SKIP: $*"; exit 77; }

# field_ns WHO: the namespace of a host (country code or "hub") or "sw"
field_ns() { echo "$FIELD_ID-$(echo "$1" | tr 'A-Z' 'a-z')"; }
# field_port WHO: the switch's port towards WHO
field_port() { echo "p-$(echo "$1" | tr 'A-Z' 'a-z')"; }
field_in() { ns=$(field_ns "$1"); shift; ip netns exec "$ns" "$@"; }

# A process's state letter from /proc, empty once gone.  Alive is any
# state but Z and X: a sanitizer's leak check at exit ptrace-stops the
# process (t) for a moment, and it is not gone then.
s_field_state() { sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null; }
field_alive() {
    st=$(s_field_state "$1")
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Stop PIDS: TERM, up to 15 s (ASan's leak check at exit takes a while),
# then KILL; reaped in every case.
s_field_stop() {
    for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
    end=$(( $(field_secs) + 15 ))
    for p in "$@"; do
        while field_alive "$p" && [ "$(field_secs)" -lt "$end" ]; do sleep 0.1; done
        field_alive "$p" && kill -KILL "$p" 2>/dev/null
    done
    for p in "$@"; do wait "$p" 2>/dev/null || true; done
}

# Stop the feeders PGIDS (field_feed): each is a process group — the
# feeding shell and its `jad-agent submit`, which must not outlive $T.
# TERM to the whole group, up to 15 s, then KILL; the shells reaped.
s_field_stop_groups() {
    for g in "$@"; do
        # (no group yet if setsid has not run: the process alone)
        kill -TERM -- "-$g" 2>/dev/null || kill -TERM "$g" 2>/dev/null || true
    done
    end=$(( $(field_secs) + 15 ))
    for g in "$@"; do
        while s_field_group_alive "$g" && [ "$(field_secs)" -lt "$end" ]; do sleep 0.1; done
        s_field_group_alive "$g" && kill -KILL -- "-$g" 2>/dev/null
    done
    for g in "$@"; do wait "$g" 2>/dev/null || true; done
    # The group's other members (children of the reaped shell) are gone
    # only when nothing of it is alive.
    for g in "$@"; do
        while s_field_group_alive "$g" && [ "$(field_secs)" -lt "$end" ]; do sleep 0.1; done
    done
}
# s_field_group_alive PGID: some process of the group is alive (not a zombie)
s_field_group_alive() {
    for q in $(pgrep -g "$1" 2>/dev/null); do field_alive "$q" && return 0; done
    field_alive "$1"
}

field_cleanup() {
    [ -n "$FIELD_CLEANED" ] && return 0
    FIELD_CLEANED=1
    set +e      # every step runs, whatever failed before it
    if [ -n "$FIELD_WATCHDOG" ]; then
        kill -TERM "$FIELD_WATCHDOG" 2>/dev/null; wait "$FIELD_WATCHDOG" 2>/dev/null
    fi
    # shellcheck disable=SC2086
    s_field_stop_groups $FIELD_FEEDERS
    # shellcheck disable=SC2086
    s_field_stop $FIELD_PIDS
    for ns in $FIELD_NS; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    done
    for ns in $FIELD_NS; do ip netns del "$ns" 2>/dev/null; done
    left=$(ip netns list 2>/dev/null | grep -c "^$FIELD_ID-" || true)
    [ "$left" = 0 ] || echo "field: $left namespaces of $FIELD_ID could not be removed" >&2
    cleanup     # lib.sh: its own processes, then $T
}
trap 'rc=$?; field_cleanup; exit $rc' EXIT
trap 'field_cleanup; exit 130' INT
trap 'field_cleanup; exit 143' TERM

# field_limit SECONDS: the case fails (and cleans up) after SECONDS
field_limit() {
    (
        trap 'kill "$sp" 2>/dev/null; exit 0' TERM
        sleep "$1" & sp=$!
        wait "$sp" && { echo "FAIL: over the $1 s limit" >&2; kill -TERM $$; }
    ) &
    FIELD_WATCHDOG=$!
}

# s_field_add_ns NAME: a namespace with lo up, remembered for the trap;
# 1 with the error in $err
s_field_add_ns() {
    err=$(ip netns add "$1" 2>&1) || return 1
    FIELD_NS="$FIELD_NS $1"
    ip -n "$1" link set lo up
}

# field_probe [nft] [tc]: SKIP (exit 77) unless this machine lets us make
# namespaces, a bridge and veth pairs — and, when asked, nftables rules
# and tc qdiscs inside them.  Makes the switch namespace on the way.
# Namespaces are refused to a user who is not root, and to root in a
# container without CAP_SYS_ADMIN ("Operation not permitted"): SKIP; any
# other `ip netns add` failure as root is a broken machine or harness: FAIL.
field_probe() {
    command -v ip >/dev/null 2>&1 || field_skip "ip (iproute2) is not installed"
    for tool in setsid pgrep; do
        command -v $tool >/dev/null 2>&1 || field_skip "$tool is not installed"
    done
    for tool in "$@"; do
        case $tool in
            nft) command -v nft >/dev/null 2>&1 || field_skip "nft (nftables) is not installed" ;;
            tc)  command -v tc >/dev/null 2>&1 || field_skip "tc (iproute2) is not installed" ;;
        esac
    done
    sw=$(field_ns sw)
    if ! s_field_add_ns "$sw"; then
        [ "$(id -u)" = 0 ] || field_skip "not root: cannot create a network namespace (ip netns add): $err"
        case $err in
            *"Operation not permitted"*|*"Permission denied"*)
                field_skip "not allowed to create a network namespace (no CAP_SYS_ADMIN?): $err" ;;
        esac
        fail "ip netns add $sw (as root): $err"
    fi
    err=$(ip -n "$sw" link add br0 type bridge forward_delay 0 2>&1) \
        || field_skip "cannot create a bridge in a namespace: $err"
    ip -n "$sw" link set br0 up
    err=$(ip -n "$sw" link add probe0 type veth peer name probe1 2>&1) \
        || field_skip "cannot create a veth pair in a namespace: $err"
    ip -n "$sw" link del probe0
    for tool in "$@"; do
        case $tool in
            nft)
                err=$(ip netns exec "$sw" nft add table inet jadprobe 2>&1) \
                    || field_skip "cannot add an nftables table in a namespace: $err"
                ip netns exec "$sw" nft delete table inet jadprobe ;;
            tc)
                err=$(ip netns exec "$sw" tc qdisc add dev br0 root tbf rate 256kbit \
                      burst 4kb latency 500ms 2>&1) \
                    || field_skip "cannot add a tc tbf qdisc in a namespace: $err"
                ip netns exec "$sw" tc qdisc del dev br0 root ;;
        esac
    done
    [ -x "$BIN/jad-hub" ] && [ -x "$BIN/jad-agent" ] || fail "no jad-hub/jad-agent in BIN=$BIN"
}

# s_field_host WHO ADDR: a host namespace joined to the switch
s_field_host() {
    ns=$(field_ns "$1"); port=$(field_port "$1"); sw=$(field_ns sw)
    s_field_add_ns "$ns" || fail "ip netns add $ns: $err"
    ip -n "$sw" link add "$port" type veth peer name eth0 netns "$ns" \
        || fail "veth $port for $1"
    ip -n "$sw" link set "$port" master br0 up || fail "port $port"
    ip -n "$ns" addr add "$2/24" dev eth0 || fail "address $2 in $ns"
    # One wire-sized packet per skb: a veth otherwise carries TCP's 64 KB
    # segmentation-offload super-packets whole, and one "lost packet"
    # would be forty lost at once.  (Kernels without the knob: as is.)
    ip -n "$ns" link set eth0 gso_max_segs 1 2>/dev/null || true
    ip -n "$ns" link set eth0 up || fail "eth0 up in $ns"
}

# field_init CC...: after field_probe — the keys and roster (a hub and an
# agent per country), the hub's host and one host per
# agent on the switch, and a 180 s limit (FIELD_LIMIT).
field_init() {
    FIELD_AGENTS="$*"
    field_limit "${FIELD_LIMIT:-180}"
    mkdir -p "$T/keys" "$T/agents"
    specs="hub:hub"
    for cc in "$@"; do specs="$specs agent-$(echo "$cc" | tr 'A-Z' 'a-z'):agent:$cc"; done
    # shellcheck disable=SC2086
    make_roster "$T/roster" $specs
    s_field_host hub "$FIELD_HUB_ADDR"
    i=11
    for cc in "$@"; do
        s_field_host "$cc" "$FIELD_NET.$i"
        eval "FIELD_ADDR_$cc=$FIELD_NET.$i"
        i=$((i + 1))
    done
    field_log "network $FIELD_NET.0/24: hub $FIELD_HUB_ADDR, agents $* (namespaces $FIELD_ID-*)"
}
field_addr() { eval "echo \$FIELD_ADDR_$1"; }

# s_field_spawn WHO LOG COMMAND...: COMMAND in WHO's namespace, in the
# background (`ip netns exec` execs it: $! is the program's pid)
s_field_spawn() {
    ns=$(field_ns "$1"); log=$2; shift 2
    ip netns exec "$ns" "$@" >>"$log" 2>&1 &
    FIELD_LAST=$!
    FIELD_PIDS="$FIELD_PIDS $FIELD_LAST"
}

# field_start_hub: jad-hub in the hub's namespace on NET.1:7401 and 7402
field_start_hub() {
    s_field_spawn hub "$T/hub.log" "$BIN/jad-hub" --data "$T/hub" --roster "$T/roster" \
        --key "$T/keys/hub.secret" --listen "tcp://$FIELD_HUB_ADDR:7401" \
        --publish "tcp://$FIELD_HUB_ADDR:7402" --log-level info
    HUB_PID=$FIELD_LAST
    wait_for 20 test -f "$T/hub/status.json" || fail "hub did not start: $(tail -5 "$T/hub.log")"
}

# field_start_agent CC: jad-agent run in CC's namespace, to the hub's
# address — or to its delay relays on 127.0.0.1 after field_delay
field_start_agent() {
    cc=$1; name=agent-$(echo "$cc" | tr 'A-Z' 'a-z')
    eval "relayed=\${FIELD_RELAYED_$cc:-}"
    if [ -n "$relayed" ]; then ep=tcp://127.0.0.1:7401; fep=tcp://127.0.0.1:7402
    else ep=tcp://$FIELD_HUB_ADDR:7401; fep=tcp://$FIELD_HUB_ADDR:7402; fi
    s_field_spawn "$cc" "$T/$name.log" "$BIN/jad-agent" run --data "$T/agents/$cc" \
        --country "$cc" --key "$T/keys/$name.secret" --hub-key "$T/keys/hub.pub" \
        --hub "$ep" --feed "$fep" --log-level info
    eval "AGENT_$cc=$FIELD_LAST"
}

# field_start: the hub and every agent; waits until each agent hears the hub
field_start() {
    field_start_hub
    for cc in $FIELD_AGENTS; do field_start_agent "$cc"; done
    for cc in $FIELD_AGENTS; do
        wait_for 30 s_field_connected "$cc" \
            || fail "agent $cc did not connect to the hub at $FIELD_HUB_ADDR: $(tail -5 "$T/agent-$(echo "$cc" | tr 'A-Z' 'a-z').log")"
    done
}
s_field_connected() {
    "$BIN/jad-agent" status --data "$T/agents/$1" --json 2>/dev/null | grep -q '"connected":true'
}
s_field_disconnected() {
    "$BIN/jad-agent" status --data "$T/agents/$1" --json 2>/dev/null | grep -q '"connected":false'
}

# field_stop: stop the hub and the agents, each must exit 0 (a sanitizer
# report or a crash fails the case)
field_stop() {
    for cc in $FIELD_AGENTS; do
        p=$(agent_pid "$cc")
        s_field_check_exit "$p" "agent $cc" "$T/agent-$(echo "$cc" | tr 'A-Z' 'a-z').log"
    done
    s_field_check_exit "$HUB_PID" hub "$T/hub.log"
    for p in $FIELD_RELAYS; do
        eval "log=\$FIELD_RLOG_$p"
        s_field_check_exit "$p" "relay $p" "$log"
        tail -1 "$log"
    done
    FIELD_RELAYS=""
}
s_field_check_exit() {
    field_alive "$1" || fail "$2 (pid $1) died during the case: $(tail -20 "$3")"
    kill -TERM "$1"
    end=$(( $(field_secs) + 30 ))
    while field_alive "$1" && [ "$(field_secs)" -lt "$end" ]; do sleep 0.1; done
    field_alive "$1" && fail "$2 did not stop within 30 s of SIGTERM"
    st=0; wait "$1" || st=$?
    FIELD_PIDS=$(echo "$FIELD_PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
    [ "$st" = 0 ] || fail "$2 exited $st: $(tail -20 "$3")"
}

# ---------------------------------------------------------------- reports

# field_feed CC PREFIX FROM TO BATCH GAP: in the background, submit the
# reports PREFIX-FROM..PREFIX-TO through CC's outbox, BATCH at a time,
# GAP seconds apart — reports keep arriving while the link is bad.
# Each feeder is a shell in its own process group (setsid: a background
# job is no group leader, so setsid execs without forking and $! is the
# group's id), so the cleanup stops its `jad-agent submit` with it.
field_feed() {
    cc=$1 prefix=$2 from=$3 to=$4 batch=$5 gap=$6
    reports "$cc" "$prefix" "$from" "$to" > "$T/feed-$prefix-$from.in"
    # shellcheck disable=SC2016
    setsid sh -c '
        BIN=$1 T=$2 cc=$3 prefix=$4 from=$5 to=$6 batch=$7 gap=$8
        trap "exit 1" TERM
        i=$from
        while [ "$i" -le "$to" ]; do
            j=$((i + batch - 1)); [ "$j" -le "$to" ] || j=$to
            sed -n "$((i - from + 1)),$((j - from + 1))p" "$T/feed-$prefix-$from.in" \
                | "$BIN/jad-agent" submit --data "$T/agents/$cc" --country "$cc" - \
                    >> "$T/feed-$prefix.out" 2>&1 \
                || { echo "submit $cc $prefix-$i..$j failed" > "$T/feed-$prefix.failed"; exit 1; }
            i=$((j + 1))
            [ "$i" -le "$to" ] && sleep "$gap"
        done
        exit 0
    ' field-feed "$BIN" "$T" "$cc" "$prefix" "$from" "$to" "$batch" "$gap" &
    FIELD_FEEDERS="$FIELD_FEEDERS $!"
}

# field_feed_all FROM TO BATCH GAP: field_feed for every agent, each with
# its own refs (cc-FROM..cc-TO)
field_feed_all() {
    for cc in $FIELD_AGENTS; do
        field_feed "$cc" "$(echo "$cc" | tr 'A-Z' 'a-z')" "$@"
    done
}

# field_feed_wait: every feeder done, every line accepted
field_feed_wait() {
    for p in $FIELD_FEEDERS; do wait "$p" || true; done
    FIELD_FEEDERS=""
    for f in "$T"/feed-*.failed; do
        [ -f "$f" ] && fail "$(cat "$f"): $(grep -v accepted "${f%.failed}.out" | head -5)"
    done
    :
}
# field_accepted: how many reports the agents accepted in all
field_accepted() { cat "$T"/feed-*.out 2>/dev/null | grep -c ': accepted seq ' || true; }

# ---------------------------------------------------------------- links

# field_hold SECONDS: wait until SECONDS after the last impairment began
# (field_loss, field_slow, field_delay, field_cut) — the bad period
field_hold() {
    until awk -v a="$FIELD_BAD_T" -v s="$1" -v b="$(field_now)" 'BEGIN { exit !(b >= a + s) }'; do
        sleep 0.2
    done
}
FIELD_BAD_T=0

# field_loss PCT WHO...: drop PCT % of the packets WHO receives from the
# switch and of those the hub receives from WHO (both directions lossy),
# with nftables on the receiving host's input hook (on the output hook the
# sender's write fails with EPERM instead — that is not loss).
field_loss() {
    pct=$1; shift
    srcs=""
    for who in "$@"; do
        s_field_nft "$who" "iifname \"eth0\" counter numgen random mod 100 < $pct counter drop"
        [ "$who" = hub ] || srcs="$srcs${srcs:+, }$(field_addr "$who")"
    done
    [ -n "$srcs" ] && s_field_nft hub "iifname \"eth0\" ip saddr { $srcs } counter numgen random mod 100 < $pct counter drop"
    FIELD_LOSSY="$FIELD_LOSSY $*"
    FIELD_BAD_T=$(field_now)
    field_log "loss $pct % both ways on the links of $*"
}
FIELD_LOSSY=""
s_field_nft() {
    ns=$(field_ns "$1")
    ip netns exec "$ns" nft list table inet jadfield >/dev/null 2>&1 || \
        ip netns exec "$ns" nft -f - <<EOF || fail "nftables table in $ns"
table inet jadfield {
    chain input { type filter hook input priority 0; policy accept; }
}
EOF
    ip netns exec "$ns" nft add rule inet jadfield input "$2" \
        || fail "nftables rule in $ns: $2"
}
field_loss_clear() {
    FIELD_LOSS_SEEN=0 FIELD_LOSS_DROPPED=0
    for who in hub $FIELD_LOSSY; do
        ns=$(field_ns "$who")
        # The rule's two counters: packets seen, packets dropped.
        # shellcheck disable=SC2046
        set -- $(ip netns exec "$ns" nft list table inet jadfield 2>/dev/null \
            | sed -n 's/.*counter packets \([0-9]*\) bytes.*counter packets \([0-9]*\) bytes.*/\1 \2/p')
        if [ $# = 2 ]; then
            echo "  $who received $1 packets, dropped $2 ($(awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a ? 100 * b / a : 0 }') %)"
            FIELD_LOSS_SEEN=$((FIELD_LOSS_SEEN + $1)) FIELD_LOSS_DROPPED=$((FIELD_LOSS_DROPPED + $2))
        fi
        ip netns exec "$ns" nft delete table inet jadfield 2>/dev/null
    done
    FIELD_LOSSY=""
    FIELD_HEAL_T=$(field_now)
    field_log "loss healed"
}

# field_slow RATE WHO...: WHO's link at RATE (e.g. 256kbit) both ways: tbf
# on WHO's eth0 (towards the switch) and on the switch's port (towards WHO)
field_slow() {
    rate=$1; shift
    for who in "$@"; do
        tc -n "$(field_ns "$who")" qdisc add dev eth0 root tbf rate "$rate" \
            burst 4kb latency 500ms || fail "tbf on $who's eth0"
        tc -n "$(field_ns sw)" qdisc add dev "$(field_port "$who")" root tbf rate "$rate" \
            burst 4kb latency 500ms || fail "tbf on the switch's port to $who"
    done
    FIELD_SLOW="$FIELD_SLOW $*"
    FIELD_BAD_T=$(field_now)
    field_log "links of $* at $rate both ways"
}
FIELD_SLOW=""
field_slow_clear() {
    FIELD_SLOW_HELD=0
    for who in $FIELD_SLOW; do
        s_field_tbf_stats "$(field_ns "$who")" eth0 "$who to the switch"
        s_field_tbf_stats "$(field_ns sw)" "$(field_port "$who")" "the switch to $who"
        tc -n "$(field_ns "$who")" qdisc del dev eth0 root 2>/dev/null
        tc -n "$(field_ns sw)" qdisc del dev "$(field_port "$who")" root 2>/dev/null
    done
    FIELD_SLOW=""
    FIELD_HEAL_T=$(field_now)
    field_log "slow links healed; $FIELD_SLOW_HELD times a packet was held back by the rate"
}
# s_field_tbf_stats NS DEV LABEL: what the tbf on DEV carried; adds its
# "overlimits" (a packet held back by the rate) to FIELD_SLOW_HELD
s_field_tbf_stats() {
    line=$(tc -n "$1" -s qdisc show dev "$2" root | tr -d ',)' \
           | awk '$1 == "Sent" { print $2, $4, $7, $9 }')
    # shellcheck disable=SC2086
    set -- $line "$3"
    [ $# -ge 5 ] || return 0
    echo "  $5: $1 bytes in $2 packets, $3 dropped, $4 held back"
    FIELD_SLOW_HELD=$((FIELD_SLOW_HELD + $4))
}
FIELD_SLOW_HELD=0

# field_delay MS JITTER CC...: before field_start — a jad-delay relay per
# hub port in each CC's namespace (127.0.0.1:7401/7402 -> the hub's), each
# chunk held MS +/- JITTER ms each way; the agent will connect to them.
field_delay() {
    ms=$1 jit=$2; shift 2
    [ -x "$BIN/jad-delay" ] || fail "no jad-delay in BIN=$BIN"
    for cc in "$@"; do
        for port in 7401 7402; do
            s_field_spawn "$cc" "$T/delay-$cc-$port.log" "$BIN/jad-delay" \
                --listen "127.0.0.1:$port" --target "$FIELD_HUB_ADDR:$port" \
                --delay "$ms" --jitter "$jit" --quiet
            FIELD_RELAYS="$FIELD_RELAYS $FIELD_LAST"
            FIELD_RLOGS="$FIELD_RLOGS $T/delay-$cc-$port.log"
            eval "FIELD_RLOG_$FIELD_LAST=\$T/delay-\$cc-\$port.log"
            eval "FIELD_RELAYED_$cc=1"
        done
        wait_for 10 s_field_listening "$cc" 7401 && wait_for 10 s_field_listening "$cc" 7402 \
            || fail "the delay relays in $cc do not listen: $(cat "$T"/delay-"$cc"-*.log)"
    done
    FIELD_BAD_T=$(field_now)
    field_log "delay $ms +/- $jit ms each way for $* (jad-delay relays)"
}
FIELD_RELAYS=""
FIELD_RLOGS=""          # every relay's log, for field_delay_check
s_field_listening() { field_in "$1" ss -Hltn "sport = :$2" | grep -q .; }
# field_delay_heal: the relays stop delaying (SIGUSR1); what they hold
# still goes out at its time
field_delay_heal() {
    for p in $FIELD_RELAYS; do kill -USR1 "$p" || fail "relay $p is gone"; done
    FIELD_HEAL_T=$(field_now)
    field_log "delay healed"
}

# field_delay_check LO HI: after field_stop (field_check) — every relay
# carried bytes both ways and held the chunks it read while delaying LO..HI
# ms on average, read to last byte out (its stop line: "jad-delay:
# stopped: C connections, U bytes to the target, D bytes back; held N
# chunks, mean M ms, max X ms")
field_delay_check() {
    lo=$1 hi=$2
    [ -n "$FIELD_RLOGS" ] || fail "field_delay_check: no relays (field_delay)"
    for log in $FIELD_RLOGS; do
        line=$(grep '^jad-delay: stopped: ' "$log" | tail -1)
        # shellcheck disable=SC2046
        set -- $(echo "$line" | sed -n 's/.* \([0-9]*\) bytes to the target, \([0-9]*\) bytes back; held \([0-9]*\) chunks, mean \([0-9]*\) ms.*/\1 \2 \3 \4/p')
        [ $# = 4 ] || fail "$(basename "$log"): no stop line with the holds: $(tail -3 "$log")"
        [ "$1" -gt 0 ] && [ "$2" -gt 0 ] \
            || fail "$(basename "$log"): did not carry bytes both ways: $line"
        [ "$3" -gt 0 ] || fail "$(basename "$log"): held no chunk: $line"
        [ "$4" -ge "$lo" ] && [ "$4" -le "$hi" ] \
            || fail "$(basename "$log"): mean hold $4 ms, expected $lo..$hi ms: $line"
    done
    echo "delay: every relay ($(echo $FIELD_RLOGS | wc -w)) carried bytes both ways, mean hold within $lo..$hi ms"
}

# field_cut WHO...: the switch's ports to WHO down (the cable is cut)
field_cut() {
    for who in "$@"; do ip -n "$(field_ns sw)" link set "$(field_port "$who")" down || fail "cut $who"; done
    FIELD_BAD_T=$(field_now)
    field_log "cut: $*"
}
field_heal() {
    for who in "$@"; do ip -n "$(field_ns sw)" link set "$(field_port "$who")" up || fail "heal $who"; done
    FIELD_HEAL_T=$(field_now)
    field_log "healed: $*"
}

# field_flap SECONDS DOWN UP WHO...: for about SECONDS, the links of WHO
# down DOWN s then up UP s, over and over; returns as the last "up" is
# done, which is the heal.  Meanwhile it watches each agent of WHO: how
# many flaps it was seen disconnected in ("connected":false in its
# status, i.e. the hub silent for JAD_AGENT_SILENT_MS) is in
# FIELD_FLAP_SEEN_CC; field_flap_check asserts it.
field_flap() {
    secs=$1 down=$2 up=$3; shift 3
    end=$(( $(field_secs) + secs )); n=0
    FIELD_FLAPPED="$*"
    for who in "$@"; do eval "FIELD_FLAP_SEEN_$who=0"; done
    FIELD_BAD_T=$(field_now)
    while :; do
        for who in "$@"; do
            ip -n "$(field_ns sw)" link set "$(field_port "$who")" down || fail "flap $who down"
        done
        s_seen=""
        s_field_watch_down "$down" "$@"
        for who in "$@"; do
            ip -n "$(field_ns sw)" link set "$(field_port "$who")" up || fail "flap $who up"
        done
        n=$((n + 1))
        # Up again, an agent may hear the hub only after TCP's next
        # retransmission: the up time is watched too (not after the last
        # flap, which is the heal).
        more=""; [ $(( $(field_secs) + up )) -lt "$end" ] && more=1
        [ -z "$more" ] || s_field_watch_down "$up" "$@"
        for who in $s_seen; do eval "FIELD_FLAP_SEEN_$who=\$((FIELD_FLAP_SEEN_$who + 1))"; done
        [ -n "$more" ] || break
    done
    FIELD_FLAPS=$n
    FIELD_HEAL_T=$(field_now)
    field_log "flapped $* $n times ($down s down, $up s up); links up"
    for who in "$@"; do
        echo "  $who seen disconnected in $(eval "echo \$FIELD_FLAP_SEEN_$who") of $n flaps"
    done
}
FIELD_FLAPPED=""
# s_field_watch_down SECS WHO...: for SECS seconds, add to $s_seen each agent
# of WHO whose status says it is not connected
s_field_watch_down() {
    t_end=$(awk -v a="$(field_now)" -v s="$1" 'BEGIN { printf "%.1f", a + s }'); shift
    while awk -v a="$(field_now)" -v b="$t_end" 'BEGIN { exit !(a < b) }'; do
        for who in "$@"; do
            [ "$who" = hub ] && continue
            case " $s_seen " in *" $who "*) continue ;; esac
            s_field_disconnected "$who" && s_seen="$s_seen $who"
        done
        sleep 0.2
    done
}
# field_flap_check: every agent field_flap flapped was seen disconnected
# at least once (the flaps did cut it off from the hub)
field_flap_check() {
    [ -n "$FIELD_FLAPPED" ] || fail "field_flap_check: nothing flapped"
    for who in $FIELD_FLAPPED; do
        [ "$who" = hub ] && continue
        k=$(eval "echo \$FIELD_FLAP_SEEN_$who")
        [ "$k" -gt 0 ] || fail "agent $who was never seen disconnected in $FIELD_FLAPS flaps"
    done
    echo "flap: every flapped agent ($FIELD_FLAPPED) was seen disconnected"
}

# ---------------------------------------------------------------- outcome

# field_wait_converged SECONDS N: every agent's outbox empty, the hub and
# every mirror at N entries, within SECONDS of now; prints how long it took
# after the last heal (or from now, when nothing was healed since the last
# call), in FIELD_CONVERGED_S too.
field_wait_converged() {
    secs=$1 n=$2
    if [ -n "$FIELD_HEAL_T" ]; then t0=$FIELD_HEAL_T what=" after heal"
    else t0=$(field_now) what=""; fi
    # shellcheck disable=SC2086
    wait_converged "$secs" "$n" $FIELD_AGENTS
    FIELD_CONVERGED_S=$(field_since "$t0")
    FIELD_HEAL_T=""
    echo "converged in $FIELD_CONVERGED_S s$what ($n entries, agents $FIELD_AGENTS)"
}

# field_check N: exactly once — the hub's journal holds N entries, one per
# accepted report, every mirror equal to it; then every process stops
# cleanly
field_check() {
    n=$1
    expect_eq "$(field_accepted)" "$n" "reports accepted by the agents"
    # shellcheck disable=SC2086
    exactly_once "$n" $FIELD_AGENTS
    field_stop
    echo "exactly once: $n entries in the hub's journal and in every mirror"
}
