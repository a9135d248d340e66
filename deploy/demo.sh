#!/bin/sh
# make demo: the example operation, journaled and counted.
set -eu
cd "$(dirname "$0")/.."
DATA=${DEMO_DIR:-build/demo}
rm -rf "$DATA"
mkdir -p "$DATA"
echo "== importing deploy/examples/armstrong-vii.jsonl into $DATA/journal"
bin/jad-journal import --data "$DATA/journal" --operation "Armstrong VII" \
    deploy/examples/armstrong-vii.jsonl
echo "== entries by report type"
bin/jad-journal count --data "$DATA/journal"
