#!/bin/sh
# Forged, truncated, missing and misattributed signatures, and replays,
# against a running hub.  Every envelope must carry a valid Ed25519
# signature by the sender's own key over the operation, origin,
# incarnation, origin_seq, event time and the exact report bytes: anything
# else is BAD_SIGNATURE (or FORBIDDEN / WRONG_OPERATION for a replay), is
# not journaled, and does not burn the sequence number.  A valid report
# replayed to the hub of another operation is refused there.  Afterwards
# honest agents' reports all arrive, exactly once.
set -eu
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/keys"
"$BIN/jad-keygen" stranger --out "$T/keys" >/dev/null
make_roster "$T/roster" hub:hub agent-de:agent:DE agent-fr:agent:FR
start_hub
probe() { who=$1; shift; "$BIN/jad-probe" --key "$T/keys/$who.secret" \
    --hub-key "$T/keys/hub.pub" --hub "$HUB_EP" --feed "$FEED_EP" "$@"; }
# answer CODE WHAT COMMAND...: COMMAND answers "error CODE ..."
answer() {
    code=$1; what=$2; shift 2
    set +e; out=$("$@" 2>&1); rc=$?; set -e
    [ "$rc" = 1 ] && echo "$out" | grep -q "^error $code" \
        || fail "$what: expected error $code, got (exit $rc) $out"
}
acked() {   # acked ANSWER WHAT COMMAND...
    want=$1; what=$2; shift 2
    out=$("$@" 2>&1) || fail "$what: $out"
    expect_eq "$out" "$want" "$what"
}

acked "ack 1 dup 0" "a good signature" probe agent-de submit --seq 1
# the same seq with each bad signature: refused, and refused again on resend
for mode in none nosig forged truncated tampered; do
    answer BAD_SIGNATURE "--sign $mode" probe agent-de submit --seq 2 --sign $mode
    answer BAD_SIGNATURE "--sign $mode again" probe agent-de submit --seq 2 --sign $mode
done
# signed by a key that is not the sender's: a stranger's (claiming the
# sender's key id, or its own), another agent's (its own key id)
answer BAD_SIGNATURE "stranger's key, own key id" \
    probe agent-de submit --seq 2 --sign wrong-key --sign-key "$T/keys/stranger.secret"
answer BAD_SIGNATURE "stranger's key and key id" \
    probe agent-de submit --seq 2 --sign other-id --sign-key "$T/keys/stranger.secret"
answer BAD_SIGNATURE "agent-fr's key and key id" \
    probe agent-de submit --seq 2 --sign other-id --sign-key "$T/keys/agent-fr.secret"
# a stolen signing key does not let agent-de speak for agent-fr: the
# origin is bound to the CURVE key of the connection
answer FORBIDDEN "origin agent-fr signed with agent-fr's key" \
    probe agent-de submit --seq 2 --origin agent-fr --sign other-id \
    --sign-key "$T/keys/agent-fr.secret"
# signed over another operation id than the envelope carries
answer BAD_SIGNATURE "signed over another operation" \
    probe agent-de submit --seq 2 --sign-op-id ffeeddccbbaa99887766554433221100
# none of that burnt seq 2
acked "ack 2 dup 0" "seq 2 after the refusals" probe agent-de submit --seq 2

# replay: a valid report saved on the way to this hub ...
acked "ack 3 dup 0" "report to replay" probe agent-de submit --seq 3 --save "$T/env-a"
acked "ack 3 dup 1" "replay by its author is a resend" probe agent-de replay "$T/env-a"
answer FORBIDDEN "replay by agent-fr" probe agent-fr replay "$T/env-a"
# ... replayed to the hub of another operation on which agent-de also sits
mkdir -p "$T/b"
sed 's/^operation_id .*/operation_id  ffeeddccbbaa99887766554433221100/' "$T/roster" > "$T/b/roster"
B_EP=tcp://127.0.0.1:$(free_port); B_FEED=tcp://127.0.0.1:$(free_port)
"$BIN/jad-hub" --data "$T/b/hub" --roster "$T/b/roster" --key "$T/keys/hub.secret" \
    --listen "$B_EP" --publish "$B_FEED" --log-level info >>"$T/b/hub.log" 2>&1 &
B_PID=$!; PIDS="$PIDS $B_PID"
wait_for 10 test -f "$T/b/hub/status.json" || fail "hub B did not start: $(cat "$T/b/hub.log")"
probe_b() { who=$1; shift; "$BIN/jad-probe" --key "$T/keys/$who.secret" \
    --hub-key "$T/keys/hub.pub" --hub "$B_EP" "$@"; }
answer WRONG_OPERATION "replay to another operation" probe_b agent-de replay "$T/env-a"
answer BAD_SIGNATURE "replay with the operation id rewritten" \
    probe_b agent-de replay "$T/env-a" --op-id ffeeddccbbaa99887766554433221100
acked "ack 1 dup 0" "hub B serves agent-de's own reports" probe_b agent-de submit --seq 3
stop_pid "$B_PID"
! grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$T/b/hub.log" || fail "sanitizer report in hub B's log"
expect_eq "$(probe agent-fr hello)" "head 3" "hub head after the attacks"

# honest agents are still served, every report arrives exactly once
start_agent DE; start_agent FR
reports DE de 1 200 | submit DE
reports FR fr 1 200 | submit FR
wait_converged 30 403 DE FR
exactly_once 403 DE FR
stop_pid "$HUB_PID"
grep -q "stopping: journal head 403" "$T/hub.log" || fail "no clean stop: $(tail -3 "$T/hub.log")"
! grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$T/hub.log" || fail "sanitizer report in the hub log"
echo ok
