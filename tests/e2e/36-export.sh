#!/bin/sh
# jad-export: --format jsonl is the intake format with country and time on
# every line, and re-importing it through jad-sim gives a journal with the
# same counts (and the same jad-report figures, when jad-report is built);
# --format csv is a header and one row per report; --meta adds hub_seq,
# origin, origin_seq and received; hub and mirror export identically.
set -eu
. "$(dirname "$0")/lib.sh"
sim_op --operation "Armstrong VII"
E="$BIN/jad-export"
"$E" --data "$T/op/hub" --format jsonl > "$T/export.jsonl" || fail "export jsonl"
expect_eq "$(wc -l < "$T/export.jsonl")" 1644 "jsonl lines"
expect_eq "$(grep -c '^{"type":"[a-z_]*","country":"[A-Z][A-Z]","time":"' "$T/export.jsonl")" \
    1644 "lines with type, country and time first"
grep -q '"hub_seq"\|"origin"\|"received"' "$T/export.jsonl" && fail "meta keys without --meta"
"$E" --data "$T/op/agents/DE" --format jsonl | cmp -s - "$T/export.jsonl" \
    || fail "hub and mirror export differently"

# re-import: the same counts by type, the same figures
"$BIN/jad-sim" run "$T/export.jsonl" --data "$T/op2" > "$T/sim2" \
    || fail "jad-sim of the export: $(tail -3 "$T/sim2")"
# (the same keys and values; by_type lists types in first-seen order)
"$BIN/jad-journal" count --data "$T/op/hub/journal" --json | jq -S -c . > "$T/count1"
"$BIN/jad-journal" count --data "$T/op2/hub/journal" --json | jq -S -c . > "$T/count2"
cmp -s "$T/count1" "$T/count2" || fail "counts differ: $(cat "$T/count1") vs $(cat "$T/count2")"
# the re-imported journal exports the same lines, in some order
"$E" --data "$T/op2/hub" --format jsonl | sort > "$T/export2.sorted"
sort "$T/export.jsonl" | cmp -s - "$T/export2.sorted" || fail "re-imported export differs"
if [ -x "$BIN/jad-report" ]; then
    "$BIN/jad-report" --data "$T/op/hub" --format json | jq -S -c 'del(.operation)' > "$T/rep1"
    "$BIN/jad-report" --data "$T/op2/hub" --format json | jq -S -c 'del(.operation)' > "$T/rep2"
    cmp -s "$T/rep1" "$T/rep2" || fail "jad-report figures differ after re-import"
fi

# --meta: the same lines, with the four keys at the end
"$E" --data "$T/op/hub" --format jsonl --meta > "$T/meta.jsonl"
expect_eq "$(grep -c ',"hub_seq":[0-9]*,"origin":"agent-[a-z]*","origin_seq":[0-9]*,"received":"[^"]*"}$' "$T/meta.jsonl")" \
    1644 "--meta lines"
sed 's/,"hub_seq":.*}$/}/' "$T/meta.jsonl" | cmp -s - "$T/export.jsonl" || fail "--meta changed the report"
"$BIN/jad-replay" --data "$T/op/hub" | cmp -s - "$T/meta.jsonl" \
    || fail "export --meta and replay differ"

# csv: a header, 1644 rows, the same number of columns on each
"$E" --data "$T/op/hub" --format csv > "$T/export.csv" || fail "export csv"
expect_eq "$(wc -l < "$T/export.csv")" 1645 "csv lines"
head -1 "$T/export.csv" | grep -q '^type,country,time,persons,' || fail "csv header: $(head -1 "$T/export.csv")"
head -1 "$T/export.csv" | grep -q ',location,lat,lon,handling,ref$' || fail "csv header end"
head -1 "$T/export.csv" | grep -q 'hub_seq' && fail "csv meta columns without --meta"
# parsed as CSV (RFC 4180: sitreps hold commas and quotes): every row has
# the header's columns, and its text fields equal the JSON export's
# (python3 is not a dependency: where it is missing this check is skipped)
if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: python3 not installed: CSV not parsed field by field"
    PYTHON=true
else
    PYTHON=python3
fi
$PYTHON - "$T/export.csv" "$T/export.jsonl" > "$T/csvcheck" <<'PY' || fail "csv: $(cat "$T/csvcheck")"
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))
lines = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8')]
head = rows[0]
assert len(rows) == len(lines) + 1, "row count"
for row, obj in zip(rows[1:], lines):
    assert len(row) == len(head), "columns in %r" % row
    for k, v in obj.items():
        if k == "replacement":
            continue
        got = row[head.index(k)]
        want = v if isinstance(v, str) else json.dumps(v)
        assert got == want, "%s: %r != %r" % (k, got, want)
print("ok")
PY
expect_eq "$(cut -d, -f1 "$T/export.csv" | tail -n +2 | sort | uniq -c | awk '{ print $2 ":" $1 }' | sort | tr '\n' ' ')" \
    "$(sed 's/^{"type":"\([a-z_]*\)".*/\1/' "$T/export.jsonl" | sort | uniq -c | awk '{ print $2 ":" $1 }' | sort | tr '\n' ' ')" \
    "csv types"
"$E" --data "$T/op/hub" --format csv --meta > "$T/meta.csv"
head -1 "$T/meta.csv" | grep -q ',ref,hub_seq,origin,origin_seq,received$' || fail "csv --meta header"
expect_eq "$(wc -l < "$T/meta.csv")" 1645 "csv --meta lines"
sed -n 2p "$T/meta.csv" | grep -q ',1,agent-[a-z]*,1,20[0-9][0-9]-' || fail "csv --meta row: $(sed -n 2p "$T/meta.csv")"

# a quoted field: a sitrep with a comma and a quote, through an import
printf '%s\n' '{"type":"sitrep","country":"DE","time":"2020-11-16T08:00:00Z","text":"calm, \"quiet\" night"}' \
    '{"type":"seizure","country":"FR","time":"2020-11-16T09:00:00Z","item":"drug","subtype":"cocaine","grams":1500,"lat":48.85,"lon":2.35}' \
    > "$T/small.jsonl"
mkdir -p "$T/imp"
"$BIN/jad-journal" import --data "$T/imp/journal" "$T/small.jsonl" > /dev/null || fail "import"
"$E" --data "$T/imp" --format csv > "$T/small.csv"
grep -q '^sitrep,DE,2020-11-16T08:00:00Z,.*,"calm, ""quiet"" night",' "$T/small.csv" || fail "csv quoting: $(cat "$T/small.csv")"
grep -q '^seizure,FR,.*,drug,cocaine,1500,.*,48.85,2.35,,$' "$T/small.csv" || fail "csv seizure: $(cat "$T/small.csv")"
"$E" --data "$T/imp" --format jsonl | cmp -s - "$T/small.jsonl" || fail "import/export round trip"

# errors: one line, exit 2; no progress bar when stderr is not a terminal
set +e
"$E" --data "$T/nothing" --format csv > /dev/null 2> "$T/err"; rc=$?
expect_eq "$rc" 2 "missing directory"
expect_eq "$(wc -l < "$T/err")" 1 "lines of error"
"$E" --data "$T/op/hub" > /dev/null 2>&1; expect_eq $? 2 "no --format"
"$E" --data "$T/op/hub" --format xml > /dev/null 2>&1; expect_eq $? 2 "--format xml"
set -e
"$E" --data "$T/op/hub" --format csv > /dev/null 2> "$T/err"
[ ! -s "$T/err" ] || fail "stderr not empty: $(cat "$T/err")"
"$E" --help | grep -q usage || fail "--help"
echo ok
