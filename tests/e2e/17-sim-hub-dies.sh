#!/bin/sh
# jad-sim survives its hub dying mid-run: the hub child, SIGKILLed once it
# has journaled reports, is started again on the same ports and data, and
# the run finishes as usual — every report journaled exactly once, every
# mirror equal to the hub's journal, the summary line unchanged.
set -eu
. "$(dirname "$0")/lib.sh"
# 5,000 reports from 5 countries, each with its own "persons" count
awk 'BEGIN { split("DE FR NL PL IT", cc, " ")
    for (i = 0; i < 5000; i++)
        printf "{\"type\":\"checks\",\"country\":\"%s\",\"time\":\"2020-11-16T%02d:%02d:%02dZ\",\"persons\":%d}\n",
            cc[i % 5 + 1], 7 + int(i / 3600), int(i / 60) % 60, i % 60, i }' > "$T/scenario.jsonl"
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
if grep -q "lost" "$T/err"; then fail "$(cat "$T/err")"; fi
tail -1 "$T/out" | grep -Eq '^5000 reports from 5 countries in [0-9.]+ s \([0-9]+ reports/s\)$' \
    || fail "summary: $(tail -1 "$T/out")"
"$BIN/jad-journal" dump --data "$T/op/hub" > "$T/hub.dump" || fail "dump"
expect_eq "$(wc -l < "$T/hub.dump")" 5000 "entries"
expect_eq "$(grep -o '"persons":[0-9]*' "$T/hub.dump" | sort -u | wc -l)" 5000 "distinct reports"
for cc in DE IT; do
    "$BIN/jad-journal" dump --data "$T/op/agents/$cc" > "$T/m.dump"
    cmp -s "$T/hub.dump" "$T/m.dump" || fail "mirror $cc differs from the hub's journal"
done
"$BIN/jad-verify" --data "$T/op/hub" > "$T/v" || fail "verify: $(cat "$T/v")"
echo ok
