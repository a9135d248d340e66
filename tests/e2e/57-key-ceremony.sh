#!/bin/sh
# The key ceremony of an operation, end to end with real processes on
# 127.0.0.1: the hub and each country make their own keys and send only
# their .pub; the coordinator makes the roster (refusing a duplicate key, a
# duplicate name, a bad country code) and one bundle per country; each
# country unbundles next to its own secret and starts its agent from the
# unpacked agent.conf; reports are journaled and mirrored.  Then a country
# that cannot run jad-keygen gets a --generate-secrets bundle (passphrase:
# wrong -> 1, tampered -> 1, damaged -> 1, right -> secret 0600), and a late
# country is added to the running hub's roster (--add, SIGHUP): refused
# before the reload, admitted after it — NL's agent runs throughout and
# dials the hub again by itself (libzmq gives up on a refused session).
# A --generate-secrets run with a typo changes nothing (the rerun works);
# --check speaks the common format; a refused bundle leaves no directory;
# roster --add keeps a link, the owner, group and mode, and concurrent
# runs lose nothing.
set -eu
. "$(dirname "$0")/lib.sh"

K=$BIN/jad-keygen
status() { set +e; "$@" >"$T/out" 2>"$T/err"; rc=$?; set -e; echo "$rc"; }
field() { sed -n "s/^$1 = //p" "$2"; }

# Each party on its own "machine": the hub's keys in $T/keys (where
# start_hub looks), each country's in $T/cc-XX/keys.
"$K" hub --out "$T/keys" >/dev/null
for cc in de fr; do "$K" "agent-$cc" --out "$T/cc-$cc/keys" >/dev/null; done
"$K" europol --out "$T/coord/keys" >/dev/null
# What reaches the coordinator: public files only.
mkdir -p "$T/inbox"
cp "$T/keys/hub.pub" "$T/cc-de/keys/agent-de.pub" "$T/cc-fr/keys/agent-fr.pub" \
   "$T/coord/keys/europol.pub" "$T/inbox/"

# ---------------------------------------------------------------- roster
roster_cmd() {
    "$K" roster --operation "Ceremony Test" --start 2026-03-02T06:00:00Z \
        --end 2026-03-05T06:00:00Z --hub "$T/inbox/hub.pub" "$@"
}
# A copied key under another name, a name twice, a bad country code, a
# secret key file: refused, naming the argument; nothing written.
sed 's/agent-de/agent-dx/' "$T/inbox/agent-de.pub" > "$T/inbox/agent-dx.pub"
expect_eq "$(status roster_cmd --out "$T/r1" agent-de:agent:DE="$T/inbox/agent-de.pub" \
    agent-dx:agent:DE="$T/inbox/agent-dx.pub")" 1 "duplicate key"
grep -q "agent-dx:agent:DE=.*duplicate key (also participant agent-de)" "$T/err" || fail "duplicate key: $(cat "$T/err")"
expect_eq "$(status roster_cmd --out "$T/r1" agent-de:agent:DE="$T/inbox/agent-de.pub" \
    agent-de:agent:DE="$T/inbox/agent-de.pub")" 1 "duplicate name"
grep -q "duplicate name" "$T/err" || fail "duplicate name: $(cat "$T/err")"
expect_eq "$(status roster_cmd --out "$T/r1" agent-de:agent:UK="$T/inbox/agent-de.pub")" 2 "bad country"
grep -q "'agent-de:agent:UK=.*country 'UK' is not an ISO 3166-1 alpha-2 code (the United Kingdom is GB)" "$T/err" \
    || fail "bad country: $(cat "$T/err")"
