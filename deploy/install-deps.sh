#!/bin/sh
# Install, from Debian 12's packages, whatever jadhub needs to build and test
# that this machine lacks.  Quiet when everything is present.
#
# Exit: 0 all present (or installed); 2 something could not be installed.
set -u

PKGS="build-essential pkg-config clang libzmq3-dev libczmq-dev libprotobuf-c-dev
protobuf-c-compiler liblmdb-dev lmdb-utils libsodium-dev libjansson-dev libcmocka-dev
libncurses-dev tmux iproute2 nftables"

# Wanted, not required: the HTML report's test renders it in headless
# Chromium when it is there, and says it skipped otherwise.
OPTIONAL="chromium"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }

missing=""
for p in $PKGS; do
    installed "$p" || missing="$missing $p"
done
optional=""
for p in $OPTIONAL; do
    installed "$p" || optional="$optional $p"
done
[ -z "$missing$optional" ] && exit 0

echo "install-deps: installing:$missing$optional" >&2
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    [ -z "$missing" ] && { echo "install-deps: skipping optional:$optional (no root or sudo)" >&2; exit 0; }
    echo "install-deps: need root or sudo to install:$missing" >&2
    exit 2
fi

export DEBIAN_FRONTEND=noninteractive
if [ -z "$missing" ]; then
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q --no-install-recommends $optional >/dev/null 2>&1 \
        || { $SUDO apt-get update -q >/dev/null 2>&1; \
             $SUDO apt-get install -y -q --no-install-recommends $optional >/dev/null 2>&1; } \
        || echo "install-deps: could not install optional:$optional (continuing)" >&2
    exit 0
fi
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1; then
    # The package lists may be stale or absent on a fresh machine.
    $SUDO apt-get update -q >/dev/null 2>&1 || true
    if ! $SUDO apt-get install -y -q --no-install-recommends $missing; then
        echo "install-deps: apt-get could not install:$missing" >&2
        exit 2
    fi
fi
if [ -n "$optional" ]; then
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q --no-install-recommends $optional >/dev/null 2>&1 \
        || echo "install-deps: could not install optional:$optional (continuing)" >&2
fi
exit 0
