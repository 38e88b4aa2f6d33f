#!/usr/bin/env bash
# Installs a prisn .deb on this machine, checks what it installed, removes it
# and checks that the state directory survived. Needs root; leaves the
# machine as it found it (a prisn package installed before is refused).
#
#   tests/package/deb_test.sh dist/prisn_*.deb
set -euo pipefail
deb=$(realpath "${1:?usage: deb_test.sh PACKAGE.deb}")
fail() { echo "deb_test: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (it installs a package)"
if dpkg-query -W -f='${Status}' prisn 2>/dev/null | grep -q "ok installed"; then
  fail "a prisn package is already installed; remove it first"
fi

state=/var/lib/prisn
had_state=0
[ -e "$state" ] && had_state=1
cleanup() {
  apt-get purge -y -q prisn >/dev/null 2>&1 || true
  [ "$had_state" = 1 ] || rm -rf "$state"
}
trap cleanup EXIT

echo "== control fields"
dpkg-deb -f "$deb" Package Version Architecture Depends
depends=$(dpkg-deb -f "$deb" Depends)
[[ "$depends" == *libc6* ]] || fail "Depends lacks libc6 (dpkg-shlibdeps did not run): $depends"
# Every shared library the binary needs must come from a Depends package.
dpkg-deb -x "$deb" /tmp/deb_test.$$
trap 'rm -rf /tmp/deb_test.$$; cleanup' EXIT
for lib in $(objdump -p /tmp/deb_test.$$/usr/bin/prisn | awk '/NEEDED/ {print $2}'); do
  # (No early-exiting readers in these pipes: with pipefail, a writer
  # killed by SIGPIPE would fail the test.)
  path=$(ldconfig -p | awk -v l="$lib" '$1 == l && !p {print $NF; p = 1}')
  [ -n "$path" ] || fail "$lib is not on this machine"
  pkg=$({ dpkg -S "$(realpath "$path")" 2>/dev/null || dpkg -S "$path"; } | awk -F: 'NR == 1 {print $1}')
  # The package itself or a name it provides (libspdlog1.10 provides the
  # libspdlog1.10-fmt9 that dpkg-shlibdeps names).
  names=$(printf '%s\n%s\n' "$pkg" "$(dpkg-query -W -f='${Provides}' "$pkg")" |
    tr ',' '\n' | awk 'NF {print $1}')
  wanted=$(tr ',|' '\n\n' <<<"$depends" | awk '{print $1}')
  grep -qxF "$names" <<<"$wanted" ||
    fail "$lib comes from $pkg, which Depends does not name: $depends"
done
sections=$(readelf -S /tmp/deb_test.$$/usr/bin/prisn)
if grep -q '\.debug_info' <<<"$sections"; then fail "binary not stripped"; fi

echo "== apt-get install ./$(basename "$deb")"
apt-get install -y -q "$deb" >/dev/null
/usr/bin/prisn version || fail "prisn version failed"
unit=/lib/systemd/system/prisn.service
[ -f "$unit" ] || fail "no unit at $unit"
grep -q '^ExecStart=/usr/bin/prisn ' "$unit" || fail "unit does not run /usr/bin/prisn"
echo "== systemd-analyze verify $unit"
systemd-analyze verify "$unit"

echo "== remove keeps $state"
mkdir -p "$state" && echo keep > "$state/deb_test_marker"
apt-get remove -y -q prisn >/dev/null
[ ! -e /usr/bin/prisn ] || fail "binary left after remove"
[ -f "$state/deb_test_marker" ] || fail "remove deleted $state"
apt-get install -y -q "$deb" >/dev/null
apt-get purge -y -q prisn >/dev/null
[ -f "$state/deb_test_marker" ] || fail "purge deleted $state"
rm -f "$state/deb_test_marker"
echo "deb_test: ok"
