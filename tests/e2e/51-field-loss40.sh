#!/bin/sh
# Field: 40 % packet loss both ways on every agent's link for 20 s while
# reports keep arriving; after it heals, everything is in the hub's
# journal exactly once and in every mirror.
set -eu
. "$(dirname "$0")/../field/netns.sh"
field_probe nft
field_init DE FR IT
field_start
field_feed_all 1 10 10 0
field_feed_wait
field_wait_converged 60 30

field_loss 40 DE FR IT
field_feed_all 11 60 5 2
field_hold 20
field_loss_clear
[ "$FIELD_LOSS_DROPPED" -gt 0 ] || fail "no packet was dropped"
field_feed_wait
field_wait_converged 120 180
field_check 180
