#pragma once
// The unprivileged user a workload runs as (isolation levels 1 and 2).
//
// By default every prisn namespace has a uid of its own (and a gid of the
// same number) from a reserved range: NamespaceUsers hands them out, once
// per namespace, and keeps the table in the state directory so that a
// namespace keeps its uid across restarts. Two namespaces never share one:
// a shared uid (every workload used to run as `nobody`) lets one tenant's
// processes signal, trace or read what another's left behind. The uids own
// nothing on the host, so such a workload can write only its workspace and
// the private temp folders it is given (see spawn.h).
//
// A workload that names `isolation.user` runs as that host user instead
// (who may name one is the API's decision, not this module's): ResolveRunAs.

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "util/error.h"
#include "util/synchronized.h"

namespace prisn::executor {

struct RunAs {
  uid_t uid = 65534;
  gid_t gid = 65534;
  std::string name;  // "nobody"; "1000" when there is no passwd entry; "ns:team-a"
};

// `spec` is a user name, a uid, or "uid:gid" / "name:group". A name's group
// is its primary group; a bare uid without a passwd entry gets gid = uid.
// Root (uid or gid 0) is refused with kPermission: a workload that needs
// root runs at isolation level 0. Unknown names are kNotFound; "" is
// kInvalid (a workload without a user gets its namespace's: NamespaceUsers).
Result<RunAs> ResolveRunAs(std::string_view spec);

// The reserved range: above the 16-bit ids (systemd's DynamicUser range,
// 61184-65519, is handed out by systemd to services on its own, and nobody
// is 65534), below the subordinate ids useradd gives containers (100000 and
// up). systemd documents 65536-524287 as unused.
inline constexpr uid_t kNamespaceUidFirst = 65536;
inline constexpr uid_t kNamespaceUidCount = 34464;  // up to 99999

// One uid per namespace. Thread-safe.
class NamespaceUsers {
 public:
  // Reads the table at `path` (absent: empty). Fails (kInvalid) on a line
  // that is not "UID NAMESPACE", a uid outside the range or given twice,
  // naming the file and the line: a damaged table must not silently hand a
  // namespace's uid to another.
  static Result<std::unique_ptr<NamespaceUsers>> Open(std::string path,
                                                      uid_t first = kNamespaceUidFirst,
                                                      uid_t count = kNamespaceUidCount);

  // The namespace's user: its recorded uid, else the lowest free uid of the
  // range that the host's user and group databases do not know, recorded
  // (temp file, fsync, rename) before it is returned. kUnavailable when the
  // range is used up or the table cannot be written.
  Result<RunAs> For(std::string_view ns);

 private:
  NamespaceUsers(std::string path, uid_t first, uid_t count,
                 std::map<std::string, uid_t, std::less<>> table);

  std::string path_;
  uid_t first_;
  uid_t count_;
  Synchronized<std::map<std::string, uid_t, std::less<>>> table_;
};

}  // namespace prisn::executor
