#!/bin/sh
# bench/scale/run.sh: a synthetic operation at the scale of the largest real
# ones through the real hub and agents, then 200 connected agents and the
# catch-up of a new agent on the full journal.
#
#   sh bench/scale/run.sh        (or: make bench-scale)
#
# 1. bench/scale/gen: 40 countries, 48 hours of operation time, 10,000,000
#    database checks carried as counters in `checks` reports (one per
#    checkpoint every 10 minutes), 50,000 hits/seizures/arrests as events,
#    deployments and sitreps (~86,600 reports, 8.9 MB).
# 2. jad-sim run (one real jad-hub and 40 real jad-agent daemons, every
#    report through `jad-agent submit`, signed by its agent's outbox, CURVE,
#    fsync'd journal) as fast as the agents submit: the 48 hours pass in
#    well under a minute of wall time.  Hub peak RSS and CPU time, the 40
#    agents' CPU time, wall time.
# 3. jad-report --format json on the hub's journal and on one agent's
#    mirror: every figure the generator fixed (checks.db_searches =
#    10,000,000, events = 50,000, ...) must equal the generated totals.
# 4. The hub restarted alone on the scale journal with a roster of the 40
#    countries plus 200 bench agents: a fresh jad-agent (new data directory,
#    agent-de's key) is started and timed until its mirror's head equals the
#    hub's and its mirror is byte-identical to the journal (jad-journal dump).
# 5. 200 connected agents: jad-bench flood with 200 agent keys (200 CURVE
#    DEALERs, one per agent, heartbeating every second) and 200 feed
#    subscribers (200 CURVE SUBs, with the coordinator's key) in ONE
#    process — 200 jad-agent processes (each with its LMDB mirror) on 2
#    cores would measure the machine, not the hub.  Idle (1 report/s) for
#    CONN_SECONDS, then CONN_RATE reports/s in all for CONN_SECONDS, every
#    report delivered to all 200 subscribers: hub RSS, CPU, delivery.
#
# Knobs: BIN=build/bench-rel/bin COUNTRIES=40 CHECKS=10000000 EVENTS=50000
# HOURS=48 AGENTS=200 CONN_SECONDS=20 CONN_RATE=500 SIM_TIMEOUT=300 KEEP=0
# TMPDIR.  Loopback only; everything started is stopped and the temporary
# directory removed (KEEP=1 keeps it).  Exit 1 when a figure differs or a
# mirror does not match.
set -u
cd "$(dirname "$0")/../.." || exit 2

BIN=${BIN:-build/bench-rel/bin}
COUNTRIES=${COUNTRIES:-40}
CHECKS=${CHECKS:-10000000}
EVENTS=${EVENTS:-50000}
HOURS=${HOURS:-48}
AGENTS=${AGENTS:-200}
CONN_SECONDS=${CONN_SECONDS:-20}
CONN_RATE=${CONN_RATE:-500}
SIM_TIMEOUT=${SIM_TIMEOUT:-300}
KEEP=${KEEP:-0}

say () { printf '== %s\n' "$*"; }
for b in jad-hub jad-agent jad-sim jad-keygen jad-journal jad-report jad-bench; do
    [ -x "$BIN/$b" ] || { echo "scale: $BIN/$b missing (make -j2 O=build/bench-rel all build/bench-rel/bin/jad-bench, or BIN=...)" >&2; exit 2; }
done
# 200 agents' sockets in one process, 400 connections at the hub.
[ "$(ulimit -n)" -ge 4096 ] 2>/dev/null || ulimit -n 4096 2>/dev/null || true

