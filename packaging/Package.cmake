# What `cmake --install` puts where, and the Debian package CPack builds from
# it (scripts/package.sh). The package carries the stripped binary and the
# systemd unit; it never owns /var/lib/prisn (systemd's StateDirectory=
# creates it), so removing or purging the package leaves the state alone.
include(GNUInstallDirs)

install(TARGETS prisn RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# One unit file in the tree (docs/prisn.service, written for a hand install
# into /usr/local/bin); the packaged copy points at the packaged binary.
file(READ ${PROJECT_SOURCE_DIR}/docs/prisn.service prisn_unit)
string(REPLACE "/usr/local/bin/prisn" "/usr/bin/prisn" prisn_unit "${prisn_unit}")
string(REPLACE "/usr/local/share/doc/prisn" "/usr/share/doc/prisn" prisn_unit "${prisn_unit}")
file(WRITE ${PROJECT_BINARY_DIR}/packaging/prisn.service "${prisn_unit}")
install(FILES ${PROJECT_BINARY_DIR}/packaging/prisn.service DESTINATION lib/systemd/system)
install(FILES README.md docs/API.md docs/CLI.md docs/MANIFEST.md docs/SECURITY.md docs/CI.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME prisn)
set(CPACK_PACKAGE_VENDOR prisn)
set(CPACK_PACKAGE_CONTACT "prisn maintainers <maintainers@prisn.io>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "declarative GitOps reconciler for scripts")
set(CPACK_PACKAGE_DESCRIPTION
  "prisn keeps prisn.io/v1 manifests from a git repository or a folder running:\n it starts, scales, updates, rolls back and deletes isolated workloads\n (Python, Node, Bash or any interpreter) and cron schedules.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://prisn.io")
# Depends: the shared libraries the binary really loads (dpkg-shlibdeps).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Workloads run on the host's interpreters; python3 is what most examples use.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3, ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nodejs, lua5.4, python3-venv")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/postinst
  ${PROJECT_SOURCE_DIR}/packaging/prerm
  ${PROJECT_SOURCE_DIR}/packaging/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
