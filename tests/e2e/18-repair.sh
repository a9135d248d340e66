#!/bin/sh
# jad-journal repair, on a real operation's journal (jad-sim, stopped):
# (a) a page of entries zeroed on the hub's disk: rebuilt with an agent's
# mirror, the journal verifies and equals the mirror entry for entry, the
# damaged one kept aside; (b) the journal lost with its disk: a mirror alone
# rebuilds it; (c) a journal ahead of its mirror, damaged where only it had
# entries: exit 1 naming the range lost, nothing moved.  A running hub's
# journal is refused; the hub runs on the repaired journal and an agent
# converges with it.
set -eu
. "$(dirname "$0")/lib.sh"
sim_op --operation "Armstrong VII"
cp -a "$T/op/keys" "$T/keys"
cp "$T/op/keys/roster" "$T/roster"
"$BIN/jad-journal" dump --data "$T/op/agents/DE" > "$T/de.dump" || fail "dump DE"
expect_eq "$(wc -l < "$T/de.dump")" 1644 "the mirror's entries"

# (a) a zeroed page of entries
cp -a "$T/op/hub" "$T/hub"
dump_all() { mdb_dump -a "$1" > "$2" 2>&1; }
have_mdb_dump=0
if command -v mdb_dump >/dev/null 2>&1; then
    have_mdb_dump=1
    dump_all "$T/hub/journal" "$T/before" || fail "mdb_dump of the intact journal"
fi
"$BIN/jad-tamper" "$T/hub/journal" zero-page 700 > "$T/page" || fail "zero-page"
# the damage is real: LMDB no longer walks the file (and jad-verify fails)
if [ "$have_mdb_dump" = 1 ]; then
    set +e; dump_all "$T/hub/journal" "$T/after"; set -e
    cmp -s "$T/before" "$T/after" && fail "zeroing page $(cat "$T/page") changed nothing"
fi
set +e
"$BIN/jad-verify" --data "$T/hub" > "$T/out" 2>&1; rc=$?
set -e
[ "$rc" != 0 ] || fail "the damaged journal verified: $(cat "$T/out")"
"$BIN/jad-journal" repair --data "$T/hub" --from "$T/op/agents/DE" > "$T/out" 2>&1 \
    || fail "repair exited $?: $(cat "$T/out")"
line=$(grep '^repaired: ' "$T/out") || fail "no summary: $(cat "$T/out")"
echo "$line" | grep -Eq '^repaired: 1644 entries \([0-9]+ from the damaged journal, [0-9]+ from [^ ]*/op/agents/DE\), [1-9][0-9]* checkpoints, [1-9][0-9]* rosters; the damaged journal is kept as [^ ]*/hub/journal\.damaged-[0-9]{8}T[0-9]{6}Z; run `jad-verify --data [^ ]*/hub`$' \
    || fail "summary: $line"
from_mirror=$(echo "$line" | sed 's/.*, \([0-9]*\) from [^ ]*\/op\/agents\/DE).*/\1/')
[ "$from_mirror" -ge 1 ] && [ "$from_mirror" -lt 100 ] || fail "$from_mirror entries from the mirror"
ls -d "$T"/hub/journal.damaged-* > /dev/null || fail "the damaged journal was not kept"
"$BIN/jad-verify" --data "$T/hub" --roster "$T/roster" > "$T/out" || fail "verify: $(cat "$T/out")"
grep -q '^intact: 1644 entries, 1644 signatures verified' "$T/out" || fail "$(cat "$T/out")"
"$BIN/jad-journal" dump --data "$T/hub" > "$T/hub.dump" || fail "dump the repaired journal"
cmp -s "$T/hub.dump" "$T/de.dump" || fail "the repaired journal differs from the mirror"

# (b) the journal lost with its disk: the mirror alone
cp -a "$T/op/hub" "$T/b"
rm -rf "$T/b/journal"
"$BIN/jad-journal" repair --data "$T/b" --from "$T/op/agents/FR" > "$T/out" 2>&1 \
    || fail "repair of a lost journal exited $?: $(cat "$T/out")"