T=$(mktemp -d "${TMPDIR:-/tmp}/jadscale.XXXXXX") || exit 2
SIM_PID=
HUB_PID=
LATE_PID=
cleanup () {
    for p in $LATE_PID $HUB_PID $SIM_PID; do
        kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    if [ "$KEEP" = 1 ]; then echo "scale: kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

RESULTS=$T/results
: > "$RESULTS"
FAILED=0
row () { printf '%-46s %s\n' "$1" "$2" >> "$RESULTS"; }
now_ms () { date +%s%3N; }
ticks () { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
secs () { awk -v t="$1" -v h="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / h }'; }
rss () {
    awk '/^VmHWM:/ { h = $2 } /^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 }
         END { if (h == "") print "?"; else printf "peak %.1f MiB, now %.1f MiB (anon %.1f, file %.1f)", h / 1024, r / 1024, a / 1024, f / 1024 }' \
        "/proc/$1/status" 2>/dev/null || echo "?"
}
wait_for () {
    n=$(($1 * 20)); shift
    while [ $n -gt 0 ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.05; n=$((n - 1))
    done
    return 1
}
# received_ms DIR SEQ: the hub's "received" time of entry SEQ, in ms.
received_ms () {
    r=$("$BIN/jad-journal" dump --data "$1" --from "$2" --limit 1 2>/dev/null \
        | sed -n 's/.*"received":"\([^"]*\)".*/\1/p')
    [ -n "$r" ] && date -d "$r" +%s%3N
}
# figures JSON: "path value" for every number of jad-report's pretty JSON.
figures () {
    awk '/^ *"[^"]*": *\{ *$/ { match($0, /"[^"]*"/); path[++d] = substr($0, RSTART + 1, RLENGTH - 2); next }
         /^ *\}/ { d--; next }
         /^ *"[^"]*": / { match($0, /"[^"]*"/); k = substr($0, RSTART + 1, RLENGTH - 2)
                          v = $0; sub(/^ *"[^"]*": */, "", v); sub(/,$/, "", v)
                          p = ""; for (i = 1; i <= d; i++) p = p path[i] "."
                          print p k, v }' "$1"
}
# check_figures JSON LABEL: every generated total against jad-report's.
check_figures () {
    figures "$1" > "$1.flat"
    bad=0
    while read -r path want; do
        if [ "$path" = events ]; then
            got=$(awk '$1 == "hits.total" || $1 == "arrests.total" || $1 == "seizures.firearms.total" \
                    || $1 == "seizures.firearm_parts" || $1 == "seizures.grenades" \
                    || $1 == "seizures.other_weapons" || $1 == "seizures.vehicles" \
                    || $1 == "seizures.documents" { s += $2 } END { print s + 0 }' "$1.flat")
        else
            got=$(awk -v p="$path" '$1 == p { print $2 }' "$1.flat")
        fi
        if [ "$got" != "$want" ]; then
            echo "scale: $2: $path = ${got:-missing}, generated $want" >&2
            bad=1
        fi
    done < "$T/totals"
    return $bad
}

say "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo); load $(cut -d' ' -f1-3 /proc/loadavg)"
row "load average at start" "$(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------ 1. scenario
bench/scale/gen -c "$COUNTRIES" -d "$CHECKS" -e "$EVENTS" -H "$HOURS" -t "$T/totals" > "$T/scale.jsonl" || exit 2
N=$(awk '$1 == "reports" { print $2 }' "$T/totals")
say "1. scenario: $N reports, $COUNTRIES countries, $HOURS h, $(wc -c < "$T/scale.jsonl") bytes"
sed 's/^/   /' "$T/totals"
row "scenario" "$N reports ($(awk '$1 == "checks.db_searches" { print $2 }' "$T/totals") database checks as counters, $(awk '$1 == "events" { print $2 }' "$T/totals") events), $COUNTRIES countries, $HOURS h"

# ------------------------------------------------------------ 2. jad-sim
say "2. jad-sim run: 1 hub, $COUNTRIES agents"
S0=$(now_ms)
"$BIN/jad-sim" run "$T/scale.jsonl" --data "$T/sim" --operation scale --keep-running \
    > "$T/sim.out" 2> "$T/sim.err" &
SIM_PID=$!
waited=0
while kill -0 "$SIM_PID" 2>/dev/null && ! grep -q '^running:' "$T/sim.out"; do
    sleep 0.05
    waited=$((waited + 1))
    [ $waited -ge $((SIM_TIMEOUT * 20)) ] && { say "jad-sim still running after $SIM_TIMEOUT s: stopping it"; break; }
done
S1=$(now_ms)
if ! grep -q '^running:' "$T/sim.out"; then
    kill -TERM "$SIM_PID" 2>/dev/null; wait "$SIM_PID"; SIM_PID=
    say "jad-sim FAILED:"; tail -5 "$T/sim.err"
    exit 1
fi
HUB_T=0 AG_T=0 AG_N=0 AG_HWM=0
for c in $(cat "/proc/$SIM_PID/task/$SIM_PID/children" 2>/dev/null); do
    case $(cat "/proc/$c/comm" 2>/dev/null) in
    jad-hub) HUB_T=$(ticks "$c"); HUB_RSS=$(rss "$c") ;;
    jad-agent)
        AG_N=$((AG_N + 1)); AG_T=$((AG_T + $(ticks "$c")))
        h=$(awk '/^VmHWM:/ { print $2 }' "/proc/$c/status")
        [ "${h:-0}" -gt "$AG_HWM" ] && AG_HWM=$h ;;
    esac
