#include "server/auth.h"

#include <catch2/catch.hpp>

namespace prisn::server {
namespace {

store::Token MakeToken(int64_t id, const std::string& name, std::optional<std::string> ns,
                       const std::string& clear) {
  store::Token t;
  t.id = id;
  t.name = name;
  t.ns = std::move(ns);
  t.hash = HashToken(clear);
  return t;
}

TEST_CASE("GenerateToken makes distinct prisn_ tokens of fixed length") {
  std::string a = GenerateToken(), b = GenerateToken();
  CHECK(a.starts_with("prisn_"));
  CHECK(a.size() == 6 + 43);
  CHECK(a != b);
  CHECK(HashToken(a) != HashToken(b));
  CHECK(HashToken(a).size() == 32);
}

TEST_CASE("TokenRegistry authenticates known bearer tokens and nothing else") {
  TokenRegistry registry;
  std::string admin = GenerateToken(), team = GenerateToken();
  registry.Load({MakeToken(1, "admin", std::nullopt, admin),
                 MakeToken(2, "ci", std::string("team-a"), team)});
  auto who = registry.Authenticate("Bearer " + admin);
  REQUIRE(who);
  CHECK(who->admin());
  CHECK(who->MayAccess("anything"));
  auto scoped = registry.Authenticate("bearer " + team);
  REQUIRE(scoped);
  CHECK(scoped->name == "ci");
  CHECK(scoped->MayAccess("team-a"));
  CHECK_FALSE(scoped->MayAccess("team-b"));
  CHECK_FALSE(scoped->MayAccess(""));  // objects without a namespace are admin-only
  std::vector<std::string> rejected = {"",
                                       "Bearer",
                                       "Bearer ",
                                       "Basic " + admin,
                                       admin,
                                       "Bearer prisn_unknown",
                                       "Bearer " + admin + "x"};
  for (const std::string& header : rejected) {
    CHECK_FALSE(registry.Authenticate(header));
  }
}

TEST_CASE("TokenRegistry forgets removed tokens and ignores revoked ones") {
  TokenRegistry registry;
  std::string clear = GenerateToken();
  registry.Add(MakeToken(7, "t", std::nullopt, clear));
  REQUIRE(registry.Authenticate("Bearer " + clear));
  registry.Remove(7);
  CHECK_FALSE(registry.Authenticate("Bearer " + clear));
  store::Token revoked = MakeToken(8, "r", std::nullopt, clear);
  revoked.revoked_ms = 1;
  registry.Load({revoked});
  CHECK_FALSE(registry.Authenticate("Bearer " + clear));
}

}  // namespace
}  // namespace prisn::server

namespace prisn::server {
namespace {

TEST_CASE("CheckHostAccess: a daemon that cannot isolate starts no namespace token's workload") {
  Principal team{2, "team", "team-a"};
  Principal admin{1, "admin", std::nullopt};
  HostAccessPolicy policy;
  CHECK(CheckHostAccess(team, policy, "Job team-a/x", 1, ""));
  policy.isolates = false;
  auto refused = CheckHostAccess(team, policy, "Job team-a/x", 2, "");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kPermission);
  CHECK(refused.error().message.find("does not run as root") != std::string::npos);
  CHECK(CheckHostAccess(admin, policy, "Job team-a/x", 1, ""));
}

TEST_CASE("CheckHostAccess: a Runner in the default namespace is for admins, one in a team's own namespace is not") {
  Principal team{2, "team", "default"};
  Principal admin{1, "admin", std::nullopt};
  HostAccessPolicy policy;
  manifests::Object runner;
  runner.kind = "Runner";
  runner.meta.name = "ruby";
  runner.meta.namespace_ = "default";
  auto refused = CheckHostAccess(team, policy, runner);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("shared by every namespace") != std::string::npos);
  CHECK(CheckHostAccess(admin, policy, runner));
  runner.meta.namespace_ = "team-a";
  CHECK(CheckHostAccess(Principal{3, "a", "team-a"}, policy, runner));
}

}  // namespace
}  // namespace prisn::server
