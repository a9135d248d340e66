#!/bin/sh
# jad-replay --follow, on a hub that is running: prints what is there, then
# each entry the hub journals next, on the hub's journal and on a mirror
# alike; it stops cleanly on SIGTERM.
set -eu
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/keys"
make_roster "$T/roster" hub:hub agent-de:agent:DE agent-fr:agent:FR
start_hub
start_agent DE
start_agent FR
reports DE de 1 20 | submit DE
wait_converged 60 20 DE FR

"$BIN/jad-replay" --data "$T/hub" --follow > "$T/hub.jsonl" 2> "$T/hub.err" &
F1=$!; PIDS="$PIDS $F1"
"$BIN/jad-replay" --data "$T/agents/FR" --follow --country FR > "$T/fr.jsonl" 2> "$T/fr.err" &
F2=$!; PIDS="$PIDS $F2"
lines() { [ "$(wc -l < "$1")" = "$2" ]; }
wait_for 20 lines "$T/hub.jsonl" 20 || fail "follow: first 20: $(wc -l < "$T/hub.jsonl")"

reports FR fr 1 30 | submit FR
reports DE de 21 40 | submit DE
wait_converged 60 70 DE FR
wait_for 20 lines "$T/hub.jsonl" 70 || fail "follow on the hub: $(wc -l < "$T/hub.jsonl") of 70"
wait_for 20 lines "$T/fr.jsonl" 30 || fail "follow on the FR mirror: $(wc -l < "$T/fr.jsonl") of 30"
stop_pid "$F1"
stop_pid "$F2"
"$BIN/jad-replay" --data "$T/hub" | cmp -s - "$T/hub.jsonl" || fail "followed lines differ from a replay"
"$BIN/jad-replay" --data "$T/hub" --country FR | cmp -s - "$T/fr.jsonl" || fail "followed FR lines differ"
expect_eq "$(grep -c '"origin":"agent-fr"' "$T/fr.jsonl")" 30 "FR entries"
[ ! -s "$T/hub.err" ] || fail "follow stderr: $(cat "$T/hub.err")"
echo ok
