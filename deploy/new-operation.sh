#!/bin/sh
# deploy/new-operation.sh: the coordinator's walk-through of a new
# operation's key ceremony (docs/SECURITY.md, "Key ceremony").
#
# Each country has run `jad-keygen NAME --out DIR` on its own machine and
# sent in DIR/NAME.pub (never the .secret).  Put those files in one
# directory, named either
#     CC.pub     the country's ISO 3166-1 alpha-2 code (DE.pub, XK.pub): the
#                participant name is read from the file's "name =" line
#     NAME.pub   the participant name, ending in -cc (agent-de.pub,
#                police-fr.pub): the country is that suffix in upper case
# and run this script.  It makes the hub's key pairs if they are not there
# yet, the roster (every file checked by jad-keygen, a duplicate key or name
# refused), and one bundle per country in the output directory, then prints
# what to send to whom.
#
# Exit status: 0 done; 1 refused (a key file, a duplicate); 2 usage or I/O
# error.  Needs jad-keygen: $JAD_KEYGEN, else ../bin/jad-keygen beside this
# script, else the one on PATH.
set -eu

usage() {
    cat <<'EOF'
usage: deploy/new-operation.sh --pubs DIR --out DIR --operation NAME
           --start TIME --end TIME --hub-endpoint tcp://HOST:PORT
           --feed-endpoint tcp://HOST:PORT [options]

  --pubs DIR            the countries' public key files: CC.pub or NAME.pub
                        (NAME ending in -cc, e.g. agent-de.pub)
  --out DIR             new (or empty) directory for the roster, the bundles
                        and, with --generate-secrets, the passphrases
  --operation NAME      the operation's name
  --start, --end TIME   planned start and end, RFC 3339 (2026-03-02T06:00:00Z)
  --hub-endpoint EP     the hub's collector as the countries reach it
  --feed-endpoint EP    the hub's feed as the countries reach it
  --hub-keys DIR        the hub's key directory (default OUT/hub-keys):
                        DIR/HUB.pub is used, or DIR/HUB.secret and DIR/HUB.pub
                        are made there when missing
  --hub-name NAME       the hub's participant name (default hub)
  --operation-id HEX    32 hex digits (default: random)
  --participant SPEC    another participant, NAME:ROLE[:CC]=FILE.pub (a
                        coordinator or an observer); repeatable
  --data PATH           the agents' data directory in their agent.conf
                        (default @DIR@/data: beside the unpacked bundle)
  --generate-secrets CC:NAME
                        for a country that cannot run jad-keygen: make
                        NAME's keys here and seal them into its bundle under
                        a random passphrase (OUT/passphrases/NAME.txt).
                        WEAKENS NON-REPUDIATION: the coordinator has held the
                        country's signing key.  Repeatable.
  --kdf moderate|interactive   passphrase hashing for those (default moderate)

exit: 0 done; 1 refused (bad key file, duplicate key or name); 2 usage or
I/O error
EOF
}

die() { echo "new-operation: $*" >&2; exit 2; }

pubs='' out='' operation='' start='' end='' hub_ep='' feed_ep='' hub_keys=''
hub_name=hub op_id='' data='' kdf='' extra='' generate=
need() { [ $# -ge 2 ] || die "$1 needs a value (see --help)"; }
while [ $# -gt 0 ]; do
    case $1 in
        --pubs) need "$@"; pubs=$2; shift ;;
        --out) need "$@"; out=$2; shift ;;
        --operation) need "$@"; operation=$2; shift ;;
        --start) need "$@"; start=$2; shift ;;
        --end) need "$@"; end=$2; shift ;;
        --hub-endpoint) need "$@"; hub_ep=$2; shift ;;
        --feed-endpoint) need "$@"; feed_ep=$2; shift ;;
        --hub-keys) need "$@"; hub_keys=$2; shift ;;
        --hub-name) need "$@"; hub_name=$2; shift ;;
        --operation-id) need "$@"; op_id=$2; shift ;;
        --data) need "$@"; data=$2; shift ;;
        --kdf) need "$@"; kdf=$2; shift ;;
        --participant) need "$@"; extra="$extra$2
