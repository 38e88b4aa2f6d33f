#!/usr/bin/env bash
# Builds the release binary (nothing but glibc shared) and the Debian
# package made from it, into dist/:
#   dist/prisn-VERSION-linux-ARCH   the stripped binary (docs/CI.md downloads it)
#   dist/prisn_VERSION_ARCH.deb     binary, systemd unit, docs
# Install the package with: apt-get install ./dist/prisn_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
deps=${PRISN_RELEASE_DEPS:-$PWD/build-package-deps}
bash scripts/release-deps.sh "$deps"

cmake -S . -B build-package -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DCMAKE_PREFIX_PATH="$deps" \
  -DPRISN_STATIC_RELEASE=ON -DPRISN_TESTS=OFF -DPRISN_BENCH=OFF >/dev/null
ninja -C build-package prisn

version=$(./build-package/prisn version | awk '{print $2}')
arch=$(dpkg --print-architecture)
mkdir -p dist
rm -f dist/prisn-*-linux-* dist/prisn_*.deb
strip -o "dist/prisn-$version-linux-$arch" build-package/prisn
(cd build-package && cpack -G DEB -B "$PWD/../dist" >/dev/null)
rm -rf dist/_CPack_Packages
ls -l dist/
echo "shared libraries of the release binary:"
ldd "dist/prisn-$version-linux-$arch"
