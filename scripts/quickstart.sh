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
echo "The daemon keeps running; stop it (and its workloads) with: $prisn server stop"
