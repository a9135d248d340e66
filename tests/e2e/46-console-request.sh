#!/bin/sh
# A request typed in jad-console (r, recipients, priority, text) reaches the
# target agent's inbox; the agent's ack shows on the console's request.
# The figures do not change: a request is not an intake report.
set -eu
. "$(dirname "$0")/lib.sh"
if ! command -v tmux >/dev/null 2>&1; then
    echo "SKIP: tmux is not installed (deploy/install-deps.sh installs it)"
    exit 77
fi
[ -x "$BIN/jad-console" ] || fail "no $BIN/jad-console"
DATA=$(cd "$(dirname "$0")/../data" && pwd)
tm() { tmux -S "$T/tmux.sock" "$@"; }
trap 'tm kill-server 2>/dev/null || true; cleanup' EXIT INT TERM
on_screen() {
    tm capture-pane -p -t "$1" > "$T/screen.$1" 2>/dev/null || return 1
    grep -qF -- "$2" "$T/screen.$1"
}

"$BIN/jad-sim" run "$DATA/armstrong-vii.jsonl" --data "$T/op" --keep-running \
    > "$T/sim.out" 2>&1 &
SIM=$!; PIDS="$PIDS $SIM"
wait_for 240 grep -q '^running:' "$T/sim.out" || fail "sim did not converge: $(tail -5 "$T/sim.out")"
HUB_EP=$(sed -n 's/^running: hub \([^,]*\), feed .*/\1/p' "$T/sim.out")
FEED_EP=$(sed -n 's/^running: hub [^,]*, feed \([^,]*\),.*/\1/p' "$T/sim.out")
"$BIN/jad-keygen" coord --out "$T/op/keys" > /dev/null
pub=$T/op/keys/coord.pub
echo "participant   coord coordinator - $(pubkey "$pub")" \
    "$(sed -n 's/^sign-public-key = //p' "$pub")" \
    "$(sed -n 's/^key-id = //p' "$pub")" >> "$T/op/keys/roster"
kill -HUP "$(pgrep -f "jad-hub --data $T/op/hub" | head -1)"
"$BIN/jad-report" --data "$T/op/hub" --format json > "$T/before.json"

tm new-session -d -s c -x 120 -y 40 \
    "$BIN/jad-console --hub $HUB_EP --feed $FEED_EP --key $T/op/keys/coord.secret \
     --hub-key $T/op/keys/hub.pub 2> $T/c.err; echo \$? > $T/c.rc"
wait_for 60 on_screen c "| live" || fail "console not live: $(cat "$T/screen.c" "$T/c.err")"

tm send-keys -t c r
wait_for 5 on_screen c "request to" || fail "r did not prompt: $(cat "$T/screen.c")"
tm send-keys -t c "DE" Enter
wait_for 5 on_screen c "priority" || fail "no priority prompt"
tm send-keys -t c "urgent" Enter
wait_for 5 on_screen c "request text" || fail "no text prompt"
tm send-keys -t c "Count the Skopje parcels again" Enter
wait_for 20 on_screen c "request accepted: hub_seq" || fail "not accepted: $(cat "$T/screen.c")"
SEQ=$(sed -n 's/.*request accepted: hub_seq \([0-9]*\).*/\1/p' "$T/screen.c" | head -1)
[ -n "$SEQ" ] || fail "no hub_seq on screen"
wait_for 10 on_screen c "acks 0" || fail "request not in the feed: $(cat "$T/screen.c")"

# The DE agent's inbox has it; its ack comes back to the console.
wait_for 20 sh -c "'$BIN/jad-agent' inbox --data '$T/op/agents/DE' | grep -q 'Skopje parcels'" \
    || fail "not in DE's inbox: $("$BIN/jad-agent" inbox --data "$T/op/agents/DE" 2>&1)"
"$BIN/jad-agent" ack --data "$T/op/agents/DE" "$SEQ" --text "on it" > /dev/null \
    || fail "ack $SEQ"
wait_for 30 on_screen c "acks 1 [DE]" || fail "ack not shown: $(cat "$T/screen.c")"

# Detail of the request: Enter on the feed's newest entry after filtering.
tm send-keys -t c / && tm send-keys -t c C-u "request" Enter
wait_for 5 on_screen c "(filter: request)" || fail "filter: $(cat "$T/screen.c")"
tm send-keys -t c Enter
wait_for 5 on_screen c "Count the Skopje parcels again" || fail "detail: $(cat "$T/screen.c")"
tm send-keys -t c Escape q
wait_for 10 test -s "$T/c.rc" || fail "q did not quit"
expect_eq "$(cat "$T/c.rc")" 0 "console exit status"

"$BIN/jad-report" --data "$T/op/hub" --format json > "$T/after.json"
"$BIN/jad-jsoncmp" "$T/before.json" "$T/after.json" > /dev/null 2>&1 \
    || cmp -s "$T/before.json" "$T/after.json" || fail "figures changed by a request"
kill -TERM "$SIM"; wait "$SIM" 2>/dev/null || true
echo "ok"
