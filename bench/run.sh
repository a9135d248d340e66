#!/bin/sh
# bench/run.sh — the jadhub benchmark (`make bench`).  Results: BENCHMARKS.md.
#
# Runs, on loopback only, everything on this machine's cores:
#   1. jad-sim end to end on a synthetic operation (bench/gen_scenario:
#      200,000 reports, 8 countries): real hub, real agents, CURVE, fsync'd
#      group commit; skipped, with the reason, if bin/jad-agent or
#      bin/jad-sim is missing or the run fails;
#   2. jad-bench latency: one agent at a fixed rate, submit->ack and
#      submit->seen (by a second participant on the feed) p50/p99/max;
#   3. jad-bench flood: 8 agents, 1000 in flight each, reports/s acked:
#      first REPORTS reports (the hub's RSS after as many as part 1), then
#      FLOOD_SECONDS of sustained load;
#   4. peak RSS (VmHWM) of the hub and agents, read just before stopping
#      them; with PERF=1, a `perf record -g` of the hub during a flood.
# Everything started is stopped and the temporary directory removed.
#
# Knobs (environment): REPORTS=200000 COUNTRIES=8 RATE=2000 SECONDS_LAT=10
# FLOOD_SECONDS=10 FLOOD_AGENTS=8 WINDOW=1000 PERF=0 KEEP=0 (keep the
# temporary directory) SIM=1 (0 skips part 1) SIM_TIMEOUT=600 TMPDIR.
set -u
cd "$(dirname "$0")/.." || exit 2

REPORTS=${REPORTS:-200000}
COUNTRIES=${COUNTRIES:-8}
RATE=${RATE:-2000}
SECONDS_LAT=${SECONDS_LAT:-10}
FLOOD_SECONDS=${FLOOD_SECONDS:-10}
FLOOD_AGENTS=${FLOOD_AGENTS:-8}
WINDOW=${WINDOW:-1000}
PERF=${PERF:-0}
KEEP=${KEEP:-0}
SIM=${SIM:-1}
SIM_TIMEOUT=${SIM_TIMEOUT:-600}

BENCH=build/release/bench/jad-bench
PKGS="libczmq libzmq libprotobuf-c lmdb libsodium jansson"

say () { printf '== %s\n' "$*"; }

# ------------------------------------------------------------ build
# `make bench` has built everything already; by hand, build what there is.
# If the tree does not build (someone mid-edit), measure the binaries
# already there, and say so.
if ! make -s all >/dev/null 2>&1 \
&& ! make -s lib/libjad.a bin/jad-hub bin/jad-keygen >/dev/null 2>&1; then
    if [ -f lib/libjad.a ] && [ -x bin/jad-hub ] && [ -x bin/jad-keygen ]; then
        echo "bench: WARNING: the build fails; measuring the existing bin/ (built $(date -r bin/jad-hub '+%F %T'))" >&2
    else
        echo "bench: cannot build lib/libjad.a, bin/jad-hub, bin/jad-keygen" >&2
        exit 2
    fi
fi
# jad-bench: bin/jad-bench when the Makefile builds it, else built here.
if [ -x bin/jad-bench ] && [ ! bench/jad_bench.c -nt bin/jad-bench ]; then
    BENCH=bin/jad-bench
