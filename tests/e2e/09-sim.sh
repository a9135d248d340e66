#!/bin/sh
# jad-sim runs the example operation through a real hub and 25 agents; a
# scenario with bad lines names them, runs the rest, and exits 1.
set -eu
. "$(dirname "$0")/lib.sh"
"$BIN/jad-sim" run tests/data/armstrong-vii.jsonl --data "$T/op" > "$T/out" \
    || fail "jad-sim exited $?: $(tail -5 "$T/out")"
tail -1 "$T/out" | grep -Eq '^1644 reports from 25 countries in [0-9.]+ s \([0-9]+ reports/s\)$' \
    || fail "summary: $(tail -1 "$T/out")"
expect_eq "$(ls "$T/op/agents" | wc -l)" 25 "agent directories"
"$BIN/jad-journal" count --data "$T/op/hub/journal" --json > "$T/count"
expect_eq "$(jq_num entries "$T/count")" 1644 "hub entries"
for cc in DE MK US; do
    "$BIN/jad-journal" count --data "$T/op/agents/$cc/mirror" --json > "$T/m"
    expect_eq "$(jq_num entries "$T/m")" 1644 "mirror $cc"
done
# no process left behind
sleep 0.2
if pgrep -f "$T/op" >/dev/null; then fail "processes left running"; fi

head -40 tests/data/armstrong-vii.jsonl > "$T/bad.jsonl"
echo 'not json' >> "$T/bad.jsonl"
echo '{"type":"seizure","country":"DE","item":"drug","subtype":"heroin"}' >> "$T/bad.jsonl"
echo '{"type":"checks","parcels":1}' >> "$T/bad.jsonl"
set +e
"$BIN/jad-sim" run "$T/bad.jsonl" --data "$T/op2" > "$T/out2" 2>&1
rc=$?
set -e
expect_eq "$rc" 1 "exit status with rejected lines"
grep -q '^line 41: ' "$T/out2" || fail "line 41 not named: $(cat "$T/out2")"
grep -q '^line 42: .*seizure.grams' "$T/out2" || fail "line 42 not named"
grep -q '^line 43: .*country' "$T/out2" || fail "line 43 not named"
tail -1 "$T/out2" | grep -q '^40 reports from ' || fail "valid lines not run: $(tail -1 "$T/out2")"
set +e
"$BIN/jad-sim" run >/dev/null 2>&1; expect_eq $? 2 "usage"
set -e
"$BIN/jad-sim" --help | grep -q usage || fail "--help"
echo ok
