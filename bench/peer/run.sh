#!/bin/sh
# bench/peer/run.sh: jadhub against the generic broker a user would pick
# instead, Mosquitto (QoS 1, persistence on) with a small libmosquitto
# client around it (bench/peer/mqtt_bench.c), on the same machine, with
# the same message size and the same numbers of publishers and subscribers.
#
#   sh bench/peer/run.sh        (or: make bench-peer)
#
# For each system:
#   1. saturation: PUBS publishers, each with WINDOW unconfirmed, for
#      DURATION s; SUBS subscribers.  Messages/s confirmed (hub ack /
#      PUBACK), reports/s delivered to every subscriber (first send -> last
#      such delivery), publish->delivered p50/p99 over every (report,
#      subscriber) pair.
#   2. latency below saturation: RATE reports/s in all, DURATION s.
#   3. kill -9 mid-run: a fresh hub / broker, publishers at KILL_RATE in
#      all (below both systems' saturation, so that what is lost is the
#      crash's doing, not an overflowing queue), `kill -9` after KILL_AT s,
#      restart on the same data, then count what had been confirmed to a
#      publisher and is not there: for jadhub every acked (origin,
#      origin_seq) looked up in `jad-journal dump` of the restarted hub
#      (and jad-verify on it), then a real jad-agent started after the
#      restart (the subscriber that was offline) must catch up to a mirror
#      equal to the journal; for Mosquitto every PUBACKed message looked
#      for at each persistent-session subscriber (clean_session = false,
#      QoS 1): SUBS online during the run and one offline (its session
#      made beforehand), all reconnecting to the restarted broker.
# jadhub: real jad-hub (CURVE, Ed25519 verification of every report,
# fsync'd LMDB journal) and jad-bench, which signs every envelope as it
# sends it (as an agent's outbox does).  Mosquitto runs twice for 1 and 3:
# with its default queue limit (max_queued_messages 1000), and with the
# limit off (max_queued_messages 0); persistence on in both, autosave as
# configured by MQ_AUTOSAVE (empty: Mosquitto's default, every 1800 s).
# The MQTT payload is as large as jadhub's mean Submit frame (the signed
# envelope as the agent sends it), measured in step 1.
#
# Mosquitto: Debian's `mosquitto` and `libmosquitto-dev` (+ clients),
# installed with apt-get when missing (root or sudo -n), else SKIP with the
# reason.  It listens on 127.0.0.1 only, on a free port, with its own
# configuration and persistence directory in a temporary directory; the
# system's service is never used or touched (on a systemd host, installing
# the package starts it on port 1883: stop it yourself if unwanted).
# Everything started here is stopped; the temporary directory is removed
# (KEEP=1 keeps it).
#
# Knobs: BIN=build/bench-rel/bin (jad-hub, jad-keygen, jad-journal,
# jad-verify, jad-bench) PUBS=8 SUBS=2 WINDOW=1000 DURATION=10 RATE=2000
# KILL_DURATION=12 KILL_AT=4 KILL_RATE=10000 MQ_AUTOSAVE= PERF=0 (1: perf
# record of jad-hub and of mosquitto during part 1) KEEP=0 TMPDIR.
set -u
cd "$(dirname "$0")/../.." || exit 2

BIN=${BIN:-build/bench-rel/bin}
PUBS=${PUBS:-8}
SUBS=${SUBS:-2}
WINDOW=${WINDOW:-1000}
DURATION=${DURATION:-10}
RATE=${RATE:-2000}
KILL_DURATION=${KILL_DURATION:-12}
KILL_AT=${KILL_AT:-4}
KILL_RATE=${KILL_RATE:-10000}
MQ_AUTOSAVE=${MQ_AUTOSAVE:-}
PERF=${PERF:-0}
KEEP=${KEEP:-0}
OUT=build/bench-peer
MQ_BENCH=$OUT/mqtt-bench
MOSQUITTO=/usr/sbin/mosquitto

say () { printf '== %s\n' "$*"; }
skip () { echo "SKIP: $*"; exit 0; }

for b in jad-hub jad-keygen jad-journal jad-verify jad-bench jad-agent; do
    [ -x "$BIN/$b" ] || { echo "peer: $BIN/$b missing (make -j2 O=build/bench-rel all build/bench-rel/bin/jad-bench, or BIN=...)" >&2; exit 2; }
