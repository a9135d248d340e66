#!/bin/sh
# Field: every agent's link at 256 kbit/s both ways (tc tbf) for 20 s
# while reports arrive in bursts the rate must hold back; after it heals,
# everything is in the hub's journal exactly once and in every mirror.
set -eu
. "$(dirname "$0")/../field/netns.sh"
field_probe tc
field_init DE FR IT
field_start
field_feed_all 1 10 10 0
field_feed_wait
field_wait_converged 60 30

field_slow 256kbit DE FR IT
field_feed_all 11 60 25 8
field_hold 20
field_slow_clear
[ "$FIELD_SLOW_HELD" -gt 0 ] || fail "the rate never held a packet back"
field_feed_wait
field_wait_converged 120 180
field_check 180
