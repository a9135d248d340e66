#!/bin/sh
# Builds protobuf-c from Debian's own source package with the fuzzers'
# sanitizers, into build/fuzz/libprotobuf-c-fuzz.a, so that libFuzzer sees
# (and ASan/UBSan check) the decoder itself, not only our calls into it.
#
# Why: Debian's libprotobuf-c.so is compiled without instrumentation, so a
# fuzzer linked against it cannot steer into protobuf-c's parser and a bug
# there goes unseen.  See ../shared/ARCHITECTURE.md, "protobuf-c on untrusted
# bytes".  -fno-sanitize=shift: protobuf-c 1.4.1 shifts into the sign bit in
# parse_tag_and_wiretype (upstream issue #506, PR #794), which UBSan would
# report on the first multi-byte tag and hide every finding behind it.
# -fno-sanitize=nonnull-attribute: binary_data_pack calls memcpy(out, NULL,
# 0) when it packs an empty bytes field (upstream PR #791/#794, found again
# here within seconds by fuzz_frame_hub); harmless with glibc, and it would
# stop every target that re-encodes what it decoded.  The library is used
# exactly as Debian ships it, unpatched.
#
# How the source is fetched without naming a host: a private copy of this
# machine's apt sources with "Types: deb-src", a private lists directory,
# then "apt-get source --download-only".  Nothing outside build/fuzz/ is
# written.  The source must match the installed runtime's version, which
# is what the machine's own sources give.
#
# Idempotent: does nothing when the library is newer than this script.
# Without network (or apt, or dpkg-source) it prints a note and exits 0:
# the fuzz build then links the system -lprotobuf-c, uninstrumented.
#
#   sh tests/fuzz/build-protobuf-c.sh        FUZZ_CC=clang by default
set -u
cd "$(dirname "$0")/../.."
OUT=build/fuzz
LIB=$OUT/libprotobuf-c-fuzz.a
SRC=$OUT/protobuf-c-src
APT=$OUT/apt
FUZZ_CC=${FUZZ_CC:-clang}
SELF=tests/fuzz/build-protobuf-c.sh

note() { echo "build-protobuf-c: $*" >&2; }
fallback() {
    note "$*"
    note "NOTE: fuzzing will link the system's uninstrumented -lprotobuf-c"
    exit 0
}

if [ -f "$LIB" ] && [ "$LIB" -nt "$SELF" ]; then
    exit 0
fi
mkdir -p "$OUT"

if [ ! -f "$SRC/protobuf-c/protobuf-c.c" ]; then
    command -v apt-get >/dev/null 2>&1 || fallback "no apt-get here"
    command -v dpkg-source >/dev/null 2>&1 \
        || fallback "dpkg-source missing (apt-get install dpkg-dev)"
    srcs=/etc/apt/sources.list.d/debian.sources
    [ -r "$srcs" ] || fallback "no $srcs to derive deb-src entries from"
    rm -rf "$APT"
    mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/dl"
    sed 's/^Types:.*/Types: deb-src/' "$srcs" > "$APT/debian-src.sources"
    # A file named *.sources is read in deb822 format.
    set -- -o Dir::Etc::SourceList="$PWD/$APT/debian-src.sources" \
           -o Dir::Etc::SourceParts=/dev/null \
           -o Dir::State::Lists="$PWD/$APT/lists" \
           -o Dir::Cache="$PWD/$APT/cache" \
           -o Acquire::Retries=1 -o Acquire::http::Timeout=20 \
           -o Debug::NoLocking=1
    if ! apt-get "$@" -qq update >"$APT/update.log" 2>&1; then
        fallback "cannot fetch the deb-src lists (offline?): $(tail -2 "$APT/update.log" | tr '\n' ' ')"
    fi
    # Ask for the source of the installed version when we know it.
    ver=$(dpkg-query -W -f '${source:Version}' libprotobuf-c1 2>/dev/null || true)
    pkg=protobuf-c${ver:+=$ver}
    if ! (cd "$APT/dl" && apt-get "$@" -qq source --download-only "$pkg") \
            >"$APT/source.log" 2>&1 \
    && ! (cd "$APT/dl" && apt-get "$@" -qq source --download-only protobuf-c) \
            >>"$APT/source.log" 2>&1; then
        fallback "cannot download the protobuf-c source: $(tail -2 "$APT/source.log" | tr '\n' ' ')"
    fi
    dsc=$(ls "$APT"/dl/protobuf-c_*.dsc 2>/dev/null | head -1)
    [ -n "$dsc" ] || fallback "no .dsc downloaded"
    rm -rf "$SRC"
    # The archive's signature is checked by apt (Signed-By); the .dsc's
    # uploader signature needs a keyring we do not have, hence --no-check.
    if ! dpkg-source --no-check -x "$dsc" "$SRC" >"$APT/unpack.log" 2>&1; then
        fallback "dpkg-source -x failed: $(tail -2 "$APT/unpack.log" | tr '\n' ' ')"
    fi
    rm -f "$OUT"/protobuf-c_*.orig.tar.*    # dpkg-source's copy beside SRC
    note "source $(basename "$dsc" .dsc) unpacked into $SRC"
fi

command -v "$FUZZ_CC" >/dev/null 2>&1 || fallback "no $FUZZ_CC"
# protobuf-c.c needs only its own header; config.h is not used by the
# runtime library.
obj=$OUT/protobuf-c-fuzz.o
if ! "$FUZZ_CC" -c -g -O1 -fno-omit-frame-pointer \
        -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=shift \
        -fno-sanitize=nonnull-attribute \
        -fno-sanitize-recover=all \
        -I"$SRC" -o "$obj" "$SRC/protobuf-c/protobuf-c.c" 2>"$OUT/protobuf-c-cc.log"; then
    fallback "compiling protobuf-c.c failed: $(head -5 "$OUT/protobuf-c-cc.log")"
fi
rm -f "$LIB"
ar rcs "$LIB" "$obj" && rm -f "$obj"
note "built $LIB from $(head -1 "$SRC/debian/changelog" | cut -d';' -f1)"