expect_eq "$(status roster_cmd --out "$T/r1" agent-de:agent:DE="$T/cc-de/keys/agent-de.secret")" 1 "secret file"
grep -q "holds a secret key" "$T/err" || fail "secret file: $(cat "$T/err")"
# The same under --check: one line in the common format, exit 1 (a bad
# value and a clash alike), nothing written.
expect_eq "$(status roster_cmd --out "$T/r1" --check agent-de:agent:UK="$T/inbox/agent-de.pub")" 1 "bad country --check"
expect_eq "$(wc -l < "$T/err")" 1 "one line: $(cat "$T/err")"
grep -q "^jad-keygen roster: configuration invalid: 'agent-de:agent:UK=.*country 'UK'" "$T/err" || fail "--check: $(cat "$T/err")"
expect_eq "$(status roster_cmd --out "$T/r1" --check agent-de:agent:DE="$T/inbox/agent-de.pub" \
    agent-dx:agent:DE="$T/inbox/agent-dx.pub")" 1 "duplicate key --check"
grep -qx "jad-keygen roster: configuration invalid: agent-dx:agent:DE=.*duplicate key (also participant agent-de)" "$T/err" \
    || fail "duplicate --check: $(cat "$T/err")"
[ ! -e "$T/r1" ] || fail "a refused roster was written"
rm "$T/inbox/agent-dx.pub"

# The real one, checked first (--check writes nothing), then made.
expect_eq "$(status roster_cmd --out "$T/roster" --check agent-de:agent:DE="$T/inbox/agent-de.pub" \
    agent-fr:agent:FR="$T/inbox/agent-fr.pub" europol:coordinator="$T/inbox/europol.pub")" 0 "roster --check"
[ ! -e "$T/roster" ] || fail "--check wrote the roster"
expect_eq "$(status roster_cmd --out "$T/roster" agent-de:agent:DE="$T/inbox/agent-de.pub" \
    agent-fr:agent:FR="$T/inbox/agent-fr.pub" europol:coordinator="$T/inbox/europol.pub")" 0 "roster"
expect_eq "$(field participants "$T/out")" 4 "participants"
opid=$(field operation-id "$T/out")
expect_eq "$(printf %s "$opid" | tr -cd 0-9a-f | wc -c)" 32 "operation id: 32 hex digits"
grep -q "^operation_id  $opid\$" "$T/roster" || fail "operation id not in the roster"
cp "$T/roster" "$T/roster.initial"
expect_eq "$(status roster_cmd --out "$T/roster" agent-de:agent:DE="$T/inbox/agent-de.pub")" 2 "overwrite roster"

# ---------------------------------------------------------------- bundles
HUB_PORT=$(free_port); FEED_PORT=$(free_port)
HUB_EP=tcp://127.0.0.1:$HUB_PORT; FEED_EP=tcp://127.0.0.1:$FEED_PORT
bundle() {  # bundle NAME CC [options]: the coordinator's bundle for NAME
    name=$1; cc=$2; shift 2
    "$K" bundle --roster "$T/roster" --name "$name" --hub-endpoint "$HUB_EP" \
        --feed-endpoint "$FEED_EP" --data "$T/agents/$cc" --out "$T/op/$name.bundle" "$@"
}
mkdir -p "$T/op"
for cc in DE FR; do
    name=agent-$(echo "$cc" | tr A-Z a-z)
    expect_eq "$(status bundle "$name" "$cc")" 0 "bundle $name: $(cat "$T/err")"
    expect_eq "$(field operation-id "$T/out")" "$opid" "bundle operation id"
    expect_eq "$(stat -c %a "$T/op/$name.bundle")" 644 "plain bundle mode"
    grep -q "^hub-endpoint = $HUB_EP\$" "$T/op/$name.bundle" || fail "endpoint in bundle"
    grep -q "secret-box" "$T/op/$name.bundle" && fail "a plain bundle with a secret"
done
hub_id=$(field hub-key-id "$T/out")
expect_eq "$hub_id" "$(field key-id "$T/keys/hub.pub")" "hub key id"
expect_eq "$(status bundle europol DE --out "$T/op/x")" 1 "bundle for a coordinator"
grep -q "bundles are for agents" "$T/err" || fail "coordinator bundle: $(cat "$T/err")"
expect_eq "$(status bundle agent-de DE)" 2 "bundle overwritten"

