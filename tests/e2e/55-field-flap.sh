#!/bin/sh
# Field: two agents' links flap (6 s down, 3 s up) for 27 s while reports
# keep arriving at every agent; each flapped agent was seen disconnected
# from the hub during the flaps, and after the links stay up, everything is
# in the hub's journal exactly once and in every mirror.
set -eu
. "$(dirname "$0")/../field/netns.sh"
field_probe
field_init DE FR IT
field_start
field_feed_all 1 10 10 0
field_feed_wait
field_wait_converged 60 30

field_feed_all 11 60 5 2
field_flap 27 6 3 DE FR
field_flap_check
field_feed_wait
field_wait_converged 120 180
field_check 180