"; shift ;;
        --generate-secrets) need "$@"; generate="$generate$2
"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "new-operation: unexpected argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
for v in pubs out operation start end hub_ep feed_ep; do
    eval "[ -n \"\$$v\" ]" || die "--$(echo "$v" | sed 's/_ep$/-endpoint/') is required (see --help)"
done
[ -d "$pubs" ] || die "--pubs $pubs: not a directory"
hub_keys=${hub_keys:-$out/hub-keys}

# jad-keygen: given, beside us, or on PATH.
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${JAD_KEYGEN:-}" ]; then keygen=$JAD_KEYGEN
elif [ -x "$here/../bin/jad-keygen" ]; then keygen=$here/../bin/jad-keygen
else keygen=$(command -v jad-keygen) || die "jad-keygen not found: set JAD_KEYGEN"
fi

# A fresh output directory: nothing of another operation mixed in.
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
    die "--out $out: not empty (use a new directory per operation)"
fi
mkdir -p "$out/bundles" || die "--out $out: cannot create it"
chmod 700 "$out"
# A refused run leaves nothing half-made behind (OUT held nothing before),
# so it can simply be run again once the input is fixed.
trap 'rc=$?; if [ "$rc" -ne 0 ]; then rm -rf "$out"; echo "new-operation: nothing made" >&2; fi' EXIT
# dash runs no EXIT trap when a signal ends it: a signal becomes an exit
# (128 + its number), and the EXIT trap cleans up.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# run CMD...: a jad-keygen step; on failure stop with its status (1 refused,
# else 2), its message already printed.
run() {
    set +e
    "$@" > "$out/.step" 2>"$out/.err"
    rc=$?
    set -e
    if [ "$rc" -ne 0 ]; then
        cat "$out/.err" >&2
        rm -f "$out/.step" "$out/.err"
        [ "$rc" -eq 1 ] && exit 1
        exit 2
    fi
    # The coordinator sees warnings (--generate-secrets) too.
    cat "$out/.err" >&2
}
value() { sed -n "s/^$1 = //p" "$out/.step"; }

# ---------------------------------------------------------------- the hub
if [ -f "$hub_keys/$hub_name.pub" ]; then
    echo "hub keys: using $hub_keys/$hub_name.pub"
elif [ -e "$hub_keys/$hub_name.secret" ]; then
    die "$hub_keys/$hub_name.secret exists without $hub_name.pub: restore the .pub"
else
    run "$keygen" "$hub_name" --out "$hub_keys"
    echo "hub keys: made $hub_keys/$hub_name.secret (stays on the hub host) and $hub_name.pub"
fi

