#!/bin/sh
# Floods from participants with valid keys, while honest agents work: tens
# of thousands of catch-up requests for the whole journal from clients that
# never read an answer, and feed subscribers that never read.  The hub
# must keep ingesting and publishing for everyone else (no NODROP stall,
# no unbounded growth), and the flooders' departure must leave it serving.
# Every honest report arrives at the hub and in every mirror exactly once.
set -eu
. "$(dirname "$0")/lib.sh"
make_roster "$T/roster" hub:hub agent-de:agent:DE agent-fr:agent:FR \
    rogue:agent:IT obs:observer coord:coordinator
start_hub
probe() { who=$1; shift; "$BIN/jad-probe" --key "$T/keys/$who.secret" \
    --hub-key "$T/keys/hub.pub" --hub "$HUB_EP" --feed "$FEED_EP" "$@"; }
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$HUB_PID/status"; }

# a journal worth replaying
start_agent DE; start_agent FR
reports DE de 1 1000 | submit DE
reports FR fr 1 1000 | submit FR
wait_converged 30 2000 DE FR
rss0=$(rss)

# the floods: catch-up requests nobody reads, subscribers that never read
probe rogue flood-catchup --count 20000 --hold 12 > "$T/flood1.out" 2>&1 & f1=$!
probe obs flood-catchup --count 20000 --hold 12 > "$T/flood2.out" 2>&1 & f2=$!
probe coord stall-sub --hold 15 > "$T/stall1.out" 2>&1 & s1=$!
probe obs stall-sub --hold 15 > "$T/stall2.out" 2>&1 & s2=$!
PIDS="$PIDS $f1 $f2 $s1 $s2"
sleep 1

# honest traffic during the floods: heard, acked, mirrored
out=$(probe agent-de hello) || fail "agent-de hello during the flood: $out"
reports DE de 1001 2000 | submit DE
reports FR fr 1001 2000 | submit FR
wait_converged 30 4000 DE FR
rss1=$(rss)
kill -0 "$HUB_PID" 2>/dev/null || fail "hub died during the flood"
for p in $f1 $f2 $s1 $s2; do wait "$p" || true; done
grep -q "^sent 20000" "$T/flood1.out" || fail "flood 1 did not send: $(cat "$T/flood1.out")"
grep -q "^held" "$T/stall1.out" || fail "stalled subscriber: $(cat "$T/stall1.out")"

# after the flooders left: served, and their queued work drains
out=$(probe agent-fr hello) || fail "agent-fr hello after the flood: $out"
reports DE de 2001 2100 | submit DE
wait_converged 30 4100 DE FR
exactly_once 4100 DE FR
echo "hub RSS: ${rss0} KiB before the floods, ${rss1} KiB during, $(rss) KiB after" >&2
[ "$rss1" -lt 1500000 ] || fail "hub RSS grew to $rss1 KiB during the flood"
stop_pid "$HUB_PID"
grep -q "stopping: journal head 4100" "$T/hub.log" || fail "no clean stop: $(tail -3 "$T/hub.log")"
! grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$T/hub.log" || fail "sanitizer report in the hub log"
echo ok
