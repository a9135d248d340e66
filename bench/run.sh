#!/bin/sh
# bench/run.sh — the jadhub benchmark (`make bench`).  Results: BENCHMARKS.md.
#
# Runs, on loopback only, everything on this machine's cores:
#   1. jad-sim end to end on a synthetic operation (bench/gen_scenario:
#      200,000 reports, 8 countries): real hub, real agents, CURVE, fsync'd
#      group commit, every report Ed25519-signed by its agent and verified
#      by the hub; skipped, with the reason, if bin/jad-agent or
#      bin/jad-sim is missing or the run fails.  Besides jad-sim's own
#      figure (hub start to every mirror converged), the hub journal's
#      received times give first receipt -> last journaled (≈ first submit
#      -> last ack), and the time from then until jad-sim saw every mirror
#      converged is reported as mirror convergence;
#   2. jad-bench latency: one agent at a fixed rate, submit->ack and
#      submit->seen (by a second participant on the feed) p50/p99/max;
#   3. jad-bench flood: 8 agents, 1000 in flight each, reports/s acked:
#      first REPORTS reports, signed before the clock starts (--presign:
#      the hub's ceiling, and its RSS after as many as part 1), then
#      FLOOD_SECONDS of sustained load, jad-bench signing as it sends;
#   4. peak RSS (VmHWM) of the hub and agents, read just before stopping
#      them; with PERF=1, a `perf record -g` of the hub during a flood;
#   5. bin/jad-verify on part 1's hub journal, VERIFY_RUNS times each:
#      every signature checked, then --chain-only; entries/s.
# Every envelope jad-bench sends is signed (the hub refuses unsigned ones);
# any error reply is counted and printed.
# Everything started is stopped and the temporary directory removed.
#
# Knobs (environment): REPORTS=200000 COUNTRIES=8 RATE=2000 SECONDS_LAT=10
# FLOOD_SECONDS=10 FLOOD_AGENTS=8 WINDOW=1000 PERF=0 KEEP=0 (keep the
# temporary directory) SIM=1 (0 skips parts 1 and 5) SIM_TIMEOUT=600
# VERIFY_RUNS=3 TMPDIR.
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
VERIFY_RUNS=${VERIFY_RUNS:-3}

BENCH=build/release/bench/jad-bench
PKGS="libczmq libzmq libprotobuf-c lmdb libsodium jansson"

say () { printf '== %s\n' "$*"; }

# ------------------------------------------------------------ build
# `make bench` has built everything already; by hand, build what there is.
# If the tree does not build (someone mid-edit), measure the binaries
# already there, and say so.
if ! make -s all >/dev/null 2>&1 \
&& ! make -s lib/libjad.a bin/jad-hub bin/jad-keygen >/dev/null 2>&1; then
    make -s bin/jad-verify >/dev/null 2>&1
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
now_ms () { date +%s%3N; }
# ms since the epoch of entry SEQ's "received" in hub journal DIR, or "".
received_ms () {
    r=$(bin/jad-journal dump --data "$1" --from "$2" --limit 1 2>/dev/null \
        | sed -n 's/.*"received":"\([^"]*\)".*/\1/p')
    [ -n "$r" ] && date -d "$r" +%s%3N
}

