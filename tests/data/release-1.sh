#!/bin/sh
# Makes tests/data/release-1.tar.gz, the state tests/e2e/15-upgrade.sh
# carries on from: an operation run by the first release's programs
# (commit 6179c48) and stopped part-way.  The hub has journaled 100
# reports (DE 1-60, FR 1-40) and is stopped; the agents then accepted 30
# more (DE 61-80, FR 41-50), which wait in their outboxes, and are stopped.
# Usage: BIN=DIR-OF-THE-OLD-PROGRAMS sh tests/data/release-1.sh OUT.tar.gz
# (DIR also needs a jad-probe: any version).  The keys in it are test keys.
set -eu
dest=$(realpath "$1")
. "$(dirname "$0")/../e2e/lib.sh"
mkdir -p "$T/keys"
make_roster "$T/roster" hub:hub agent-de:agent:DE agent-fr:agent:FR
start_hub
start_agent DE; start_agent FR
reports DE de 1 60 | submit DE
reports FR fr 1 40 | submit FR
wait_converged 60 100 DE FR
stop_pid "$HUB_PID"
reports DE de 61 80 | submit DE
reports FR fr 41 50 | submit FR
stop_pid "$(agent_pid DE)"; stop_pid "$(agent_pid FR)"
rm -f "$T"/*.log "$T/submit.out" "$T/hubst" "$T/agst"
tar -C "$T" -czf "$dest" roster keys hub agents
