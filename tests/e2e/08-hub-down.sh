#!/bin/sh
# The hub down for 10 s while agents keep accepting reports: all delivered
# after it returns.
set -eu
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/keys"
make_roster "$T/roster" hub:hub agent-de:agent:DE agent-fr:agent:FR
start_hub
start_agent DE
start_agent FR
reports DE de 1 100 | submit DE
wait_converged 60 100 DE FR
stop_pid "$HUB_PID"
reports DE de 101 300 | submit DE
reports FR fr 1 200 | submit FR
sleep 10
"$BIN/jad-agent" status --data "$T/agents/DE" --json > "$T/st"
expect_eq "$(jq_num outbox_depth "$T/st")" 200 "DE outbox while the hub is down"
grep -q '"connected":false' "$T/st" || fail "DE still shows the hub as connected: $(cat "$T/st")"
start_hub
wait_converged 60 500 DE FR
exactly_once 500 DE FR
echo ok
