#!/bin/sh
# Install, from Debian 12's packages, whatever jadhub needs to build and test
# that this machine lacks.  Quiet when everything is present.
#
# Exit: 0 all present (or installed); 2 something could not be installed.
set -u

PKGS="build-essential pkg-config clang libzmq3-dev libczmq-dev libprotobuf-c-dev
protobuf-c-compiler liblmdb-dev lmdb-utils libsodium-dev libjansson-dev libcmocka-dev"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-deps: need root or sudo to install:$missing" >&2
    exit 2
fi

export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1; then
    # The package lists may be stale or absent on a fresh machine.
    $SUDO apt-get update -q >/dev/null 2>&1 || true
    if ! $SUDO apt-get install -y -q --no-install-recommends $missing; then
        echo "install-deps: apt-get could not install:$missing" >&2
        exit 2
    fi
fi
exit 0