elif [ ! -x "$BENCH" ] || [ bench/jad_bench.c -nt "$BENCH" ] \
|| [ lib/libjad.a -nt "$BENCH" ]; then
    mkdir -p build/release/bench
    ${CC:-cc} -std=c11 -O2 -g -Wall -Wextra -Werror \
        -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude \
        -isystem build/release/gen $(pkg-config --cflags $PKGS) \
        bench/jad_bench.c lib/libjad.a $(pkg-config --libs $PKGS) \
        -lm -lpthread -o "$BENCH" || { echo "bench: cannot build jad-bench" >&2; exit 2; }
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/jadbench.XXXXXX") || exit 2
HUB_PID=
SIM_PID=
PERF_PID=
cleanup () {
    for p in $PERF_PID $HUB_PID $SIM_PID; do
        kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    if [ "$KEEP" = 1 ]; then echo "bench: kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

RESULTS=$T/results
: > "$RESULTS"
row () { printf '%-44s %s\n' "$1" "$2" >> "$RESULTS"; }

# VmHWM of PID in kB, or "?".
hwm () { awk '/^VmHWM:/ { print $2; f = 1 } END { if (!f) print "?" }' "/proc/$1/status" 2>/dev/null || echo "?"; }
# "VmHWM (now: anon A, file F)" of PID: LMDB's map pages count as file RSS.
rss () {
    awk '/^VmHWM:/ { h = $2 } /^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 }
         END { if (h == "") print "?"; else printf "%.1f MiB (now: anon %.1f, file %.1f MiB)", h / 1024, a / 1024, f / 1024 }' \
        "/proc/$1/status" 2>/dev/null || echo "?"
}
cpu_ticks () { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

say "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"

# ------------------------------------------------------------ scenario
SCEN=$T/bench-$REPORTS.jsonl
bench/gen_scenario -n "$REPORTS" -c "$COUNTRIES" > "$SCEN" || exit 2
say "scenario: $REPORTS reports, $COUNTRIES countries, $(wc -c < "$SCEN") bytes"

# ------------------------------------------------------------ 1. jad-sim
if [ "$SIM" = 0 ]; then
    say "1. jad-sim: SKIPPED (SIM=0)"
    row "end to end (jad-sim)" "not run (SIM=0)"
elif [ ! -x bin/jad-agent ] || [ ! -x bin/jad-sim ]; then
    say "1. jad-sim: SKIPPED (bin/jad-agent or bin/jad-sim not built yet)"
    row "end to end (jad-sim)" "not run: bin/jad-agent or bin/jad-sim missing"
else
    say "1. jad-sim run ($REPORTS reports, $COUNTRIES countries)"
    bin/jad-sim run "$SCEN" --data "$T/sim" --operation bench --keep-running \
        > "$T/sim.out" 2> "$T/sim.err" &
    SIM_PID=$!
    # Wait for "running:" (all acked and mirrored) or for jad-sim to end.
    waited=0
    while kill -0 "$SIM_PID" 2>/dev/null && ! grep -q '^running:' "$T/sim.out"; do
        sleep 0.2
        waited=$((waited + 1))
        if [ $waited -ge $((SIM_TIMEOUT * 5)) ]; then
            say "jad-sim still running after $SIM_TIMEOUT s: stopping it"
            kill -TERM "$SIM_PID"
            break
        fi
    done
    HUB_RSS=? AGENT_KB=0 AGENT_RSS=? N_AGENTS=0
    if grep -q '^running:' "$T/sim.out"; then
        for c in $(cat "/proc/$SIM_PID/task/$SIM_PID/children" 2>/dev/null); do
            kb=$(hwm "$c")
            case $(cat "/proc/$c/comm" 2>/dev/null) in
            jad-hub) HUB_RSS=$(rss "$c") ;;
            jad-agent)
                N_AGENTS=$((N_AGENTS + 1))
                case $kb in ''|*[!0-9]*) ;; *)
                    if [ "$kb" -gt "$AGENT_KB" ]; then
                        AGENT_KB=$kb AGENT_RSS=$(rss "$c")
                    fi ;;
                esac ;;
            esac
        done
        kill -TERM "$SIM_PID" 2>/dev/null
    fi
    wait "$SIM_PID"; rc=$?
    SIM_PID=
    cat "$T/sim.out" | grep -v '^running:' | tail -3
    summary=$(tail -1 "$T/sim.out")
    if [ $rc -eq 0 ] && echo "$summary" | grep -q 'reports/s'; then
        row "end to end (jad-sim, CURVE, fsync)" "$summary"
        row "  hub peak RSS (VmHWM)" "$HUB_RSS"
        row "  largest agent peak RSS ($N_AGENTS agents)" "$AGENT_RSS"
    else
        say "jad-sim FAILED (exit $rc); its stderr ends:"
        tail -5 "$T/sim.err"
        row "end to end (jad-sim)" "FAILED (exit $rc): $(tail -1 "$T/sim.err")"
    fi
