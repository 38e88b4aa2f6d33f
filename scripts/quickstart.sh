#!/usr/bin/env bash
# Installs what is needed, builds prisn, starts the daemon (default state
# directory, default port) and applies the examples to it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build prisn
prisn=./build/prisn

echo "== prisn validate -f examples/"
$prisn validate -f examples/
echo "== prisn server start"
if $prisn server status >/dev/null 2>&1; then
  echo "a prisn server is already running"
else
  $prisn server start
fi
echo "== prisn diff -f examples/"
$prisn diff -f examples/ || [ $? -eq 1 ]   # 1 = there are changes to apply
echo "== prisn apply -f examples/"
$prisn apply -f examples/
echo "== prisn ls"
$prisn ls
echo
echo "The daemon keeps running; stop it with: $prisn server stop"
