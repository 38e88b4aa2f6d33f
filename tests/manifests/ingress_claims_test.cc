#include "manifests/ingress_claims.h"

#include <catch2/catch.hpp>

namespace prisn::manifests {
namespace {

RouteClaim At(std::string host, std::string path, std::string address = "127.0.0.1",
              int port = 8080) {
  return {std::move(address), port, std::move(host), std::move(path)};
}

}  // namespace

TEST_CASE("ClaimConflict refuses a route that answers requests another route answers today") {
  struct Case {
    RouteClaim newer, older;
    bool conflict;
  };
  // clang-format off
  std::vector<Case> cases = {
      // the same host and path: the take-over of issue 15
      {At("b.test", "/"), At("b.test", "/"), true},
      {At("B.TEST", "/"), At("b.test", "/"), true},
      // a longer path under another's prefix steals that part of it
      {At("b.test", "/login"), At("b.test", "/"), true},
      {At("b.test", "/api/v2"), At("b.test", "/api"), true},
      // a shorter prefix only gets what the other leaves
      {At("b.test", "/"), At("b.test", "/api"), false},
      // paths that share no request
      {At("b.test", "/apix"), At("b.test", "/api"), false},
      {At("b.test", "/a"), At("b.test", "/b"), false},
      // other hosts, ports, addresses
      {At("a.test", "/"), At("b.test", "/"), false},
      {At("b.test", "/", "127.0.0.1", 8081), At("b.test", "/"), false},
      {At("b.test", "/", "127.0.0.2"), At("b.test", "/"), false},
      // a more specific host takes requests from a wildcard or any-host route
      {At("x.b.test", "/"), At("*.b.test", "/"), true},
      {At("x.b.test", "/"), At("", "/"), true},
      {At("*.b.test", "/"), At("", "/api"), true},
      // a less specific host never outranks
      {At("*.b.test", "/"), At("x.b.test", "/"), false},
      {At("", "/deep/path"), At("b.test", "/"), false},
      {At("*.b.test", "/"), At("x.y.b.test", "/"), false},
      // overlapping listeners: a wildcard address beside a specific one
      {At("a.test", "/", "0.0.0.0"), At("b.test", "/", "127.0.0.1"), true},
      {At("a.test", "/", "127.0.0.1"), At("b.test", "/", "0.0.0.0"), true},
      {At("a.test", "/", "::"), At("b.test", "/", "127.0.0.1"), true},
      // one address in two spellings is one listener
      {At("b.test", "/", "0:0::1"), At("b.test", "/", "::1"), true},
  };
  // clang-format on
  for (const Case& c : cases) {
    INFO(Describe(c.newer) << " after " << Describe(c.older));
    CHECK(ClaimConflict(c.newer, c.older).has_value() == c.conflict);
  }
}

TEST_CASE("ClaimConflict lets a namespace extend routes whose requests it already answers") {
  RouteClaim newer = At("b.test", "/v2"), catch_all = At("", "/");
  CHECK(ClaimConflict(newer, catch_all).has_value());
  // b.test/... already goes to the namespace's own b.test "/", not to the
  // other's catch-all.
  CHECK_FALSE(ClaimConflict(newer, catch_all, {At("b.test", "/")}).has_value());
  // A held route that does not cover the new one, or ranks lower, changes nothing.
  CHECK(ClaimConflict(newer, catch_all, {At("c.test", "/")}).has_value());
  CHECK(ClaimConflict(At("b.test", "/v2"), At("b.test", "/"), {At("", "/")}).has_value());
  CHECK(ClaimConflict(newer, catch_all, {At("b.test", "/", "127.0.0.1", 9090)}).has_value());
}

TEST_CASE("RouteClaimsFromCanonical reads every host and path of an Ingress") {
  auto j = nlohmann::json::parse(R"({"apiVersion":"prisn.io/v1","kind":"Ingress",
      "metadata":{"name":"site","namespace":"team-b","labels":{}},
      "spec":{"address":"127.0.0.1","port":8080,"tls":null,"rules":[
        {"host":"a.test","paths":[{"path":"/api","backend":{"service":"api","port":null}},
                                  {"path":"/","backend":{"service":"web","port":null}}]},
        {"host":"","paths":[{"path":"/","backend":{"service":"web","port":null}}]}]}})");
  auto claims = RouteClaimsFromCanonical(j);
  REQUIRE(claims.size() == 3);
  CHECK(claims[0] == RouteClaim{"127.0.0.1", 8080, "a.test", "/api"});
  CHECK(claims[2] == RouteClaim{"127.0.0.1", 8080, "", "/"});
  CHECK(Describe(claims[2]) == "host * path / on 127.0.0.1:8080");
  CHECK(RouteClaimsFromCanonical(nlohmann::json::parse(R"({"kind":"Deployment"})")).empty());
}

}  // namespace prisn::manifests