# ---------------------------------------------------------------- countries
# Each country unpacks next to its own secret: kept, checked, never touched.
for cc in de fr; do
    cp "$T/cc-$cc/keys/agent-$cc.secret" "$T/secret-before"
    expect_eq "$(status "$K" unbundle "$T/op/agent-$cc.bundle" --out "$T/cc-$cc/keys")" 0 "unbundle $cc: $(cat "$T/err")"
    grep -q "^secret-file = .*present, matches the roster" "$T/out" || fail "unbundle $cc: $(cat "$T/out")"
    expect_eq "$(field hub-key-id "$T/out")" "$hub_id" "hub key id printed to $cc"
    cmp -s "$T/secret-before" "$T/cc-$cc/keys/agent-$cc.secret" || fail "$cc secret changed"
    cmp -s "$T/keys/hub.pub" "$T/cc-$cc/keys/hub.pub" || fail "$cc hub.pub differs from the hub's"
    conf=$T/cc-$cc/keys/agent.conf
    grep -q "^key = $T/cc-$cc/keys/agent-$cc.secret\$" "$conf" || fail "agent.conf key: $(cat "$conf")"
    expect_eq "$(status "$BIN/jad-agent" run --config "$conf" --check)" 0 "agent.conf --check ($cc): $(cat "$T/err")"
done
# A bundle unpacked where another key of that name lives: refused.
"$K" agent-fr --out "$T/stranger" >/dev/null
expect_eq "$(status "$K" unbundle "$T/op/agent-fr.bundle" --out "$T/stranger")" 1 "other key in DIR"
grep -q "holds other keys" "$T/err" || fail "other key: $(cat "$T/err")"

# The hub with the coordinator's roster; the agents from their agent.conf.
start_hub
mkdir -p "$T/agents"
run_agent() {   # run_agent cc: jad-agent run --config from the bundle
    "$BIN/jad-agent" run --config "$T/cc-$1/keys/agent.conf" >>"$T/agent-$1.log" 2>&1 &
    PIDS="$PIDS $!"
}
run_agent de
run_agent fr
reports DE de 1 30 | submit DE
reports FR fr 1 20 | submit FR
wait_converged 60 50 DE FR

# ---------------------------------------------------------------- --generate-secrets
# Belgium cannot run jad-keygen: the coordinator makes its keys, adds it to
# the roster and seals the secret under a passphrase sent separately.
printf 'correct horse battery staple\n' > "$T/pass"
printf 'wrong horse battery staple\n' > "$T/wrong"
# A typo in --data or --log-level is refused before anything is made: the
# roster byte for byte as it was, no bundle, so the right command line
# works next (the keys are not lost in a roster line without a bundle).
cp "$T/roster" "$T/roster.before-be"
gen_be() { bundle agent-be BE --generate-secrets --country BE --passphrase-file "$T/pass" "$@"; }
expect_eq "$(status gen_be --data relative/data)" 2 "generate-secrets with a bad --data"
grep -q -- "--data 'relative/data': expected @DIR@/PATH or an absolute path" "$T/err" || fail "bad --data: $(cat "$T/err")"
expect_eq "$(status gen_be --log-level loud)" 2 "generate-secrets with a bad --log-level"
grep -q -- "--log-level 'loud'" "$T/err" || fail "bad --log-level: $(cat "$T/err")"
cmp -s "$T/roster" "$T/roster.before-be" || fail "a refused --generate-secrets changed the roster"
[ ! -e "$T/op/agent-be.bundle" ] || fail "a refused --generate-secrets wrote the bundle"
# --check checks them too (the common format: one line, exit 1) and
# makes nothing, asks nothing.
expect_eq "$(status gen_be --data relative/data --check)" 1 "--check with a bad --data"
expect_eq "$(cat "$T/err")" "jad-keygen bundle: configuration invalid: --data 'relative/data': expected @DIR@/PATH or an absolute path (no '..', no control characters)" "--check's line"
expect_eq "$(status bundle agent-de DE --log-level loud --out "$T/op/x" --check)" 1 "plain --check with a bad --log-level"
grep -qx "jad-keygen bundle: configuration invalid: --log-level 'loud': error, warn, notice, info or debug" "$T/err" \
    || fail "plain --check: $(cat "$T/err")"