done
SIM_T=$(ticks "$SIM_PID")
kill -TERM "$SIM_PID"; wait "$SIM_PID"; rc=$?; SIM_PID=
tail -1 "$T/sim.out"
[ $rc -eq 0 ] || { say "jad-sim exited $rc:"; tail -5 "$T/sim.err"; FAILED=1; }
row "jad-sim (hub start -> all mirrors converged)" "$(tail -1 "$T/sim.out")"
row "  wall time, jad-sim start -> converged" "$(awk -v a="$S0" -v b="$S1" 'BEGIN { printf "%.1f s for 48 h of operation time", (b - a) / 1000 }')"
r1=$(received_ms "$T/sim/hub/journal" 1)
rn=$(received_ms "$T/sim/hub/journal" "$N")
[ -n "$r1" ] && [ -n "$rn" ] && row "  first receipt -> last journaled" "$(awk -v a="$r1" -v b="$rn" -v n="$N" 'BEGIN { printf "%.1f s (%.0f reports/s)", (b - a) / 1000, n / ((b - a) / 1000) }')"
row "  hub RSS" "$HUB_RSS"
row "  hub CPU time (all threads)" "$(secs "$HUB_T") s ($(awk -v t="$HUB_T" -v n="$N" -v h="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f us/report", t / h / n * 1e6 }'))"
row "  $AG_N agents: CPU time, largest peak RSS" "$(secs "$AG_T") s in all; $(awk -v h="$AG_HWM" 'BEGIN { printf "%.1f MiB", h / 1024 }')"
row "  journal size (hub data directory)" "$(du -sh "$T/sim/hub" | cut -f1)"

# ------------------------------------------------------------ 3. figures
say "3. jad-report on the hub's journal and on agent DE's mirror"
"$BIN/jad-report" --data "$T/sim/hub" --format json > "$T/hub.json" 2> "$T/report.err" \
    || { cat "$T/report.err"; FAILED=1; }
"$BIN/jad-report" --data "$T/sim/agents/DE" --format json > "$T/de.json" 2>> "$T/report.err" \
    || { cat "$T/report.err"; FAILED=1; }
if check_figures "$T/hub.json" "hub" && cmp -s "$T/hub.json" "$T/de.json"; then
    row "jad-report = generated totals" "yes: $(grep -c . "$T/totals") figures equal (db_searches $(awk '$1 == "checks.db_searches" { print $2 }' "$T/hub.json.flat"), events $(awk '$1 == "events" { print $2 }' "$T/totals")); agent DE's mirror gives byte-identical figures"
else
    row "jad-report = generated totals" "NO (see above)"
    FAILED=1
fi

