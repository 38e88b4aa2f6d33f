#!/usr/bin/env bash
# Clang's thread-safety analysis on the server's and CLI's files that take
# locks (the Clang ThreadSanitizer build of scripts/test.sh compiles util,
# manifests, reconciler, executor and net only). Syntax only: seconds, not
# the minutes of a second build of the server. Exit 1 on any warning.
set -euo pipefail
cd "$(dirname "$0")/.."
cxx=${CXX_TSA:-clang++-19}
mapfile -t files < <(grep -l "MutexLock\|PRISN_REQUIRES\|PRISN_GUARDED_BY" server/*.cc cli/*.cc || true)
# The package config flags of spdlog, fmt and date (pkg-config cannot say
# which of them CMake's imported targets add).
flags=(-std=c++2b -fsyntax-only -I. -Wall -Wextra -Werror -Wthread-safety
  -Wno-missing-field-initializers -Wno-deprecated-declarations
  -DSPDLOG_COMPILED_LIB -DSPDLOG_FMT_EXTERNAL -DSPDLOG_SHARED_LIB -DFMT_SHARED
  -DUSE_OS_TZDB=1 -DONLY_C_LOCALE=1 -DHAS_STRING_VIEW=1)
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -I{} "$cxx" "${flags[@]}" {}
echo "thread-safety analysis: ${#files[@]} files clean"
