#!/bin/sh
# bin/jad-keygen as a process: files and their modes, the printed public
# keys and key id (never a secret), refusal to overwrite a secret, --help
# and usage errors, the ceremony's command words, --config and --check.
set -eu
. "$(dirname "$0")/lib.sh"

status() { set +e; "$@" >"$T/out" 2>"$T/err"; rc=$?; set -e; echo "$rc"; }

# A fresh pair in a directory that does not exist yet (created 0700).
expect_eq "$(status "$BIN/jad-keygen" agent-de --out "$T/keys/de")" 0 "keygen exit"
expect_eq "$(stat -c %a "$T/keys/de")" 700 "key directory mode"
expect_eq "$(stat -c %a "$T/keys/de/agent-de.secret")" 600 "secret mode"
expect_eq "$(stat -c %a "$T/keys/de/agent-de.pub")" 644 "public mode"
grep -q "^public-file = $T/keys/de/agent-de.pub\$" "$T/out" || fail "no public path: $(cat "$T/out")"
key=$(sed -n 's/^public-key = //p' "$T/out")
expect_eq "${#key}" 40 "printed public key length"
expect_eq "$(sed -n 's/^public-key = //p' "$T/keys/de/agent-de.pub")" "$key" "public key in file"
secret=$(sed -n 's/^secret-key = //p' "$T/keys/de/agent-de.secret")
expect_eq "${#secret}" 40 "secret key length"
grep -qF -- "$secret" "$T/out" "$T/err" "$T/keys/de/agent-de.pub" && fail "secret key printed or public"
grep -q "^secret-file = $T/keys/de/agent-de.secret\$" "$T/out" || fail "no secret path: $(cat "$T/out")"
# The signing key pair: public key and key id printed and in both files,
# the seed only in the secret file.
sign=$(sed -n 's/^sign-public-key = //p' "$T/out")
expect_eq "$(printf %s "$sign" | tr -cd 0-9a-f | wc -c)" 64 "printed sign-public-key: 64 hex digits"
expect_eq "${#sign}" 64 "printed sign-public-key length"
id=$(sed -n 's/^key-id = //p' "$T/out")
expect_eq "$(printf %s "$id" | tr -cd 0-9a-f | wc -c)" 16 "printed key-id: 16 hex digits"
expect_eq "${#id}" 16 "printed key-id length"
for f in pub secret; do
    expect_eq "$(sed -n 's/^sign-public-key = //p' "$T/keys/de/agent-de.$f")" "$sign" "sign-public-key in .$f"
    expect_eq "$(sed -n 's/^key-id = //p' "$T/keys/de/agent-de.$f")" "$id" "key-id in .$f"
done
seed=$(sed -n 's/^sign-secret-key = //p' "$T/keys/de/agent-de.secret")
expect_eq "${#seed}" 64 "sign-secret-key length"
grep -qF -- "$seed" "$T/out" "$T/err" "$T/keys/de/agent-de.pub" && fail "signing seed printed or public"
grep -q secret "$T/keys/de/agent-de.pub" && fail "public file mentions a secret"
expect_eq "$(grep -c . "$T/out")" 5 "five lines printed"

# Refuses to overwrite: exit 2, the secret unchanged.
cp "$T/keys/de/agent-de.secret" "$T/before"
expect_eq "$(status "$BIN/jad-keygen" agent-de --out "$T/keys/de")" 2 "overwrite exit"
grep -q "already exists" "$T/err" || fail "overwrite message: $(cat "$T/err")"
cmp -s "$T/before" "$T/keys/de/agent-de.secret" || fail "secret was changed"

# A second participant in the same directory; --out may come first.
expect_eq "$(status "$BIN/jad-keygen" --out "$T/keys/de" hub)" 0 "second keygen"
[ -f "$T/keys/de/hub.secret" ] || fail "hub.secret missing"

