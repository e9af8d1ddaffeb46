#!/bin/sh
# Builds an application as docs/pipes.md tells a user to, outside the source tree:
#   build_with_pkg_config.sh BUILD_DIR SOURCE.cc [CXX]
# and runs it once without operands (it must print its usage and exit 2).
set -eu
build=$1 source=$2 cxx=${3:-c++}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export PKG_CONFIG_PATH="$build/pkgconfig"
# shellcheck disable=SC2046 # the flags are words
"$cxx" -o "$out/app" "$source" $(pkg-config --cflags --libs dmpd)
rc=0
"$out/app" 2>"$out/err" || rc=$?
if [ "$rc" -ne 2 ] || ! grep -q usage "$out/err"; then
  echo "the application built but did not run as expected: rc $rc, $(cat "$out/err")" >&2
  exit 1
fi
echo "built and ran $(basename "$source") with pkg-config --cflags --libs dmpd"
