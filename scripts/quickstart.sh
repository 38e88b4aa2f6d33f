#!/usr/bin/env bash
# Installs what is needed, builds prisn, starts the daemon (default state
# directory, default port) and applies the examples to it.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
bash scripts/bootstrap.sh
# The quick start's time is mostly this compile, so it is built to try prisn
# in minutes: -O1 without debug info compiles in two thirds of -O2's time
# (docs/ARCHITECTURE.md, "Build time"). scripts/package.sh builds the -O2
# release binary and package for production.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" \
  -DPRISN_TESTS=OFF -DPRISN_BENCH=OFF >/dev/null
ninja -C build -j"$(nproc)" prisn
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
echo "== waiting for the examples to converge"
# `prisn status NAME` exits 0 once a service is healthy; a Job is done once
# its state is succeeded or failed.
for _ in $(seq 1 300); do
  $prisn status web >/dev/null 2>&1 && break
  sleep 0.2
done
for name in hello stats hello-lua; do
  for _ in $(seq 1 300); do
    $prisn status "$name" -o json 2>/dev/null | grep -Eq '"state": *"(succeeded|failed)"' && break
    sleep 0.2
  done
done
echo "== prisn status"
$prisn status
echo "== prisn get endpoints web (the service address prisn's proxy serves)"
$prisn get endpoints web
addr=$($prisn get endpoints web -o json |
  python3 -c 'import json, sys; j = json.load(sys.stdin); print(j["address"] + ":" + str(j["port"]))')
echo "== curl http://$addr/ (through the proxy, twice)"
curl -s "http://$addr/"
curl -s "http://$addr/"
echo "== prisn dns lookup web"
$prisn dns lookup web || true
echo "== prisn logs hello"
$prisn logs hello
echo "== prisn run examples/hello.py"
$prisn run examples/hello.py
echo
echo "quick start done in $((SECONDS - started)) s"
echo "The daemon keeps running; stop it (and its workloads) with: $prisn server stop"
