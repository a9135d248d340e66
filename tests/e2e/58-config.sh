#!/bin/sh
# --config FILE and --check for every program of the operation (issue 7):
# a valid file passes --check (exit 0) without starting, binding or writing
# anything; the command line overrides the file; an unknown key is refused
# naming FILE:LINE (1 under --check, 2 without); a bad value makes --check
# exit 1 naming the option; and real runs driven only by files give what
# the same command lines give: a hub and an agent from their files journal
# a report, jad-report/export/replay/verify/journal match their
# command-line results, jad-sim runs an operation.
set -eu
. "$(dirname "$0")/lib.sh"
C=$T/conf
mkdir -p "$C"

# rc WANT COMMAND...: COMMAND exits WANT; its output in $T/out, $T/err
rc() {
    want=$1; shift
    got=0; "$@" > "$T/out" 2> "$T/err" || got=$?
    expect_eq "$got" "$want" "exit of $* ($(head -3 "$T/err"))"
}
# valid COMMAND...: --check says the configuration is valid
valid() {
    rc 0 "$@" --check
    grep -q ": configuration valid$" "$T/out" || fail "$*: $(cat "$T/out")"
}
# invalid OPTION COMMAND...: --check exits 1 naming --OPTION
invalid() {
    opt=$1; shift
    rc 1 "$@" --check
    grep -q -- ": configuration invalid: .*--$opt" "$T/err" \
        || fail "$* --check: does not name --$opt: $(cat "$T/err")"
}
# unknown_key CONF COMMAND...: CONF plus an unknown key is refused with its
# line: exit 1 under --check, 2 without
unknown_key() {
    conf=$1; shift
    { cat "$conf"; echo "colour = blue"; } > "$conf.bad"
    line=$(wc -l < "$conf.bad")
    rc 1 "$@" --config "$conf.bad" --check
    grep -qF "$conf.bad:$line: unknown key 'colour'" "$T/err" \
        || fail "$*: unknown key not named: $(cat "$T/err")"
    rc 2 "$@" --config "$conf.bad"
}

# ------------------------------------------------------------ jad-hub
make_roster "$T/roster" hub:hub agent-de:agent:DE coord:coordinator
HUB_EP=tcp://127.0.0.1:$(free_port); FEED_EP=tcp://127.0.0.1:$(free_port)
cat > "$C/hub.conf" <<EOF
# the hub of the test operation
data      = $T/hub
roster    = $T/roster
key       = $T/keys/hub.secret
listen    = $HUB_EP
publish   = $FEED_EP
log-level = info
EOF
valid "$BIN/jad-hub" --config "$C/hub.conf"
[ ! -e "$T/hub" ] || fail "jad-hub --check wrote $T/hub"
invalid listen "$BIN/jad-hub" --config "$C/hub.conf" --listen tcp://127.0.0.1:99999
unknown_key "$C/hub.conf" "$BIN/jad-hub"
sed "s|^key .*|key = $T/keys/agent-de.secret|" "$C/hub.conf" > "$C/hub2.conf"
rc 1 "$BIN/jad-hub" --config "$C/hub2.conf" --check
grep -q "not the roster's hub" "$T/err" || fail "hub with an agent's key: $(cat "$T/err")"

"$BIN/jad-hub" --config "$C/hub.conf" >> "$T/hub.log" 2>&1 &
HUB_PID=$!; PIDS="$PIDS $HUB_PID"
wait_for 10 test -f "$T/hub/status.json" || fail "hub from hub.conf: $(cat "$T/hub.log")"

# ------------------------------------------------------------ jad-agent
cat > "$C/agent.conf" <<EOF
data    = $T/agents/DE
country = DE
key     = $T/keys/agent-de.secret
hub-key = $T/keys/hub.pub
hub     = $HUB_EP
feed    = $FEED_EP
EOF
valid "$BIN/jad-agent" run --config "$C/agent.conf"
invalid country "$BIN/jad-agent" run --config "$C/agent.conf" --country de
invalid feed "$BIN/jad-agent" run --config "$C/agent.conf" --feed "tcp://127.0.0.1:0"
unknown_key "$C/agent.conf" "$BIN/jad-agent" run
# $T/agents does not exist: jad-agent run makes its --data with the
# parents (jad_file_make_dirs).
[ ! -e "$T/agents" ] || fail "$T/agents exists before the agent made it"
"$BIN/jad-agent" run --config "$C/agent.conf" >> "$T/agent-de.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 test -f "$T/agents/DE/status.json" \
    || fail "agent from agent.conf: $(cat "$T/agent-de.log")"
expect_eq "$(stat -c %a "$T/agents")" 700 "mode of the parent the agent made"
# submit and status take --data (and --country) from the same file
echo '{"type":"checks","country":"DE","parcels":7,"ref":"cfg-1"}' \
    | "$BIN/jad-agent" submit --config "$C/agent.conf" - > "$T/out" \
    || fail "submit from agent.conf: $(cat "$T/out")"
