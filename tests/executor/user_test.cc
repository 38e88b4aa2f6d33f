#include "executor/user.h"

#include <pwd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/executor/test_util.h"

namespace prisn::executor {

using testing::TempDir;

TEST_CASE("ResolveRunAs: names, ids and uid:gid resolve, root and unknown names are refused") {
  CHECK(ResolveRunAs("").error().code == ErrorCode::kInvalid);

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
  // A namespace's uid is not a user a workload may name.
  for (std::string reserved : {"65536", "70000", "1000:99999"}) {
    auto r = ResolveRunAs(reserved);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kPermission);
  }
}

TEST_CASE("NamespaceUsers: one uid per namespace, distinct, kept across a reopen") {
  TempDir dir;
  std::string path = dir / "uids";
  uid_t a_uid = 0, b_uid = 0;
  {
    auto users = NamespaceUsers::Open(path);
    REQUIRE(users);
    auto a = (*users)->For("team-a");
    auto b = (*users)->For("team-b");
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->uid != b->uid);
    CHECK(a->gid == a->uid);
    CHECK(a->uid >= kNamespaceUidFirst);
    CHECK(a->uid < kNamespaceUidFirst + kNamespaceUidCount);
    CHECK((*users)->For("team-a").value().uid == a->uid);
    CHECK(a->name == "ns:team-a");
    a_uid = a->uid;
    b_uid = b->uid;
  }
  // A restart: the same table, the same uids, whatever order they are asked in.
  auto again = NamespaceUsers::Open(path);
  REQUIRE(again);
  CHECK((*again)->For("team-b").value().uid == b_uid);
  CHECK((*again)->For("team-a").value().uid == a_uid);
  auto c = (*again)->For("team-c");
  REQUIRE(c);
  CHECK(c->uid != a_uid);
  CHECK(c->uid != b_uid);
  CHECK((*again)->For("").error().code == ErrorCode::kInvalid);
}

TEST_CASE("NamespaceUsers: uids the host knows are skipped, and a used-up range says so") {
  TempDir dir;
  // 65534 is nobody (user and group) on every Debian host.
  REQUIRE(::getpwuid(65534) != nullptr);
  auto users = NamespaceUsers::Open(dir / "uids", 65533, 3);
  REQUIRE(users);
  auto first = (*users)->For("a");
  auto second = (*users)->For("b");
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->uid == 65533);
  CHECK(second->uid == 65535);
  auto full = (*users)->For("c");
  REQUIRE_FALSE(full);
  CHECK(full.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(full.error().message, Catch::Contains("65533-65535"));
}

TEST_CASE("NamespaceUsers: a damaged table refuses to open, naming the line") {
  TempDir dir;
  struct Row {
    std::string text;
    std::string line;
  };
  const Row rows[] = {
      {"65536 a\ngarbage\n", ":2"},
      {"# comment\n65536 a\n65536 b\n", ":3"},
      {"65536 a\n65537 a\n", ":2"},
      {"1000 a\n", ":1"},
      {"65536\n", ":1"},
  };
  for (const Row& r : rows) {
    INFO(r.text);
    std::ofstream(dir / "uids") << r.text;
    auto users = NamespaceUsers::Open(dir / "uids");
    REQUIRE_FALSE(users);
    CHECK(users.error().code == ErrorCode::kInvalid);
    CHECK(users.error().context == dir / "uids" + r.line);
  }
}

}  // namespace prisn::executor