done

# ------------------------------------------------------------ Mosquitto
if [ ! -x "$MOSQUITTO" ] || ! pkg-config --exists libmosquitto 2>/dev/null; then
    if [ "$(id -u)" = 0 ]; then SUDO=
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"
    else skip "mosquitto / libmosquitto-dev not installed, and neither root nor sudo to install them"
    fi
    say "installing mosquitto mosquitto-clients libmosquitto-dev (apt-get)"
    if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
           $SUDO apt-get install -y -qq --no-install-recommends \
           mosquitto mosquitto-clients libmosquitto-dev; } > /tmp/peer-apt.$$ 2>&1; then
        reason=$(tail -1 /tmp/peer-apt.$$); rm -f /tmp/peer-apt.$$
        skip "apt-get install mosquitto failed: $reason"
    fi
    rm -f /tmp/peer-apt.$$
fi
[ -x "$MOSQUITTO" ] || skip "no $MOSQUITTO after installing"
mkdir -p "$OUT"
if [ ! -x "$MQ_BENCH" ] || [ bench/peer/mqtt_bench.c -nt "$MQ_BENCH" ]; then
    ${CC:-cc} -std=c11 -O2 -g -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
        -D_DEFAULT_SOURCE $(pkg-config --cflags libmosquitto) \
        bench/peer/mqtt_bench.c $(pkg-config --libs libmosquitto) -o "$MQ_BENCH" \
        || { echo "peer: cannot build $MQ_BENCH" >&2; exit 2; }
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/jadpeer.XXXXXX") || exit 2
HUB_PID=
MQ_PID=
BENCH_PID=
cleanup () {
    for p in $PERF_PID $BENCH_PID $HUB_PID $MQ_PID; do
        kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    if [ "$KEEP" = 1 ]; then echo "peer: kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

RESULTS=$T/results
: > "$RESULTS"
row () { printf '%-40s | %-34s | %s\n' "$1" "$2" "$3" >> "$RESULTS"; }
cpu_ticks () { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# wait_for SECONDS COMMAND...: retry every 0.05 s
wait_for () {
    n=$(($1 * 20)); shift
    while [ $n -gt 0 ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.05; n=$((n - 1))
    done
    return 1
}
# client_cpu TIMEFILE N: "X us/message" of user+system CPU in TIMEFILE.
# (GNU time writes "Command exited with non-zero status" first when it did.)
client_cpu () { tail -1 "$1" 2>/dev/null | awk -v n="$2" '{ if (n > 0) printf "%.1f us/message (%.1f s CPU)", ($1 + $2) / n * 1e6, $1 + $2 }'; }
# PERF=1: perf record of PID while part 1 runs, reported at the end.
PERF_PID=
perf_start () {
    [ "$PERF" = 1 ] && command -v perf > /dev/null || return 0
    perf record -g -F 999 -p "$1" -o "$T/$2.perf" > /dev/null 2>&1 &
    PERF_PID=$!
    sleep 0.3
}
perf_stop () {
    [ -n "$PERF_PID" ] || return 0
    kill -INT "$PERF_PID"; wait "$PERF_PID"; PERF_PID=
    { echo "-- $1: self time by library"
      perf report -i "$T/$1.perf" --no-children --sort dso -g none --stdio 2>/dev/null | grep -E '^ +[0-9]+\.[0-9]+%' | head -10
      echo "-- $1: top symbols"
      perf report -i "$T/$1.perf" --no-children --sort dso,symbol -g none --stdio 2>/dev/null | grep -E '^ +[0-9]+\.[0-9]+%' | head -25
      echo "-- $1: by thread"
      perf report -i "$T/$1.perf" --no-children --sort pid -g none --stdio 2>/dev/null | grep -E '^ +[0-9]+\.[0-9]+%' | head -6
      echo "-- $1: by thread and library"
      perf report -i "$T/$1.perf" --no-children --sort pid,dso -g none --stdio 2>/dev/null | grep -E '^ +[0-9]+\.[0-9]+%' | head -14
    } >> "$T/perf.txt"
}
# Figures out of jad-bench / mqtt-bench output.
rate_of () { sed -n "s/.*(\([0-9]*\) $2).*/\1/p" "$1" | head -1; }
lat_of () { sed -n "s/^$2 *p50 \([0-9.]*\) ms.*p99 \([0-9.]*\) ms.*max \([0-9.]*\) ms.*/p50 \1, p99 \2, max \3 ms/p" "$1"; }

say "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
say "load before the runs: $(cut -d' ' -f1-3 /proc/loadavg); $($MOSQUITTO -h 2>&1 | head -1)"
row "load average at start" "$(cut -d' ' -f1-3 /proc/loadavg)" ""

# ------------------------------------------------------------ jadhub
mkdir -p "$T/keys"
NAMES="hub watch"
i=0
for cc in DE FR NL AT BE IT ES PL CZ HU GR RO BG HR SI SK; do
    [ $i -ge "$PUBS" ] && break
    NAMES="$NAMES agent-$(echo $cc | tr A-Z a-z)"
    i=$((i + 1))
done
ROSTER=$T/roster
{
    echo "operation     jadhub peer bench"
    echo "operation_id  $(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
    echo "start         2020-11-16T07:00:00Z"
    echo "end           2020-11-21T07:00:00Z"
} > "$ROSTER"
AGENT_KEYS=
for n in $NAMES; do
    "$BIN/jad-keygen" "$n" --out "$T/keys" > /dev/null || exit 2
    p=$T/keys/$n.pub
    keys="$(sed -n 's/^public-key *= *//p' "$p") $(sed -n 's/^sign-public-key *= *//p' "$p") $(sed -n 's/^key-id *= *//p' "$p")"
    case $n in
    hub)   echo "participant   $n hub - $keys" ;;
    watch) echo "participant   $n coordinator - $keys" ;;
    *)     echo "participant   $n agent $(echo "${n#agent-}" | tr a-z A-Z) $keys"
           AGENT_KEYS="$AGENT_KEYS $T/keys/$n.secret" ;;
    esac >> "$ROSTER"
done

# start_hub DIR: a hub on DIR with fresh ports (HUB_EP, FEED_EP unless
# SAME_PORTS=1); waits for its status file.
start_hub () {
    if [ "${SAME_PORTS:-0}" != 1 ]; then
        set -- "$1" $("$BIN/jad-bench" free-ports 2)
        HUB_EP=tcp://127.0.0.1:$2 FEED_EP=tcp://127.0.0.1:$3
    fi
    rm -f "$1/status.json"
    "$BIN/jad-hub" --data "$1" --roster "$ROSTER" --key "$T/keys/hub.secret" \
        --listen "$HUB_EP" --publish "$FEED_EP" --log-level warn 2>> "$T/hub.log" &
    HUB_PID=$!
    wait_for 10 test -f "$1/status.json" || { echo "peer: jad-hub did not start:" >&2; tail -5 "$T/hub.log" >&2; exit 2; }
}
stop_hub () { kill -TERM "$HUB_PID" 2>/dev/null; wait "$HUB_PID" 2>/dev/null; HUB_PID=; }
jflood () {
    "$BIN/jad-bench" flood --hub "$HUB_EP" --feed "$FEED_EP" --hub-key "$T/keys/hub.pub" \
        --watch-key "$T/keys/watch.secret" --watchers "$SUBS" --window "$WINDOW" "$@" $AGENT_KEYS
}

say "jadhub 1. saturation: $PUBS signing agents x window $WINDOW, $SUBS subscribers, $DURATION s"
start_hub "$T/hub1"
perf_start "$HUB_PID" j1
c0=$(cpu_ticks "$HUB_PID")
/usr/bin/time -f '%U %S' -o "$T/j1.time" \
    "$BIN/jad-bench" flood --hub "$HUB_EP" --feed "$FEED_EP" --hub-key "$T/keys/hub.pub" \
    --watch-key "$T/keys/watch.secret" --watchers "$SUBS" --window "$WINDOW" \
    --duration "$DURATION" $AGENT_KEYS > "$T/j1.out" 2> "$T/j1.err"
c1=$(cpu_ticks "$HUB_PID")
perf_stop j1
stop_hub
cat "$T/j1.out"
SIZE=$(sed -n 's/^sizes: Submit frame mean \([0-9]*\).*/\1/p' "$T/j1.out")
ENTRY=$(sed -n 's/.*feed Entry frame mean \([0-9]*\).*/\1/p' "$T/j1.out")
[ -n "$SIZE" ] || { echo "peer: jad-bench printed no sizes:" >&2; cat "$T/j1.err" >&2; exit 2; }
J_DELIV=$(rate_of "$T/j1.out" "reports\/s delivered")
J_ACK=$(rate_of "$T/j1.out" "reports\/s acked")
J_N=$(sed -n 's/.* \([0-9]*\) acked in.*/\1/p' "$T/j1.out")
J_CPU=$(awk -v t=$((c1 - c0)) -v n="${J_N:-0}" -v h="$(getconf CLK_TCK)" 'BEGIN { if (n > 0) printf "%.1f us/report (%.1f s CPU)", t / h / n * 1e6, t / h }')
J_GEN=$(client_cpu "$T/j1.time" "${J_N:-0}")

say "jadhub 2. latency: $RATE reports/s in all from $PUBS agents, $DURATION s"
start_hub "$T/hub2"
jflood --duration "$DURATION" --rate "$RATE" > "$T/j2.out" 2> "$T/j2.err"
stop_hub
cat "$T/j2.out"

say "jadhub 3. kill -9 of the hub after $KILL_AT s at $KILL_RATE reports/s, restart, look for every acked report"
start_hub "$T/hub3"
jflood --duration "$KILL_DURATION" --rate "$KILL_RATE" --drain 3 --acked-out "$T/j3.acked" > "$T/j3.out" 2> "$T/j3.err" &
BENCH_PID=$!
sleep "$KILL_AT"
kill -KILL "$HUB_PID"; wait "$HUB_PID" 2>/dev/null; HUB_PID=
wait "$BENCH_PID"; BENCH_PID=
cat "$T/j3.out"
SAME_PORTS=1 start_hub "$T/hub3"
"$BIN/jad-journal" dump --data "$T/hub3/journal" > "$T/j3.dump" || exit 2
# The subscriber that was offline during the run: a real jad-agent started
# now catches up on the restarted hub's journal.
FIRST=$(echo $AGENT_KEYS | cut -d' ' -f1)
FIRST_CC=$(basename "$FIRST" .secret | sed 's/^agent-//' | tr a-z A-Z)
t0=$(date +%s%N)
"$BIN/jad-agent" run --data "$T/late" --country "$FIRST_CC" --key "$FIRST" \
    --hub-key "$T/keys/hub.pub" --hub "$HUB_EP" --feed "$FEED_EP" 2> "$T/late.log" &
BENCH_PID=$!
J_HEAD=$(wc -l < "$T/j3.dump")
mirror_at_head () {
    "$BIN/jad-agent" status --data "$T/late" --json 2>/dev/null | grep -q "\"mirror_seq\":$J_HEAD[,}]"
}
if wait_for 120 mirror_at_head; then
    J_LATE="caught up $J_HEAD entries in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
else
    J_LATE="NOT caught up within 120 s"
fi
kill -TERM "$BENCH_PID"; wait "$BENCH_PID" 2>/dev/null; BENCH_PID=
"$BIN/jad-journal" dump --data "$T/late/mirror" > "$T/j3.late" 2>/dev/null
cmp -s "$T/j3.dump" "$T/j3.late" && J_LATE="$J_LATE, mirror = journal" || J_LATE="$J_LATE, mirror DIFFERS from the journal"
stop_hub
sed -n 's/.*"origin":"\([^"]*\)".*"origin_seq":\([0-9]*\).*/\1 \2/p' "$T/j3.dump" | sort > "$T/j3.have"
sort "$T/j3.acked" > "$T/j3.want"
J_ACKED=$(wc -l < "$T/j3.want")
J_JOURNAL=$(wc -l < "$T/j3.have")
J_LOST=$(comm -23 "$T/j3.want" "$T/j3.have" | wc -l)
"$BIN/jad-verify" --data "$T/hub3" --roster "$ROSTER" > "$T/j3.verify" 2>&1; vrc=$?
echo "acked before the kill: $J_ACKED; journal after restart: $J_JOURNAL entries; acked but missing: $J_LOST; jad-verify: $(tail -1 "$T/j3.verify") (exit $vrc)"
echo "offline subscriber (jad-agent started after the restart): $J_LATE"

# ------------------------------------------------------------ Mosquitto
set -- $("$BIN/jad-bench" free-ports 1)
MQ_PORT=$1
# mq_start DIR QUEUE: a broker on 127.0.0.1:MQ_PORT, persistence in DIR,
# max_queued_messages QUEUE ("" = Mosquitto's default, 1000).
mq_start () {
    mkdir -p "$1"
    {
        echo "listener $MQ_PORT 127.0.0.1"
        echo "allow_anonymous true"
        echo "persistence true"
        echo "persistence_location $1/"
        echo "persistence_file mosquitto.db"
        [ -n "$MQ_AUTOSAVE" ] && echo "autosave_interval $MQ_AUTOSAVE"
        [ -n "$2" ] && echo "max_queued_messages $2"
        echo "log_dest file $1/mosquitto.log"
        echo "log_type error"
        echo "log_type warning"
        echo "log_type notice"
        echo "log_type information"
        # As root it would switch to user mosquitto, who cannot write $T.
        echo "user $(id -un)"
    } > "$1/mosquitto.conf"
    # A restart on the same directory: the earlier start's log aside, so
    # "running" below is this start's.
    [ -f "$1/mosquitto.log" ] && cat "$1/mosquitto.log" >> "$1/mosquitto.log.old" && : > "$1/mosquitto.log"
    "$MOSQUITTO" -c "$1/mosquitto.conf" 2>> "$1/stderr" &
    MQ_PID=$!
    wait_for 10 grep -q 'running' "$1/mosquitto.log" \
        || { echo "peer: mosquitto did not start:" >&2; cat "$1/stderr" "$1/mosquitto.log" >&2; exit 2; }
}
mq_stop () { kill -TERM "$MQ_PID" 2>/dev/null; wait "$MQ_PID" 2>/dev/null; MQ_PID=; }
mflood () {
    "$MQ_BENCH" run --port "$MQ_PORT" --publishers "$PUBS" --subscribers "$SUBS" \
        --size "$SIZE" --window "$WINDOW" "$@"
}

for q in default 0; do
    qv=$q; [ "$q" = default ] && qv=
    label="queue $q"; [ "$q" = 0 ] && label="queue unlimited"
    say "mosquitto 1. saturation ($label): $PUBS publishers x window $WINDOW, $SUBS subscribers, $DURATION s, payload $SIZE bytes"
    mq_start "$T/mq1-$q" "$qv"
    [ "$q" = 0 ] && perf_start "$MQ_PID" m1
    c0=$(cpu_ticks "$MQ_PID")
    /usr/bin/time -f '%U %S' -o "$T/m1-$q.time" \
        "$MQ_BENCH" run --port "$MQ_PORT" --publishers "$PUBS" --subscribers "$SUBS" \
        --size "$SIZE" --window "$WINDOW" --duration "$DURATION" > "$T/m1-$q.out" 2> "$T/m1-$q.err"
    c1=$(cpu_ticks "$MQ_PID")
    [ "$q" = 0 ] && perf_stop m1
    mq_stop
    cat "$T/m1-$q.out"
    n=$(sed -n 's/.* \([0-9]*\) confirmed (PUBACK).*/\1/p' "$T/m1-$q.out")
    eval "M_GEN_$q=\"$(client_cpu "$T/m1-$q.time" "${n:-0}")\""
    eval "M_CPU_$q=\"$(awk -v t=$((c1 - c0)) -v n="${n:-0}" -v h="$(getconf CLK_TCK)" 'BEGIN { if (n > 0) printf "%.1f us/message (%.1f s CPU)", t / h / n * 1e6, t / h }')\""
done

say "mosquitto 2. latency: $RATE messages/s in all from $PUBS publishers, $DURATION s (default queue)"
mq_start "$T/mq2" ""
mflood --duration "$DURATION" --rate "$RATE" > "$T/m2.out" 2> "$T/m2.err"
mq_stop
cat "$T/m2.out"

for q in default 0; do
    qv=$q; [ "$q" = default ] && qv=
    say "mosquitto 3. kill -9 of the broker after $KILL_AT s at $KILL_RATE messages/s (queue $q), restart, persistent subscribers reconnect ($SUBS online, 1 offline during the run)"
    D=$T/mq3-$q
    mq_start "$D" "$qv"
    # The subscribers' sessions on disk first, as on a broker that has run
    # for a while: connect them, then a graceful stop saves the database.
    "$MQ_BENCH" prepare --port "$MQ_PORT" --subscribers $((SUBS + 1)) > /dev/null 2>&1 \
        || { echo "peer: mqtt-bench prepare failed" >&2; exit 2; }
    mq_stop
    mq_start "$D" "$qv"
    "$MQ_BENCH" run --port "$MQ_PORT" --publishers "$PUBS" --subscribers $((SUBS + 1)) \
        --offline 1 --size "$SIZE" --window "$WINDOW" --rate "$KILL_RATE" \
        --duration "$KILL_DURATION" --quiet 3 --drain 20 > "$T/m3-$q.out" 2> "$T/m3-$q.err" &
    BENCH_PID=$!
    sleep "$KILL_AT"
    kill -KILL "$MQ_PID"; wait "$MQ_PID" 2>/dev/null; MQ_PID=
    sleep 1
    mq_start "$D" "$qv"
    wait "$BENCH_PID"; BENCH_PID=
    mq_stop
    cat "$T/m3-$q.out"
done

# ------------------------------------------------------------ results
lost_of () { sed -n 's/^lost: \([0-9]*\) of \([0-9]*\) confirmed.*(\(.*\))/\1 of \2 (\3)/p' "$1"; }
MD=$(rate_of "$T/m1-default.out" "messages\/s delivered")
M0=$(rate_of "$T/m1-0.out" "messages\/s delivered")
row "" "jadhub" "Mosquitto (default queue / unlimited)"
row "delivered/s to every subscriber" "${J_DELIV:-?}" "${MD:-?} / ${M0:-?}"
row "confirmed/s (hub ack / PUBACK)" "${J_ACK:-?}" "$(rate_of "$T/m1-default.out" "messages\/s confirmed") / $(rate_of "$T/m1-0.out" "messages\/s confirmed")"
row "latency at saturation" "$(lat_of "$T/j1.out" 'submit->seen')" "$(lat_of "$T/m1-default.out" 'publish->delivered') / $(lat_of "$T/m1-0.out" 'publish->delivered')"
row "confirmed but lost, no crash" "$(sed -n 's/^delivered: \([0-9]*\) .*/\1/p' "$T/j1.out") delivered of $J_N acked" "$(lost_of "$T/m1-default.out") / $(lost_of "$T/m1-0.out")"
row "server CPU per message at saturation" "$J_CPU" "$M_CPU_default / $M_CPU_0"
row "clients' CPU per message (pubs + subs)" "$J_GEN" "$M_GEN_default / $M_GEN_0"
row "latency at $RATE/s" "$(lat_of "$T/j2.out" 'submit->seen')" "$(lat_of "$T/m2.out" 'publish->delivered')"
# "A/B/C": confirmed messages missing at each subscriber (the last was offline).
missing_of () { sed -n 's/^subscribers: //p' "$1" | grep -o '[0-9]* confirmed missing' | cut -d' ' -f1 | paste -sd/ -; }
row "kill -9 at $KILL_RATE/s: confirmed, then lost" "$J_LOST of $J_ACKED (jad-verify exit $vrc)" "$(lost_of "$T/m3-default.out") / $(lost_of "$T/m3-0.out")"
row "  missing per subscriber (last: offline)" "journal: $J_LOST; late agent: $J_LATE" "$(missing_of "$T/m3-default.out") / $(missing_of "$T/m3-0.out")"
row "message size" "Submit $SIZE B, feed Entry $ENTRY B" "payload $SIZE B + topic 12 B"
if [ -n "$J_DELIV" ] && [ -n "$MD" ] && [ -n "$M0" ]; then
    row "ratio jadhub / Mosquitto delivered" "" "$(awk -v j="$J_DELIV" -v a="$MD" -v b="$M0" 'BEGIN { printf "%.0f %% / %.0f %%", 100 * j / a, 100 * j / b }')"
fi
row "load average at the end" "$(cut -d' ' -f1-3 /proc/loadavg)" ""
echo
say "results ($(nproc) cores; $PUBS publishers, $SUBS subscribers, window $WINDOW, $DURATION s runs)"
cat "$RESULTS"
[ -f "$T/perf.txt" ] && { echo; say "profiles (PERF=1)"; cat "$T/perf.txt"; }
exit 0
