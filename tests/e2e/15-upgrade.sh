#!/bin/sh
# Upgraded in the middle of an operation: the first release's journal,
# mirrors and outboxes (tests/data/release-1.tar.gz, made by
# tests/data/release-1.sh with that release's programs) are carried on by
# this release's hub and agents.  The 30 reports the old agents accepted
# while the hub was down reach the hub exactly once, every mirror equals
# the journal, the old entries are unchanged, and the whole verifies.
set -eu
. "$(dirname "$0")/lib.sh"
tar -C "$T" -xzf "$(dirname "$0")/../data/release-1.tar.gz"
"$BIN/jad-verify" --data "$T/hub/journal" > "$T/verify.out" || fail "old journal: $(cat "$T/verify.out")"
grep -q "^intact: 100 entries" "$T/verify.out" || fail "old journal: $(cat "$T/verify.out")"
"$BIN/jad-journal" dump --data "$T/hub/journal" > "$T/old.dump" || fail "dump the old journal"
for cc in DE FR; do
    "$BIN/jad-agent" status --data "$T/agents/$cc" --json > "$T/st.$cc" || fail "status $cc"
done
expect_eq "$(jq_num outbox_depth "$T/st.DE")" 20 "DE's old outbox"
expect_eq "$(jq_num outbox_depth "$T/st.FR")" 10 "FR's old outbox"
start_hub
start_agent DE
start_agent FR
reports DE de 81 90 | submit DE
reports FR fr 51 55 | submit FR
wait_converged 60 145 DE FR
exactly_once 145 DE FR
head -100 "$T/hub.dump" | cmp -s - "$T/old.dump" || fail "the old entries changed"
for d in hub/journal agents/DE/mirror agents/FR/mirror; do
    "$BIN/jad-verify" --data "$T/$d" --live > "$T/verify.out" || fail "$d: $(cat "$T/verify.out")"
    grep -q "^intact: 145 entries" "$T/verify.out" || fail "$d: $(cat "$T/verify.out")"
done
echo ok
