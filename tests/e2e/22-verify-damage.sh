#!/bin/sh
# One journal audit (issue 13): jad-verify checks everything a journal
# holds and names the first bad hub_seq, range or dedupe key, and the hub
# audits its journal before it signs over it.  On damaged copies of a
# finished operation's journal: a genuine report appended again after the
# last checkpoint (the hub refuses to start); a truncation to a signed
# prefix (caught against a mirror); the issue's truncation with the
# checkpoints above it deleted (caught by the index); a tail past the last
# checkpoint (named, and accepted by --live only while young: the hub
# verifies it and signs over it); a damaged dedupe record (named by its
# key; the hub rebuilds the index); a damaged entry; a page of entries
# LMDB cannot read (named as a range, the check goes on; the hub refuses).
set -eu
. "$(dirname "$0")/lib.sh"
sim_op --operation "Armstrong VII"
K=$T/op/keys

# copy MODE SEQ: $T/c, a copy of the hub's data directory, tampered with;
# what jad-tamper printed in $TOUT
copy() {
    rm -rf "$T/c"; cp -r "$T/op/hub" "$T/c"
    TOUT=$("$BIN/jad-tamper" "$T/c/journal" "$1" "$2") || fail "tamper $1 $2"
}
# verify RC ARGS...: jad-verify --data $T/c ARGS exits RC; output in $T/out
verify() {
    want=$1; shift
    got=0; "$BIN/jad-verify" --data "$T/c" "$@" > "$T/out" 2>&1 || got=$?
    expect_eq "$got" "$want" "jad-verify $* ($(head -3 "$T/out"))"
}
# has TEXT: $T/out holds the fixed string TEXT
has() { grep -qF -- "$1" "$T/out" || fail "expected '$1' in: $(head -5 "$T/out")"; }
# hub_refuses: a hub on $T/c exits 2, naming the repair command
hub_refuses() {
    got=0
    "$BIN/jad-hub" --data "$T/c" --roster "$K/roster" --key "$K/hub.secret" \
        --listen "tcp://127.0.0.1:$(free_port)" --publish "tcp://127.0.0.1:$(free_port)" \
        > "$T/refused.log" 2>&1 || got=$?
    expect_eq "$got" 2 "hub on a damaged journal ($(tail -2 "$T/refused.log"))"
    grep -qF "jad-journal repair --data $T/c" "$T/refused.log" \
        || fail "no repair command: $(tail -2 "$T/refused.log")"
}
# hub_runs: a hub on $T/c starts (its log in $T/c.log), then stops
hub_runs() {
    rm -f "$T/c/status.json"
    "$BIN/jad-hub" --data "$T/c" --roster "$K/roster" --key "$K/hub.secret" \
        --listen "tcp://127.0.0.1:$(free_port)" --publish "tcp://127.0.0.1:$(free_port)" \
        > "$T/c.log" 2>&1 &
    pid=$!; PIDS="$PIDS $pid"
    wait_for 20 test -f "$T/c/status.json" || fail "hub did not start: $(tail -3 "$T/c.log")"
    stop_pid "$pid"
}

# 1. A report appended again after the last checkpoint, its chain right:
# every signature verifies, but one report would count twice.
copy dup-append 700
verify 1
has "not intact: hub_seq 1645: a second copy of the report journaled as hub_seq 700"
hub_refuses
grep -q "hub_seq 1645: a second copy" "$T/refused.log" || fail "refusal: $(tail -2 "$T/refused.log")"

# 2. Truncated to a signed prefix, index and checkpoints cleaned: nothing
# inside betrays it; a mirror does.
copy cut 1500
L=$TOUT
verify 0
verify 1 --compare "$T/op/agents/DE"
has "not intact: hub_seq $((L + 1)): missing ($((L + 1))..1644: $T/op/agents/DE holds them, this journal ends at $L)"
got=0; "$BIN/jad-verify" --data "$T/op/hub" --compare "$T/c" > "$T/out" 2>&1 || got=$?
expect_eq "$got" 0 "the journal against its cut copy ($(head -3 "$T/out"))"
has "note: $T/c lacks hub_seq $((L + 1))..1644"

# The issue's truncation: entries from 1500 on and the checkpoints above
# deleted; the index still names the lost reports.
copy truncate 1500
"$BIN/jad-tamper" "$T/c/journal" drop-checkpoints 1499 > /dev/null
verify 1
has "not intact: hub_seq 1500: missing (1500..1644: the dedupe index names 145 reports"

# 3. A tail past the last checkpoint: named with its range; --live does
# not take an old one.
copy drop-checkpoints 1600
verify 1
grep -q "^not intact: hub_seq [0-9]*\.\.1644: not covered by a signed checkpoint" "$T/out" \
    || fail "tail: $(head -3 "$T/out")"
verify 1 --live
has "too old for a live hub's tail"
# A young one (as a hub in use has) is accepted by --live, and said so;
# the hub verifies it at its start and signs over it.
copy young-tail 1600
L=$TOUT
verify 1
has "not intact: hub_seq $((L + 1))..1644: not covered by a signed checkpoint (the last one is at $L)"
verify 0 --live
grep -q "^intact: 1644 entries, 1644 signatures verified" "$T/out" || fail "live: $(cat "$T/out")"
has "note: hub_seq $((L + 1))..1644: not yet covered by a signed checkpoint"
has "accepted (live)"
hub_runs
grep -q "audit: hub_seq $((L + 1))\.\.1644 past the last checkpoint verified" "$T/c.log" \
    || fail "hub audit: $(cat "$T/c.log")"
verify 0
grep -q "^intact: 1644 entries" "$T/out" || fail "after the hub: $(cat "$T/out")"

# 4. A damaged dedupe record: named by its key; the hub rebuilds the index.
copy dedupe 700
KEY=$TOUT
verify 1
has "not intact: dedupe key $KEY: points to hub_seq 701, but the report is hub_seq 700's"
hub_runs
grep -q "dedupe index rebuilt from the entries: 1644 records" "$T/c.log" \
    || fail "no rebuild: $(cat "$T/c.log")"
verify 0

# 5. A damaged byte of an entry, in place on the disk.
copy scribble 700
verify 1
grep -q "^not intact: hub_seq 700: " "$T/out" || fail "scribble: $(head -3 "$T/out")"

# 6. A page of entries LMDB cannot read: its range, and the rest checked.
copy zero-page 700
verify 1
grep -q "^not intact: hub_seq [0-9]*\.\.[0-9]*: unreadable: LMDB cannot read the page" "$T/out" \
    || fail "unreadable: $(head -3 "$T/out")"
grep -q "^1[56][0-9][0-9] entries read, 1[56][0-9][0-9] signatures verified, [0-9]* checkpoints matched" "$T/out" \
    || fail "did not go on: $(cat "$T/out")"
hub_refuses
echo ok
