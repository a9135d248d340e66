#!/bin/sh
# Deployment: `make install` of the tested build into a staging root puts
# binaries, systemd units, man pages (from --help), sysusers, docs and
# sample configurations where Debian expects them, keeps an edited
# configuration, and `make uninstall` removes the rest; the installed units
# pass `systemd-analyze verify`; every key of the sample configurations is
# an option of its program, and a hub and an agent run on the samples.
# (The journal's group readers: 61-deploy-group.sh.)
#
# The install is of the build under test ($BIN, with `make -o all`: nothing
# is compiled, nothing is written outside $T).  No user or group is created
# on this machine: the users are checked with `systemd-sysusers --root`.
#
# Only a missing tool makes a check optional (groff, systemd-analyze,
# systemd-sysusers): it prints "note: skipped CHECK: REASON" and the rest
# runs; a tool that is there must pass.
set -eu
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROGRAMS="jad-hub jad-agent jad-keygen jad-journal jad-sim jad-verify jad-report
jad-replay jad-export jad-console"
NOTES=""
# note_skipped CHECK REASON: CHECK could not run here (a tool is missing)
note_skipped() { echo "note: skipped $1: $2"; NOTES="$NOTES, $1"; }

# The make variables that name the build $BIN belongs to.
case "$BIN" in
    "$ROOT/bin") BUILD="VARIANT=release" ;;
    */bin)       BUILD="O=${BIN%/bin}" ;;
    *)           fail "BIN=$BIN is not the bin directory of a build" ;;
esac
# An outer make (make test) must not lend this one its jobserver.
unset MAKEFLAGS MFLAGS MAKELEVEL
mk() { make --no-print-directory -C "$ROOT" -o all $BUILD "$@"; }

# ---------------------------------------------------------------- staging
S=$T/root
mk install DESTDIR="$S" PREFIX=/usr > "$T/install.log" 2>&1 \
    || fail "make install: $(tail -20 "$T/install.log")"
for p in $PROGRAMS; do
    [ -x "$S/usr/bin/$p" ] || fail "usr/bin/$p not installed"
    expect_eq "$(stat -c %a "$S/usr/bin/$p")" 755 "mode of usr/bin/$p"
    [ -f "$S/usr/share/man/man1/$p.1.gz" ] || fail "man page of $p not installed"
    gzip -dc "$S/usr/share/man/man1/$p.1.gz" > "$T/$p.1"
    for sec in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" "SEE ALSO"; do
        grep -q "^\.SH \"*$sec\"*\$" "$T/$p.1" || fail "$p.1: no section $sec"
    done
    grep -q "^\.TH \"$(echo "$p" | tr a-z A-Z)\" 1 " "$T/$p.1" || fail "$p.1: no .TH"