expect_eq "$(status gen_be --check)" 0 "generate-secrets --check: $(cat "$T/err")"
grep -qx "jad-keygen bundle: configuration valid" "$T/out" || fail "--check: $(cat "$T/out")"
expect_eq "$(status gen_be --check --passphrase-file "$T/nothing")" 1 "--check with a missing passphrase file"
grep -qx "jad-keygen bundle: configuration invalid: --passphrase-file: $T/nothing: No such file or directory" "$T/err" \
    || fail "--check passphrase file: $(cat "$T/err")"
cmp -s "$T/roster" "$T/roster.before-be" || fail "--check changed the roster"
expect_eq "$(status gen_be)" 0 "generate-secrets: $(cat "$T/err")"
grep -q "weakens non-repudiation" "$T/err" || fail "no non-repudiation warning: $(cat "$T/err")"
grep -q "correct horse" "$T/out" "$T/err" && fail "passphrase printed"
expect_eq "$(stat -c %a "$T/op/agent-be.bundle")" 600 "sealed bundle mode"
grep -q "^kdf = argon2id-moderate\$" "$T/op/agent-be.bundle" || fail "kdf"
grep -q "^participant   agent-be  *agent  *BE " "$T/roster" || fail "agent-be not in the roster"
expect_eq "$(status bundle agent-be BE --generate-secrets --country BE --passphrase-file "$T/pass" \
    --out "$T/op/again")" 1 "generate-secrets for a name in the roster"
# Wrong passphrase: refused, nothing written.
expect_eq "$(status "$K" unbundle "$T/op/agent-be.bundle" --out "$T/cc-be/keys" --passphrase-file "$T/wrong")" 1 "wrong passphrase"
grep -q "wrong passphrase, or the bundle was changed" "$T/err" || fail "wrong passphrase: $(cat "$T/err")"
[ ! -e "$T/cc-be" ] || fail "a refused bundle left a directory: $(ls -la "$T/cc-be")"
# Tampered: the endpoints pointed elsewhere, the checksum recomputed (it is
# no signature) — the passphrase's authentication refuses it.
sed "s|127.0.0.1:$HUB_PORT|127.0.0.9:$HUB_PORT|" "$T/op/agent-be.bundle" | grep -v '^checksum = ' > "$T/tampered"
echo "checksum = $(grep -v -e '^#' -e '^$' "$T/tampered" | b2sum -l 256 | cut -d' ' -f1)" >> "$T/tampered"
expect_eq "$(status "$K" unbundle "$T/tampered" --out "$T/cc-be/keys" --passphrase-file "$T/pass")" 1 "tampered bundle"
grep -q "wrong passphrase, or the bundle was changed" "$T/err" || fail "tampered: $(cat "$T/err")"
# Damaged in transit (checksum no longer matches): refused before any passphrase.
sed 's/^operation = Ceremony Test$/operation = Ceremony Tost/' "$T/op/agent-be.bundle" > "$T/damaged"
expect_eq "$(status "$K" unbundle "$T/damaged" --out "$T/cc-be/keys" --passphrase-file "$T/pass")" 1 "damaged bundle"
grep -q "checksum does not match" "$T/err" || fail "damaged: $(cat "$T/err")"
expect_eq "$(status "$K" unbundle "$T/damaged" --out "$T/cc-be/keys" --check)" 1 "damaged bundle --check"
grep -qx "jad-keygen unbundle: configuration invalid: $T/damaged: .*checksum does not match.*" "$T/err" \
    || fail "damaged --check: $(cat "$T/err")"
[ ! -e "$T/cc-be/keys/agent-be.secret" ] || fail "secret written from a refused bundle"
# The right passphrase (from the environment): the secret, 0600, in 0700.
export JAD_PASSPHRASE='correct horse battery staple'
expect_eq "$(status "$K" unbundle "$T/op/agent-be.bundle" --out "$T/cc-be/keys")" 0 \
    "right passphrase: $(cat "$T/err")"