say "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
say "load before the runs: $(cut -d' ' -f1-3 /proc/loadavg); busiest other processes:"
top -bn1 -o %CPU 2>/dev/null | sed -n '8,11p'
row "load average at start" "$(cut -d' ' -f1-3 /proc/loadavg)"

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
    : > "$T/sim.out"
    bin/jad-sim run "$SCEN" --data "$T/sim" --operation bench --keep-running \
        > "$T/sim.out" 2> "$T/sim.err" &
    SIM_PID=$!
    # Wait for "running:" (all acked and mirrored) or for jad-sim to end.
    waited=0
    while kill -0 "$SIM_PID" 2>/dev/null && ! grep -q '^running:' "$T/sim.out"; do
        sleep 0.05
        waited=$((waited + 1))
        if [ $waited -ge $((SIM_TIMEOUT * 20)) ]; then
            say "jad-sim still running after $SIM_TIMEOUT s: stopping it"
            kill -TERM "$SIM_PID"
            break
        fi
    done
    CONVERGED_MS=$(now_ms)
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
        # The hub journal's first and last received times: first receipt
        # -> last journaled, the hub-side end-to-end span.
        r1=$(received_ms "$T/sim/hub/journal" 1)
        rn=$(received_ms "$T/sim/hub/journal" "$REPORTS")
        if [ -n "$r1" ] && [ -n "$rn" ] && [ "$rn" -gt "$r1" ]; then
            row "  first receipt -> last journaled (signed)" "$(awk -v a="$r1" -v b="$rn" -v n="$REPORTS" 'BEGIN { printf "%.2f s (%.0f reports/s)", (b - a) / 1000, n / ((b - a) / 1000) }')"
            row "  last journaled -> every mirror converged" "$(awk -v a="$rn" -v b="$CONVERGED_MS" 'BEGIN { printf "%.2f s (polled every 50 ms)", (b - a) / 1000 }')"
        fi
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
# participant NAME ROLE COUNTRY CURVE_KEY SIGN_KEY KEY_ID
for n in $NAMES; do
    bin/jad-keygen "$n" --out "$T/keys" > /dev/null || exit 2
    key=$(sed -n 's/^public-key *= *//p' "$T/keys/$n.pub")
    skey=$(sed -n 's/^sign-public-key *= *//p' "$T/keys/$n.pub")
    kid=$(sed -n 's/^key-id *= *//p' "$T/keys/$n.pub")
    if [ -z "$skey" ] || [ -z "$kid" ]; then
        echo "bench: $T/keys/$n.pub has no signing key (old jad-keygen?)" >&2; exit 2
    fi
    case $n in
    hub)   echo "participant   $n hub - $key $skey $kid" ;;
    watch) echo "participant   $n coordinator - $key $skey $kid" ;;
    *)     echo "participant   $n agent $(echo "${n#agent-}" | tr a-z A-Z) $key $skey $kid" ;;
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
row "latency run errors" "$(sed -n 's/.* \([0-9]*\) errors,.*/\1/p' "$T/latency.out")"
row "hub CPU per report at $RATE/s (all threads)" "$(awk -v t=$((L1 - L0)) -v n=$((RATE * SECONDS_LAT)) -v h="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f us (%.0f%% of a core)", t / h / n * 1e6, t / h / '"$SECONDS_LAT"' * 100 }')"

# ------------------------------------------------------------ 3. flood
ackline () { sed -n 's/^submit->ack *p50 \([0-9.]*\) ms.*p99 \([0-9.]*\) ms.*max \([0-9.]*\) ms.*/p50 \1 ms, p99 \2 ms, max \3 ms/p' "$1"; }
flood_rate () { sed -n 's/.*(\([0-9]*\) reports\/s acked).*/\1/p' "$1"; }
errors () { sed -n 's/.*, \([0-9]*\) errors.*/\1/p' "$1"; }

# 3a. The scenario's size through the hub alone, as fast as it goes: the
# hub-side ceiling for part 1, and the hub's RSS after that many reports.
say "3a. flood: $REPORTS presigned reports from $FLOOD_AGENTS agents, window $WINDOW, one watcher"
$BENCH flood $COMMON --window "$WINDOW" --duration 600 --count "$REPORTS" \
    --presign $AGENT_KEYS | tee "$T/flood-count.out"
row "flood: $REPORTS presigned, $FLOOD_AGENTS agents x $WINDOW (hub only)" "$(flood_rate "$T/flood-count.out") reports/s acked, $(errors "$T/flood-count.out") errors"
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
row "flood: ${FLOOD_SECONDS} s, $FLOOD_AGENTS signing agents x $WINDOW (hub only)" "$(flood_rate "$T/flood.out") reports/s acked, $(errors "$T/flood.out") errors"
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

# ------------------------------------------------------------ 5. jad-verify
if [ -x bin/jad-verify ] && [ -d "$T/sim/hub" ] && grep -q '^running:' "$T/sim.out" 2>/dev/null; then
    n=$(bin/jad-journal count --data "$T/sim/hub/journal" 2>/dev/null | awk 'NR == 1 { print $1 }')
    for mode in full chain-only; do
        flag=; [ $mode = chain-only ] && flag=--chain-only
        say "5. jad-verify $flag on part 1's journal ($n entries), $VERIFY_RUNS runs"
        rates=
        i=0
        while [ $i -lt "$VERIFY_RUNS" ]; do
            t0=$(now_ms)
            /usr/bin/time -f '%U %S' -o "$T/verify.time" \
                bin/jad-verify --data "$T/sim/hub" --roster "$T/sim/keys/roster" $flag \
                > "$T/verify.out" 2>&1; vrc=$?
            t1=$(now_ms)
            cpu=$(awk '{ print $1 + $2 }' "$T/verify.time" 2>/dev/null)
            echo "$(tail -1 "$T/verify.out") [wall $((t1 - t0)) ms, CPU ${cpu:-?} s]"
            if [ $vrc -ne 0 ]; then rates="$rates FAILED(exit $vrc)"; else
                rates="$rates $(awk -v n="$n" -v ms=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (ms / 1000) }')"
            fi
            i=$((i + 1))
        done
        row "jad-verify $mode ($n entries)" "entries/s:$rates"
    done
else
    row "jad-verify" "not run (no bin/jad-verify or no part 1 journal)"
fi

echo
say "results ($(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo))"
cat "$RESULTS"