# ---------------------------------------------------------------- roster
# The participants: one SPEC per country file, the extra ones, as the
# positional parameters of jad-keygen roster.
set --
agents=
for f in "$pubs"/*.pub; do
    [ -e "$f" ] || continue
    base=$(basename "$f" .pub)
    name=$(sed -n 's/^name = //p' "$f" | head -1)
    [ -n "$name" ] || { echo "new-operation: $f: not a jadhub public key file (no 'name =' line)" >&2; exit 1; }
    [ "$name" = "$hub_name" ] && { echo "hub keys: $f is the hub's, skipped"; continue; }
    case $base in
        [A-Z][A-Z]) cc=$base ;;
        *-[a-z][a-z]) cc=$(echo "${base##*-}" | tr '[:lower:]' '[:upper:]'); name=$base ;;
        *) echo "new-operation: $f: cannot tell its country: name it CC.pub (e.g. DE.pub) or NAME-cc.pub" >&2
           exit 2 ;;
    esac
    set -- "$@" "$name:agent:$cc=$f"
    agents="$agents$name $cc
"
done
old_ifs=$IFS; IFS='
'
for spec in $extra; do set -- "$@" "$spec"; done
IFS=$old_ifs
[ -n "$agents" ] || [ -n "$generate" ] || die "--pubs $pubs: no .pub files"

run "$keygen" roster --out "$out/roster" --operation "$operation" --start "$start" \
    --end "$end" --hub "$hub_keys/$hub_name.pub" ${op_id:+--operation-id "$op_id"} "$@"
op_id=$(value operation-id)
count=$(value participants)

# ---------------------------------------------------------------- bundles
echo "$agents" | while read -r name cc; do
    [ -n "$name" ] || continue
    run "$keygen" bundle --roster "$out/roster" --name "$name" --hub-endpoint "$hub_ep" \
        --feed-endpoint "$feed_ep" ${data:+--data "$data"} --out "$out/bundles/$name.jadbundle"
done
hub_id=$(sed -n 's/^key-id = //p' "$hub_keys/$hub_name.pub")

# Central generation, each under its own random passphrase.
if [ -n "$generate" ]; then
    mkdir -p "$out/passphrases"
    chmod 700 "$out/passphrases"
    echo "$generate" | while IFS=: read -r cc name; do
        [ -n "$cc" ] || continue
        [ -n "$name" ] || die "--generate-secrets $cc: expected CC:NAME"
        pass=$out/passphrases/$name.txt
        # 96 random bits, as six groups of four hex digits to read out.
        (umask 077; od -An -tx1 -N12 /dev/urandom | tr -d ' \n' \
            | sed 's/\(....\)/\1-/g; s/-$//' > "$pass"; echo >> "$pass")
        run "$keygen" bundle --generate-secrets --country "$cc" --passphrase-file "$pass" \
            ${kdf:+--kdf "$kdf"} --roster "$out/roster" --name "$name" \
            --hub-endpoint "$hub_ep" --feed-endpoint "$feed_ep" ${data:+--data "$data"} \
            --out "$out/bundles/$name.jadbundle"
    done
    count=$(grep -c '^participant ' "$out/roster")
fi
rm -f "$out/.step" "$out/.err"

# ---------------------------------------------------------------- what to send
cat <<EOF

Operation "$operation" ($op_id): $out/roster, $count participants.

On the hub host:
  install $out/roster and $hub_keys/$hub_name.secret (mode 0600, never sent
  anywhere), then: jad-hub --roster ROSTER --key $hub_name.secret --data DIR ...
  (listening where $hub_ep and $feed_ep lead).

Send each country its bundle (public: e-mail is fine):
EOF
echo "$agents" | while read -r name cc; do
    [ -n "$name" ] || continue
    printf '  %-3s %-20s %s\n' "$cc" "$name" "$out/bundles/$name.jadbundle"
done
if [ -n "$generate" ]; then
    cat <<EOF

Bundles holding a SECRET key (--generate-secrets; sealed under a passphrase).
Send the bundle and, by another channel (telephone, SMS), its passphrase;
then delete the passphrase file.  Signatures of these countries no longer
prove on their own that the country made a report: the coordinator held
the keys.
EOF
    echo "$generate" | while IFS=: read -r cc name; do
        [ -n "$cc" ] || continue
        printf '  %-3s %-20s %s  passphrase: %s\n' "$cc" "$name" \
            "$out/bundles/$name.jadbundle" "$out/passphrases/$name.txt"
    done
fi
cat <<EOF

Each country: jad-keygen unbundle FILE --out DIR; its own NAME.secret in DIR
(where it made it, or written from a sealed bundle); then
jad-agent run --config DIR/agent.conf.
Read each country the hub's key id over the telephone: $hub_id
(jad-keygen unbundle prints it as hub-key-id).

A country joining later: jad-keygen roster --add $out/roster NAME:agent:CC=NAME.pub,
jad-keygen bundle ... --name NAME, and send the hub SIGHUP (systemctl reload).
EOF
