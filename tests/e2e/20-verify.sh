#!/bin/sh
# jad-verify: an intact operation verifies on the hub and on every mirror;
# each kind of tampering with a journal's disk is caught and named by its
# hub_seq; a roster that is not the operation's is refused.
set -eu
. "$(dirname "$0")/lib.sh"
sim_op --operation "Armstrong VII"
# (a mirror whose agent stopped before the hub's last checkpoint reached it
# is covered by the hub's: --compare)
for d in "$T/op/hub" "$T/op/agents/DE" "$T/op/agents/US"; do
    cmp=; [ "$d" = "$T/op/hub" ] || cmp="--compare $T/op/hub"
    "$BIN/jad-verify" --data "$d" $cmp > "$T/out" || fail "verify $d: $(cat "$T/out")"
    grep -q "^intact: 1644 entries, 1644 signatures verified" "$T/out" || fail "$d: $(cat "$T/out")"
    "$BIN/jad-verify" --data "$d" $cmp --roster "$T/op/keys/roster" > "$T/out" \
        || fail "verify --roster $d: $(cat "$T/out")"
    "$BIN/jad-verify" --data "$d" $cmp --chain-only | grep -q "chain only" || fail "--chain-only $d"
done

# tamper N MODE SEQ EXPECT: a copy of the hub's journal, tampered, is not
# intact and the first bad hub_seq is EXPECT
tamper() {
    rm -rf "$T/copy"; cp -r "$T/op/hub" "$T/copy"
    "$BIN/jad-tamper" "$T/copy/journal" "$1" "$2" || fail "tamper $1 $2"
    set +e
    "$BIN/jad-verify" --data "$T/copy" --roster "$T/op/keys/roster" > "$T/out" 2>&1
    rc=$?
    set -e
    expect_eq "$rc" 1 "verify after $1 $2 ($(cat "$T/out"))"
    grep -q "^not intact: hub_seq $3: " "$T/out" || fail "$1 $2: $(cat "$T/out")"
}
tamper flip 700 700          # a byte of a report: its signature fails
tamper flip-meta 700 701     # a byte outside the signed part: the chain
tamper remove 500 500
tamper swap 300 300
tamper insert 900 901
tamper truncate 1600 1600    # the hub's signed checkpoint covers the tail
tamper flip 1644 1644

# the chain alone catches a changed byte too
rm -rf "$T/copy"; cp -r "$T/op/hub" "$T/copy"
"$BIN/jad-tamper" "$T/copy/journal" flip-meta 10
set +e
"$BIN/jad-verify" --data "$T/copy" --chain-only > "$T/out"; rc=$?
set -e
expect_eq "$rc" 1 "chain-only after a flip"

# a roster of another operation is refused; usage errors exit 2
sed 's/^operation_id .*/operation_id  ffffffffffffffffffffffffffffffff/' \
    "$T/op/keys/roster" > "$T/other"
set +e
"$BIN/jad-verify" --data "$T/op/hub" --roster "$T/other" > "$T/out" 2>&1; rc=$?
expect_eq "$rc" 1 "other operation's roster"
"$BIN/jad-verify" > /dev/null 2>&1; expect_eq $? 2 "no --data"
"$BIN/jad-verify" --data "$T/nothing" > /dev/null 2>&1; expect_eq $? 2 "missing journal"
set -e
"$BIN/jad-verify" --help | grep -q usage || fail "--help"
echo ok
