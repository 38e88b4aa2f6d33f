#include "executor/user.h"

#include <pwd.h>

#include <catch2/catch.hpp>

namespace prisn::executor {

TEST_CASE("ResolveRunAs: names, ids and uid:gid resolve, root and unknown names are refused") {
  auto def = ResolveRunAs("");
  REQUIRE(def);
  CHECK(def->uid != 0);
  if (::getpwnam("prisn") == nullptr) CHECK(def->uid == 65534);

  auto nobody = ResolveRunAs("nobody");
  REQUIRE(nobody);
  CHECK(nobody->uid == 65534);
  CHECK(nobody->name == "nobody");

  auto bare = ResolveRunAs("43210");
  REQUIRE(bare);
  CHECK(bare->uid == 43210);
  CHECK(bare->gid == 43210);

  auto pair = ResolveRunAs("43210:5000");
  REQUIRE(pair);
  CHECK(pair->uid == 43210);
  CHECK(pair->gid == 5000);

  for (std::string root : {"root", "0", "1000:0"}) {
    auto r = ResolveRunAs(root);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kPermission);
  }
  CHECK(ResolveRunAs("no-such-user-prisn").error().code == ErrorCode::kNotFound);
  CHECK(ResolveRunAs("nobody:no-such-group-prisn").error().code == ErrorCode::kNotFound);
}

}  // namespace prisn::executor
