#!/bin/sh
# jad-replay: a hub's journal and an agent's mirror replay identically;
# every entry carries hub_seq, origin, origin_seq, received and the
# report's country and time; the filters, --after-seq and --speed select
# and pace without changing lines; a missing or foreign directory is one
# error line and exit 2.
set -eu
. "$(dirname "$0")/lib.sh"
sim_op --operation "Armstrong VII"
R="$BIN/jad-replay"
"$R" --data "$T/op/hub" > "$T/hub.jsonl" || fail "replay hub"
"$R" --data "$T/op/agents/DE" > "$T/de.jsonl" || fail "replay DE mirror"
"$R" --data "$T/op/agents/US" > "$T/us.jsonl" || fail "replay US mirror"
expect_eq "$(wc -l < "$T/hub.jsonl")" 1644 "replayed entries"
cmp -s "$T/hub.jsonl" "$T/de.jsonl" || fail "hub and DE mirror replay differently"
cmp -s "$T/hub.jsonl" "$T/us.jsonl" || fail "hub and US mirror replay differently"
# hub order, and the meta keys on every line
expect_eq "$(sed -n 's/.*"hub_seq":\([0-9]*\),.*/\1/p' "$T/hub.jsonl" | sort -n -c && echo sorted)" \
    sorted "hub order"
for k in '"type":' '"country":"[A-Z][A-Z]"' '"time":"' '"hub_seq":' '"origin":"agent-' \
         '"origin_seq":' '"received":"'; do
    expect_eq "$(grep -c "$k" "$T/hub.jsonl")" 1644 "lines with $k"
done
head -1 "$T/hub.jsonl" | grep -q '"hub_seq":1,' || fail "first line: $(head -1 "$T/hub.jsonl")"

# filters: each equals the same selection made on the full replay
"$R" --data "$T/op/hub" --country DE > "$T/f"
expect_eq "$(wc -l < "$T/f")" "$(grep -c '"country":"DE"' "$T/hub.jsonl")" "--country DE"
[ -s "$T/f" ] || fail "--country DE printed nothing"
"$R" --data "$T/op/hub" --country DE,FR --country US > "$T/f"
expect_eq "$(wc -l < "$T/f")" "$(grep -c '"country":"\(DE\|FR\|US\)"' "$T/hub.jsonl")" "--country DE,FR,US"
"$R" --data "$T/op/hub" --type seizure > "$T/f"
expect_eq "$(wc -l < "$T/f")" "$(grep -c '^{"type":"seizure"' "$T/hub.jsonl")" "--type seizure"
"$R" --data "$T/op/hub" --type arrest,hit > "$T/f"
expect_eq "$(wc -l < "$T/f")" "$(grep -c '^{"type":"\(arrest\|hit\)"' "$T/hub.jsonl")" "--type arrest,hit"
# --from/--to are inclusive, on event time
"$R" --data "$T/op/hub" --from 2020-11-17T00:00:00Z --to 2020-11-17T23:59:59.999Z > "$T/f"
expect_eq "$(wc -l < "$T/f")" "$(grep -c '"time":"2020-11-17T' "$T/hub.jsonl")" "--from/--to one day"
"$R" --data "$T/op/hub" --country DE --type seizure --from 2020-11-18T00:00:00Z > "$T/f"
expect_eq "$(wc -l < "$T/f")" \
    "$(grep '^{"type":"seizure","country":"DE"' "$T/hub.jsonl" | grep -c '"time":"2020-11-\(1[89]\|2[0-9]\)')" \
    "combined filters"
# every filtered line is a line of the full replay
grep -vxFf "$T/hub.jsonl" "$T/f" && fail "a filtered line differs from the full replay"

# --after-seq N starts at N + 1; past the head prints nothing
"$R" --data "$T/op/hub" --after-seq 1600 > "$T/f"
tail -44 "$T/hub.jsonl" | cmp -s - "$T/f" || fail "--after-seq 1600"
"$R" --data "$T/op/hub" --after-seq 5000 > "$T/f"
[ ! -s "$T/f" ] || fail "--after-seq past the head printed something"

# --speed paces by event time: the last 10 entries span hours of the
# operation; at 1e9 x they come at once, unchanged; at 2 h per second
# the span takes about (span / 7200) seconds
"$R" --data "$T/op/hub" --speed 1000000000 --after-seq 1634 > "$T/f"
tail -10 "$T/hub.jsonl" | cmp -s - "$T/f" || fail "--speed changed the lines"
# (on a journal of known times: the sim's hub order mixes countries, so
# its last entries need not be in event-time order)
mkdir -p "$T/pace"
printf '%s\n' '{"type":"checks","country":"DE","time":"2020-11-16T00:00:00Z","parcels":1}' \
    '{"type":"checks","country":"DE","time":"2020-11-16T02:00:00Z","parcels":2}' \
    '{"type":"checks","country":"DE","time":"2020-11-16T04:00:00Z","parcels":3}' > "$T/pace.jsonl"
"$BIN/jad-journal" import --data "$T/pace/journal" "$T/pace.jsonl" > /dev/null || fail "import pace"
"$R" --data "$T/pace" > "$T/pace.all"
start=$(date +%s)
"$R" --data "$T/pace" --speed 7200 > "$T/f"
took=$(( $(date +%s) - start ))
cmp -s "$T/pace.all" "$T/f" || fail "--speed 7200 lines"
# 4 h of events at 2 h per second: about 2 s
[ "$took" -ge 1 ] && [ "$took" -le 6 ] || fail "--speed 7200: 4 h of events took $took s"

# usage and directory errors: one line, exit 2
set +e
"$R" --data "$T/nothing" > "$T/out" 2> "$T/err"; rc=$?
expect_eq "$rc" 2 "missing directory"
expect_eq "$(wc -l < "$T/err")" 1 "lines of error for a missing directory"
mkdir -p "$T/empty"
"$R" --data "$T/empty" > "$T/out" 2> "$T/err"; rc=$?
expect_eq "$rc" 2 "directory without a journal"
expect_eq "$(wc -l < "$T/err")" 1 "lines of error for a foreign directory"
mkdir -p "$T/bad/journal"; echo junk > "$T/bad/journal/data.mdb"
"$R" --data "$T/bad" > "$T/out" 2> "$T/err"; rc=$?
expect_eq "$rc" 2 "directory with a broken journal"
expect_eq "$(wc -l < "$T/err")" 1 "lines of error for a broken journal"
"$R" > /dev/null 2>&1; expect_eq $? 2 "no --data"
"$R" --data "$T/op/hub" --type nonsense > /dev/null 2>&1; expect_eq $? 2 "unknown --type"
"$R" --data "$T/op/hub" --country de > /dev/null 2>&1; expect_eq $? 2 "lower-case --country"
"$R" --data "$T/op/hub" --from yesterday > /dev/null 2>&1; expect_eq $? 2 "bad --from"
"$R" --data "$T/op/hub" --speed 0 > /dev/null 2>&1; expect_eq $? 2 "--speed 0"
"$R" --data "$T/op/hub" --publish tcp://127.0.0.1:1 > /dev/null 2>&1; expect_eq $? 2 "--publish without --key"
set -e
# no progress bar when stderr is not a terminal
"$R" --data "$T/op/hub" > /dev/null 2> "$T/err"
[ ! -s "$T/err" ] || fail "stderr not empty: $(cat "$T/err")"
"$R" --help | grep -q usage || fail "--help"
echo ok
