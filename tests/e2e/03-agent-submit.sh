#!/bin/sh
# jad-agent submit with no daemon and no hub: each line is answered by its
# number, valid reports are stored durably in the outbox, duplicate refs
# are recognised (within a run and across runs), a bad line is named with
# its field, and status reads the outbox.  Also the usage errors, and two
# submits at once.
set -eu
. "$(dirname "$0")/lib.sh"
A="$BIN/jad-agent"

printf '%s\n' \
    '{"type":"checks","parcels":5,"ref":"DE-1"}' \
    '{"type":"seizure","item":"drug","subtype":"cocaine"}' \
    '' \
    '{"type":"checks","country":"DE","persons":3,"time":"2020-11-16T07:00:03Z"}' \
    '{"type":"sitrep","text":"quiet","ref":"DE-1"}' \
    '{"type":"checks","parcels":1e3}' \
    '{"type":"sitrep","text":"ok","ref":"DE-2"}' > "$T/batch.jsonl"

# No outbox yet and no --country: refused, nothing created.
set +e
"$A" submit --data "$T/a" "$T/batch.jsonl" > "$T/out0" 2> "$T/err0"
rc=$?
set -e
expect_eq "$rc" 2 "submit without --country on a new outbox"
grep -q -- '--country' "$T/err0" || fail "message should name --country: $(cat "$T/err0")"

set +e
"$A" submit --data "$T/a" --country DE "$T/batch.jsonl" > "$T/out1"
rc=$?
set -e
expect_eq "$rc" 1 "exit status with rejected lines"
expect_eq "$(wc -l < "$T/out1")" 6 "one result per non-blank line"
grep -q '^line 1: accepted seq 1$' "$T/out1" || fail "line 1: $(cat "$T/out1")"
grep -q '^line 2: rejected: seizure.grams' "$T/out1" || fail "line 2: $(cat "$T/out1")"
grep -q '^line 4: accepted seq 2$' "$T/out1" || fail "line 4: $(cat "$T/out1")"
grep -q '^line 5: duplicate ref "DE-1" (seq 1)$' "$T/out1" || fail "line 5: $(cat "$T/out1")"
grep -q '^line 6: rejected: checks.parcels' "$T/out1" || fail "line 6: $(cat "$T/out1")"
grep -q '^line 7: accepted seq 3$' "$T/out1" || fail "line 7: $(cat "$T/out1")"

# The country is now the outbox's: --country may be left out, another
# country is refused, and a line for another country is rejected.
printf '%s\n' '{"type":"sitrep","text":"again","ref":"DE-2"}' \
    '{"type":"deployment","officers":4}' > "$T/more.jsonl"
"$A" submit --data "$T/a" < "$T/more.jsonl" > "$T/out2"
grep -q '^line 1: duplicate ref "DE-2" (seq 3)$' "$T/out2" || fail "dup across runs: $(cat "$T/out2")"
grep -q '^line 2: accepted seq 4$' "$T/out2" || fail "seq continues: $(cat "$T/out2")"
set +e
"$A" submit --data "$T/a" --country FR "$T/more.jsonl" > /dev/null 2> "$T/err3"
expect_eq $? 2 "--country other than the outbox's"
echo '{"type":"checks","country":"FR","parcels":1}' | "$A" submit --data "$T/a" > "$T/out4"
expect_eq $? 1 "line for another country"
set -e
grep -q '^line 1: rejected: country' "$T/out4" || fail "other country: $(cat "$T/out4")"

# Two submits at once: every line accepted, sequences unique.
i=0; while [ $i -lt 300 ]; do
    echo "{\"type\":\"checks\",\"parcels\":$i,\"ref\":\"p-$i\"}"; i=$((i + 1)); done > "$T/p.jsonl"
i=0; while [ $i -lt 300 ]; do
    echo "{\"type\":\"checks\",\"parcels\":$i,\"ref\":\"q-$i\"}"; i=$((i + 1)); done > "$T/q.jsonl"
"$A" submit --data "$T/a" "$T/p.jsonl" > "$T/outp" & p1=$!
"$A" submit --data "$T/a" "$T/q.jsonl" > "$T/outq" & p2=$!
wait $p1 || fail "first concurrent submit"
wait $p2 || fail "second concurrent submit"
cat "$T/outp" "$T/outq" | sed -n 's/^line [0-9]*: accepted seq //p' | sort -n > "$T/seqs"
expect_eq "$(wc -l < "$T/seqs")" 600 "accepted lines of concurrent submits"
expect_eq "$(sort -u "$T/seqs" | wc -l)" 600 "unique sequences"
expect_eq "$(head -1 "$T/seqs")-$(tail -1 "$T/seqs")" "5-604" "contiguous sequences"

# status reads the outbox with the daemon down.
"$A" status --data "$T/a" --json > "$T/status"
expect_eq "$(jq_num outbox_depth "$T/status")" 604 "outbox_depth"
expect_eq "$(jq_num last_acked "$T/status")" 0 "last_acked"
expect_eq "$(jq_num rejected "$T/status")" 0 "rejected"
grep -q '"daemon_running":false' "$T/status" || fail "daemon_running: $(cat "$T/status")"
grep -q '"connected":false' "$T/status" || fail "connected: $(cat "$T/status")"
"$A" status --data "$T/a" | grep -q 'daemon not running' || fail "status text"

# usage errors exit 2, --help exits 0
set +e
"$A" submit "$T/batch.jsonl" > /dev/null 2>&1; expect_eq $? 2 "submit without --data"
"$A" submit --data "$T/a" "$T/missing.jsonl" > /dev/null 2>&1; expect_eq $? 2 "missing input"
"$A" status --data "$T/none" > /dev/null 2>&1; expect_eq $? 2 "status of no agent"
"$A" frobnicate > /dev/null 2>&1; expect_eq $? 2 "unknown command"
"$A" run --data "$T/a" > /dev/null 2>&1; expect_eq $? 2 "run without its options"
set -e
for cmd in run submit status; do
    "$A" $cmd --help | grep -q usage || fail "$cmd --help"
done
"$A" --help | grep -q usage || fail "--help"
echo ok
