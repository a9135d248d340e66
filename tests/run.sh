#!/bin/sh
# Runs every test of the VARIANT build (default asan): unit tests, then the
# process-level tests in tests/e2e/, then each fuzz target for a bounded
# smoke time.  Prints a summary; exits 1 if anything failed.
#
# A process-level test that exits 77 could not run here (e.g. no network
# namespaces for the field tests): it is reported as "SKIP name: <reason>",
# the reason being its output line that starts with "SKIP:", and counted
# apart — neither a pass nor a failure.  Exit 77 with no such line is a
# failure: under `set -e` any command that happens to return 77 ends the
# test with 77, and that must not pass for "could not run".  Only e2e tests
# may skip: 77 is libFuzzer's exit code for a crash, and cmocka's for 77
# failed checks.
#
#   FUZZ_SECONDS=20   smoke time per fuzz target (0 skips fuzzing)
#   TESTS=pattern     run only tests whose name matches (shell glob)
set -u
cd "$(dirname "$0")/.."
VARIANT=${VARIANT:-asan}
B=${B:-build/$VARIANT}
if [ -n "${BIN:-}" ]; then :; elif [ "$VARIANT" = release ] && [ "$B" = build/release ]; then BIN=$PWD/bin; else BIN=$PWD/$B/bin; fi
export BIN
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
TESTS=${TESTS:-*}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

pass=0 fail=0 failed="" skip=0 skipped="" skippable=""
LOGDIR=$(mktemp -d /tmp/jad-tests.XXXXXX)
trap 'rm -rf "$LOGDIR"' EXIT

run() {     # run NAME COMMAND...
    name=$1; shift
    case "$name" in $TESTS) ;; *) return ;; esac
    start=$(date +%s)
    rc=0
    "$@" >"$LOGDIR/out" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then
        pass=$((pass + 1))
        echo "PASS $name ($(( $(date +%s) - start )) s)"
    elif [ "$rc" -eq 77 ] && [ -n "$skippable" ] && grep -q '^SKIP:' "$LOGDIR/out"; then
        skip=$((skip + 1)); skipped="$skipped $name"
        reason=$(sed -n 's/^SKIP: *//p' "$LOGDIR/out" | head -n 1)
        echo "SKIP $name: ${reason:-(no reason given)}"
    else
        fail=$((fail + 1)); failed="$failed $name"
        if [ "$rc" -eq 77 ] && [ -n "$skippable" ]; then
            echo "FAIL $name: exit 77 without a SKIP: line"
        else
            echo "FAIL $name"
        fi
        tail -n 60 "$LOGDIR/out" | sed 's/^/    /'
    fi
}

for t in "$B"/tests/test_*; do
    [ -x "$t" ] && run "unit/$(basename "$t")" "$t"
done
skippable=1
for t in tests/e2e/[0-9]*.sh; do
    [ -f "$t" ] && run "e2e/$(basename "$t" .sh)" sh "$t"
done
skippable=""
if [ "$FUZZ_SECONDS" -gt 0 ]; then
    for f in build/fuzz/fuzz_*; do
        [ -x "$f" ] || continue
        n=$(basename "$f"); n=${n#fuzz_}
        work="$LOGDIR/corpus-$n"; mkdir -p "$work"
        run "fuzz/$n" "$f" -max_total_time="$FUZZ_SECONDS" -max_len=70000 \
            -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$LOGDIR/" "$work" "tests/fuzz/corpus/$n"
    done
fi

echo "tests: $pass passed, $fail failed, $skip skipped"
[ -z "$failed" ] || echo "failed:$failed"
[ -z "$skipped" ] || echo "skipped:$skipped"
[ "$fail" -eq 0 ]