done
# The NAME line, the synopsis from the usage text, a command's own help.
grep -q '^jad\\-hub \\- the central hub' "$T/jad-hub.1" || fail "jad-hub.1 NAME"
grep -q '^\\fBjad\\-hub\\fR status' "$T/jad-hub.1" || fail "jad-hub.1 SYNOPSIS"
grep -q '^\.SS "jad\\-agent submit"' "$T/jad-agent.1" || fail "jad-agent.1: no submit"
grep -q '^\.BR jad\\-verify (1)' "$T/jad-report.1" || fail "jad-report.1: SEE ALSO"
if command -v groff >/dev/null 2>&1; then
    warn=$(groff -man -Tutf8 -ww -z "$T"/*.1 2>&1) || fail "groff: $warn"
    [ -z "$warn" ] || fail "groff warns: $warn"
else
    note_skipped "rendering the man pages" "groff not installed"
fi

U=$S/usr/lib/systemd/system
for u in jad-hub jad-agent; do
    [ -f "$U/$u.service" ] || fail "$u.service not in usr/lib/systemd/system"
    ! grep -q "@[A-Z]*@" "$U/$u.service" || fail "$u.service: placeholder left: $(grep "@[A-Z]*@" "$U/$u.service")"
    cmp -s "$U/$u.service" "$S/usr/share/doc/jadhub/examples/$u.service" \
        || fail "$u.service: the example differs from the unit"
done
grep -q '^ExecStart=/usr/bin/jad-hub --config /etc/jadhub/hub.conf$' "$U/jad-hub.service" \
    || fail "jad-hub.service ExecStart"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$U/jad-hub.service" \
    || fail "jad-hub.service ExecReload"
grep -q '^ExecStart=/usr/bin/jad-agent run --config /etc/jadhub/agent.conf$' \
    "$U/jad-agent.service" || fail "jad-agent.service ExecStart"
! grep -q '^ExecReload' "$U/jad-agent.service" || fail "the agent has no SIGHUP reload"
# libzmq aborts binding a numeric address without a netlink socket
# (getifaddrs): the hub's sandbox must allow it.
grep -q '^RestrictAddressFamilies=.*AF_NETLINK' "$U/jad-hub.service" \
    || fail "jad-hub.service: RestrictAddressFamilies lacks AF_NETLINK"

for f in OPERATIONS.md SECURITY.md README.md examples/hub.conf examples/agent.conf \
         examples/roster.sample examples/README.config; do
    [ -f "$S/usr/share/doc/jadhub/$f" ] || fail "usr/share/doc/jadhub/$f not installed"
done
for f in hub.conf agent.conf; do
    cmp -s "$S/etc/jadhub/$f" "$ROOT/deploy/config/$f" || fail "etc/jadhub/$f"
    expect_eq "$(stat -c %a "$S/etc/jadhub/$f")" 644 "mode of etc/jadhub/$f"
done
[ -d "$S/etc/jadhub/keys" ] || fail "etc/jadhub/keys not made"
[ -f "$S/usr/lib/sysusers.d/jadhub.conf" ] || fail "usr/lib/sysusers.d/jadhub.conf"

# The users, made in the staging root only.
if command -v systemd-sysusers >/dev/null 2>&1; then
    systemd-sysusers --root="$S" > "$T/sysusers.log" 2>&1 \
        || fail "systemd-sysusers --root: $(cat "$T/sysusers.log")"
    grep -q '^jadhub:x:[0-9]*:[0-9]*:.*:/usr/sbin/nologin$' "$S/etc/passwd" \
        || fail "sysusers: no jadhub user: $(cat "$S/etc/passwd")"
    grep -q '^jad-agent:x:' "$S/etc/passwd" || fail "sysusers: no jad-agent user"
    grep -q '^jadhub:x:' "$S/etc/group" || fail "sysusers: no jadhub group"
    rm -f "$S"/etc/passwd* "$S"/etc/group* "$S"/etc/shadow* "$S"/etc/gshadow* \
          "$S"/etc/.pwd.lock
else
    note_skipped "the users of sysusers.d/jadhub.conf" "systemd-sysusers not installed"
fi

# An edited configuration survives install and uninstall; the rest goes.
echo "# edited" >> "$S/etc/jadhub/hub.conf"
mk install DESTDIR="$S" PREFIX=/usr > "$T/install2.log" 2>&1 || fail "second install"
tail -1 "$S/etc/jadhub/hub.conf" | grep -q '^# edited$' || fail "install overwrote hub.conf"
mk uninstall DESTDIR="$S" PREFIX=/usr > "$T/uninstall.log" 2>&1 || fail "uninstall"
left=$(cd "$S" && find . -type f | sort | tr '\n' ' ')
expect_eq "$left" "./etc/jadhub/hub.conf " "files left after uninstall"

# ---------------------------------------------------------------- units
# Installed for real under $T (not staged), so the paths in the units exist.
L=$T/local
mk install PREFIX="$L" SYSCONFDIR="$L/etc" > "$T/install3.log" 2>&1 \
    || fail "install PREFIX=$L: $(tail -5 "$T/install3.log")"
grep -q "^ExecStart=$L/bin/jad-hub --config $L/etc/jadhub/hub.conf\$" \
    "$L/lib/systemd/system/jad-hub.service" || fail "PREFIX not in the unit"
if command -v systemd-analyze >/dev/null 2>&1; then
    out=$(MANPATH=$L/share/man systemd-analyze verify \
          "$L/lib/systemd/system/jad-hub.service" \
          "$L/lib/systemd/system/jad-agent.service" 2>&1) \
        || fail "systemd-analyze verify: $out"
    [ -z "$out" ] || fail "systemd-analyze verify warns: $out"
else
    note_skipped "systemd-analyze verify of the units" "systemd-analyze not installed"
fi

# ---------------------------------------------------------------- configs
# Every key of a sample, set or commented out, is a long option of its
# program (the keys are the long option names).
keys() { sed -n 's/^#\{0,1\}\([a-z][a-z-]*\) = .*/\1/p' "$1"; }
"$BIN/jad-hub" --help > "$T/hub.help"
"$BIN/jad-agent" run --help > "$T/agent.help"
for k in $(keys "$ROOT/deploy/config/hub.conf"); do
    grep -q -- "--$k\b" "$T/hub.help" || fail "hub.conf: $k is no option of jad-hub"
done
for k in $(keys "$ROOT/deploy/config/agent.conf"); do
    grep -q -- "--$k\b" "$T/agent.help" || fail "agent.conf: $k is no option of jad-agent run"
done
for k in data roster key listen publish; do
    keys "$ROOT/deploy/config/hub.conf" | grep -qx "$k" || fail "hub.conf lacks $k"
done
for k in data country key hub-key hub feed; do
    keys "$ROOT/deploy/config/agent.conf" | grep -qx "$k" || fail "agent.conf lacks $k"
done

# The samples as written, paths moved into $T: a real hub and agent run on
# them.
mkdir -p "$T/keys"
make_roster "$T/roster" hub:hub agent-de:agent:DE
HUB_PORT=$(free_port); FEED_PORT=$(free_port)
HUB_EP=tcp://127.0.0.1:$HUB_PORT; FEED_EP=tcp://127.0.0.1:$FEED_PORT
sed -e "s|/var/lib/jadhub|$T/hub|; s|/etc/jadhub/roster|$T/roster|" \
    -e "s|/etc/jadhub/keys|$T/keys|" \
    -e "s|tcp://0.0.0.0:7401|$HUB_EP|; s|tcp://0.0.0.0:7402|$FEED_EP|" \
    "$ROOT/deploy/config/hub.conf" > "$T/hub.conf"
sed -e "s|/var/lib/jad-agent|$T/agents/DE|; s|/etc/jadhub/keys|$T/keys|" \
    -e "s|tcp://hub.example.org:7401|$HUB_EP|; s|tcp://hub.example.org:7402|$FEED_EP|" \
    "$ROOT/deploy/config/agent.conf" > "$T/agent.conf"
"$BIN/jad-hub" --config "$T/hub.conf" --check > "$T/check.out" 2>&1 \
    || fail "jad-hub --check of the sample: $(cat "$T/check.out")"
"$BIN/jad-agent" run --config "$T/agent.conf" --check > "$T/check.out" 2>&1 \
    || fail "jad-agent run --check of the sample: $(cat "$T/check.out")"
mkdir -p "$T/agents"
"$BIN/jad-hub" --config "$T/hub.conf" >> "$T/hub.log" 2>&1 &
HUB_PID=$!; PIDS="$PIDS $HUB_PID"
"$BIN/jad-agent" run --config "$T/agent.conf" >> "$T/agent-de.log" 2>&1 &
AGENT_DE=$!; PIDS="$PIDS $AGENT_DE"
reports DE cfg 1 20 | submit DE
wait_converged 30 20 DE
stop_pid "$AGENT_DE"; stop_pid "$HUB_PID"

echo "deploy: staging install, units, man pages, users and samples all as expected${NOTES:+ (skipped:${NOTES#,})}"
