#!/bin/sh
# Field: one agent's link cut for 15 s and restored, while reports keep
# arriving at every agent; then everything is in the hub's journal exactly
# once and in every mirror.
set -eu
. "$(dirname "$0")/../field/netns.sh"
field_probe
field_init DE FR IT
field_start
field_feed DE de 1 20 20 0
field_feed FR fr 1 20 20 0
field_feed_wait
field_wait_converged 60 40

field_cut DE
field_feed DE de 21 80 10 2
field_feed FR fr 21 80 10 2
field_feed IT it 1 40 10 3
wait_for 14 s_field_disconnected DE || fail "DE still shows the hub as connected 14 s into the cut"
field_hold 15
field_heal DE
field_feed_wait
field_wait_converged 120 200
field_check 200