grep -q "line 1: accepted" "$T/out" || fail "submit: $(cat "$T/out")"
wait_converged 20 1 DE
"$BIN/jad-agent" status --config "$C/agent.conf" --json > "$T/st"
expect_eq "$(jq_num mirror_seq "$T/st")" 1 "status from agent.conf"
rc 2 "$BIN/jad-agent" status --config "$C/agent.conf.bad"
exactly_once 1 DE

# ------------------------------------------------------------ jad-console
cat > "$C/console.conf" <<EOF
hub          = $HUB_EP
feed         = $FEED_EP
key          = $T/keys/coord.secret
hub-key      = $T/keys/hub.pub
silent-after = 30
EOF
valid "$BIN/jad-console" --config "$C/console.conf"
invalid hub "$BIN/jad-console" --config "$C/console.conf" --hub tcp://127.0.0.1:0
invalid key "$BIN/jad-console" --config "$C/console.conf" --key "$T/keys/coord.pub"
invalid silent-after "$BIN/jad-console" --config "$C/console.conf" --silent-after 0
unknown_key "$C/console.conf" "$BIN/jad-console"
printf 'replay = %s\nspeed = 60\n' "$T/hub" > "$C/console-replay.conf"
valid "$BIN/jad-console" --config "$C/console-replay.conf"
invalid speed "$BIN/jad-console" --config "$C/console-replay.conf" --speed -1
invalid replay "$BIN/jad-console" --config "$C/console-replay.conf" --replay "$T/nothing"

# ------------------------------------------------------------ jad-verify
printf 'data = %s\nroster = %s\n' "$T/hub" "$T/roster" > "$C/verify.conf"
valid "$BIN/jad-verify" --config "$C/verify.conf"
"$BIN/jad-verify" --config "$C/verify.conf" --live > "$T/out" || fail "verify: $(cat "$T/out")"
grep -q "^intact: 1 entries, 1 signatures verified" "$T/out" || fail "verify: $(cat "$T/out")"
invalid data "$BIN/jad-verify" --config "$C/verify.conf" --data "$T/nothing"
invalid roster "$BIN/jad-verify" --config "$C/verify.conf" --roster "$T/nothing"
unknown_key "$C/verify.conf" "$BIN/jad-verify"
stop_pid "$HUB_PID"

# ------------------------------------------------------------ jad-journal
S=tests/data/armstrong-vii.jsonl
printf 'data = %s\njson = true\nlimit = 5\n' "$T/j" > "$C/journal.conf"
valid "$BIN/jad-journal" import "$S" --config "$C/journal.conf"
[ ! -e "$T/j" ] || fail "jad-journal import --check wrote $T/j"
invalid data "$BIN/jad-journal" count --config "$C/journal.conf"
invalid data "$BIN/jad-journal" import "$S" --config "$C/journal.conf" --data "$T/no/j"
"$BIN/jad-journal" import --config "$C/journal.conf" "$S" > "$T/out" \
    || fail "import from journal.conf: $(cat "$T/out")"
grep -q "imported 1644 reports" "$T/out" || fail "import: $(cat "$T/out")"
valid "$BIN/jad-journal" count --config "$C/journal.conf"
"$BIN/jad-journal" count --config "$C/journal.conf" > "$T/out"
expect_eq "$(jq_num entries "$T/out")" 1644 "count --json from journal.conf"
"$BIN/jad-journal" dump --config "$C/journal.conf" > "$T/out"
expect_eq "$(wc -l < "$T/out")" 5 "dump --limit from journal.conf"
"$BIN/jad-journal" dump --config "$C/journal.conf" --limit 2 > "$T/out"
expect_eq "$(wc -l < "$T/out")" 2 "dump: the command line's --limit wins"
invalid limit "$BIN/jad-journal" dump --config "$C/journal.conf" --limit x
unknown_key "$C/journal.conf" "$BIN/jad-journal" count

# ------------------------------------------------------------ jad-report
J=$T/j
printf 'data = %s\nformat = json\ncountry = DE\nfrom = 2020-11-17T00:00:00Z\n' "$J" \
    > "$C/report.conf"