# --help; usage errors.
expect_eq "$(status "$BIN/jad-keygen" --help)" 0 "--help exit"
grep -q "usage: jad-keygen NAME --out DIR" "$T/out" || fail "--help text"
expect_eq "$(status "$BIN/jad-keygen")" 2 "no arguments"
expect_eq "$(status "$BIN/jad-keygen" agent-fr)" 2 "missing --out"
expect_eq "$(status "$BIN/jad-keygen" --out "$T/keys")" 2 "missing NAME"
expect_eq "$(status "$BIN/jad-keygen" agent-fr --out)" 2 "--out without DIR"
expect_eq "$(status "$BIN/jad-keygen" agent-fr --out "$T/k" --bogus)" 2 "unknown option"
expect_eq "$(status "$BIN/jad-keygen" ../evil --out "$T/keys")" 2 "bad name"
expect_eq "$(status "$BIN/jad-keygen" Agent --out "$T/keys")" 2 "upper-case name"
# The ceremony's commands (tests/e2e/57-key-ceremony.sh) own the words
# roster, bundle and unbundle in first place; a participant of that name
# still gets its keys with --out first.
for cmd in roster bundle unbundle; do
    expect_eq "$(status "$BIN/jad-keygen" $cmd --help)" 0 "$cmd --help"
    grep -q "^usage: jad-keygen $cmd" "$T/out" || fail "$cmd --help text"
    expect_eq "$(status "$BIN/jad-keygen" $cmd)" 2 "$cmd without options"
done
expect_eq "$(status "$BIN/jad-keygen" --out "$T/keys/words" roster)" 0 "participant named roster"
expect_eq "$(stat -c %a "$T/keys/words/roster.secret")" 600 "roster.secret mode"
# An I/O error: DIR is a file.
: > "$T/plain"
expect_eq "$(status "$BIN/jad-keygen" x --out "$T/plain")" 2 "DIR is a file"

# --config FILE (key out; the command line wins) and --check, which writes
# nothing and says "configuration valid", or "configuration invalid:
# REASON" on one line with exit 1; a usage error stays 2.
printf '# the key directory\nout = %s\n' "$T/conf-keys" > "$T/keygen.conf"
expect_eq "$(status "$BIN/jad-keygen" agent-fr --config "$T/keygen.conf" --check)" 0 "--check: $(cat "$T/err")"
grep -qx "jad-keygen: configuration valid" "$T/out" || fail "--check output: $(cat "$T/out")"
[ ! -e "$T/conf-keys" ] || fail "--check made the directory"
expect_eq "$(status "$BIN/jad-keygen" agent-fr --config "$T/keygen.conf")" 0 "--config: $(cat "$T/err")"
expect_eq "$(stat -c %a "$T/conf-keys/agent-fr.secret")" 600 "secret from --config"
expect_eq "$(status "$BIN/jad-keygen" --config "$T/keygen.conf" agent-it --out "$T/cli-keys")" 0 "command line wins"
[ -f "$T/cli-keys/agent-it.secret" ] && [ ! -e "$T/conf-keys/agent-it.secret" ] \
    || fail "--out on the command line did not win over the file"
invalid() {     # invalid WHAT ARGS...: --check exit 1, one line naming WHAT
    expect_eq "$(status "$BIN/jad-keygen" "$@" --check)" 1 "--check $*"
    expect_eq "$(wc -l < "$T/err")" 1 "one line for --check $*: $(cat "$T/err")"
    grep -q "^jad-keygen: configuration invalid: .*$WHAT" "$T/err" || fail "--check $*: $(cat "$T/err")"
    [ ! -s "$T/out" ] || fail "--check $* printed: $(cat "$T/out")"
}
WHAT="already exists" invalid agent-fr --config "$T/keygen.conf"
WHAT="invalid name 'Agent'" invalid Agent --out "$T/k2"
WHAT="--out: $T/plain is not a directory" invalid x --out "$T/plain"
WHAT="--out: $T/plain/sub: Not a directory" invalid x --out "$T/plain/sub"
[ ! -e "$T/k2" ] || fail "a refused --check made a directory"
expect_eq "$(status "$BIN/jad-keygen" --out "$T/k2" --check)" 2 "--check without NAME"
printf 'out = %s\ncolour = blue\n' "$T/k3" > "$T/bad.conf"
expect_eq "$(status "$BIN/jad-keygen" x --config "$T/bad.conf")" 2 "unknown key"
grep -qF "$T/bad.conf:2: unknown key 'colour'" "$T/err" || fail "unknown key: $(cat "$T/err")"
expect_eq "$(status "$BIN/jad-keygen" x --config "$T/bad.conf" --check)" 1 "unknown key under --check"
[ ! -e "$T/k3" ] || fail "a bad --config made a directory"
exit 0
