#!/bin/sh
# jad-replay --publish serves a past operation as a hub's feed: CURVE with
# the hub's key, only roster keys admitted, heartbeats, and (--listen)
# catch-up — so a real jad-agent, pointed at the replay instead of a hub,
# mirrors the whole operation and its mirror replays like the original.
set -eu
. "$(dirname "$0")/lib.sh"
sim_op --operation "Armstrong VII"
K=$T/op/keys
FEED_EP=tcp://127.0.0.1:$(free_port); HUB_EP=tcp://127.0.0.1:$(free_port)
"$BIN/jad-replay" --data "$T/op/hub" --publish "$FEED_EP" --listen "$HUB_EP" \
    --key "$K/hub.secret" --quiet 2> "$T/replay.err" &
RP=$!; PIDS="$PIDS $RP"

# a key no roster knows is not admitted; a roster key is, and is fed
set +e
"$BIN/jad-probe" --random-key --hub-key "$K/hub.pub" --feed "$FEED_EP" listen > "$T/out"; rc=$?
set -e
expect_eq "$rc" 3 "a stranger's subscription ($(cat "$T/out"))"
"$BIN/jad-probe" --key "$K/agent-us.secret" --hub-key "$K/hub.pub" --feed "$FEED_EP" listen \
    > "$T/out" || fail "roster key not fed: $(cat "$T/out") $(cat "$T/replay.err")"

# a fresh agent mirrors the past operation from the replay
"$BIN/jad-agent" run --data "$T/watch" --country DE --key "$K/agent-de.secret" \
    --hub-key "$K/hub.pub" --hub "$HUB_EP" --feed "$FEED_EP" >> "$T/agent.log" 2>&1 &
AG=$!; PIDS="$PIDS $AG"
mirrored() {
    "$BIN/jad-agent" status --data "$T/watch" --json > "$T/st" 2>/dev/null || return 1
    [ "$(jq_num mirror_seq "$T/st")" = 1644 ]
}
wait_for 60 mirrored || fail "mirror from the replay: $(cat "$T/st") $(tail -5 "$T/agent.log")"
stop_pid "$AG"
"$BIN/jad-replay" --data "$T/op/hub" > "$T/orig.jsonl"
"$BIN/jad-replay" --data "$T/watch" | cmp -s - "$T/orig.jsonl" \
    || fail "the mirror fed by the replay differs from the original"
"$BIN/jad-verify" --data "$T/watch" --roster "$K/roster" --compare "$T/op/hub" | grep -q '^intact: 1644 entries' \
    || fail "the mirror fed by the replay does not verify"
stop_pid "$RP"
grep -q "played to 1644" "$T/replay.err" || fail "replay: $(cat "$T/replay.err")"

# An agent that subscribes before playing starts (it is the replay's first
# subscriber, and the replay is paced, so most entries reach it live, not
# by catch-up) still receives every recorded roster and checkpoint: its
# mirror verifies on its own, and its figures are the hub's.
FEED2=tcp://127.0.0.1:$(free_port); HUB2=tcp://127.0.0.1:$(free_port)
"$BIN/jad-replay" --data "$T/op/hub" --publish "$FEED2" --listen "$HUB2" \
    --key "$K/hub.secret" --speed 200000 --quiet 2> "$T/replay2.err" &
RP2=$!; PIDS="$PIDS $RP2"
"$BIN/jad-agent" run --data "$T/early" --country FR --key "$K/agent-fr.secret" \
    --hub-key "$K/hub.pub" --hub "$HUB2" --feed "$FEED2" >> "$T/early.log" 2>&1 &
AG2=$!; PIDS="$PIDS $AG2"
early() {
    "$BIN/jad-agent" status --data "$T/early" --json > "$T/st2" 2>/dev/null || return 1
    [ "$(jq_num mirror_seq "$T/st2")" = 1644 ] && grep -q "played to 1644" "$T/replay2.err"
}
wait_for 90 early || fail "early mirror: $(cat "$T/st2") $(tail -5 "$T/early.log")"
sleep 1     # the last checkpoint follows the last entry
stop_pid "$AG2"; stop_pid "$RP2"
"$BIN/jad-verify" --data "$T/early" > "$T/v2" \
    || fail "the early mirror does not verify without --roster: $(cat "$T/v2")"
grep -q '^intact: 1644 entries, 1644 signatures verified, [1-9][0-9]* checkpoints, [1-9][0-9]* rosters' "$T/v2" \
    || fail "the early mirror lacks checkpoints or rosters: $(cat "$T/v2")"
"$BIN/jad-report" --data "$T/op/hub" --format json > "$T/fig.hub"
"$BIN/jad-report" --data "$T/early" --format json > "$T/fig.early"
"$BIN/jad-jsoncmp" "$T/fig.hub" "$T/fig.early" \
    || fail "the early mirror's figures differ from the hub's"
grep -q '"operation": "Armstrong VII"' "$T/fig.early" \
    || fail "the early mirror's figures name no operation: $(head -3 "$T/fig.early")"

# a key file without a secret cannot serve; a roster of another operation
# is refused
set +e
"$BIN/jad-replay" --data "$T/op/hub" --publish "tcp://127.0.0.1:$(free_port)" \
    --key "$K/hub.pub" > /dev/null 2> "$T/err"; rc=$?
expect_eq "$rc" 2 "--key with a public key file ($(cat "$T/err"))"
sed 's/^operation_id .*/operation_id  ffffffffffffffffffffffffffffffff/' "$K/roster" > "$T/other"
"$BIN/jad-replay" --data "$T/op/hub" --publish "tcp://127.0.0.1:$(free_port)" \
    --key "$K/hub.secret" --roster "$T/other" > /dev/null 2> "$T/err"; rc=$?
expect_eq "$rc" 2 "another operation's roster ($(cat "$T/err"))"
set -e
echo ok