unset JAD_PASSPHRASE
grep -q "^secret-file = .*written from the bundle" "$T/out" || fail "unbundle be: $(cat "$T/out")"
expect_eq "$(stat -c %a "$T/cc-be/keys/agent-be.secret")" 600 "unbundled secret mode"
expect_eq "$(stat -c %a "$T/cc-be/keys")" 700 "unbundled directory mode"
expect_eq "$(ls -A "$T/cc-be/keys" | tr '\n' ' ')" "agent-be.pub agent-be.secret agent.conf hub.pub " "unbundled files (no temporary one)"
seed=$(field sign-secret-key "$T/cc-be/keys/agent-be.secret")
expect_eq "${#seed}" 64 "unbundled signing seed"
grep -qF "$seed" "$T/op/agent-be.bundle" "$T/out" "$T/err" && fail "secret in the clear"
# Never overwritten.
cp "$T/cc-be/keys/agent-be.secret" "$T/secret-before"
expect_eq "$(status "$K" unbundle "$T/op/agent-be.bundle" --out "$T/cc-be/keys" --passphrase-file "$T/pass")" 2 "unbundle again"
grep -q "already exists" "$T/err" || fail "unbundle again: $(cat "$T/err")"
cmp -s "$T/secret-before" "$T/cc-be/keys/agent-be.secret" || fail "secret overwritten"

# ---------------------------------------------------------------- late country
# The Netherlands join late with their own keys: --add keeps every line.
"$K" agent-nl --out "$T/cc-nl/keys" >/dev/null
cp "$T/roster" "$T/roster.before"
expect_eq "$(status "$K" roster --add "$T/roster" agent-nl:agent:NL="$T/cc-nl/keys/agent-nl.pub")" 0 "roster --add: $(cat "$T/err")"
expect_eq "$(head -n "$(wc -l < "$T/roster.before")" "$T/roster" | cmp -s - "$T/roster.before" && echo same)" same "--add kept the roster"
expect_eq "$(status "$K" roster --add "$T/roster" agent-nl:agent:NL="$T/cc-nl/keys/agent-nl.pub")" 1 "--add twice"
expect_eq "$(status bundle agent-nl NL)" 0 "bundle nl"
expect_eq "$(status "$K" unbundle "$T/op/agent-nl.bundle" --out "$T/cc-nl/keys")" 0 "unbundle nl"

# Before the hub reloads, the new keys are refused at the handshake; the
# countries' reports wait in their outboxes (no daemon needed for that) ...
probe() {   # probe cc: a hello with country cc's unbundled key
    "$BIN/jad-probe" --key "$T/cc-$1/keys/agent-$1.secret" --hub-key "$T/cc-$1/keys/hub.pub" \
        --hub "$HUB_EP" --feed "$FEED_EP" hello
}
for cc in be nl; do
    expect_eq "$(status probe $cc)" 3 "agent-$cc before the reload: $(cat "$T/out" "$T/err")"
done
wait_for 10 grep -q "key not on the roster" "$T/hub.log" || fail "no refusal logged"
reports BE be 1 10 | submit BE
reports NL nl 1 15 | submit NL
# NL's agent is already running, refused: libzmq gives up on a refused
# session, so the agent dials again while the hub is silent to it.
refused=$(grep -c 'key not on the roster' "$T/hub.log")
run_agent nl
wait_for 20 sh -c "[ \$(grep -c 'key not on the roster' '$T/hub.log') -gt $refused ]" \
    || fail "agent-nl was not refused"
# ... and admitted after the reload: BE's agent starts from its agent.conf,
# NL's redials, the outboxes drain, every mirror converges.
kill -HUP "$HUB_PID"
wait_for 10 grep -q "roster reloaded: 6 participants" "$T/hub.log" || fail "no reload: $(tail -3 "$T/hub.log")"
for cc in be nl; do
    expect_eq "$(status probe $cc)" 0 "agent-$cc after the reload: $(cat "$T/out" "$T/err")"
