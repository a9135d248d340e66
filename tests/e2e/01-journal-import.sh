#!/bin/sh
# The example scenario imports into a real LMDB journal and reads back
# entry for entry; a batch with bad lines rejects only those lines.
set -eu
. "$(dirname "$0")/lib.sh"

"$BIN/jad-journal" import --data "$T/j" tests/data/armstrong-vii.jsonl > "$T/out"
grep -q "imported 1644 reports, 0 lines rejected" "$T/out" || fail "import: $(cat "$T/out")"

"$BIN/jad-journal" count --data "$T/j" --json > "$T/count"
expect_eq "$(jq_num entries "$T/count")" 1644 "entries"
grep -q '"checks":1469' "$T/count" || fail "checks count: $(cat "$T/count")"
grep -q '"seizure":117' "$T/count" || fail "seizure count"
grep -q '"deployment":50' "$T/count" || fail "deployment count"
grep -q '"sitrep":8' "$T/count" || fail "sitrep count"

# dump gives one line per entry, numbered 1..1644 without a gap
"$BIN/jad-journal" dump --data "$T/j" > "$T/dump"
expect_eq "$(wc -l < "$T/dump")" 1644 "dump lines"
expect_eq "$(sed -n '1644s/^{"hub_seq":\([0-9]*\),.*/\1/p' "$T/dump")" 1644 "last hub_seq"
head -1 "$T/dump" | grep -q '"report":{"type":"deployment","country":"CY","time":"2020-11-16T07:00:03Z"' \
    || fail "first entry: $(head -1 "$T/dump")"

# Importing again journals the same reports under new identities (a new
# incarnation); a bad line is rejected alone, by its line number.
printf '%s\n' '{"type":"checks","country":"DE","parcels":5}' \
    '{"type":"seizure","country":"DE","item":"drug","subtype":"cocaine"}' \
    '' \
    '{"type":"checks","country":"DE","parcels":1e3}' \
    '{"type":"sitrep","country":"DE","text":"ok"}' > "$T/batch.jsonl"
set +e
"$BIN/jad-journal" import --data "$T/b" "$T/batch.jsonl" > "$T/out2"
rc=$?
set -e
expect_eq "$rc" 1 "exit status with rejected lines"
grep -q '^line 2: .*seizure.grams' "$T/out2" || fail "line 2 message: $(cat "$T/out2")"
grep -q '^line 4: .*checks.parcels' "$T/out2" || fail "line 4 message: $(cat "$T/out2")"
grep -q 'imported 2 reports, 2 lines rejected' "$T/out2" || fail "summary: $(cat "$T/out2")"

# usage errors exit 2, --help exits 0
set +e
"$BIN/jad-journal" count >/dev/null 2>&1; expect_eq $? 2 "missing --data"
"$BIN/jad-journal" frobnicate --data "$T/j" >/dev/null 2>&1; expect_eq $? 2 "unknown command"
"$BIN/jad-journal" count --data "$T/nonexistent" >/dev/null 2>&1; expect_eq $? 2 "missing journal"
set -e
"$BIN/jad-journal" --help | grep -q usage || fail "--help"
echo ok
