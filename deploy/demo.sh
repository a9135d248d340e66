#!/bin/sh
# make demo: the example operation Armstrong VII through a real hub and one
# real agent per country on loopback, then its totals from the journal.
set -eu
cd "$(dirname "$0")/.."
DATA=${DEMO_DIR:-build/demo}
rm -rf "$DATA"
echo "== running deploy/examples/armstrong-vii.jsonl (data, keys and logs in $DATA)"
bin/jad-sim run deploy/examples/armstrong-vii.jsonl --data "$DATA" \
    --operation "Armstrong VII"
echo "== entries in the hub's journal, by report type"
bin/jad-journal count --data "$DATA/hub/journal"
