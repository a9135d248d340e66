#!/bin/sh
# Deployment, the journal's group (issue 7): an analyst who is a member of
# the hub's group (not root, not the hub's user) runs the post-operation
# tools on the journal of a hub running with a harsh umask — while the hub
# runs and after it stopped — and the lock file stays the group's 0660;
# one outside the group is refused with a clear error.
#
# No user or group is created on this machine: the hub runs as an unused
# uid and gid and the analyst as nobody (65534), through setpriv.  That
# needs root and setpriv; without them the test exits 77 with
# "SKIP: <reason>" (tests/run.sh counts it apart, never as a pass).
set -eu
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: not root: running as other users needs setpriv --reuid"; exit 77; }
command -v setpriv >/dev/null 2>&1 || { echo "SKIP: setpriv (util-linux) not installed"; exit 77; }

# An unused uid for the hub and an unused gid for its group; the analyst is
# nobody (65534) with that gid as a supplementary group.
unused() {  # unused passwd|group: an id between 60000 and 64999 nobody has
    i=64999
    while [ $i -ge 60000 ]; do
        getent "$1" $i >/dev/null 2>&1 || { echo $i; return 0; }
        i=$((i - 1))
    done
    return 1
}
HUB_UID=$(unused passwd) || fail "no unused uid"
GID=$(unused group) || fail "no unused gid"
as_member() { setpriv --reuid=65534 --regid=65534 --groups="$GID" "$@"; }
as_stranger() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

mkdir -p "$T/keys"
make_roster "$T/roster" hub:hub agent-de:agent:DE
HUB_PORT=$(free_port); FEED_PORT=$(free_port)
HUB_EP=tcp://127.0.0.1:$HUB_PORT; FEED_EP=tcp://127.0.0.1:$FEED_PORT

# As the unit lays it out: the state directory jadhub:jadhub 0750, the
# secret key the hub's own 0600, everything under a root-owned 0711 path.
chmod 0711 "$T" "$T/keys"
# The programs as installed, which every user may run: the checkout they
# were built in may sit under a directory only its owner can enter.
mkdir -m 0755 "$T/bin" "$T/srv"
for p in jad-hub jad-journal jad-report jad-verify jad-export jad-replay; do
    install -m 0755 "$BIN/$p" "$T/bin/$p"
done
mkdir -m 0750 "$T/srv/hub"
chown "$HUB_UID:$GID" "$T/srv/hub" "$T/keys/hub.secret"
# The unit's UMask=0007; the journal must not depend on it, so the hub runs
# under 0077 here, the harshest an operator could set.
# (setpriv and sh exec, so $! is the hub's pid; a shell function in the
# background would not be.)
setpriv --reuid="$HUB_UID" --regid="$GID" --clear-groups \
    sh -c 'umask 0077; exec "$0" "$@"' "$T/bin/jad-hub" --data "$T/srv/hub" \
    --roster "$T/roster" --key "$T/keys/hub.secret" \
    --listen "$HUB_EP" --publish "$FEED_EP" >> "$T/hub.log" 2>&1 &
HUB_PID=$!; PIDS="$PIDS $HUB_PID"
wait_for 10 test -f "$T/srv/hub/status.json" || fail "hub as uid $HUB_UID: $(cat "$T/hub.log")"
start_agent DE
reports DE grp 1 30 | submit DE
# converged() reads $T/hub: point it at the hub's data
ln -s "$T/srv/hub" "$T/hub"
wait_converged 30 30 DE

J=$T/srv/hub/journal
expect_eq "$(stat -c '%a %u %g' "$J")" "750 $HUB_UID $GID" "journal directory"
expect_eq "$(stat -c '%a %u %g' "$J/data.mdb")" "640 $HUB_UID $GID" "data.mdb"
expect_eq "$(stat -c '%a %u %g' "$J/lock.mdb")" "660 $HUB_UID $GID" "lock.mdb"

# A member of the group, while the hub runs and after it stopped.
member_reads() {
    out=$(as_member "$T/bin/jad-journal" count --data "$J" --json 2>&1) \
        || fail "member: jad-journal count ($1): $out"
    echo "$out" | grep -q '"entries":30,' || fail "member: count ($1): $out"
    as_member "$T/bin/jad-report" --data "$T/srv/hub" --format json > "$T/report.json" 2>&1 \
        || fail "member: jad-report ($1): $(cat "$T/report.json")"
    grep -q '"parcels":' "$T/report.json" || fail "member: jad-report ($1): no parcels"
    out=$(as_member "$T/bin/jad-verify" --data "$T/srv/hub" --live --roster "$T/roster" 2>&1) \
        || fail "member: jad-verify ($1): $out"
    n=$(as_member "$T/bin/jad-export" --data "$T/srv/hub" --format jsonl | wc -l)
    expect_eq "$n" 30 "member: jad-export ($1)"
    n=$(as_member "$T/bin/jad-replay" --data "$T/srv/hub" | wc -l)
    expect_eq "$n" 30 "member: jad-replay ($1)"
    out=$(as_member "$T/bin/jad-hub" status --data "$T/srv/hub" 2>&1) \
        || fail "member: jad-hub status ($1): $out"
    echo "$out" | grep -q '^head  *30$' || fail "member: jad-hub status ($1): $out"
}
member_reads "hub running"
stop_pid "$(agent_pid DE)"
stop_pid "$HUB_PID"
! kill -0 "$HUB_PID" 2>/dev/null || fail "the hub (pid $HUB_PID) did not stop"
grep -q 'stopping: journal head 30' "$T/hub.log" || fail "no clean stop: $(tail -3 "$T/hub.log")"
member_reads "hub stopped"
# The lock file is still the group's after the readers registered in it.
expect_eq "$(stat -c '%a %u %g' "$J/lock.mdb")" "660 $HUB_UID $GID" "lock.mdb after readers"

# Outside the group: refused, with an error and exit 2, and nothing changed.
set +e
out=$(as_stranger "$T/bin/jad-journal" count --data "$J" 2>&1); rc=$?
set -e
expect_eq "$rc" 2 "stranger: jad-journal count: $out"
echo "$out" | grep -qi "permission denied" || fail "stranger: no clear error: $out"
set +e
out=$(as_stranger "$T/bin/jad-report" --data "$T/srv/hub" 2>&1); rc=$?
set -e
expect_eq "$rc" 2 "stranger: jad-report: $out"
expect_eq "$(stat -c '%a %u %g' "$J/lock.mdb")" "660 $HUB_UID $GID" "lock.mdb after the stranger"
echo "deploy-group: members of the hub's group read the journal (lock.mdb 0660), strangers are refused"
