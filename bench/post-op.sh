#!/bin/sh
# bench/post-op.sh — the post-operation tools on a large journal (issue 5).
# Results: BENCHMARKS.md, "Post-operation tools (issue 5)".
#
#   1. builds the release tree (`make`);
#   2. generates, once, a journal of ENTRIES reports (bench/gen_scenario
#      piped into `bin/jad-journal import`, a real jadhub journal: entries,
#      dedupe records, hash chain, 1,000 reports per durable commit) in
#      build/bench/post-op-ENTRIES-cCOUNTRIES/journal, reused by later runs
#      (delete the directory to regenerate);
#   3. runs each tool RUNS times on it, output to /dev/null:
#        jad-report --format json, jad-replay, jad-export --format csv,
#        jad-export --format jsonl
#      and prints wall time, entries/s, CPU time, and the peak RSS split
#      into anonymous (heap, stacks: what the tool allocates) and file
#      (LMDB's read-only map of the journal, page cache shared with every
#      other reader), sampled from /proc/PID/status every 50 ms, plus
#      VmHWM (peak of both together, as the kernel counts it).
#
# Knobs (environment): ENTRIES=10000000 COUNTRIES=16 (gen_scenario's
# maximum) RUNS=3 TOOLS="report replay csv jsonl" PERF=0 (1: a `perf
# record -g` of one extra run of each tool, top symbols printed).
set -u
cd "$(dirname "$0")/.." || exit 2

ENTRIES=${ENTRIES:-10000000}
COUNTRIES=${COUNTRIES:-16}
RUNS=${RUNS:-3}
TOOLS=${TOOLS:-report replay csv jsonl}
PERF=${PERF:-0}

say () { printf '== %s\n' "$*"; }

# ------------------------------------------------------------ build
if ! make -s >/dev/null 2>&1; then
    if [ -x bin/jad-report ] && [ -x bin/jad-replay ] && [ -x bin/jad-export ] \
    && [ -x bin/jad-journal ]; then
        echo "post-op: WARNING: the build fails; measuring the existing bin/" >&2
    else
        echo "post-op: cannot build the tools" >&2
        exit 2
    fi
fi

say "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
say "load: $(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------ journal
DATA=build/bench/post-op-$ENTRIES-c$COUNTRIES
if [ ! -f "$DATA/done" ]; then
    # About 300 bytes of journal per entry; want twice that free.
    need_kb=$((ENTRIES / 1000 * 600))
    free_kb=$(df -Pk build | awk 'NR == 2 { print $4 }')
    if [ "$free_kb" -lt "$need_kb" ]; then
        echo "post-op: $(df -h build | awk 'NR == 2 { print $4 }') free under build/, need ~$((need_kb / 1048576 + 1)) GiB" >&2
        exit 2
    fi
    rm -rf "$DATA"
    mkdir -p "$DATA"
    say "generating $ENTRIES reports from $COUNTRIES countries into $DATA (once)"
    t0=$(date +%s)
    bench/gen_scenario -n "$ENTRIES" -c "$COUNTRIES" \
        | bin/jad-journal import --data "$DATA/journal" --operation "post-op bench" - \
        > "$DATA/import.out" || { cat "$DATA/import.out" >&2; echo "post-op: import failed" >&2; exit 2; }
    t1=$(date +%s)
    cat "$DATA/import.out"
    echo "import: $((t1 - t0)) s" | tee -a "$DATA/import.out"
    touch "$DATA/done"
fi
N=$(bin/jad-journal count --data "$DATA/journal" --json 2>/dev/null \
    | sed -n 's/^{"entries":\([0-9]*\).*/\1/p')
say "journal: $DATA, ${N:-?} entries, $(du -sh "$DATA/journal" | cut -f1) on disk ($(sed -n 's/^import: //p' "$DATA/import.out") to import)"

# ------------------------------------------------------------ runs
T=$(mktemp -d "${TMPDIR:-/tmp}/postop.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

# Run "$@" with stdout to /dev/null; sample /proc/PID/status; print
# "wall_ms cpu_s anon_kB file_kB hwm_kB rc".
measure () {
    t0=$(date +%s%3N)
    "$@" > /dev/null 2> "$T/err" &
    pid=$!
    amax=0 fmax=0 hwm=0
    while kill -0 "$pid" 2>/dev/null; do
        if s=$(awk '/^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 } /^VmHWM:/ { h = $2 }
                    END { if (h != "") print a, f, h }' "/proc/$pid/status" 2>/dev/null) \
        && [ -n "$s" ]; then
            set -- $s
            [ "$1" -gt "$amax" ] && amax=$1
            [ "$2" -gt "$fmax" ] && fmax=$2
            [ "$3" -gt "$hwm" ] && hwm=$3
            ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null)
        fi
        sleep 0.05
    done
    wait "$pid"; rc=$?
    t1=$(date +%s%3N)
    echo "$((t1 - t0)) ${ticks:-0} $amax $fmax $hwm $rc"
}

tool_cmd () {
    case $1 in
    report) echo "bin/jad-report --data $DATA --format json" ;;
    replay) echo "bin/jad-replay --data $DATA" ;;
    csv)    echo "bin/jad-export --data $DATA --format csv" ;;
    jsonl)  echo "bin/jad-export --data $DATA --format jsonl" ;;
    esac
}
target () {
    case $1 in
    report) echo "<= 5 s" ;;
    replay|csv) echo ">= 300,000/s" ;;
    *) echo "-" ;;
    esac
}

# Warm the page cache once, so every run reads the same way.
cat "$DATA/journal/data.mdb" > /dev/null

RESULTS=$T/results
printf '%-8s %-4s %9s %12s %8s %10s %10s %10s %s\n' tool run "wall s" "entries/s" \
    "CPU s" "anon MiB" "file MiB" "HWM MiB" "exit" > "$RESULTS"
tck=$(getconf CLK_TCK)
for tool in $TOOLS; do
    cmd=$(tool_cmd "$tool")
    say "$cmd  (target $(target "$tool")), $RUNS runs"
    i=1
    while [ $i -le "$RUNS" ]; do
        set -- $(measure $cmd)
        line=$(awk -v t="$tool" -v i="$i" -v ms="$1" -v tk="$2" -v a="$3" -v f="$4" \
                   -v h="$5" -v rc="$6" -v n="${N:-0}" -v hz="$tck" 'BEGIN {
            printf "%-8s %-4s %9.2f %12.0f %8.2f %10.1f %10.1f %10.1f %s",
                t, i, ms / 1000, n / (ms / 1000), tk / hz, a / 1024, f / 1024, h / 1024, rc }')
        echo "$line"
        echo "$line" >> "$RESULTS"
        [ "$6" = 0 ] || { echo "  stderr:"; tail -3 "$T/err"; }
        i=$((i + 1))
    done
    if [ "$PERF" = 1 ] && command -v perf > /dev/null; then
        perf record -g -o "$T/perf.$tool" $cmd > /dev/null 2> /dev/null
        say "$tool: top symbols (self)"
        perf report -i "$T/perf.$tool" --no-children --sort dso,symbol --stdio 2>/dev/null \
            | grep -E '^ +[0-9]+\.[0-9]+%' | head -15
    fi
done

echo
say "results: $ENTRIES entries ($COUNTRIES countries), $(nproc) cores; anon/file = peak RssAnon/RssFile sampled every 50 ms"
cat "$RESULTS"
