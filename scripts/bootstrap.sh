#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and benchmarking
# prisn needs. Idempotent: packages already present are skipped by apt.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  # the ThreadSanitizer build: Clang 19 (Debian 12's newest; 14 cannot compile
  # libstdc++'s std::expected) checks the thread-safety annotations too
  clang-19 libclang-rt-19-dev
  # libraries (DESIGN.md, "Dependencies")
  libyaml-cpp-dev libsqlite3-dev libgit2-dev libcurl4-openssl-dev
  libboost1.81-dev libcli11-dev libspdlog-dev libfmt-dev prometheus-cpp-dev
  nlohmann-json3-dev libsodium-dev libhowardhinnant-date-dev
  libtomlplusplus-dev catch2
  libssl-dev  # TLS termination in the proxy (Ingress)
  # runtimes the examples and tests run, and tools the tests drive
  python3 python3-venv python3-pip nodejs bash lua5.4 git curl dnsutils procps sqlite3
  # load generator and reference proxy for bench/proxy_bench; a small HTTP
  # server (busybox httpd) for the converge benchmark's 1000 Deployments
  wrk nginx-light busybox
  # the package test: systemd-analyze verifies the installed unit
  systemd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "bootstrap: missing packages: ${missing[*]}" >&2
  echo "bootstrap: run this script as root (sudo $0) to install them" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
