#!/bin/sh
# A damaged data.mdb is refused with one message naming the file, what is
# wrong and what to do, never a death by a signal: on copies of a real,
# cleanly stopped journal cut short by a quarter, or with a meta page's
# magic or txnid damaged, jad-hub exits 2, jad-verify says "not intact"
# and exits 1, jad-export, jad-report and `jad-hub status` exit 2; a
# damaged outbox is refused by `jad-agent status`.  Cut short under a
# running hub and a running `jad-replay --follow`, each stops with one
# line naming the file and exit 2 instead of a silent SIGBUS.  A missing
# lock.mdb is made again and the hub serves; a read-only journal directory
# is refused (exit 2, naming it).
set -eu
. "$(dirname "$0")/lib.sh"
# A read-only directory (root's: immutable) must be opened up before the
# temporary directory can be removed, whatever failed.
IMMUTABLE=
trap 'if [ -n "$IMMUTABLE" ]; then chattr -i "$IMMUTABLE"; fi
      chmod -R u+w "$T" 2>/dev/null; cleanup' EXIT INT TERM

mkdir -p "$T/keys"
make_roster "$T/roster" hub:hub agent-de:agent:DE agent-fr:agent:FR
start_hub
start_agent DE
reports DE de 1 300 | submit DE
wait_converged 60 300 DE
stop_pid "$(agent_pid DE)"
stop_pid "$HUB_PID"
cp -a "$T/hub" "$T/base"
J=$T/hub/journal
D=$J/data.mdb
PSIZE=$(od -An -tu4 -j40 -N4 "$D" | tr -d ' ')
# fresh: the hub's data directory as it was stopped (but for its status
# file, which start_hub waits for)
fresh() { rm -rf "$T/hub"; cp -a "$T/base" "$T/hub"; rm -f "$T/hub/status.json"; }
# commas N: 503808 -> 503,808, as the messages write sizes
commas() { echo "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta'; }
# poke OFFSET BYTE: write one byte (decimal) into data.mdb
poke() { printf "\\$(printf %o "$2")" | dd of="$D" bs=1 seek="$1" conv=notrunc 2>/dev/null; }
peek() { od -An -tu1 -j"$1" -N1 "$D" | tr -d ' '; }
# refused WHAT CODE TEXT CMD...: CMD exits CODE, not by a signal, and its
# output holds TEXT
refused() {
    what=$1; code=$2; text=$3; shift 3
    set +e; "$@" > "$T/out" 2>&1; rc=$?; set -e
    [ "$rc" -lt 128 ] || fail "$what: killed by signal $((rc - 128)): $(cat "$T/out")"
    expect_eq "$rc" "$code" "$what: exit status ($(cat "$T/out"))"
    grep -qF -- "$text" "$T/out" || fail "$what: '$text' not in: $(cat "$T/out")"
}
hub() {
    "$BIN/jad-hub" --data "$T/hub" --roster "$T/roster" --key "$T/keys/hub.secret" \
        --listen "tcp://127.0.0.1:$(free_port)" --publish "tcp://127.0.0.1:$(free_port)"
}
# hub_and_verify TEXT: the hub refuses the journal with TEXT (exit 2),
# jad-verify finds it not intact (exit 1)
hub_and_verify() {
    refused "jad-hub" 2 "journal $J: $1" hub
    refused "jad-verify" 1 "not intact: journal $J: $1" "$BIN/jad-verify" --data "$T/hub"
}
# every_tool TEXT: and every other program refuses it with TEXT (exit 2)
every_tool() {
    hub_and_verify "$1"
    refused "jad-hub status" 2 "journal $J: $1" "$BIN/jad-hub" status --data "$T/hub"
    refused "jad-export" 2 "journal $J: $1" "$BIN/jad-export" --data "$T/hub" --format csv
    refused "jad-report" 2 "journal $J: $1" "$BIN/jad-report" --data "$T/hub"
    refused "jad-replay" 2 "journal $J: $1" "$BIN/jad-replay" --data "$T/hub"
}

# A quarter of the file gone.
fresh
size=$(stat -c %s "$D")
cut=$((size / 4 * 3))
truncate -s "$cut" "$D"
every_tool "data.mdb is damaged: $(commas "$cut") bytes, but its last page ends at byte"
grep -qF "(truncated?); a hub's journal is rebuilt from a mirror with \`jad-journal repair\`" \
    "$T/out" || fail "no remedy: $(cat "$T/out")"

# A meta page's magic; the newer meta page's txnid (LMDB would open the
# older one: the last commit rolled back without a word).
fresh
poke $((PSIZE + 16)) $(( $(peek $((PSIZE + 16))) ^ 1 ))
hub_and_verify "meta page 1 of data.mdb is damaged (magic 0x"
fresh
t0=$(od -An -tu8 -j144 -N8 "$D" | tr -d ' ')
t1=$(od -An -tu8 -j$((PSIZE + 144)) -N8 "$D" | tr -d ' ')
newer=0; [ "$t1" -gt "$t0" ] && newer=1
at=$((newer * PSIZE + 144))
poke "$at" $(( $(peek "$at") ^ 1 ))
hub_and_verify "meta page $newer of data.mdb is damaged (txnid"

# A page in the middle zeroed: the meta pages are sound, so the file opens;
# a tool walking the entries meets the page.  LMDB asserts there — the
# store's hook names the file and exits 2, never SIGABRT.  (jad-verify
# reads around it and names the range: e2e/22.)
fresh
"$BIN/jad-tamper" "$J" zero-page 150 > /dev/null || fail "zero-page"
for tool in "jad-export --format csv" "jad-report" "jad-replay" "jad-journal dump"; do
    set -- $tool
    prog=$1; shift
    [ "$prog" = jad-journal ] && d=$J || d=$T/hub
    set +e; "$BIN/$prog" "$@" --data "$d" > "$T/out" 2>&1; rc=$?; set -e
    [ "$rc" -lt 128 ] || fail "$tool on a zeroed page: killed by signal $((rc - 128)): $(tail -3 "$T/out")"
    [ "$rc" -ne 0 ] || fail "$tool on a zeroed page: exit 0"
    grep -qF "journal $J: data.mdb is damaged" "$T/out" \
        || grep -qF "journal $J" "$T/out" \
        || fail "$tool on a zeroed page: file not named: $(tail -3 "$T/out")"
done

# An outbox cut short: the agent's own tools refuse it.
fresh
cp -a "$T/agents/DE" "$T/de-copy"
truncate -s 3000 "$T/de-copy/outbox/data.mdb"
refused "jad-agent status" 2 "outbox $T/de-copy/outbox: data.mdb is damaged: 3,000 bytes, too short" \
    "$BIN/jad-agent" status --data "$T/de-copy"
grep -qF "restore it from a backup" "$T/out" || fail "no outbox remedy: $(cat "$T/out")"

# lock.mdb missing: made again, and the hub serves the whole journal.
fresh
rm "$J/lock.mdb"
start_hub
[ -f "$J/lock.mdb" ] || fail "lock.mdb not made again"
start_agent FR
wait_converged 60 300 FR
stop_pid "$(agent_pid FR)"
stop_pid "$HUB_PID"
rm -rf "$T/agents/FR"

# A journal directory the hub cannot write: refused, naming it.  Root
# writes whatever the modes say: the immutable attribute stands in.
fresh
RO=
if [ "$(id -u)" != 0 ]; then
    chmod a-w "$J"; RO=mode
elif chattr +i "$J" 2>/dev/null; then
    IMMUTABLE=$J; RO=immutable
else
    echo "note: chattr +i refused (root without CAP_LINUX_IMMUTABLE?): no read-only case" >&2
fi
if [ -n "$RO" ]; then
    refused "jad-hub on a read-only journal ($RO)" 2 \
        "journal $J: read-only (the directory is not writable" hub
    # a reader still reads it
    "$BIN/jad-verify" --data "$T/hub" > "$T/out" || fail "verify read-only: $(cat "$T/out")"
    if [ -n "$IMMUTABLE" ]; then chattr -i "$J"; IMMUTABLE=; fi
    chmod u+w "$J"
fi

# Cut short under a running hub and a running reader: one line, exit 2.
fresh
start_hub
"$BIN/jad-replay" --data "$T/hub" --follow > "$T/follow.out" 2> "$T/follow.err" &
FOLLOW=$!; PIDS="$PIDS $FOLLOW"
lines() { [ "$(wc -l < "$1")" = "$2" ]; }
wait_for 20 lines "$T/follow.out" 300 || fail "follow: $(wc -l < "$T/follow.out") of 300"
truncate -s $((2 * PSIZE)) "$D"
start_agent FR                  # its catch-up makes the hub read
gone() { ! kill -0 "$1" 2>/dev/null; }
wait_for 30 gone "$HUB_PID" || fail "the hub still runs on a cut file: $(tail -3 "$T/hub.log")"
wait_for 30 gone "$FOLLOW" || fail "jad-replay --follow still runs on a cut file"
set +e
wait "$HUB_PID"; hub_rc=$?
wait "$FOLLOW"; follow_rc=$?
set -e
expect_eq "$hub_rc" 2 "the hub's exit status ($(tail -3 "$T/hub.log"))"
expect_eq "$follow_rc" 2 "jad-replay --follow's exit status ($(cat "$T/follow.err"))"
shrank="journal $J: data.mdb shrank under this process (a read at byte "
grep -qF "jad-hub: $shrank" "$T/hub.log" || fail "hub log: $(tail -3 "$T/hub.log")"
grep -qF "jad-replay: $shrank" "$T/follow.err" || fail "follow: $(cat "$T/follow.err")"
expect_eq "$(wc -l < "$T/follow.err")" 1 "lines from jad-replay --follow"
# and the next start is refused before the hub maps anything
refused "jad-hub after the cut" 2 "journal $J: data.mdb is damaged: $(commas $((2 * PSIZE))) bytes" hub
echo ok
