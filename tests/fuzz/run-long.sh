#!/bin/sh
# Runs every built fuzz target (build/fuzz/fuzz_*) for FUZZ_SECONDS each,
# one after another, keeping what each finds in a working corpus under
# build/fuzz/corpus/<target>/ (so a later run resumes where this one
# stopped) and crashes in build/fuzz/artifacts/.  Prints each target's
# executions and coverage; exits 1 if any target found a crash.
#
#   FUZZ_SECONDS=3600 sh tests/fuzz/run-long.sh [target...]
#   FUZZ_JOBS=2       parallel libFuzzer workers per target (default 1)
set -u
cd "$(dirname "$0")/../.."
FUZZ_SECONDS=${FUZZ_SECONDS:-600}
FUZZ_JOBS=${FUZZ_JOBS:-1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p build/fuzz/artifacts build/fuzz/logs
if [ $# -gt 0 ]; then targets=$*; else
    targets=$(for f in build/fuzz/fuzz_*; do [ -x "$f" ] && basename "$f" | sed 's/^fuzz_//'; done)
fi
[ -n "$targets" ] || { echo "no fuzz targets built: run make fuzz" >&2; exit 1; }
bad=0
for n in $targets; do
    f=build/fuzz/fuzz_$n
    [ -x "$f" ] || { echo "$n: not built" >&2; bad=1; continue; }
    work=build/fuzz/corpus/$n; mkdir -p "$work"
    log=build/fuzz/logs/$n.log
    seeds=tests/fuzz/corpus/$n; [ -d "$seeds" ] || seeds=
    echo "fuzz $n for $FUZZ_SECONDS s (log $log)"
    if [ "$FUZZ_JOBS" -gt 1 ]; then
        par="-fork=$FUZZ_JOBS -ignore_crashes=0"
    else
        par=
    fi
    # shellcheck disable=SC2086
    "$f" -max_total_time="$FUZZ_SECONDS" -max_len=70000 -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 $par \
        -artifact_prefix=build/fuzz/artifacts/"$n"- "$work" $seeds >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: //p' "$log" | tail -1)
    [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "  $n: rc $rc, ${execs:-?} executions, $cov, corpus $(ls "$work" | wc -l) files"
    if [ "$rc" -ne 0 ]; then
        bad=1
        grep -E 'ERROR|runtime error|SUMMARY' "$log" | head -5 | sed 's/^/    /'
    fi
done
exit $bad