fi

# ------------------------------------------------------------ hub alone
# Keys, roster and a hub on free ports for parts 2 and 3.
mkdir -p "$T/keys" "$T/hub"
NAMES="hub watch"
i=0
for cc in DE FR NL AT BE IT ES PL CZ HU GR RO BG HR SI SK; do
    [ $i -ge "$FLOOD_AGENTS" ] && break
    NAMES="$NAMES agent-$(echo $cc | tr A-Z a-z)"
    i=$((i + 1))
done
ROSTER=$T/roster
{
    echo "operation     jadhub bench"
    echo "operation_id  $(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
    echo "start         2020-11-16T07:00:00Z"
    echo "end           2020-11-21T07:00:00Z"
} > "$ROSTER"
for n in $NAMES; do
    bin/jad-keygen "$n" --out "$T/keys" > /dev/null || exit 2
    key=$(sed -n 's/^public-key *= *//p' "$T/keys/$n.pub")
    case $n in
    hub)   echo "participant   $n hub - $key" ;;
    watch) echo "participant   $n coordinator - $key" ;;
    *)     echo "participant   $n agent $(echo "${n#agent-}" | tr a-z A-Z) $key" ;;
    esac >> "$ROSTER"
done
set -- $($BENCH free-ports 2)
HUB_EP=tcp://127.0.0.1:$1
FEED_EP=tcp://127.0.0.1:$2
bin/jad-hub --data "$T/hub" --roster "$ROSTER" --key "$T/keys/hub.secret" \
    --listen "$HUB_EP" --publish "$FEED_EP" --log-level warn 2> "$T/hub.log" &
HUB_PID=$!
AGENT_KEYS=
for n in $NAMES; do
    case $n in agent-*) AGENT_KEYS="$AGENT_KEYS $T/keys/$n.secret" ;; esac
done
FIRST_AGENT=$(echo $AGENT_KEYS | cut -d' ' -f1)
COMMON="--hub $HUB_EP --feed $FEED_EP --hub-key $T/keys/hub.pub --watch-key $T/keys/watch.secret"
sleep 0.5
if ! kill -0 "$HUB_PID" 2>/dev/null; then
    echo "bench: jad-hub did not start:" >&2; cat "$T/hub.log" >&2; exit 1
fi

# ------------------------------------------------------------ 2. latency
say "2. latency: one agent at $RATE reports/s for $SECONDS_LAT s, one watcher on the feed"
L0=$(cpu_ticks "$HUB_PID")
$BENCH latency $COMMON --key "$FIRST_AGENT" --rate "$RATE" \
    --duration "$SECONDS_LAT" | tee "$T/latency.out"
L1=$(cpu_ticks "$HUB_PID")
pick () { sed -n "s/^$1 *.*p50 \([0-9.]*\) ms.*p99 \([0-9.]*\) ms.*max \([0-9.]*\) ms.*/p50 \1 ms, p99 \2 ms, max \3 ms/p" "$T/latency.out"; }
row "submit->ack at $RATE/s (1 agent, hub only)" "$(pick 'submit->ack')"
row "submit->seen at $RATE/s (another participant)" "$(pick 'submit->seen')"
row "hub CPU per report at $RATE/s (all threads)" "$(awk -v t=$((L1 - L0)) -v n=$((RATE * SECONDS_LAT)) -v h="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f us (%.0f%% of a core)", t / h / n * 1e6, t / h / '"$SECONDS_LAT"' * 100 }')"