done
run_agent be
reports DE de 31 35 | submit DE
wait_converged 90 80 DE FR BE NL
exactly_once 80 DE FR BE NL
grep -q '"origin":"agent-be"' "$T/hub.dump" || fail "no entry from agent-be"
grep -q '"origin":"agent-nl"' "$T/hub.dump" || fail "no entry from agent-nl"
"$BIN/jad-verify" --data "$T/hub" --live --roster "$T/roster.initial" > "$T/verify.out" 2>&1 || fail "jad-verify: $(cat "$T/verify.out")"

# ---------------------------------------------------------------- roster --add, the file
# --add rewrites the file a symbolic link points to (the link stays), and
# concurrent --add runs take turns (a lock on the roster's directory): no
# participant is lost.
mkdir -p "$T/rf/links"
for i in 1 2 3 4 5 6 7; do "$K" "late-$i" --out "$T/rf/keys" >/dev/null; done
chmod 755 "$T/rf/keys"
spec() { echo "late-$1:agent:$2=$T/rf/keys/late-$1.pub"; }
cp "$T/roster.initial" "$T/rf/roster"
ln -s "$T/rf/roster" "$T/rf/links/roster"
expect_eq "$(status "$K" roster --add "$T/rf/links/roster" "$(spec 1 AT)")" 0 "--add through a link: $(cat "$T/err")"
[ -L "$T/rf/links/roster" ] || fail "--add replaced the link by a file"
grep -q "^participant   late-1 " "$T/rf/roster" || fail "--add through a link: not in the file"
expect_eq "$(ls -A "$T/rf/links")" roster "nothing beside the link"
adders=
for i in 2 3 4 5; do
    cc=$(echo "CH CZ DK EE" | cut -d' ' -f$((i - 1)))
    "$K" roster --add "$T/rf/roster" "$(spec $i "$cc")" >"$T/rf/add-$i.log" 2>&1 &
    adders="$adders $!"
done
PIDS="$PIDS $adders"
for p in $adders; do wait "$p" || fail "a concurrent --add failed: $(cat "$T"/rf/add-*.log)"; done
for i in 1 2 3 4 5; do
    grep -q "^participant   late-$i " "$T/rf/roster" || fail "late-$i lost to a concurrent --add"
done
expect_eq "$(grep -c '^participant ' "$T/rf/roster")" 9 "participants after the concurrent adds"

