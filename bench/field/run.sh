#!/bin/sh
# bench/field/run.sh — the field scenarios of issue 7 at full scale: hub
# and agents on their own hosts (network namespaces, tests/field/netns.sh),
# links that lose 20 % or 40 % of their packets, run at 256 kbit/s, add
# 300 ms +/- 100 ms each way, are cut for 60 s, flap, or cut the hub off
# from everyone — while reports keep arriving.  For each: how many entries
# the hub held when the link healed, how long after the heal the hub and
# every mirror held every report (each exactly once, every mirror equal to
# the hub's journal — checked), and how many reports the agents resent.
# Results: BENCHMARKS.md, "Field (bad links)".
#
# Knobs (environment): SCENARIOS="loss20 loss40 slow delay cut flap hubcut"
# AGENTS=8 REPORTS=2000 (per agent, during the bad period) BAD=60 (seconds
# the link is bad) GAP=1 (seconds between an agent's batches) CONVERGE=900
# FLAP_DOWN=6 FLAP_UP=4 BIN (default: bin/, the release build; needs
# jad-hub, jad-agent, jad-keygen, jad-journal and jad-delay) KEEP=1 keeps
# each scenario's directory.  Needs root (network namespaces, nftables,
# tc): a scenario that cannot run is listed as SKIP with the reason.
# Exit: 0 all ran and passed; 1 one failed (did not converge, or not
# exactly once); 2 usage; 77 none could run here.
set -u
case ${BIN:-} in ""|/*) ;; *) BIN=$PWD/$BIN ;; esac    # the caller's directory
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-$PWD/bin}
export BIN AGENTS="${AGENTS:-8}" REPORTS="${REPORTS:-2000}" BAD="${BAD:-60}" \
       GAP="${GAP:-1}" CONVERGE="${CONVERGE:-900}" FLAP_DOWN="${FLAP_DOWN:-6}" \
       FLAP_UP="${FLAP_UP:-4}"
SCENARIOS=${SCENARIOS:-"loss20 loss40 slow delay cut flap hubcut"}
for p in jad-hub jad-agent jad-keygen jad-journal jad-delay; do
    [ -x "$BIN/$p" ] || { echo "bench/field: no $BIN/$p (make all build/…/jad-delay, or BIN=)" >&2; exit 2; }
done

OUT=$(mktemp -d /tmp/jad-field-bench.XXXXXX)
child=""
# Stopped: the running scenario is told to stop (its own trap removes its
# processes and namespaces), then this exits.
s_stop() {
    if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; wait "$child"; fi
    exit "$1"
}
trap 'rm -rf "$OUT"' EXIT
trap 's_stop 143' TERM
trap 's_stop 130' INT
echo "== field bench: $AGENTS agents, $REPORTS reports each over $BAD s of bad link, binaries $BIN"
echo "== $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0 ran=0
for s in $SCENARIOS; do
    echo "== $s"
    start=$(cut -d' ' -f1 /proc/uptime)
    st=0
    sh bench/field/scenario.sh "$s" > "$OUT/$s.log" 2>&1 &
    child=$!
    wait "$child" || st=$?
    child=""
    sed 's/^/   /' "$OUT/$s.log" | grep -v '^   RESULT'
    secs=$(awk -v a="$start" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.0f", b - a }')
    if [ "$st" = 0 ]; then
        ran=$((ran + 1))
        grep '^RESULT' "$OUT/$s.log" >> "$OUT/results"
    elif [ "$st" = 77 ]; then
        echo "RESULT $s SKIP $(sed -n 's/^SKIP: *//p' "$OUT/$s.log" | head -1)" >> "$OUT/results"
    else
        echo "RESULT $s FAILED (exit $st, see above)" >> "$OUT/results"
        ran=$((ran + 1)) rc=1
    fi
    echo "   ($secs s in all)"
done

echo
echo "| scenario | agents | reports | bad for | hub held at heal | converged after heal | resent | note |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
while read -r _ name rest; do
    case $rest in
        SKIP*|FAILED*) echo "| $name | | | | | | | $rest |"; continue ;;
    esac
    get() { echo "$rest" | sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }
    note=$(echo "$rest" | sed -n 's/.*note=//p')
    echo "| $name | $(get agents) | $(get reports) | $(get bad) s | $(get at_heal) | $(get converged) s | $(get resent) | $note |"
done < "$OUT/results"
[ "$ran" -gt 0 ] || exit 77     # every scenario skipped
exit $rc