# ------------------------------------------------------------ 3. flood
ackline () { sed -n 's/^submit->ack *p50 \([0-9.]*\) ms.*p99 \([0-9.]*\) ms.*max \([0-9.]*\) ms.*/p50 \1 ms, p99 \2 ms, max \3 ms/p' "$1"; }
flood_rate () { sed -n 's/.*(\([0-9]*\) reports\/s acked).*/\1/p' "$1"; }

# 3a. The scenario's size through the hub alone, as fast as it goes: the
# hub-side ceiling for part 1, and the hub's RSS after that many reports.
say "3a. flood: $REPORTS reports from $FLOOD_AGENTS agents, window $WINDOW, one watcher"
$BENCH flood $COMMON --window "$WINDOW" --duration 600 --count "$REPORTS" \
    $AGENT_KEYS | tee "$T/flood-count.out"
row "flood: $REPORTS reports, $FLOOD_AGENTS agents x $WINDOW (hub only)" "$(flood_rate "$T/flood-count.out") reports/s acked"
row "hub peak RSS after $((RATE * SECONDS_LAT + REPORTS)) reports" "$(rss "$HUB_PID")"

# 3b. Sustained, with the hub's CPU time and (PERF=1) a profile.
say "3b. flood: $FLOOD_AGENTS agents, window $WINDOW, $FLOOD_SECONDS s, one watcher"
T0=$(cpu_ticks "$HUB_PID")
if [ "$PERF" = 1 ] && command -v perf > /dev/null; then
    perf record -g -F 999 -p "$HUB_PID" -o "$T/perf.data" 2> "$T/perf.err" &
    PERF_PID=$!
    sleep 0.5
fi
$BENCH flood $COMMON --window "$WINDOW" --duration "$FLOOD_SECONDS" \
    $AGENT_KEYS | tee "$T/flood.out"
T1=$(cpu_ticks "$HUB_PID")
if [ -n "$PERF_PID" ]; then
    kill -INT "$PERF_PID"; wait "$PERF_PID"; PERF_PID=
    perf report -i "$T/perf.data" --no-children --sort dso --stdio 2>/dev/null \
        | grep -E '^ +[0-9]+\.[0-9]+%' | head -12 > "$T/perf.dso"
    perf report -i "$T/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null \
        | grep -E '^ +[0-9]+\.[0-9]+%' | head -30 > "$T/perf.top"
    say "hub profile during the flood (self time, by library):"
    cat "$T/perf.dso"
    say "hub profile during the flood (self time, top symbols):"
    cat "$T/perf.top"
    [ "$KEEP" = 1 ] && echo "bench: perf data in $T/perf.data"
fi
acked=$(sed -n 's/.* \([0-9]*\) acked in.*/\1/p' "$T/flood.out")
row "flood: ${FLOOD_SECONDS} s, $FLOOD_AGENTS agents x $WINDOW (hub only)" "$(flood_rate "$T/flood.out") reports/s acked"
row "flood: submit->ack under saturation" "$(ackline "$T/flood.out")"
if [ -n "$acked" ] && [ "$acked" -gt 0 ]; then
    tck=$(getconf CLK_TCK)
    row "flood: hub CPU per report (all threads)" "$(awk -v t=$((T1 - T0)) -v n="$acked" -v h="$tck" 'BEGIN { printf "%.1f us (%.1f s CPU)", t / h / n * 1e6, t / h }')"
fi

# ------------------------------------------------------------ 4. RSS, stop
row "hub peak RSS at the end" "$(rss "$HUB_PID")"
row "hub journal size" "$(du -sh "$T/hub" | cut -f1)"
kill -TERM "$HUB_PID"; wait "$HUB_PID"; HUB_PID=
if grep -q -i 'error' "$T/hub.log"; then
    say "hub log has errors:"; grep -i error "$T/hub.log" | head -5
fi

echo
say "results ($(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo))"
cat "$RESULTS"
