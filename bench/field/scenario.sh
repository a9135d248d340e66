#!/bin/sh
# bench/field/scenario.sh NAME — one full-scale bad-link scenario, on the
# network of tests/field/netns.sh (run by bench/field/run.sh, one process
# per scenario so each has its own namespaces, temporary directory and
# trap).  NAME: loss20 loss40 slow delay cut flap hubcut.
#
# AGENTS agents; each first gets 10 reports (a converged start), then
# REPORTS more, submitted in batches every GAP s over the BAD s the link is
# bad; then the link heals and the scenario waits (at most CONVERGE s) for
# the hub and every mirror to hold every report, checks each is there
# exactly once and every mirror equals the hub's journal, and prints
#   RESULT NAME agents=A reports=N bad=S at_heal=H converged=C resent=R note=...
# (H: entries the hub held when the link healed; C: seconds from the heal
# to convergence; R: reports the agents sent again for want of an ack in
# time, from their logs).  Exit 0, 1 (did not converge, or not exactly once), 77
# (namespaces not allowed here).
set -eu
scenario=${1:?usage: scenario.sh loss20|loss40|slow|delay|cut|flap|hubcut}
AGENTS=${AGENTS:-8}
REPORTS=${REPORTS:-2000}
BAD=${BAD:-60}
GAP=${GAP:-1}
CONVERGE=${CONVERGE:-900}
FLAP_DOWN=${FLAP_DOWN:-6}
FLAP_UP=${FLAP_UP:-4}
FIELD_LIMIT=${FIELD_LIMIT:-3600}
. "$(dirname "$0")/../../tests/field/netns.sh"

COUNTRIES="DE FR IT NL BE AT PL ES PT SE FI DK CZ SK HU RO BG GR HR SI LT LV
EE IE LU CY MT XK AL RS ME MK BA MD UA NO CH IS TR GE"
[ "$AGENTS" -ge 2 ] && [ "$AGENTS" -le 40 ] || fail "AGENTS must be 2 to 40"
ccs=$(echo $COUNTRIES | tr ' ' '\n' | head -n "$AGENTS" | tr '\n' ' ')
# the first half of the agents: the ones whose links are cut or flap
half=$(echo $ccs | tr ' ' '\n' | head -n $(( (AGENTS + 1) / 2 )) | tr '\n' ' ')

case $scenario in
    loss20|loss40) field_probe nft ;;
    slow) field_probe tc ;;
    delay|cut|flap|hubcut) field_probe ;;
    *) fail "unknown scenario '$scenario'" ;;
esac
# shellcheck disable=SC2086
field_init $ccs
# shellcheck disable=SC2086
[ "$scenario" = delay ] && field_delay 300 100 $ccs
field_start
field_feed_all 1 10 10 0
field_feed_wait
field_wait_converged 300 $((10 * AGENTS))

batches=$(( BAD / GAP )); [ "$batches" -ge 1 ] || batches=1
batch=$(( (REPORTS + batches - 1) / batches ))
note=""
# shellcheck disable=SC2086
case $scenario in
    loss20) field_loss 20 $ccs ;;
    loss40) field_loss 40 $ccs ;;
    slow)   field_slow 256kbit $ccs ;;
    delay)  FIELD_BAD_T=$(field_now) ;;
    cut)    field_cut $half ;;
    hubcut) field_cut hub ;;
    flap)   ;;
esac
field_feed_all 11 $((10 + REPORTS)) "$batch" "$GAP"
if [ "$scenario" = flap ]; then
    # shellcheck disable=SC2086
    field_flap "$BAD" "$FLAP_DOWN" "$FLAP_UP" $half
    note="flapped ${half% }: ${FLAP_DOWN} s down, ${FLAP_UP} s up"
else
    field_hold "$BAD"
fi
field_feed_wait
bad_s=$(field_since "$FIELD_BAD_T")
"$BIN/jad-hub" status --data "$T/hub" --json > "$T/heal.st"
at_heal=$(jq_num head_seq "$T/heal.st")
# shellcheck disable=SC2086
case $scenario in
    loss20|loss40)
        field_loss_clear
        note="dropped $FIELD_LOSS_DROPPED of $FIELD_LOSS_SEEN packets" ;;
    slow)
        field_slow_clear
        note="$FIELD_SLOW_HELD packets held back by the rate" ;;
    delay)  field_delay_heal; note="300+/-100 ms each way" ;;
    cut)    field_heal $half; note="cut: ${half% }" ;;
    hubcut) field_heal hub ;;
    flap)   ;;
esac
n=$(( (10 + REPORTS) * AGENTS ))
field_wait_converged "$CONVERGE" "$n"
field_check "$n"
# Reports the agents sent again because no ack came in time (their logs).
resent=$(cat "$T"/agent-*.log | sed -n 's/.* resent \([0-9]*\) unacknowledged.*/\1/p' \
         | awk '{ s += $1 } END { print s + 0 }')
echo "RESULT $scenario agents=$AGENTS reports=$n bad=$bad_s at_heal=$at_heal converged=$FIELD_CONVERGED_S resent=$resent note=$note"
