#!/usr/bin/env bash
# Builds the libFuzzer targets in a nested clang build and runs each for a while on its
# seed corpus (tests/fuzz/corpus/<target>, read only; new inputs go to the build dir).
# Prints the executions per target and the total; fails if any target finds a crash.
#   run_fuzzers.sh [seconds per target, default 60] [build dir, default build/fuzz-build]
# ctest's fuzz_smoke runs it with 4 s; a long run: tests/fuzz/run_fuzzers.sh 600
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-60}
build=${2:-$here/../../build/fuzz-build}
jobs=$(nproc)

cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$jobs" >/dev/null

targets=$(sed -n '/^set(DMPD_FUZZ_TARGETS/,/)/p' "$here/CMakeLists.txt" |
          tr -s ' ()\n' '\n' | grep '^fuzz_')
total=0
status=0
for t in $targets; do
  seeds=$t
  case $t in fuzz_body_*) seeds=body_${t#fuzz_body_} ;; fuzz_*) seeds=${t#fuzz_} ;; esac
  work=$build/corpus/$t
  mkdir -p "$work" "$build/artifacts"
  log=$build/$t.log
  if ! "$build/$t" -max_total_time="$secs" -print_final_stats=1 \
       -artifact_prefix="$build/artifacts/$t-" "$work" "$here/corpus/$seeds" >"$log" 2>&1; then
    echo "$t: FAILED, see $log" >&2
    tail -30 "$log" >&2
    status=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  echo "$t: ${runs:-0} executions in ${secs}s"
  total=$((total + ${runs:-0}))
done
echo "total: $total executions, $( [ $status -eq 0 ] && echo clean || echo FAILURES )"
exit $status