valid "$BIN/jad-report" --config "$C/report.conf"
"$BIN/jad-report" --config "$C/report.conf" > "$T/a"
"$BIN/jad-report" --data "$J" --format json --country DE --from 2020-11-17T00:00:00Z > "$T/b"
cmp -s "$T/a" "$T/b" || fail "jad-report --config differs from the command line"
grep -q '"reports": [1-9]' "$T/a" || fail "report: no reports: $(head -20 "$T/a")"
"$BIN/jad-report" --config "$C/report.conf" --format csv --country FR > "$T/a"
"$BIN/jad-report" --data "$J" --format csv --country FR --from 2020-11-17T00:00:00Z > "$T/b"
cmp -s "$T/a" "$T/b" || fail "jad-report: the command line does not override the file"
invalid from "$BIN/jad-report" --config "$C/report.conf" --from yesterday
invalid format "$BIN/jad-report" --config "$C/report.conf" --format pdf
invalid data "$BIN/jad-report" --config "$C/report.conf" --data "$T/nothing"
invalid out "$BIN/jad-report" --config "$C/report.conf" --out "$T/nothing/r.json"
unknown_key "$C/report.conf" "$BIN/jad-report"

# ------------------------------------------------------------ jad-export
printf 'data = %s\nformat = csv\nmeta = yes\n' "$J" > "$C/export.conf"
valid "$BIN/jad-export" --config "$C/export.conf"
"$BIN/jad-export" --config "$C/export.conf" > "$T/a"
"$BIN/jad-export" --data "$J" --format csv --meta > "$T/b"
cmp -s "$T/a" "$T/b" || fail "jad-export --config differs from the command line"
"$BIN/jad-export" --config "$C/export.conf" --format jsonl > "$T/a"
"$BIN/jad-export" --data "$J" --format jsonl --meta > "$T/b"
cmp -s "$T/a" "$T/b" || fail "jad-export: the command line does not override the file"
invalid format "$BIN/jad-export" --config "$C/export.conf" --format pdf
unknown_key "$C/export.conf" "$BIN/jad-export"

# ------------------------------------------------------------ jad-replay
printf 'data = %s\ncountry = DE\ncountry = AT\ntype = seizure,arrest\n' "$J" > "$C/replay.conf"
valid "$BIN/jad-replay" --config "$C/replay.conf"
"$BIN/jad-replay" --config "$C/replay.conf" > "$T/a"
"$BIN/jad-replay" --data "$J" --country DE,AT --type seizure,arrest > "$T/b"
cmp -s "$T/a" "$T/b" || fail "jad-replay --config differs from the command line"
[ -s "$T/a" ] || fail "jad-replay --config printed nothing"
# a list on the command line replaces the file's
"$BIN/jad-replay" --config "$C/replay.conf" --country FR > "$T/a"
"$BIN/jad-replay" --data "$J" --country FR --type seizure,arrest > "$T/b"
cmp -s "$T/a" "$T/b" || fail "jad-replay: --country does not replace the file's list"
invalid speed "$BIN/jad-replay" --config "$C/replay.conf" --speed 0
invalid country "$BIN/jad-replay" --config "$C/replay.conf" --country de
unknown_key "$C/replay.conf" "$BIN/jad-replay"
PUB_PORT=$(free_port)
printf 'data = %s\npublish = tcp://127.0.0.1:%s\nkey = %s\nquiet = true\n' \
    "$T/hub" "$PUB_PORT" "$T/keys/hub.secret" > "$C/replay-pub.conf"
valid "$BIN/jad-replay" --config "$C/replay-pub.conf"
invalid listen "$BIN/jad-replay" --config "$C/replay-pub.conf" --listen tcp://127.0.0.1:x
invalid key "$BIN/jad-replay" --config "$C/replay-pub.conf" --key "$T/keys/hub.pub"
invalid data "$BIN/jad-replay" --config "$C/replay-pub.conf" --data "$J"

# ------------------------------------------------------------ jad-sim
grep '"country": "\(DE\|FR\)"' "$S" | head -30 > "$T/small.jsonl"
printf 'data = %s\noperation = Config Test\n' "$T/sim" > "$C/sim.conf"
valid "$BIN/jad-sim" run "$T/small.jsonl" --config "$C/sim.conf"
[ ! -e "$T/sim" ] || fail "jad-sim --check wrote $T/sim"
invalid data "$BIN/jad-sim" run "$T/small.jsonl" --config "$C/sim.conf" --data "$C/sim.conf/op"
unknown_key "$C/sim.conf" "$BIN/jad-sim" run "$T/small.jsonl"
"$BIN/jad-sim" run "$T/small.jsonl" --config "$C/sim.conf" > "$T/out" 2>&1 \
    || fail "jad-sim from sim.conf: $(tail -5 "$T/out")"
tail -1 "$T/out" | grep -q '^30 reports from 2 countries' || fail "sim: $(tail -1 "$T/out")"
"$BIN/jad-report" --data "$T/sim/hub" --format json > "$T/a"
grep -q '"operation": "Config Test"' "$T/a" || fail "sim: --operation from the file"
invalid data "$BIN/jad-sim" run "$T/small.jsonl" --config "$C/sim.conf"
grep -q "already holds an operation" "$T/err" || fail "sim: $(cat "$T/err")"
echo ok