# ------------------------------------------------------------ 4. roster, hub, catch-up
mkdir -p "$T/keys"
cp "$T/sim/keys/roster" "$T/roster"
# The countries of bench/scale/gen, in its order.
CCS=$(echo DE FR NL AT BE IT ES PL CZ HU GR RO BG HR SI SK PT IE DK SE FI EE LV LT LU MT CY CH NO IS GB AL MK RS ME BA XK MD UA TR \
      | tr ' ' '\n' | head -n "$COUNTRIES" | tr '\n' ' ')
i=0
BENCH_KEYS=
say "4. $AGENTS bench agents' keys, a roster of $COUNTRIES countries + $AGENTS agents"
for n in watch $(seq -f 'bench-%03g' 1 "$AGENTS"); do
    "$BIN/jad-keygen" "$n" --out "$T/keys" > /dev/null || exit 2
    p=$T/keys/$n.pub
    keys="$(sed -n 's/^public-key *= *//p' "$p") $(sed -n 's/^sign-public-key *= *//p' "$p") $(sed -n 's/^key-id *= *//p' "$p")"
    if [ "$n" = watch ]; then
        echo "participant   watch coordinator - $keys"
    else
        cc=$(echo $CCS | cut -d' ' -f$((i % COUNTRIES + 1))); i=$((i + 1))
        echo "participant   $n agent $cc $keys"
        BENCH_KEYS="$BENCH_KEYS $T/keys/$n.secret"
    fi >> "$T/roster"
done
set -- $("$BIN/jad-bench" free-ports 2)
HUB_EP=tcp://127.0.0.1:$1 FEED_EP=tcp://127.0.0.1:$2
rm -f "$T/sim/hub/status.json"
"$BIN/jad-hub" --data "$T/sim/hub" --roster "$T/roster" --key "$T/sim/keys/hub.secret" \
    --listen "$HUB_EP" --publish "$FEED_EP" --log-level warn 2> "$T/hub.log" &
HUB_PID=$!
wait_for 30 test -f "$T/sim/hub/status.json" || { echo "scale: jad-hub did not start on the scale journal:" >&2; tail -5 "$T/hub.log" >&2; exit 1; }
"$BIN/jad-journal" dump --data "$T/sim/hub/journal" > "$T/hub.dump"
HEAD=$(wc -l < "$T/hub.dump")
say "   catch-up: a fresh jad-agent (DE) on the hub's $HEAD entries"
L0=$(now_ms)
"$BIN/jad-agent" run --data "$T/late" --country DE --key "$T/sim/keys/agent-de.secret" \
    --hub-key "$T/sim/keys/hub.pub" --hub "$HUB_EP" --feed "$FEED_EP" 2> "$T/late.log" &
LATE_PID=$!
at_head () { "$BIN/jad-agent" status --data "$T/late" --json 2>/dev/null | grep -q "\"mirror_seq\":$HEAD[,}]"; }
H0=$(ticks "$HUB_PID")
if wait_for 300 at_head; then
    L1=$(now_ms)
    H1=$(ticks "$HUB_PID")
    LT=$(ticks "$LATE_PID")
    kill -TERM "$LATE_PID"; wait "$LATE_PID"; LATE_PID=
    "$BIN/jad-journal" dump --data "$T/late/mirror" > "$T/late.dump"
    same="mirror = journal (jad-journal dump identical)"
    cmp -s "$T/hub.dump" "$T/late.dump" || { same="mirror DIFFERS from the journal"; FAILED=1; }
    row "catch-up of a new agent on the full journal" "$HEAD entries in $(awk -v a="$L0" -v b="$L1" -v n="$HEAD" 'BEGIN { printf "%.2f s (%.0f entries/s, from process start, status polled every 50 ms)", (b - a) / 1000, n / ((b - a) / 1000) }'); $same"
    row "  CPU: hub serving it, the new agent" "$(secs $((H1 - H0))) s, $(secs "$LT") s"
else
    row "catch-up of a new agent on the full journal" "NOT at the head ($HEAD) within 300 s"
    FAILED=1
    kill -TERM "$LATE_PID"; wait "$LATE_PID"; LATE_PID=
fi

