#!/bin/sh
# Field: every agent reaches the hub through a relay that holds each chunk
# 300 ms +/- 100 ms each way (jad-delay); reports arrive for 20 s, then the
# delay heals; everything is in the hub's journal exactly once and in
# every mirror, and each relay carried bytes both ways and held the chunks
# it read while delaying 200..400 ms on average (read to last byte out).
set -eu
. "$(dirname "$0")/../field/netns.sh"
field_probe
field_init DE FR IT
field_delay 300 100 DE FR IT
field_start
field_feed_all 1 10 10 0
field_feed_wait
field_wait_converged 60 30

field_feed_all 11 60 5 2
field_hold 20
field_feed_wait
field_delay_heal
field_wait_converged 120 180
field_check 180
field_delay_check 200 400
