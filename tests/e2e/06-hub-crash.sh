#!/bin/sh
# The hub SIGKILLed several times mid-stream and restarted on the same
# ports: every report submitted appears exactly once in the hub's journal
# and in every mirror.
set -eu
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/keys"
make_roster "$T/roster" hub:hub agent-de:agent:DE agent-fr:agent:FR
start_hub
start_agent DE
start_agent FR
(
    for round in 1 2 3 4 5 6 7 8; do
        reports DE de $(( (round - 1) * 150 + 1 )) $(( round * 150 )) | submit DE
        reports FR fr $(( (round - 1) * 100 + 1 )) $(( round * 100 )) | submit FR
        sleep 0.3
    done
) &
FEEDER=$!
for kill in 1 2 3; do
    sleep 1
    kill -KILL "$HUB_PID"; wait "$HUB_PID" 2>/dev/null || true
    sleep 0.5
    start_hub
done
wait "$FEEDER" || fail "submitting failed"
wait_converged 120 2000 DE FR
exactly_once 2000 DE FR
echo ok
