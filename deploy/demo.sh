#!/bin/sh
# make demo: the example operation Armstrong VII through a real hub and one
# real agent per country on loopback; then its figures and a verification
# of the journal, from the hub's journal.
set -eu
cd "$(dirname "$0")/.."
DATA=${DEMO_DIR:-build/demo}
rm -rf "$DATA"
echo "== running deploy/examples/armstrong-vii.jsonl (data, keys and logs in $DATA)"
bin/jad-sim run deploy/examples/armstrong-vii.jsonl --data "$DATA" \
    --operation "Armstrong VII"
echo
echo "== the operation's figures (bin/jad-report --data $DATA/hub)"
bin/jad-report --data "$DATA/hub" --format text
echo
echo "== the journal checked end to end (bin/jad-verify)"
bin/jad-verify --data "$DATA/hub" --roster "$DATA/keys/roster"
# (the hub's last checkpoint covers the mirror too, should its agent have
# stopped before it arrived)
bin/jad-verify --data "$DATA/agents/DE" --roster "$DATA/keys/roster" --compare "$DATA/hub"
