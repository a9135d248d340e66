#!/bin/sh
# Hostile bytes from a participant with a valid key, against a running
# hub: garbage, truncated messages, lengths past the end, overlong
# varints, unknown fields (in the frame, the envelope, the report and a
# nested message), field number 0, nested reports (20 and 2,000 levels;
# the deepest that fit in a report are 14-hostile-nesting.sh), bad enums, bad UTF-8, embedded NULs, bodies only the hub
# sends, a submit over the envelope limit (TOO_LARGE) and frames over
# ZMQ_MAXMSGSIZE (libzmq drops the connection).  Nothing is journaled,
# every decodable frame gets an error reply, the hub keeps serving, and
# afterwards honest agents' reports all arrive, exactly once.
# Known: a report whose oneof body appears twice (last wins in protobuf)
# is accepted — legal protobuf, noted in the output.
set -eu
. "$(dirname "$0")/lib.sh"
make_roster "$T/roster" hub:hub agent-de:agent:DE agent-fr:agent:FR rogue:agent:IT
start_hub
probe() { who=$1; shift; "$BIN/jad-probe" --key "$T/keys/$who.secret" \
    --hub-key "$T/keys/hub.pub" --hub "$HUB_EP" --feed "$FEED_EP" "$@"; }

# the battery: one case at a time, each answered by an error
set +e
probe rogue hostile --skip frame-heartbeat > "$T/hostile.out" 2> "$T/hostile.err"; rc=$?
set -e
cat "$T/hostile.out" >&2
[ "$rc" -le 1 ] || fail "hostile battery: exit $rc"
grep -q "^still served$" "$T/hostile.out" || fail "hub silent after the battery"
n=$(grep -c '^case ' "$T/hostile.out")
[ "$n" -ge 38 ] || fail "only $n cases ran"
# every case gets an error reply, except the catch-up requests (a
# catch-up end), a participant's heartbeat (the hub's heartbeat), and the
# two cases checked below
bad=$(grep '^case ' "$T/hostile.out" | grep -v ': error ' \
      | grep -v '^case frame-catchup-' | grep -v '^case frame-heartbeat-' \
      | grep -v '^case report-two-bodies:' | grep -v '^case report-embedded-nul:' || true)
[ -z "$bad" ] || fail "cases without an error reply: $bad"
grep -q '^case report-over-limit: error TOO_LARGE .* ident inc=16 seq=[0-9]' "$T/hostile.out" \
    || fail "report over the limit not refused TOO_LARGE with its identity"
# a refusal of the envelope itself names the report as it was sent, so its
# sender can match it (PROTOCOL.md §6, "Matching an answer")
grep -q '^case envelope-version-99: error BAD_VERSION .* ident inc=16 seq=[1-9]' "$T/hostile.out" \
    || fail "version 99: $(grep '^case envelope-version-99' "$T/hostile.out")"
grep -q '^case envelope-signed-seq-0: error MALFORMED .* ident inc=16 seq=0$' "$T/hostile.out" \
    || fail "origin_seq 0: $(grep '^case envelope-signed-seq-0' "$T/hostile.out")"
grep -q '^case envelope-signed-incarnation-15: error MALFORMED .* ident inc=15 seq=[1-9]' "$T/hostile.out" \
    || fail "short incarnation: $(grep '^case envelope-signed-incarnation-15' "$T/hostile.out")"
grep '^case report-two-bodies: ack' "$T/hostile.out" >&2 \
    && echo "note: a report with two oneof bodies was accepted (last wins)" >&2
kill -0 "$HUB_PID" 2>/dev/null || fail "hub died"

# the original garbage set, from another key
out=$(probe agent-fr garbage) || fail "garbage: $out"
echo "$out" | grep -q "still served" || fail "garbage: $out"

# oversized: TOO_LARGE within the socket's limit, a dropped connection
# beyond it, and a new connection is served
out=$(probe rogue oversized) || fail "oversized: $out"
echo "$out" >&2
echo "$out" | grep -q "^case envelope-200k: error TOO_LARGE" || fail "200 KiB envelope: $out"
echo "$out" | grep -q "^case frame-300k: no answer" || fail "300 KiB frame answered: $out"
echo "$out" | grep -q "^still served" || fail "not served after oversized frames: $out"
# the journal head, from the hub itself; what the hub wrongly accepted
# carries a reference of its own (hostile-N)
h=$(probe agent-fr hello | sed -n 's/^head //p')
[ -n "$h" ] || fail "no head from the hub"

# honest agents are still served, every report arrives exactly once
start_agent DE; start_agent FR
reports DE de 1 200 | submit DE
reports FR fr 1 200 | submit FR
wait_converged 30 $((400 + h)) DE FR
exactly_once $((400 + h)) DE FR

# A participant's heartbeat claiming mirror_seq = outbox_depth = 2^64-1:
# answered, and `jad-hub status` still works afterwards (the hub must not
# write a status.json its own reader refuses).
out=$(probe rogue hostile --only frame-heartbeat) || fail "heartbeat case: $out"
echo "$out" | grep -q "^still served" || fail "heartbeat case: $out"
sleep 1.5     # status.json is rewritten every second
"$BIN/jad-hub" status --data "$T/hub" --json > "$T/status" 2> "$T/status.err" \
    || fail "jad-hub status broken after a heartbeat with health values of 2^64-1: $(grep -o '"name":"rogue"[^}]*' "$T/hub/status.json"; grep -m1 -E 'ERROR|error' "$T/status.err")"
stop_pid "$HUB_PID"
grep -q "stopping: journal head $((400 + h))" "$T/hub.log" || fail "no clean stop: $(tail -3 "$T/hub.log")"
! grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$T/hub.log" || fail "sanitizer report in the hub log"

# A string with an embedded NUL must be refused (ARCHITECTURE.md,
# "protobuf-c on untrusted bytes"): protobuf-c hands the validator "Nic"
# while the journal keeps "Nic\0sia", so what was checked is not what is
# stored and signed.
grep -q '^case report-embedded-nul: error MALFORMED' "$T/hostile.out" \
    || fail "embedded NUL in a report string accepted: $(grep '^case report-embedded-nul' "$T/hostile.out")"
echo ok