# As root (`sudo jad-keygen roster --add`): the owner and group are kept,
# with the mode, so a roster of root:jadhub 0640 stays the hub's to read
# (here an unused uid and gid).  As another user the owner cannot be kept
# and is let go, the mode is kept.  And --generate-secrets whose roster
# cannot be written after its bundle was: the bundle is removed, the
# roster unchanged.
if [ "$(id -u)" = 0 ]; then
    u=4242
    while getent passwd "$u" >/dev/null || getent group "$u" >/dev/null; do u=$((u + 1)); done
    as_u() { setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
    chown "$u:$u" "$T/rf/roster"
    chmod 640 "$T/rf/roster"
    expect_eq "$(status "$K" roster --add "$T/rf/roster" "$(spec 6 FI)")" 0 "--add as root: $(cat "$T/err")"
    expect_eq "$(stat -c '%u:%g %a' "$T/rf/roster")" "$u:$u 640" "owner, group and mode kept by --add"
    grep -q "^participant   late-6 " "$T/rf/roster" || fail "late-6 not added"
    chmod 711 "$T"          # the other user reaches its paths, lists nothing
    mkdir "$T/ud" "$T/ro"
    chown "$u:$u" "$T/ud"
    cp "$T/roster.initial" "$T/ud/roster"
    chmod 604 "$T/ud/roster"
    expect_eq "$(status as_u "$K" roster --add "$T/ud/roster" "$(spec 7 GR)")" 0 "--add as another user: $(cat "$T/err")"
    expect_eq "$(stat -c '%u:%g %a' "$T/ud/roster")" "$u:$u 604" "--add as another user: its file, the mode kept"
    cp "$T/roster.initial" "$T/ro/roster"
    cp "$T/pass" "$T/ud/pass"
    chown "$u" "$T/ud/pass"
    expect_eq "$(status as_u "$K" bundle --roster "$T/ro/roster" --name agent-gr --hub-endpoint "$HUB_EP" \
        --feed-endpoint "$FEED_EP" --out "$T/ud/gr.bundle" --generate-secrets --country GR --kdf interactive \
        --passphrase-file "$T/ud/pass")" 2 "--generate-secrets with a roster it cannot write"
    grep -q "gr.bundle removed: agent-gr was not added to $T/ro/roster" "$T/err" || fail "bundle not removed: $(cat "$T/err")"
    [ ! -e "$T/ud/gr.bundle" ] || fail "the bundle of a participant not in the roster was left"
    cmp -s "$T/ro/roster" "$T/roster.initial" || fail "the roster changed"
    chmod 700 "$T"
else
    echo "SKIP: not root: owner and group kept by --add, a roster not writable after the bundle"
fi

# ---------------------------------------------------------------- new-operation.sh
# The walk-through script over a directory of collected files, named CC.pub
# or NAME-cc.pub: hub keys made, roster, bundles, a sealed one.
NEWOP=$(dirname "$0")/../../deploy/new-operation.sh
mkdir -p "$T/w/pubs"
cp "$T/cc-de/keys/agent-de.pub" "$T/w/pubs/DE.pub"
cp "$T/cc-fr/keys/agent-fr.pub" "$T/w/pubs/"
newop() {
    JAD_KEYGEN=$K sh "$NEWOP" --pubs "$T/w/pubs" --operation "Walk Through" \
        --start 2026-04-01T06:00:00Z --end 2026-04-03T06:00:00Z \
        --hub-endpoint "$HUB_EP" --feed-endpoint "$FEED_EP" "$@"
}
sed s/agent-de/agent-dk/ "$T/w/pubs/DE.pub" > "$T/w/pubs/agent-dk.pub"
expect_eq "$(status newop --out "$T/w/bad")" 1 "new-operation with a duplicate"
grep -q "duplicate" "$T/err" || fail "new-operation duplicate: $(cat "$T/err")"
[ ! -e "$T/w/bad" ] || fail "a refused new-operation left files"
rm "$T/w/pubs/agent-dk.pub"
expect_eq "$(status newop --out "$T/w/op" --participant europol:coordinator="$T/inbox/europol.pub" \
    --generate-secrets SE:agent-se --kdf interactive)" 0 "new-operation: $(cat "$T/err")"
grep -q "agent-de  *$T/w/op/bundles/agent-de.jadbundle" "$T/out" || fail "what to send: $(cat "$T/out")"
grep -q "passphrase: $T/w/op/passphrases/agent-se.txt" "$T/out" || fail "sealed bundle: $(cat "$T/out")"
expect_eq "$(grep -c '^participant ' "$T/w/op/roster")" 5 "new-operation roster"
expect_eq "$(stat -c %a "$T/w/op/hub-keys/hub.secret")" 600 "new hub secret mode"
expect_eq "$(status "$BIN/jad-hub" --roster "$T/w/op/roster" --key "$T/w/op/hub-keys/hub.secret" \
    --data "$T/w/hubdata" --check)" 0 "the hub accepts the new roster: $(cat "$T/err")"
expect_eq "$(status "$K" unbundle "$T/w/op/bundles/agent-se.jadbundle" --out "$T/w/se" \
    --passphrase-file "$T/w/op/passphrases/agent-se.txt")" 0 "unbundle se: $(cat "$T/err")"
expect_eq "$(status "$BIN/jad-agent" run --config "$T/w/se/agent.conf" --check)" 0 "se agent.conf: $(cat "$T/err")"
echo ok
