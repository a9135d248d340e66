#!/bin/sh
# Requests and acknowledgements: a coordinator's request reaches the inbox
# of the countries it names and no other; an agent acknowledges it through
# its outbox; the hub enforces who may send what (agents no request,
# observers nothing, acks only of requests to their country); requests
# change no figure; the journal still verifies; the hub relays the
# participants' health on its feed.
set -eu
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/keys"
make_roster "$T/roster" hub:hub coord:coordinator obs:observer \
    agent-de:agent:DE agent-fr:agent:FR
start_hub
start_agent DE
start_agent FR
# request KEY SEQ TO TEXT: submit a request signed by KEY through jad-probe
request() { "$BIN/jad-probe" --key "$T/keys/$1.secret" --hub-key "$T/keys/hub.pub" \
    --hub "$HUB_EP" submit-request --seq "$2" --to "$3" --text "$4"; }

reports DE de 1 5 | submit DE
reports FR fr 1 5 | submit FR
wait_converged 60 10 DE FR
"$BIN/jad-report" --data "$T/hub" --format json > "$T/before.json" || fail "report before"

# a coordinator's request to DE is journaled (entry 11)
request coord 1 DE "Check the lorry NL-123 at Kehl" > "$T/out" \
    || fail "coordinator request: $(cat "$T/out")"
grep -q "^ack 11 dup 0" "$T/out" || fail "coordinator request: $(cat "$T/out")"
# an urgent request to all (entry 12)
"$BIN/jad-probe" --key "$T/keys/coord.secret" --hub-key "$T/keys/hub.pub" --hub "$HUB_EP" \
    submit-request --seq 2 --to all --priority urgent --text "Report by 18:00" > "$T/out" \
    || fail "request to all: $(cat "$T/out")"
grep -q "^ack 12 dup 0" "$T/out" || fail "request to all: $(cat "$T/out")"

# an agent may not send a request; an observer nothing
set +e
request agent-de 900 FR "no" > "$T/out"; rc=$?
set -e
expect_eq "$rc" 1 "agent's request"
grep -q "FORBIDDEN role agent may not send request" "$T/out" || fail "agent's request: $(cat "$T/out")"
set +e
request obs 1 DE "no" > "$T/out"; rc=$?
set -e
expect_eq "$rc" 1 "observer's request"
grep -q "FORBIDDEN" "$T/out" || fail "observer's request: $(cat "$T/out")"
# a coordinator may send only requests and sitreps
set +e
"$BIN/jad-probe" --key "$T/keys/coord.secret" --hub-key "$T/keys/hub.pub" --hub "$HUB_EP" \
    submit --seq 3 > "$T/out"; rc=$?
set -e
expect_eq "$rc" 1 "coordinator's deployment"
grep -q "FORBIDDEN role coordinator may not send deployment" "$T/out" \
    || fail "coordinator's deployment: $(cat "$T/out")"
wait_converged 60 12 DE FR

# DE sees both requests open; FR only the one to all
"$BIN/jad-agent" inbox --data "$T/agents/DE" > "$T/inbox" || fail "inbox DE"
grep -q "^inbox of DE: 2 requests" "$T/inbox" || fail "inbox DE: $(cat "$T/inbox")"
grep -q "^  11 .* routine  open .*from coord to DE: Check the lorry NL-123 at Kehl" "$T/inbox" \
    || fail "inbox DE: $(cat "$T/inbox")"
grep -q "^  12 .* urgent   open .*to all: Report by 18:00" "$T/inbox" || fail "inbox DE: $(cat "$T/inbox")"
"$BIN/jad-agent" inbox --data "$T/agents/FR" --json > "$T/inbox" || fail "inbox FR"
grep -q '"hub_seq":12' "$T/inbox" || fail "inbox FR: $(cat "$T/inbox")"
! grep -q '"hub_seq":11' "$T/inbox" || fail "FR sees DE's request: $(cat "$T/inbox")"

