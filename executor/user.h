#pragma once
// The unprivileged user a workload runs as (isolation levels 1 and 2).
//
// prisn creates no users: it takes the one named in the manifest, else a
// "prisn" user when the host has one (a packaged install creates it), else
// nobody (65534:65534). Every workload of a host may then share one uid;
// that is safe because each runs in its own PID namespace (it cannot see or
// signal the others) with its own workspace, and the state directory is
// hidden from it.

#include <sys/types.h>

#include <string>
#include <string_view>

#include "util/error.h"

namespace prisn::executor {

struct RunAs {
  uid_t uid = 65534;
  gid_t gid = 65534;
  std::string name;  // "nobody", "1000" when there is no passwd entry
};

// `spec` is "", a user name, a uid, or "uid:gid" / "name:group". A name's
// group is its primary group; a bare uid without a passwd entry gets
// gid = uid. Root (uid or gid 0) is refused with kPermission: a workload that
// needs root runs at isolation level 0. Unknown names are kNotFound.
Result<RunAs> ResolveRunAs(std::string_view spec);

}  // namespace prisn::executor