grep -Eq '^repaired: 1644 entries \(1644 from [^ ]*/op/agents/FR\), .*there was no journal in' "$T/out" \
    || fail "lost disk: $(cat "$T/out")"
"$BIN/jad-verify" --data "$T/b" --roster "$T/roster" > "$T/out" || fail "verify: $(cat "$T/out")"
grep -q '^intact: 1644 entries, 1644 signatures verified' "$T/out" || fail "$(cat "$T/out")"
"$BIN/jad-journal" dump --data "$T/b" > "$T/b.dump"
cmp -s "$T/b.dump" "$T/de.dump" || fail "the rebuilt journal differs from the mirrors"
"$BIN/jad-hub" status --data "$T/b" | grep -q '^operation     Armstrong VII$' \
    || fail "operation name: $("$BIN/jad-hub" status --data "$T/b" | head -1)"

# (c) the hub ahead of the only mirror, damaged where only it had entries
cp -a "$T/op/hub" "$T/c"
cp -a "$T/op/agents/NL" "$T/it"
"$BIN/jad-tamper" "$T/it/mirror" truncate 1501
"$BIN/jad-tamper" "$T/c/journal" zero-page 1600 > /dev/null
set +e
"$BIN/jad-journal" repair --data "$T/c" --from "$T/it" > "$T/out" 2>&1; rc=$?
set -e
expect_eq "$rc" 1 "repair with entries lost ($(cat "$T/out"))"
first=$(sed -n 's/^lost: the operation lost entries \([0-9]*\)\.\.1644: no source can give entry [0-9]*.*/\1/p' "$T/out")
[ -n "$first" ] && [ "$first" -gt 1500 ] && [ "$first" -le 1600 ] \
    || fail "lost range: $(cat "$T/out")"
grep -q "was left as it was" "$T/out" || fail "$(cat "$T/out")"
if ls -d "$T"/c/journal.damaged-* > /dev/null 2>&1; then fail "the journal was moved"; fi

# usage: a mirror that is not there, nothing to rebuild from
set +e
"$BIN/jad-journal" repair --data "$T/c" --from "$T/nothing" > "$T/out" 2>&1
expect_eq $? 2 "a missing mirror"
mkdir "$T/empty"
"$BIN/jad-journal" repair --data "$T/empty" > "$T/out" 2>&1
expect_eq $? 2 "nothing to rebuild from"
set -e

# the hub runs on the repaired journal; repairing it now is refused; an
# agent converges with it
rm -f "$T/hub/status.json"      # the simulation's: start_hub waits for a new one
start_hub
set +e
"$BIN/jad-journal" repair --data "$T/hub" --from "$T/op/agents/DE" > "$T/out" 2>&1; rc=$?
set -e
expect_eq "$rc" 2 "repair of a running hub's journal ($(cat "$T/out"))"
grep -q "stop it first" "$T/out" || fail "$(cat "$T/out")"
mkdir -p "$T/agents"
cp -a "$T/op/agents/DE" "$T/agents/DE"
start_agent DE
reports DE after 1 20 | submit DE
wait_converged 60 1664 DE
"$BIN/jad-journal" dump --data "$T/hub" > "$T/hub.dump"
"$BIN/jad-journal" dump --data "$T/agents/DE" > "$T/m.dump"
cmp -s "$T/hub.dump" "$T/m.dump" || fail "the agent's mirror differs from the repaired hub's journal"

# A page zeroed under the running hub: a fresh agent's catch-up ends
# before it (read by key: a cursor stepping onto the page would make LMDB
# assert and stop the hub), the hub names the entry and keeps running.
"$BIN/jad-tamper" "$T/hub/journal" zero-page 700 > /dev/null || fail "zero-page on the running hub"
start_agent FR
wait_for 30 grep -q "catch-up: entry [0-9]* of journal .* cannot be read" "$T/hub.log" \
    || fail "the hub did not name the unreadable entry: $(tail -5 "$T/hub.log")"
kill -0 "$HUB_PID" 2>/dev/null || fail "the hub stopped on a damaged page: $(tail -5 "$T/hub.log")"
echo ok
