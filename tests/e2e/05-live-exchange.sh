#!/bin/sh
# Reports flow agent -> hub -> every mirror; a late joiner and a restarted
# agent catch up; the mirrors equal the hub's journal entry for entry.
set -eu
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/keys"
make_roster "$T/roster" hub:hub agent-de:agent:DE agent-fr:agent:FR agent-it:agent:IT
start_hub
start_agent DE
start_agent FR
reports DE de 1 300 | submit DE
reports FR fr 1 200 | submit FR
wait_converged 60 500 DE FR

# a late joiner catches up on everything, then sends its own
start_agent IT
reports IT it 1 50 | submit IT
wait_converged 60 550 DE FR IT

# an agent stopped, fed while down, restarted: delivers and catches up
stop_pid "$(agent_pid FR)"
reports FR fr 201 220 | submit FR
reports DE de 301 330 | submit DE
start_agent FR
wait_converged 60 600 DE FR IT

# resubmitting a ref answers duplicate and queues nothing
reports DE de 1 1 | "$BIN/jad-agent" submit --data "$T/agents/DE" - > "$T/dup.out"
grep -q "duplicate" "$T/dup.out" || fail "resubmitted ref: $(cat "$T/dup.out")"
"$BIN/jad-agent" status --data "$T/agents/DE" --json > "$T/st"
expect_eq "$(jq_num outbox_depth "$T/st")" 0 "outbox after a duplicate"

exactly_once 600 DE FR IT
"$BIN/jad-hub" status --data "$T/hub" --json | grep -q '"name":"agent-it"' || fail "hub status"
echo ok
