#!/bin/sh
# jad-console under tmux against a real hub fed by jad-sim --keep-running:
# the totals on screen equal jad-report's; resizing to 80x24 and back does
# not crash it; a killed agent is shown SILENT after --silent-after; q quits
# with 0; --replay of the same journal shows the same totals.
set -eu
. "$(dirname "$0")/lib.sh"
if ! command -v tmux >/dev/null 2>&1; then
    echo "SKIP: tmux is not installed (deploy/install-deps.sh installs it)"
    exit 77
fi
[ -x "$BIN/jad-console" ] || fail "no $BIN/jad-console"
DATA=$(cd "$(dirname "$0")/../data" && pwd)

# Usage and I/O errors exit 2, --help 0, before any terminal is needed.
"$BIN/jad-console" --help > /dev/null || fail "--help"
rc=0; "$BIN/jad-console" --bogus > /dev/null 2>&1 || rc=$?
expect_eq "$rc" 2 "unknown option"
rc=0; "$BIN/jad-console" --replay "$T/none" > /dev/null 2>&1 || rc=$?
expect_eq "$rc" 2 "replay of a missing directory"
rc=0; "$BIN/jad-console" --hub tcp://127.0.0.1:1 > /dev/null 2>&1 || rc=$?
expect_eq "$rc" 2 "--hub without the rest"

# A private tmux server, killed on exit.
tm() { tmux -S "$T/tmux.sock" "$@"; }
trap 'tm kill-server 2>/dev/null || true; cleanup' EXIT INT TERM
on_screen() {   # on_screen SESSION TEXT: TEXT is on SESSION's screen
    tm capture-pane -p -t "$1" > "$T/screen.$1" 2>/dev/null || return 1
    grep -qF -- "$2" "$T/screen.$1"
}
commas() { echo "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/;ta'; }

"$BIN/jad-sim" run "$DATA/armstrong-vii.jsonl" --data "$T/op" --keep-running \
    > "$T/sim.out" 2>&1 &
SIM=$!; PIDS="$PIDS $SIM"
wait_for 240 grep -q '^running:' "$T/sim.out" || fail "sim did not converge: $(tail -5 "$T/sim.out")"
HUB_EP=$(sed -n 's/^running: hub \([^,]*\), feed .*/\1/p' "$T/sim.out")
FEED_EP=$(sed -n 's/^running: hub [^,]*, feed \([^,]*\),.*/\1/p' "$T/sim.out")

# The console's own key, as a coordinator on the roster; SIGHUP applies it.
"$BIN/jad-keygen" coord --out "$T/op/keys" > /dev/null
pub=$T/op/keys/coord.pub
echo "participant   coord coordinator - $(pubkey "$pub")" \
    "$(sed -n 's/^sign-public-key = //p' "$pub")" \
    "$(sed -n 's/^key-id = //p' "$pub")" >> "$T/op/keys/roster"
HUB_PID=$(pgrep -f "jad-hub --data $T/op/hub" | head -1)
[ -n "$HUB_PID" ] || fail "no hub process"
kill -HUP "$HUB_PID"

"$BIN/jad-report" --data "$T/op/hub" --format json | tr -d ' \n' > "$T/fig.json"
first() { grep -o "\"$1\":[0-9]*" "$T/fig.json" | head -1 | cut -d: -f2; }
REPORTS=$(commas "$(first reports)")
PARCELS=$(commas "$(first parcels)")
OFFICERS=$(commas "$(first officers)")
FIREARMS=$(grep -o '"firearms":{"total":[0-9]*' "$T/fig.json" | head -1 | cut -d: -f3)
expect_eq "$REPORTS" "1,644" "jad-report's reports"
check_totals() {    # check_totals SESSION: each figure, whole, on screen
    tm capture-pane -p -t "$1" > "$T/screen.$1"
    for want in "reports $REPORTS" "parcels $PARCELS" "officers $OFFICERS" \
                "firearms $FIREARMS"; do
        grep -qE -- "(^| )$want( |\$)" "$T/screen.$1" \
            || fail "$1: \"$want\" not on screen: $(cat "$T/screen.$1")"
    done
}

tm new-session -d -s live -x 120 -y 40 \
    "$BIN/jad-console --hub $HUB_EP --feed $FEED_EP --key $T/op/keys/coord.secret \
     --hub-key $T/op/keys/hub.pub --silent-after 3 2> $T/live.err; echo \$? > $T/live.rc"
wait_for 60 on_screen live "| live" || fail "console not live: $(cat "$T/screen.live" "$T/live.err")"
wait_for 30 on_screen live "reports $REPORTS " || fail "totals: $(cat "$T/screen.live")"
check_totals live
on_screen live "armstrong-vii" || fail "operation name not in the header"

# Resize to 80x24 and back: still drawing, still the same totals.
tm resize-window -t live -x 80 -y 24
sleep 1
wait_for 10 on_screen live "reports $REPORTS " || fail "at 80x24: $(cat "$T/screen.live")"
[ "$(wc -L < "$T/screen.live")" -le 80 ] || fail "wider than 80 columns at 80x24"
tm resize-window -t live -x 120 -y 40
sleep 1
wait_for 10 on_screen live "parcels $PARCELS " || fail "back at 120x40: $(cat "$T/screen.live")"

# Keys: sort, Tab, filter, open an entry and close it.
tm send-keys -t live s
wait_for 5 on_screen live "(sort: country)" || fail "s did not sort: $(cat "$T/screen.live")"
tm send-keys -t live / && tm send-keys -t live "seizure" Enter
wait_for 5 on_screen live "(filter: seizure)" || fail "filter: $(cat "$T/screen.live")"
tm send-keys -t live Enter
wait_for 5 on_screen live "hub_seq " || fail "Enter did not open an entry: $(cat "$T/screen.live")"
tm send-keys -t live Escape
wait_for 5 on_screen live "Countries" || fail "Esc did not close the entry"

# A killed agent is shown silent once the hub's health relay says so.
AG=$(pgrep -f "jad-agent run --data $T/op/agents/CY" | head -1)
[ -n "$AG" ] || fail "no CY agent"
kill -KILL "$AG"
wait_for 30 sh -c "tmux -S '$T/tmux.sock' capture-pane -p -t live | grep -E '^! CY .*SILENT'" \
    || fail "CY not shown silent: $(tm capture-pane -p -t live)"
tm capture-pane -p -t live | grep -E 'SILENT' | grep -vq ' CY ' \
    && fail "another country shown silent: $(tm capture-pane -p -t live)"

tm send-keys -t live q
wait_for 10 test -s "$T/live.rc" || fail "q did not quit"
expect_eq "$(cat "$T/live.rc")" 0 "console exit status"

# Replay of the hub's journal: the same final totals.
tm new-session -d -s replay -x 120 -y 40 \
    "$BIN/jad-console --replay $T/op/hub 2> $T/replay.err; echo \$? > $T/replay.rc"
wait_for 60 on_screen replay ": at the head" || fail "replay: $(cat "$T/screen.replay" "$T/replay.err")"
check_totals replay
tm send-keys -t replay q
wait_for 10 test -s "$T/replay.rc" || fail "q did not quit the replay"
expect_eq "$(cat "$T/replay.rc")" 0 "replay exit status"

kill -TERM "$SIM"; wait "$SIM" 2>/dev/null || true
echo "ok"
