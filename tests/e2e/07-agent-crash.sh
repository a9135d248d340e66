#!/bin/sh
# An agent SIGKILLed mid-send and restarted: nothing lost, nothing twice.
set -eu
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/keys"
make_roster "$T/roster" hub:hub agent-de:agent:DE agent-fr:agent:FR
start_hub
start_agent FR
reports DE de 1 3000 | submit DE
start_agent DE
for kill in 1 2 3; do
    sleep 0.4
    kill -KILL "$(agent_pid DE)"; wait "$(agent_pid DE)" 2>/dev/null || true
    start_agent DE
done
wait_converged 120 3000 DE FR
exactly_once 3000 DE FR
echo ok
