#!/bin/sh
# status.json carries the time it was written (written_ms), and `jad-agent
# status` and `jad-hub status` say when it is stale — its writer stopped
# (SIGSTOP: alive but silent for over 5 s) or gone (SIGKILL) — instead of
# showing "hub connected" and "lag 0" from the past: text "(stale: ...)",
# JSON "stale":true with connected false and the agent's mirror_lag null.
set -eu
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/keys"
make_roster "$T/roster" hub:hub agent-de:agent:DE
start_hub
start_agent DE
reports DE de 1 5 | submit DE
wait_converged 30 5 DE
AGENT=$(agent_pid DE)
agent_status() { "$BIN/jad-agent" status --data "$T/agents/DE" "$@"; }
hub_status() { "$BIN/jad-hub" status --data "$T/hub" "$@"; }
connected() { agent_status | grep -q "daemon        running (pid $AGENT), hub connected"; }
wait_for 10 connected || fail "agent not connected: $(agent_status)"

# current: as before, nothing stale
grep -q '"written_ms":[0-9]' "$T/agents/DE/status.json" || fail "agent's status.json: no written_ms"
grep -q '"written_ms":[0-9]' "$T/hub/status.json" || fail "hub's status.json: no written_ms"
agent_status > "$T/st"
grep -q '(lag 0)' "$T/st" || fail "$(cat "$T/st")"
if grep -q stale "$T/st"; then fail "a current file called stale: $(cat "$T/st")"; fi
agent_status --json > "$T/js"
grep -q '"connected":true' "$T/js" || fail "$(cat "$T/js")"
grep -q '"mirror_lag":0,' "$T/js" || fail "$(cat "$T/js")"
grep -Eq '"stale":false,"written":"20[0-9-]+T[0-9:.]+Z"}$' "$T/js" || fail "$(cat "$T/js")"
hub_status > "$T/hs"
grep -q '^hub           running$' "$T/hs" || fail "$(cat "$T/hs")"
grep -q 'agent-de .* connected ' "$T/hs" || fail "$(cat "$T/hs")"
hub_status --json | grep -q '"stale":false' || fail "hub --json: $(hub_status --json)"

# both stopped: alive, silent, stale once 5 s have passed
kill -STOP "$AGENT" "$HUB_PID"
sleep 6
agent_status > "$T/st"
grep -Eq "^  daemon        running \(pid $AGENT\), hub connection unknown \(stale: written [0-9]+ s ago; its writer \(pid $AGENT\) runs but has stopped writing\)$" "$T/st" \
    || fail "stopped agent: $(cat "$T/st")"
grep -q '^  mirror        at 5, hub head unknown (5 when status.json was written, 20' "$T/st" \
    || fail "stopped agent's lag: $(cat "$T/st")"
if grep -q 'lag 0\|hub connected' "$T/st"; then fail "stale shown as current: $(cat "$T/st")"; fi
agent_status --json > "$T/js"
grep -q '"mirror_lag":null,"connected":false,"daemon_running":true,' "$T/js" || fail "$(cat "$T/js")"
grep -q '"stale":true' "$T/js" || fail "$(cat "$T/js")"
hub_status > "$T/hs"
grep -Eq "^hub           running \(stale: written [0-9]+ s ago; its writer \(pid $HUB_PID\) runs but has stopped writing\)$" "$T/hs" \
    || fail "stopped hub: $(cat "$T/hs")"
grep -q 'agent-de .* not connected ' "$T/hs" || fail "$(cat "$T/hs")"
hub_status --json > "$T/hjs"
grep -q '"stale":true' "$T/hjs" || fail "$(cat "$T/hjs")"
if grep -q '"connected":true' "$T/hjs"; then fail "stale hub shows a connection: $(cat "$T/hjs")"; fi

# resumed: current again within a few seconds
kill -CONT "$AGENT" "$HUB_PID"
fresh() { agent_status --json | grep -q '"stale":false'; }
wait_for 10 fresh || fail "resumed agent still stale: $(agent_status)"

# gone: stale at once, whatever the file's age
kill -KILL "$AGENT" "$HUB_PID"
wait "$AGENT" 2>/dev/null || true
wait "$HUB_PID" 2>/dev/null || true
agent_status > "$T/st"
grep -Eq '^  daemon        daemon not running \(stale: written [0-9]+ s ago by a process that is no longer running\)$' "$T/st" \
    || fail "killed agent: $(cat "$T/st")"
agent_status --json | grep -q '"daemon_running":false,.*"stale":true' || fail "$(agent_status --json)"
hub_status > "$T/hs"
grep -Eq '^hub           not running \(stale: written [0-9]+ s ago by a process that is no longer running\)$' "$T/hs" \
    || fail "killed hub: $(cat "$T/hs")"
echo ok
