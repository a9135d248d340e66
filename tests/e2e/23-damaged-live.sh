#!/bin/sh
# A running hub on a damaged journal never acts on the damage, and the
# agents notice what only they can.
#  (a) the dedupe records of two journaled reports damaged on the hub's
#      disk (a wrong hash): the agent's byte-identical resend of both is
#      acked as the duplicates they are — the stored entries' bytes say so
#      — nothing lands in its rejected list, and the hub logs each damaged
#      key once, with the repair command;
#  (b) one entry's stored bytes changed on the running hub's disk: a fresh
#      agent's catch-up stops before it and nothing past it is served (the
#      agent asks again every 5 s, not in a loop); the hub logs its hub_seq
#      once, with the repair command, and goes on;
#  (c) the hub restored from an older copy of its journal, its head behind
#      a checkpoint it had signed: the agent that verified that checkpoint
#      raises the alarm, once; the fresh agent of (b) catches up from the
#      restored (intact) journal.
# Needs lmdb-utils (mdb_dump, mdb_load, mdb_copy: deploy/install-deps.sh).
set -eu
. "$(dirname "$0")/lib.sh"
for tool in mdb_dump mdb_load mdb_copy; do
    command -v "$tool" > /dev/null 2>&1 \
        || { echo "SKIP: $tool not installed (lmdb-utils)"; exit 77; }
done
mkdir -p "$T/keys"
make_roster "$T/roster" hub:hub agent-de:agent:DE agent-fr:agent:FR
start_hub
start_agent DE
reports DE a 1 10 | submit DE
wait_converged 30 10 DE
# An intact copy of the journal at head 10, taken live, for (c).
mkdir "$T/old-journal"
mdb_copy "$T/hub/journal" "$T/old-journal"

# (a) Reports 11 and 12 queued while the agent is stopped; its data
# directory copied: restored later, it sends them again, the same bytes.
stop_pid "$(agent_pid DE)"
reports DE a 11 12 | submit DE
cp -a "$T/agents/DE" "$T/de-copy"
start_agent DE
wait_converged 30 12 DE
stop_pid "$(agent_pid DE)"
# Their dedupe records (hub_seq 11 and 12, 40-byte values: 81 characters
# with mdb_dump's leading space) get a wrong hash, on the running hub.
mdb_dump -s dedupe "$T/hub/journal" > "$T/dedupe.dump"
awk '/^db_pagesize=/ { next }           # mdb_load does not read it back
     length ($0) == 81 && (substr ($0, 1, 17) == " 000000000000000b" ||
                           substr ($0, 1, 17) == " 000000000000000c") {
         printf "%s%064d\n", substr ($0, 1, 17), 0; n++; next }
     { print }
     END { if (n != 2) exit 1 }' "$T/dedupe.dump" > "$T/dedupe.bad" \
    || fail "no dedupe records of entries 11 and 12 in: $(head -20 "$T/dedupe.dump")"
mdb_load -s dedupe -f "$T/dedupe.bad" "$T/hub/journal" || fail "mdb_load"
rm -rf "$T/agents/DE"
cp -a "$T/de-copy" "$T/agents/DE"
start_agent DE
wait_converged 30 12 DE
"$BIN/jad-agent" status --data "$T/agents/DE" --json > "$T/de.json"
expect_eq "$(jq_num rejected "$T/de.json")" 0 "reports rejected after the resend"
expect_eq "$(grep -c 'the dedupe record of (agent-de, incarnation [0-9a-f]*, origin_seq 1[12]) holds a hash that is not entry 1[12].s, which is this very report: the index is damaged; run .jad-journal repair --data ' "$T/hub.log")" 2 \
    "damaged keys logged ($(grep dedupe "$T/hub.log" || true))"
if grep -qi "conflict" "$T/hub.log" "$T/agent-de.log"; then
    fail "a conflict: $(grep -i conflict "$T/hub.log" "$T/agent-de.log")"
fi

# (b) Entry 5's stored bytes changed (its received time: it still decodes
# and chains onto entry 4; entry 6's prev_hash no longer matches it).
"$BIN/jad-tamper" "$T/hub/journal" flip-meta 5
start_agent FR
mirror_at() {
    "$BIN/jad-agent" status --data "$T/agents/FR" --json > "$T/fr.json" 2>/dev/null &&
        [ "$(jq_num mirror_seq "$T/fr.json")" = "$1" ]
}
wait_for 20 mirror_at 4 || fail "agent FR's mirror: $(cat "$T/fr.json" 2>/dev/null)"
sleep 6         # FR asks again (5 s): still nothing past entry 4
mirror_at 4 || fail "past the damaged entry: $(cat "$T/fr.json")"
grep -q '"alarm":null' "$T/fr.json" || fail "agent FR: $(cat "$T/fr.json")"
expect_eq "$(grep -c 'catch-up: entry 5 of journal .*: no entry from 5 on is served; run .jad-journal repair --data ' "$T/hub.log")" 1 \
    "damaged entry logged ($(grep 'catch-up' "$T/hub.log" || true))"
expect_eq "$(grep -c 'the hub has entries past 4 but sent none of them' "$T/agent-fr.log")" 1 \
    "agent FR's log"
kill -0 "$HUB_PID" || fail "the hub died: $(tail -5 "$T/hub.log")"

# (c) DE has verified checkpoint 12 (signed 5 s after the last entry); the
# hub comes back on the copy at head 10.
wait_for 20 sh -c "'$BIN/jad-agent' status --data '$T/agents/DE' --json | grep -q '\"checkpoint\":12'" \
    || fail "checkpoint 12: $("$BIN/jad-agent" status --data "$T/agents/DE" --json)"
stop_pid "$HUB_PID"
rm -f "$T/hub/journal/data.mdb" "$T/hub/journal/lock.mdb"
cp "$T/old-journal/data.mdb" "$T/hub/journal/data.mdb"
start_hub
wait_for 20 grep -q "ALARM: the hub's head 10 is behind checkpoint 12 it signed earlier: entries 11..12 are gone from the hub" \
    "$T/agent-de.log" || fail "no alarm: $(tail -5 "$T/agent-de.log")"
wait_for 20 mirror_at 10 || fail "agent FR after the restore: $(cat "$T/fr.json")"
expect_eq "$(grep -c "ALARM: the hub's head" "$T/agent-de.log")" 1 "alarms"
"$BIN/jad-agent" status --data "$T/agents/DE" --json | grep -q '"alarm":"the hub' \
    || fail "status: $("$BIN/jad-agent" status --data "$T/agents/DE" --json)"
echo ok
