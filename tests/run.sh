#!/bin/bash
# Runs every test of the VARIANT build (default asan): unit tests, the
# process-level tests in tests/e2e/, then each fuzz target for a bounded
# smoke time.  Prints a line per test as it ends and a summary; exits 1 if
# anything failed.
#
# Tests run JOBS at a time (default 4), fuzz targets last: the
# process-level tests spend most of their time waiting on timers, links and
# each other, not on the CPU, so this is what keeps `make test` short.  Each
# test has its own temporary directory, free ports and network namespaces,
# so running them side by side changes nothing they assert.  The longest
# start first.
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
#   JOBS=4            tests run at once (1: one after another)
#   FUZZ_SECONDS=5    smoke time per fuzz target (0 skips fuzzing; `make
#                     fuzz-long` is the real fuzzing)
#   TESTS=pattern     run only tests whose name matches (shell glob)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"     # `sh tests/run.sh` too
set -u
cd "$(dirname "$0")/.."
VARIANT=${VARIANT:-asan}
B=${B:-build/$VARIANT}
if [ -n "${BIN:-}" ]; then :; elif [ "$VARIANT" = release ] && [ "$B" = build/release ]; then BIN=$PWD/bin; else BIN=$PWD/$B/bin; fi
export BIN
JOBS=${JOBS:-4}
FUZZ_SECONDS=${FUZZ_SECONDS:-5}
TESTS=${TESTS:-*}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

pass=0 fail=0 failed="" skip=0 skipped=""
LOGDIR=$(mktemp -d /tmp/jad-tests.XXXXXX)
# What several process-level tests start from (tests/e2e/lib.sh sim_op),
# made once per run.
export JAD_FIXTURES=$LOGDIR/fixtures
declare -A NAME=() START=() SKIPPABLE=()     # by pid
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$LOGDIR"' EXIT
trap 'exit 130' INT TERM
T0=$(date +%s)

# The file a test's output goes to.
out_of() { echo "$LOGDIR/$(echo "$1" | tr / _).out"; }

# Wait for one running test to end and report it.  A test's status comes
# from the file its wrapper writes, not from `wait`: bash 5.2's `wait -n -p`
# can lose a job that ended during a command substitution, and a lost job
# must not hang the run.
reap() {
    local pid rc name out secs
    for (( ; ; )); do
        for pid in "${!NAME[@]}"; do
            out=$(out_of "${NAME[$pid]}")
            [ -s "$out.rc" ] || continue
            rc=$(cat "$out.rc")
            wait "$pid" 2>/dev/null
            name=${NAME[$pid]}
            secs=$(( $(date +%s) - ${START[$pid]} ))
            if [ "$rc" -eq 0 ]; then
                pass=$((pass + 1))
                echo "PASS $name ($secs s)"
            elif [ "$rc" -eq 77 ] && [ -n "${SKIPPABLE[$pid]}" ] && grep -q '^SKIP:' "$out"; then
                skip=$((skip + 1)); skipped="$skipped $name"
                echo "SKIP $name: $(sed -n 's/^SKIP: *//p' "$out" | head -n 1)"
            else
                fail=$((fail + 1)); failed="$failed $name"
                if [ "$rc" -eq 77 ] && [ -n "${SKIPPABLE[$pid]}" ]; then
                    echo "FAIL $name: exit 77 without a SKIP: line ($secs s)"
                else
                    echo "FAIL $name (exit $rc, $secs s)"
                fi
                tail -n 60 "$out" | sed 's/^/    /'
            fi
            unset "NAME[$pid]" "START[$pid]" "SKIPPABLE[$pid]"
            return 0
        done
        wait -n 2>/dev/null || sleep 0.2
    done
}

# start MAX SKIPPABLE NAME COMMAND...: run COMMAND in the background once
# fewer than MAX tests run; its exit status goes to OUT.rc when it ends.
start() {
    local max=$1 skippable=$2 name=$3 out; shift 3
    case "$name" in $TESTS) ;; *) return ;; esac
    while [ "${#NAME[@]}" -ge "$max" ]; do reap; done
    out=$(out_of "$name")
    ( rc=0; "$@" > "$out" 2>&1 || rc=$?; echo "$rc" > "$out.rc" ) &
    NAME[$!]=$name; START[$!]=$(date +%s); SKIPPABLE[$!]=$skippable
}

drain() { while [ "${#NAME[@]}" -gt 0 ]; do reap; done; }

# Process-level tests, longest first (the rest in name order).
# (Measured 2026-12-02; a test that ends last on a loaded pool belongs here.)
LONG="57-key-ceremony 58-config 40-requests 60-deploy 53-field-delay
      45-console 55-field-flap 51-field-loss40 50-field-loss20 30-report
      10-hostile-keys 54-field-cut 52-field-slow 13-hostile-flood 36-export
      11-hostile-signatures 46-console-request 37-replay-publish
      56-field-hub-cut 18-repair 16-damaged-file 08-hub-down"
e2e=""
for n in $LONG; do [ -f "tests/e2e/$n.sh" ] && e2e="$e2e $n"; done
for t in tests/e2e/[0-9]*.sh; do
    n=$(basename "$t" .sh)
    case " $e2e " in *" $n "*) ;; *) e2e="$e2e $n" ;; esac
done
for n in $e2e; do
    start "$JOBS" 1 "e2e/$n" sh "tests/e2e/$n.sh"
done
for t in "$B"/tests/test_*; do
    [ -x "$t" ] && start "$JOBS" "" "unit/$(basename "$t")" "$t"
done
# The fuzz targets last: they fill the cores the last, waiting tests leave.
if [ "$FUZZ_SECONDS" -gt 0 ]; then
    for f in build/fuzz/fuzz_*; do
        [ -x "$f" ] || continue
        n=$(basename "$f"); n=${n#fuzz_}
        work="$LOGDIR/corpus-$n"; mkdir -p "$work"
        start "$JOBS" "" "fuzz/$n" "$f" -max_total_time="$FUZZ_SECONDS" \
            -max_len=70000 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$LOGDIR/" "$work" "tests/fuzz/corpus/$n"
    done
fi
drain

echo "tests: $pass passed, $fail failed, $skip skipped in $(( $(date +%s) - T0 )) s"
[ -z "$failed" ] || echo "failed:$failed"
[ -z "$skipped" ] || echo "skipped:$skipped"
[ "$fail" -eq 0 ]
