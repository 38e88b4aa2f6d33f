#!/usr/bin/env bash
# Builds static archives of the libraries Debian 12 ships only as shared
# objects (fmt, spdlog, prometheus-cpp's core, date's tz), from Debian's own
# source packages, into a prefix that scripts/package.sh puts first on
# CMAKE_PREFIX_PATH. Same versions and Debian patches as the -dev packages
# the normal build links; only the linkage differs.
#
#   scripts/release-deps.sh PREFIX      (idempotent: a finished PREFIX is kept)
set -euo pipefail
prefix=$(realpath -m "${1:?usage: release-deps.sh PREFIX}")
if [ -f "$prefix/.complete" ]; then
  echo "release-deps: $prefix is complete"
  exit 0
fi
work="$prefix.src"
rm -rf "$work" && mkdir -p "$work/lists/partial" "$prefix"
cd "$work"

# Debian's source packages, without touching the machine's apt sources.
cat > "$work/src.sources" <<SOURCES
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
apt_src=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work"
         -o "Dir::State::Lists=$work/lists" -o APT::Sandbox::User=root)
apt-get "${apt_src[@]}" update -q >/dev/null
apt-get "${apt_src[@]}" source -q fmtlib spdlog prometheus-cpp howardhinnant-date >/dev/null

build() {  # build DIR CMAKE-ARGS...
  local dir=$1; shift
  cmake -S "$dir" -B "$dir/_build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DBUILD_SHARED_LIBS=OFF "$@" >/dev/null
  ninja -C "$dir/_build" install >/dev/null
  echo "release-deps: built $(basename "$dir")"
}
build "$(ls -d fmtlib-*/)" -DFMT_DOC=OFF -DFMT_TEST=OFF
build "$(ls -d spdlog-*/)" -DSPDLOG_FMT_EXTERNAL=ON -DSPDLOG_BUILD_EXAMPLE=OFF \
  -DSPDLOG_BUILD_TESTS=OFF -DSPDLOG_BUILD_SHARED=OFF
build "$(ls -d prometheus-cpp-*/)" -DENABLE_PULL=OFF -DENABLE_PUSH=OFF \
  -DENABLE_COMPRESSION=OFF -DENABLE_TESTING=OFF -DUSE_THIRDPARTY_LIBRARIES=OFF
build "$(ls -d howardhinnant-date-*/)" -DBUILD_TZ_LIB=ON -DUSE_SYSTEM_TZ_DB=ON \
  -DENABLE_DATE_TESTING=OFF
touch "$prefix/.complete"
rm -rf "$work"