# ------------------------------------------------------------ 5. 200 agents
conn () {
    "$BIN/jad-bench" flood --hub "$HUB_EP" --feed "$FEED_EP" --hub-key "$T/sim/keys/hub.pub" \
        --watch-key "$T/keys/watch.secret" --watchers "$AGENTS" --window 1000 --drain 30 "$@" $BENCH_KEYS
}
say "5. $AGENTS agents connected (DEALER each) + $AGENTS feed subscribers: idle (1 report/s), $CONN_SECONDS s"
row "hub RSS before the $AGENTS agents" "$(rss "$HUB_PID")"
c0=$(ticks "$HUB_PID"); t0=$(now_ms)
conn --rate 1 --duration "$CONN_SECONDS" > "$T/idle.out" 2> "$T/idle.err" &
CONN_PID=$!
# Once all are connected: the hub's CPU over the idle seconds, and its RSS.
wait_for 120 grep -q 'subscribers connected' "$T/idle.err"
CONNECTED_MS=$(now_ms); IDLE_C=$(ticks "$HUB_PID")
sleep $((CONN_SECONDS - 2))
IDLE_RSS=$(rss "$HUB_PID"); c1=$(ticks "$HUB_PID"); t1=$(now_ms)
wait "$CONN_PID"
head -2 "$T/idle.out"; grep -v 'connected$' "$T/idle.err" | head -3
row "$AGENTS agents connected, idle: hub RSS" "$IDLE_RSS"
row "  time to connect them all (one jad-bench)" "$(awk -v a="$t0" -v b="$CONNECTED_MS" 'BEGIN { printf "%.1f s", (b - a) / 1000 }'), hub CPU meanwhile $(secs $((IDLE_C - c0))) s"
row "  hub CPU, all connected and idle" "$(awk -v c=$((c1 - IDLE_C)) -v h="$(getconf CLK_TCK)" -v ms=$((t1 - CONNECTED_MS)) 'BEGIN { printf "%.2f s in %.1f s (%.1f %% of a core: heartbeats in and out)", c / h, ms / 1000, c / h / (ms / 1000) * 100 }')"
row "  delivered (1 report/s)" "$(sed -n 's/^delivered: //p' "$T/idle.out")"

say "5b. $AGENTS agents at $CONN_RATE reports/s in all, each report to $AGENTS subscribers, $CONN_SECONDS s"
conn --rate "$CONN_RATE" --duration "$CONN_SECONDS" > "$T/busy.out" 2> "$T/busy.err" &
CONN_PID=$!
wait_for 120 grep -q 'subscribers connected' "$T/busy.err"
c0=$(ticks "$HUB_PID"); t0=$(now_ms)
sleep $((CONN_SECONDS / 2)); BUSY_RSS=$(rss "$HUB_PID")
wait "$CONN_PID"
c1=$(ticks "$HUB_PID"); t1=$(now_ms)
cat "$T/busy.out"; grep -v 'connected$' "$T/busy.err" | head -3
row "$AGENTS agents at $CONN_RATE reports/s: hub RSS" "$BUSY_RSS"
row "  hub CPU while they send" "$(awk -v c=$((c1 - c0)) -v h="$(getconf CLK_TCK)" -v ms=$((t1 - t0)) 'BEGIN { printf "%.2f s in %.1f s (%.0f %% of a core)", c / h, ms / 1000, c / h / (ms / 1000) * 100 }')"
row "  acked" "$(sed -n 's/^flood: [^:]*: //p' "$T/busy.out")"
row "  delivered to all $AGENTS subscribers" "$(sed -n 's/^delivered: //p' "$T/busy.out")"
row "  submit->seen (every report x subscriber)" "$(sed -n 's/^submit->seen *//p' "$T/busy.out")"
row "hub RSS at the end" "$(rss "$HUB_PID")"
kill -TERM "$HUB_PID"; wait "$HUB_PID"; HUB_PID=
row "load average at the end" "$(cut -d' ' -f1-3 /proc/loadavg)"

echo
say "results ($(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo))"
cat "$RESULTS"
exit $FAILED
