#!/usr/bin/env bash
# The whole test suite: install what it needs, build (ASan+UBSan), run every test with ctest.
# This is the README's test command and what .ci/run calls. Needs root (apt, XDP, netns).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install-deps.sh
build=${DMPD_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDMPD_SANITIZE=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure --timeout 600 "$@"