# FR cannot ack DE's request; DE acks it (durably, through the outbox)
set +e
"$BIN/jad-agent" ack --data "$T/agents/FR" 11 > "$T/out" 2>&1; rc=$?
"$BIN/jad-agent" ack --data "$T/agents/DE" 5 > "$T/out2" 2>&1; rc2=$?
"$BIN/jad-agent" ack --data "$T/agents/DE" > /dev/null 2>&1; rc3=$?
set -e
expect_eq "$rc" 1 "FR acks DE's request ($(cat "$T/out"))"
expect_eq "$rc2" 1 "ack of a checks report ($(cat "$T/out2"))"
expect_eq "$rc3" 2 "ack without SEQ"
stop_pid "$(agent_pid DE)"
"$BIN/jad-agent" ack --data "$T/agents/DE" 11 --text "on it" > "$T/out" || fail "ack: $(cat "$T/out")"
grep -q "^accepted seq 6$" "$T/out" || fail "ack: $(cat "$T/out")"
"$BIN/jad-agent" inbox --data "$T/agents/DE" | grep -q "^  11 .* pending " || fail "ack not pending"
start_agent DE
wait_converged 60 13 DE FR
"$BIN/jad-agent" inbox --data "$T/agents/DE" > "$T/inbox"
grep -q "^  11 .* acked " "$T/inbox" || fail "ack not seen: $(cat "$T/inbox")"
grep -q "^  12 .* open " "$T/inbox" || fail "request 12: $(cat "$T/inbox")"
"$BIN/jad-agent" inbox --data "$T/agents/FR" | grep -q "^  12 .* open " || fail "FR's state"

# an ack of a request that does not exist, or is not DE's, goes to the
# hub by submit and is refused there: kept in the outbox's rejected
printf '{"type":"request_ack","request_seq":999}\n' | submit DE
wait_for 30 sh -c "'$BIN/jad-agent' status --data '$T/agents/DE' --json | grep -q '\"rejected\":1'" \
    || fail "ack of a missing request not refused: $("$BIN/jad-agent" status --data "$T/agents/DE")"
"$BIN/jad-agent" status --data "$T/agents/DE" | grep -q "MALFORMED: request_ack.request_seq: no entry 999" \
    || fail "rejection reason: $("$BIN/jad-agent" status --data "$T/agents/DE")"
printf '{"type":"request_ack","request_seq":3,"text":"x"}\n' | submit FR
wait_for 30 sh -c "'$BIN/jad-agent' status --data '$T/agents/FR' --json | grep -q '\"rejected\":1'" \
    || fail "ack of a checks report not refused"
"$BIN/jad-agent" status --data "$T/agents/FR" | grep -q "entry 3 is not a request" \
    || fail "rejection reason: $("$BIN/jad-agent" status --data "$T/agents/FR")"
wait_converged 60 13 DE FR

# requests and acks change no figure
"$BIN/jad-report" --data "$T/hub" --format json > "$T/after.json" || fail "report after"
grep -q '^ "reports": 10,$' "$T/after.json" || fail "reports counted: $(grep reports "$T/after.json")"
cmp -s "$T/before.json" "$T/after.json" || fail "figures changed: $(diff "$T/before.json" "$T/after.json")"

# the journal and the mirrors verify, coordinator's signatures included
"$BIN/jad-verify" --data "$T/hub" --live > "$T/out" || fail "verify: $(cat "$T/out")"
grep -q "^intact: 13 entries, 13 signatures verified" "$T/out" || fail "verify: $(cat "$T/out")"
"$BIN/jad-verify" --data "$T/agents/DE" --live > "$T/out" || fail "verify DE: $(cat "$T/out")"

# the hub relays who is connected and their health on its feed
# (health rides on the agents' heartbeats, once a second: ask until the
# relay shows agent-de's latest figures)
parts_ok() {
    "$BIN/jad-probe" --key "$T/keys/obs.secret" --hub-key "$T/keys/hub.pub" \
        --feed "$FEED_EP" participants > "$T/parts" &&
    grep -q "^peer agent-de agent DE connected outbox 0 last_acked 6 mirror 13" "$T/parts"
}
wait_for 20 parts_ok || fail "participants: $(cat "$T/parts")"
grep -q "^peer coord coordinator - " "$T/parts" || fail "participants: $(cat "$T/parts")"
! grep -q "^peer hub " "$T/parts" || fail "hub listed: $(cat "$T/parts")"
echo ok
