// Authentication and namespace isolation against a real daemon: every
// endpoint a namespace token must not cross has its own test.
#include <catch2/catch.hpp>

#include "api_test_util.h"

namespace prisn::testing {
namespace {

// One daemon per test with objects in two namespaces and a token for team-a.
struct TwoTeams {
  Daemon daemon;
  HttpClient admin = daemon.Client();
  std::string token_a;
  HttpClient team_a{""};

  TwoTeams() {
    Files files = DeploymentSet({"a"}, "team-a");
    files["b.yaml"] = DeploymentYaml("b", "team-b");
    if (admin.Post("/v1/apply", ApplyBody("both", files)).status != 200)
      throw std::runtime_error("setup apply");
    auto created =
        admin.Post("/v1/tokens", nlohmann::json{{"namespace", "team-a"}, {"name", "ci-a"}});
    if (created.status != 201) throw std::runtime_error("setup token: " + created.body);
    token_a = created.Json()["token"];
    team_a = daemon.Client(token_a);
  }
  // The 403 body must not depend on whether the object exists.
  void CheckHidden(const std::string& method, const std::string& existing,
                   const std::string& missing, const std::string& body = "") {
    auto a = team_a.Send(method, existing, body);
    auto b = team_a.Send(method, missing, body);
    CHECK(a.status == 403);
    CHECK(b.status == 403);
    CHECK(a.body == b.body);
    CHECK(a.ErrorCode() == "permission");
  }
};

TEST_CASE("Auth: every path but /health needs a valid token, answered 401 before routing") {
  Daemon daemon;
  HttpClient anonymous(daemon.url());
  CHECK(anonymous.Get("/health").status == 200);
  for (const char* path :
       {"/v1/state", "/v1/objects", "/v1/nonexistent", "/metrics", "/anything", "/v1/tokens"}) {
    auto reply = anonymous.Get(path);
    CHECK(reply.status == 401);
    CHECK(reply.ErrorCode() == "unauthenticated");
    CHECK(reply.headers["www-authenticate"].starts_with("Bearer"));
  }
  CHECK(anonymous.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a"}))).status == 401);
  HttpClient wrong(daemon.url(), "prisn_not-a-real-token");
  CHECK(wrong.Get("/v1/state").status == 401);
  auto bad_scheme =
      anonymous.Send("GET", "/v1/state", "", {"Authorization: Basic " + daemon.token()});
  CHECK(bad_scheme.status == 401);
  CHECK(StateIndex(daemon.Client()) == 0);
}

TEST_CASE(
    "Auth: tokens are created, listed without secrets, and revoked tokens stop working at once") {
  Daemon daemon;
  auto admin = daemon.Client();
  auto created = admin.Post("/v1/tokens", nlohmann::json{{"namespace", "team-a"}});
  REQUIRE(created.status == 201);
  std::string token = created.Json()["token"];
  CHECK(token.starts_with("prisn_"));
  auto scoped = daemon.Client(token);
  CHECK(scoped.Get("/v1/state").status == 200);

  auto list = admin.Get("/v1/tokens");
  REQUIRE(list.status == 200);
  CHECK(list.Json()["items"].size() == 2);
  CHECK(list.body.find(token) == std::string::npos);
  CHECK(list.body.find(daemon.token()) == std::string::npos);

  CHECK(admin.Post("/v1/tokens", nlohmann::json{{"namespace", "Not A Label"}}).status == 400);
  CHECK(admin.Post("/v1/tokens", nlohmann::json{{"name", created.Json()["name"]}}).status == 409);
  CHECK(admin.Delete("/v1/tokens/admin").status == 409);  // the last admin token
  auto revoked = admin.Delete("/v1/tokens/" + std::to_string(created.Json()["id"].get<int>()));
  REQUIRE(revoked.status == 200);
  CHECK_FALSE(revoked.Json()["revokedAt"].is_null());
  CHECK(scoped.Get("/v1/state").status == 401);
  CHECK(admin.Delete("/v1/tokens/nobody").status == 404);
}

TEST_CASE("Isolation: GET of an object in another namespace is 403 whether or not it exists") {
  TwoTeams t;
  t.CheckHidden("GET", "/v1/namespaces/team-b/deployments/b",
                "/v1/namespaces/team-b/deployments/nope");
  CHECK(t.team_a.Get("/v1/namespaces/team-a/deployments/a").status == 200);
  CHECK(t.team_a.Get("/v1/namespaces/-/namespaces/team-b").status == 403);
}

TEST_CASE("Isolation: DELETE in another namespace is 403 and deletes nothing") {
  TwoTeams t;
  t.CheckHidden("DELETE", "/v1/namespaces/team-b/deployments/b",
                "/v1/namespaces/team-b/deployments/nope");
  CHECK(t.admin.Get("/v1/namespaces/team-b/deployments/b").status == 200);
}

TEST_CASE("Isolation: history in another namespace is 403") {
  TwoTeams t;
  t.CheckHidden("GET", "/v1/namespaces/team-b/deployments/b/history",
                "/v1/namespaces/team-b/deployments/nope/history");
}

TEST_CASE("Isolation: rollback in another namespace is 403 and changes nothing") {
  TwoTeams t;
  int64_t index = StateIndex(t.admin);
  t.CheckHidden("POST", "/v1/namespaces/team-b/deployments/b/rollback",
                "/v1/namespaces/team-b/deployments/nope/rollback", "{}");
  CHECK(StateIndex(t.admin) == index);
}

TEST_CASE("Isolation: listing shows only the token's namespace and refuses another") {
  TwoTeams t;
  auto own = t.team_a.Get("/v1/objects");
  REQUIRE(own.status == 200);
  REQUIRE(own.Json()["items"].size() == 1);
  CHECK(own.Json()["items"][0]["namespace"] == "team-a");
  CHECK(t.team_a.Get("/v1/objects?namespace=team-b").status == 403);
  CHECK(t.team_a.Get("/v1/objects?namespace=team-a").Json()["items"].size() == 1);
}

TEST_CASE("Isolation: apply of a set touching another namespace is 403 and applies nothing") {
  TwoTeams t;
  int64_t index = StateIndex(t.admin);
  Files files = DeploymentSet({"a2"}, "team-a");
  files["evil.yaml"] = DeploymentYaml("b", "team-b", 5);
  auto reply = t.team_a.Post("/v1/apply", ApplyBody("mine", files));
  CHECK(reply.status == 403);
  CHECK(StateIndex(t.admin) == index);
  CHECK(t.admin.Get("/v1/namespaces/team-a/deployments/a2").status == 404);
  CHECK(t.team_a.Post("/v1/apply", ApplyBody("mine", DeploymentSet({"a2"}, "team-a"))).status ==
        200);
}

TEST_CASE(
    "Isolation: a namespace token cannot apply into an admin's set, so it prunes none of it") {
  TwoTeams t;
  // Set "both" is the admin's: it holds team-a/a and team-b/b.
  int64_t index = StateIndex(t.admin);
  auto reply = t.team_a.Post("/v1/apply", ApplyBody("both", DeploymentSet({"a3"}, "team-a"),
                                                    {{"prune", true}, {"confirmPrune", true}}));
  CHECK(reply.status == 403);
  CHECK(reply.ErrorCode() == "permission");
  CHECK(reply.body.find("not owned by namespace team-a") != std::string::npos);
  CHECK(StateIndex(t.admin) == index);
  CHECK(t.admin.Get("/v1/namespaces/team-a/deployments/a").status == 200);
  CHECK(t.admin.Get("/v1/namespaces/team-b/deployments/b").status == 200);
}

TEST_CASE("Isolation: diff of a set touching another namespace is 403") {
  TwoTeams t;
  auto reply = t.team_a.Post(
      "/v1/diff", ApplyBody("x", {{"b.yaml", DeploymentYaml("b", "team-b")}, {"main.py", "x"}}));
  CHECK(reply.status == 403);
  CHECK(reply.body.find("replicas") == std::string::npos);
}

TEST_CASE("Isolation: events of another namespace are neither listed nor reachable") {
  TwoTeams t;
  auto own = t.team_a.Get("/v1/events");
  REQUIRE(own.status == 200);
  auto items = own.Json()["items"];
  for (const auto& e : items) CHECK(e["namespace"] == "team-a");
  CHECK_FALSE(own.Json()["items"].empty());
  CHECK(t.team_a.Get("/v1/events?namespace=team-b").status == 403);
  CHECK(t.team_a.Get("/v1/events?kind=deployment&name=b").Json()["items"].empty());
}

TEST_CASE("Isolation: secrets of another namespace can be neither created nor listed") {
  TwoTeams t;
  nlohmann::json secret = {
      {"namespace", "team-b"}, {"name", "db"}, {"data", {{"K", Base64Encode("v")}}}};
  CHECK(t.team_a.Post("/v1/secrets", secret).status == 403);
  CHECK(t.team_a.Get("/v1/secrets?namespace=team-b").status == 403);
  secret["namespace"] = "team-b";
  REQUIRE(t.admin.Post("/v1/secrets", secret).status == 201);
  CHECK(t.team_a.Get("/v1/secrets").Json()["items"].empty());
  t.CheckHidden("GET", "/v1/namespaces/team-b/secrets/db", "/v1/namespaces/team-b/secrets/nope");
}

TEST_CASE("Isolation: tokens and metrics are admin-only") {
  TwoTeams t;
  CHECK(t.team_a.Get("/v1/tokens").status == 403);
  CHECK(t.team_a.Post("/v1/tokens", nlohmann::json{{"namespace", "team-b"}}).status == 403);
  CHECK(t.team_a.Delete("/v1/tokens/1").status == 403);
  CHECK(t.team_a.Get("/metrics").status == 403);
  CHECK(t.admin.Get("/v1/tokens").Json()["items"].size() == 2);
}

TEST_CASE("Isolation: state counts only the token's namespace") {
  TwoTeams t;
  auto own = t.team_a.Get("/v1/state").Json();
  CHECK(own["total"] == 1);
  CHECK(t.admin.Get("/v1/state").Json()["total"] == 2);
}

}  // namespace
}  // namespace prisn::testing
