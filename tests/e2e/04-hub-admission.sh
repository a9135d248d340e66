#!/bin/sh
# Who may talk to the hub: a key not on the roster is refused at the CURVE
# handshake, on both sockets; an agent may not speak for another
# participant or country; an observer may not submit; a key revoked by
# SIGHUP is refused from then on.  Garbage frames get error replies and
# the hub keeps serving.
set -eu
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/keys"
"$BIN/jad-keygen" stranger --out "$T/keys" >/dev/null
make_roster "$T/roster" hub:hub agent-de:agent:DE agent-fr:agent:FR obs:observer
start_hub
probe() { who=$1; shift; "$BIN/jad-probe" --key "$T/keys/$who.secret" \
    --hub-key "$T/keys/hub.pub" --hub "$HUB_EP" --feed "$FEED_EP" "$@"; }

# a roster agent: heartbeat answered, report acked, resend gets the same ack
probe agent-de hello | grep -q '^head 0$' || fail "agent-de hello"
out=$(probe agent-de submit --seq 1) || fail "agent-de submit: $out"
expect_eq "$out" "ack 1 dup 0" "first submit"
out=$(probe agent-de submit --seq 1) || fail "resend: $out"
expect_eq "$out" "ack 1 dup 1" "resend gets the original ack"

# the feed admits roster keys only
probe agent-fr listen | grep -q received || fail "agent-fr cannot listen"
set +e
out=$(probe stranger listen); rc=$?
set -e
expect_eq "$rc" 3 "stranger on the feed: $out"

# a stranger is refused at the handshake: no answer at all, and a log line
set +e
out=$(probe stranger hello); rc=$?
set -e
expect_eq "$rc" 3 "stranger hello: $out"
wait_for 5 grep -q "key not on the roster" "$T/hub.log" || fail "no log line for the stranger"

# another participant's origin, another country, an observer, another operation
set +e
out=$(probe agent-de submit --origin agent-fr --seq 2); rc=$?
set -e
expect_eq "$rc" 1 "origin of another agent"
echo "$out" | grep -q "^error FORBIDDEN" || fail "origin: $out"
set +e
out=$(probe agent-de submit --country FR --seq 3); rc=$?
set -e
echo "$out" | grep -q "^error FORBIDDEN .*country" || fail "country: $out"
set +e
out=$(probe obs submit --seq 1); rc=$?
set -e
echo "$out" | grep -q "^error FORBIDDEN .*observer" || fail "observer: $out"
set +e
out=$(probe agent-de submit --seq 4 --op-id ffeeddccbbaa99887766554433221100); rc=$?
set -e
echo "$out" | grep -q "^error WRONG_OPERATION" || fail "operation: $out"

# garbage: every bad frame answered or dropped, the hub still serves
out=$(probe agent-fr garbage) || fail "garbage: $out"
echo "$out" | grep -q "still served" || fail "garbage: $out"
errors=$(echo "$out" | sed -n 's/^errors //p')
[ "$errors" -ge 5 ] || fail "expected >= 5 error replies, got $errors"
kill -0 "$HUB_PID" || fail "hub died"

# revoke agent-fr: the hub reloads on SIGHUP and refuses it from then on
grep -v ' agent-fr ' "$T/roster" > "$T/roster.new" && mv "$T/roster.new" "$T/roster"
kill -HUP "$HUB_PID"
wait_for 5 grep -q "roster reloaded: 4 participants, 1 revoked" "$T/hub.log" \
    || fail "no reload: $(tail -3 "$T/hub.log")"
set +e
out=$(probe agent-fr submit --seq 1); rc=$?
set -e
expect_eq "$rc" 3 "revoked agent: $out"
out=$(probe agent-de submit --seq 5) || fail "agent-de after reload: $out"
expect_eq "$out" "ack 2 dup 0" "agent-de after reload"

# a roster of another operation is refused on reload, the old one kept
sed -i 's/^operation_id .*/operation_id  ffffffffffffffffffffffffffffffff/' "$T/roster"
kill -HUP "$HUB_PID"
wait_for 5 grep -q "belongs to another operation" "$T/hub.log" || fail "wrong-op reload accepted"
out=$(probe agent-de submit --seq 6) || fail "agent-de after refused reload: $out"

# status, and a clean stop
"$BIN/jad-hub" status --data "$T/hub" --json > "$T/status"
expect_eq "$(jq_num head_seq "$T/status")" 3 "status head"
stop_pid "$HUB_PID"
grep -q "stopping: journal head 3" "$T/hub.log" || fail "no clean stop"
echo ok
