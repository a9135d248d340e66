#!/bin/sh
# A report nested as deep as fits in JAD_REPORT_MAX (correction inside
# correction, ~9,000 levels in 96 KiB), properly signed by an agent: the
# hub must refuse it as MALFORMED, not recurse in protobuf-c until its
# stack overflows.  Then honest agents' reports all arrive, exactly once.
set -eu
. "$(dirname "$0")/lib.sh"
make_roster "$T/roster" hub:hub agent-de:agent:DE agent-fr:agent:FR rogue:agent:IT
start_hub
probe() { who=$1; shift; "$BIN/jad-probe" --key "$T/keys/$who.secret" \
    --hub-key "$T/keys/hub.pub" --hub "$HUB_EP" --feed "$FEED_EP" "$@"; }
for depth in 100 1000 4000 0; do      # 0: the deepest that fits
    set +e; out=$(probe rogue nested --count $depth --seq 1 2>&1); rc=$?; set -e
    echo "$out" >&2
    if ! kill -0 "$HUB_PID" 2>/dev/null; then
        set +e; wait "$HUB_PID"; hrc=$?; set -e
        grep -m1 -E "ERROR: AddressSanitizer|SEGV|stack-overflow" "$T/hub.log" >&2 || true
        fail "hub died (exit $hrc) on a nested report: $(echo "$out" | head -1)"
    fi
    expect_eq "$rc" 0 "nested $depth: $out"
    echo "$out" | grep -q "^case nested: error MALFORMED" || fail "nested $depth: $out"
done
start_agent DE; start_agent FR
reports DE de 1 200 | submit DE
reports FR fr 1 200 | submit FR
wait_converged 30 400 DE FR
exactly_once 400 DE FR
stop_pid "$HUB_PID"
! grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$T/hub.log" || fail "sanitizer report in the hub log"
echo ok
