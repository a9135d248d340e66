# Shared helpers for the process-level tests: a private temporary
# directory removed on exit, and assertions that name what failed.
T=$(mktemp -d /tmp/jad-e2e.XXXXXX)
PIDS=""
cleanup() {
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; }
# jq_num KEY FILE: the integer value of "KEY": in a one-line JSON file
jq_num() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2" | head -1; }
