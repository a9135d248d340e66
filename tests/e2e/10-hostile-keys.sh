#!/bin/sh
# Hostile peers without the right key or role, against a running hub: a
# plain (non-CURVE) client and a CURVE client with a fresh random key, on
# both sockets; a properly made key that is not on the roster; a burst of
# such handshakes at once; the roles that may not submit (observer,
# coordinator, the hub's own key); an agent speaking for another
# participant or another country.  Each is refused, and afterwards honest
# agents' reports all arrive, exactly once.
set -eu
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/keys"
"$BIN/jad-keygen" stranger --out "$T/keys" >/dev/null
make_roster "$T/roster" hub:hub agent-de:agent:DE agent-fr:agent:FR \
    obs:observer coord:coordinator
start_hub
probe() { who=$1; shift; "$BIN/jad-probe" --key "$T/keys/$who.secret" \
    --hub-key "$T/keys/hub.pub" --hub "$HUB_EP" --feed "$FEED_EP" "$@"; }
anon() { "$BIN/jad-probe" --hub-key "$T/keys/hub.pub" --hub "$HUB_EP" \
    --feed "$FEED_EP" "$@"; }
# refused RC WHAT COMMAND...: COMMAND exits RC; its output in $out
refused() {
    want=$1; what=$2; shift 2
    set +e; out=$("$@" 2>&1); rc=$?; set -e
    [ "$rc" = "$want" ] || fail "$what: exit $rc, expected $want: $out"
}

# no key at all: the handshake fails, nothing is answered or received
refused 3 "plain client hello" anon --plain hello
refused 3 "plain client on the feed" anon --plain listen
# a random CURVE key: refused by ZAP on both sockets
refused 3 "random key hello" anon --random-key hello
refused 3 "random key on the feed" anon --random-key listen
# a real key, not on the roster
refused 3 "stranger hello" probe stranger hello
refused 3 "stranger on the feed" probe stranger listen
wait_for 5 grep -q "key not on the roster" "$T/hub.log" || fail "no log line for refused keys"

# a burst of 30 unknown handshakes at once, while an agent talks
i=0; bg=""
while [ $i -lt 30 ]; do
    anon --random-key hello >/dev/null 2>&1 & bg="$bg $!"
    i=$((i + 1))
done
out=$(probe agent-de hello) || fail "agent-de during the handshake burst: $out"
for p in $bg; do wait "$p" && fail "a random key was answered" || true; done

# roles that may not submit, signed with their own valid keys
refused 1 "observer submit" probe obs submit --seq 1
echo "$out" | grep -q "^error FORBIDDEN" || fail "observer: $out"
refused 1 "coordinator submit" probe coord submit --seq 1
echo "$out" | grep -q "^error FORBIDDEN" || fail "coordinator: $out"
refused 1 "hub key submit" probe hub submit --seq 1
echo "$out" | grep -q "^error FORBIDDEN" || fail "hub key: $out"
# another participant's origin, another country, a non-agent's origin
refused 1 "origin of agent-fr" probe agent-de submit --origin agent-fr --seq 1
echo "$out" | grep -q "^error FORBIDDEN" || fail "origin: $out"
refused 1 "country FR" probe agent-de submit --country FR --seq 1
echo "$out" | grep -q "^error FORBIDDEN .*country" || fail "country: $out"
refused 1 "observer as agent-de" probe obs submit --origin agent-de --seq 1
echo "$out" | grep -q "^error FORBIDDEN" || fail "observer as agent-de: $out"
refused 1 "unknown origin" probe agent-de submit --origin nobody --seq 1
echo "$out" | grep -q "^error FORBIDDEN" || fail "unknown origin: $out"
kill -0 "$HUB_PID" 2>/dev/null || fail "hub died"

# honest agents are still served, every report arrives exactly once
start_agent DE; start_agent FR
reports DE de 1 200 | submit DE
reports FR fr 1 200 | submit FR
wait_converged 30 400 DE FR
exactly_once 400 DE FR
stop_pid "$HUB_PID"
grep -q "stopping: journal head 400" "$T/hub.log" || fail "no clean stop: $(tail -3 "$T/hub.log")"
! grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$T/hub.log" || fail "sanitizer report in the hub log"
echo ok
