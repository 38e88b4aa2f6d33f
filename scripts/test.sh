#!/usr/bin/env bash
# Installs what is needed, builds prisn with AddressSanitizer +
# UndefinedBehaviorSanitizer and warnings as errors, and runs the whole test
# suite against that build. Exit code 0 only when every test passed.
#
# One sanitized build instead of a plain one and a sanitized one: every test
# a plain Debug build would run also runs here, with memory and UB checks on
# top, in half the build time on a 2-core machine. PRISN_PLAIN=1 also builds
# and tests a plain Debug build first (build-debug/).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
jobs=$(nproc)

if [ "${PRISN_PLAIN:-0}" = 1 ]; then
  echo "== build (Debug, -Werror)"
  cmake -S . -B build-debug -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPRISN_WERROR=ON >/dev/null
  ninja -C build-debug -j"$jobs"
  echo "== tests"
  ctest --test-dir build-debug -j"$jobs" --output-on-failure
fi

echo "== build (Debug, -Werror, ASan + UBSan)"
# -g1 keeps file:line in sanitizer reports at a lower build cost than -g;
# the benchmarks are built by bench/run, not here (code generation under the
# sanitizers is what a 2-core CI machine spends its time on).
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPRISN_WERROR=ON -DPRISN_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DPRISN_BENCH=OFF >/dev/null
ninja -C build-asan -j"$jobs"
echo "== tests under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -j"$jobs" --output-on-failure

# ThreadSanitizer on the tests of the threaded engine (the converge loop, the
# sources' workers, the local backend's loop and pools, the proxy and DNS
# workers), built with Clang, which also checks the thread-safety annotations
# (util/thread_annotations.h) as errors. Only these four test binaries and
# their libraries are built: the server and CLI are covered by the build
# above, and a TSan build of everything would double the CI time.
echo "== build (Clang, ThreadSanitizer, thread-safety analysis)"
CC=clang-19 CXX=clang++-19 cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DPRISN_WERROR=ON -DPRISN_TSAN=ON -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DPRISN_BENCH=OFF >/dev/null
ninja -C build-tsan -j"$jobs" reconciler_tests sources_tests executor_tests net_tests
bash scripts/thread_safety.sh
echo "== tests under ThreadSanitizer"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  ctest --test-dir build-tsan -j"$jobs" --output-on-failure -R '^(reconciler|sources|executor|net):'

# The Debian package, built from this build's binary by the same CPack rules
# as scripts/package.sh, installed, checked (Depends, unit, version) and
# removed again. Needs root: it installs into the machine.
if [ "$(id -u)" -eq 0 ]; then
  echo "== package: install, check and remove a .deb"
  rm -rf build-asan/package
  (cd build-asan && cpack -G DEB -B "$PWD/package" >/dev/null)
  bash tests/package/deb_test.sh build-asan/package/prisn_*.deb
else
  echo "== package: skipped (installing a .deb needs root)"
fi
