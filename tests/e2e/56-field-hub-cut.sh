#!/bin/sh
# Field: the hub's host cut off from everyone for 15 s; the agents keep
# accepting reports into their outboxes and know the hub is gone; after the
# link returns, everything is in the hub's journal exactly once and in
# every mirror.
set -eu
. "$(dirname "$0")/../field/netns.sh"
field_probe
field_init DE FR IT
field_start
field_feed_all 1 10 10 0
field_feed_wait
field_wait_converged 60 30

field_cut hub
field_feed_all 11 60 10 2
# The agents notice (heartbeats stop) and keep every report.
for cc in DE FR IT; do
    wait_for 14 s_field_disconnected "$cc" || fail "$cc still shows the hub as connected 14 s into the cut"
done
field_feed_wait
for cc in DE FR IT; do
    "$BIN/jad-agent" status --data "$T/agents/$cc" --json > "$T/st"
    expect_eq "$(jq_num outbox_depth "$T/st")" 50 "$cc outbox while the hub is cut off"
done
field_hold 15
field_heal hub
field_wait_converged 120 180
field_check 180
