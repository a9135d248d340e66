#!/bin/sh
# History rewritten on the hub's disk: the hub refuses to extend a journal
# that no longer matches its last signed checkpoint; if the checkpoints are
# removed too, every mirror notices the break and raises an alarm, in its
# log and its status.
set -eu
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/keys"
make_roster "$T/roster" hub:hub agent-de:agent:DE agent-fr:agent:FR
start_hub
start_agent DE
start_agent FR
reports DE de 1 50 | submit DE
wait_converged 60 50 DE FR
"$BIN/jad-agent" status --data "$T/agents/FR" --json | grep -q '"alarm":null' \
    || fail "alarm before any tampering"
stop_pid "$HUB_PID"
# altered under its signed checkpoint: the hub refuses to go on
"$BIN/jad-tamper" "$T/hub/journal" flip-meta 50
set +e
"$BIN/jad-hub" --data "$T/hub" --roster "$T/roster" --key "$T/keys/hub.secret" \
    --listen "$HUB_EP" --publish "$FEED_EP" > "$T/refused.log" 2>&1
rc=$?
set -e
expect_eq "$rc" 2 "hub on an altered journal"
grep -q "does not match its last signed checkpoint" "$T/refused.log" \
    || fail "refusal: $(cat "$T/refused.log")"
# an attacker who also removes the checkpoints: the agents notice
"$BIN/jad-tamper" "$T/hub/journal" drop-checkpoints 0
start_hub
reports DE de 51 60 | submit DE
wait_for 30 grep -q "ALARM" "$T/agent-fr.log" || fail "no alarm in agent-fr's log"
wait_for 10 sh -c "'$BIN/jad-agent' status --data '$T/agents/FR' --json | grep -q '\"alarm\":\"'" \
    || fail "no alarm in status: $("$BIN/jad-agent" status --data "$T/agents/FR" --json)"
"$BIN/jad-agent" status --data "$T/agents/FR" | grep -q "ALARM" || fail "no alarm in text status"
echo ok
