#!/bin/sh
# jad-sim survives its hub dying mid-run: the hub child, SIGKILLed once it
# has journaled reports, is started again on the same ports and data, and
# the run finishes as usual — every report journaled exactly once, every
# mirror equal to the hub's journal, the summary line unchanged.  A hub
# that keeps dying is given up after 3 restarts, and the reports still in
# the agents' outboxes are counted as waiting there, not as lost.
set -eu
. "$(dirname "$0")/lib.sh"
# scenario N: N reports from 5 countries, each with its own "persons" count
scenario() {
    awk -v n="$1" 'BEGIN { split("DE FR NL PL IT", cc, " ")
    for (i = 0; i < n; i++)
        printf "{\"type\":\"checks\",\"country\":\"%s\",\"time\":\"2020-11-16T%02d:%02d:%02dZ\",\"persons\":%d}\n",
            cc[i % 5 + 1], 7 + int(i / 3600), int(i / 60) % 60, i % 60, i }'
}
scenario 3000 > "$T/scenario.jsonl"
"$BIN/jad-sim" run "$T/scenario.jsonl" --data "$T/op" > "$T/out" 2> "$T/err" &
SIM=$!
PIDS="$PIDS $SIM"
busy() { "$BIN/jad-hub" status --data "$T/op/hub" --json 2>/dev/null | grep -q '"head_seq":[1-9]'; }
wait_for 60 busy || fail "the hub journaled nothing: $(cat "$T/err")"
hub=$(pgrep -P "$SIM" -x jad-hub) || fail "no hub child of jad-sim (finished already?)"
kill -KILL "$hub"
set +e
wait "$SIM"; rc=$?
set -e
expect_eq "$rc" 0 "jad-sim with its hub killed ($(cat "$T/err"))"
grep -q "^jad-sim: the hub exited (killed by signal 9; .*: starting it again in 0.5 s (restart 1 of 3)$" "$T/err" \
    || fail "the restart is not said: $(cat "$T/err")"
if grep -q "^jad-sim: lost" "$T/err"; then fail "$(cat "$T/err")"; fi
tail -1 "$T/out" | grep -Eq '^3000 reports from 5 countries in [0-9.]+ s \([0-9]+ reports/s\)$' \
    || fail "summary: $(tail -1 "$T/out")"
"$BIN/jad-journal" dump --data "$T/op/hub" > "$T/hub.dump" || fail "dump"
expect_eq "$(wc -l < "$T/hub.dump")" 3000 "entries"
expect_eq "$(grep -o '"persons":[0-9]*' "$T/hub.dump" | sort -u | wc -l)" 3000 "distinct reports"
for cc in DE IT; do
    "$BIN/jad-journal" dump --data "$T/op/agents/$cc" > "$T/m.dump"
    cmp -s "$T/hub.dump" "$T/m.dump" || fail "mirror $cc differs from the hub's journal"
done
"$BIN/jad-verify" --data "$T/op/hub" > "$T/v" || fail "verify: $(cat "$T/v")"

# a hub killed as soon as it starts, four times: given up after 3 restarts;
# what the agents accepted waits in their outboxes and is not called lost
scenario 1000 > "$T/small.jsonl"
"$BIN/jad-sim" run "$T/small.jsonl" --data "$T/op2" > "$T/out" 2> "$T/err" &
SIM=$!
PIDS="$PIDS $SIM"
hub_child() { pgrep -P "$SIM" -x jad-hub; }
for kill in 1 2 3 4; do
    wait_for 30 hub_child || fail "hub $kill never started: $(cat "$T/err")"
    kill -KILL "$(hub_child)"
    said="restart $kill of 3"
    [ "$kill" -lt 4 ] || said="giving up"
    wait_for 30 grep -q "$said" "$T/err" || fail "not said: $said: $(cat "$T/err")"
done
set +e
wait "$SIM"; rc=$?
set -e
expect_eq "$rc" 1 "jad-sim with a hub that keeps dying ($(cat "$T/err"))"
grep -q "after 3 restarts: giving up" "$T/err" || fail "$(cat "$T/err")"
if grep -q "^jad-sim: lost" "$T/err"; then fail "reports called lost: $(cat "$T/err")"; fi
line=$(grep "^jad-sim: not finished: " "$T/err") || fail "$(cat "$T/err")"
held=$(echo "$line" | sed 's/.*journaled \([0-9]*\) of 1000 accepted reports; \([0-9]*\) wait in the agents.*/\1 + \2/')
[ "$(( $held ))" -ge 1000 ] || fail "journaled + waiting < 1000: $line"
tail -1 "$T/out" | grep -Eq '^[0-9]+ reports from 5 countries in ' || fail "summary: $(tail -1 "$T/out")"
echo ok
