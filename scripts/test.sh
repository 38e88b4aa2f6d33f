#!/usr/bin/env bash
# Installs what is needed, builds prisn twice (warnings as errors; then with
# AddressSanitizer + UndefinedBehaviorSanitizer) and runs the whole test suite
# against each build. Exit code 0 only when every test passed in both.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
jobs=$(nproc)

echo "== build (Debug, -Werror)"
cmake -S . -B build-debug -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPRISN_WERROR=ON >/dev/null
ninja -C build-debug -j"$jobs"
echo "== tests"
ctest --test-dir build-debug -j"$jobs" --output-on-failure

if [ "${PRISN_SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "== build (ASan + UBSan)"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPRISN_WERROR=ON -DPRISN_SANITIZE=ON >/dev/null
  ninja -C build-asan -j"$jobs"
  echo "== tests under ASan + UBSan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan -j"$jobs" --output-on-failure
fi
