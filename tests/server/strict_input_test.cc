// Strict decoding of API input: an unknown body field or query parameter is
// a 400 naming it (never a silent default), a wrong type is a 400 (never a
// 500), and numbers from outside are range-checked before any conversion.
// Unit tests of the shared helpers, then every body route of a real daemon.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "api_test_util.h"
#include "server/api_internal.h"
#include "server/workload_json.h"

namespace prisn::testing {
namespace {

using nlohmann::json;

std::string MessageOf(const server::HttpResponse& r) {
  auto j = json::parse(r.body, nullptr, false);
  return j.is_object() ? j["error"].value("message", "") : "";
}

std::string MessageOf(const HttpReply& r) {
  auto j = r.Json();
  return j.is_object() && j.contains("error") ? j["error"].value("message", "") : "";
}

server::HttpRequest Request(std::string method, std::string path, std::string body = "",
                            std::map<std::string, std::string> query = {}) {
  server::HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  r.query = std::move(query);
  return r;
}

}  // namespace

TEST_CASE("ParseBody refuses a field the route does not take, naming it and the closest") {
  server::HttpResponse error;
  auto ok = server::ParseBody(Request("POST", "/v1/tokens", R"({"namespace": "a", "name": "b"})"),
                              error, {"namespace", "name"});
  REQUIRE(ok);
  CHECK((*ok)["name"] == "b");

  auto typo = server::ParseBody(Request("POST", "/v1/tokens", R"({"namesapce": "team-a"})"), error,
                                {"namespace", "name"});
  CHECK_FALSE(typo);
  CHECK(error.status == 400);
  std::string message = MessageOf(error);
  CHECK(message.find("unknown field \"namesapce\"") != std::string::npos);
  CHECK(message.find("did you mean \"namespace\"?") != std::string::npos);
  CHECK(message.find("POST /v1/tokens") != std::string::npos);

  CHECK_FALSE(server::ParseBody(Request("POST", "/v1/apply", R"({"set": "s", "dryrun": true})"),
                                error, {"set", "dryRun"}));
  CHECK(MessageOf(error).find("did you mean \"dryRun\"?") != std::string::npos);
  // A field given twice: refused, not "the last one wins".
  CHECK_FALSE(server::ParseBody(
      Request("POST", "/v1/tokens", R"({"namespace": "team-a", "namespace": null})"), error,
      {"namespace", "name"}));
  CHECK(MessageOf(error).find("\"namespace\" twice") != std::string::npos);
  CHECK_FALSE(server::ParseBody(
      Request("POST", "/v1/secrets", R"({"name": "a", "data": {"K": "YQ==", "K": "Yg=="}})"), error,
      {"name", "data"}));
  CHECK(server::ParseBody(Request("POST", "/v1/x", R"({"a": {"k": 1}, "b": {"k": 2}})"), error,
                          {"a", "b"}));
  // Nothing close: the accepted fields are listed.
  CHECK_FALSE(server::ParseBody(Request("POST", "/v1/x", R"({"zzzzzzzz": 1})"), error, {"set"}));
  CHECK(MessageOf(error).find("(accepted: set)") != std::string::npos);
}

TEST_CASE("CheckRequestShape refuses unknown query parameters and bodies on routes without one") {
  CHECK_FALSE(server::CheckRequestShape("GET", "/v1/objects",
                                        Request("GET", "/v1/objects", "", {{"kind", "jobs"}})));
  auto typo = server::CheckRequestShape("GET", "/v1/objects",
                                        Request("GET", "/v1/objects", "", {{"namspace", "a"}}));
  REQUIRE(typo);
  CHECK(typo->status == 400);
  CHECK(MessageOf(*typo).find("did you mean \"namespace\"?") != std::string::npos);
  // dryRun is a query flag of DELETE only: on apply it is a body field.
  auto apply = server::CheckRequestShape("POST", "/v1/apply",
                                         Request("POST", "/v1/apply", "{}", {{"dryRun", "1"}}));
  REQUIRE(apply);
  CHECK(MessageOf(*apply).find("unknown query parameter \"dryRun\"") != std::string::npos);

  const std::string stop = "/v1/runs/{id}/stop";
  CHECK_FALSE(server::CheckRequestShape("POST", stop, Request("POST", "/v1/runs/r/stop", "")));
  CHECK_FALSE(server::CheckRequestShape("POST", stop, Request("POST", "/v1/runs/r/stop", " {} ")));
  auto body = server::CheckRequestShape("POST", stop,
                                        Request("POST", "/v1/runs/r/stop", R"({"force": true})"));
  REQUIRE(body);
  CHECK(body->status == 400);
  CHECK(MessageOf(*body).find("takes no request body") != std::string::npos);
  // A route missing from the table takes nothing.
  CHECK(server::CheckRequestShape("GET", "/v1/new", Request("GET", "/v1/new", "", {{"a", "1"}})));
  // Webhooks carry the provider's payload and URL.
  CHECK_FALSE(server::CheckRequestShape(
      "POST", "/v1/hooks/{name}", Request("POST", "/v1/hooks/s", R"({"ref": "x"})", {{"a", "1"}})));
}

TEST_CASE("scale multiplies and adds beyond any replica count are refused, not wrapped") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  using Mode = server::ScaleRequest::Mode;
  struct Case {
    Mode mode;
    int64_t count;
    double factor;
  };
  for (const Case& c :
       {Case{Mode::kMultiply, 0, 1e308}, Case{Mode::kMultiply, 0, inf},
        Case{Mode::kMultiply, 0, nan}, Case{Mode::kMultiply, 0, 10001},
        Case{Mode::kAdd, std::numeric_limits<int64_t>::max(), 1},
        Case{Mode::kSet, std::numeric_limits<int64_t>::max(), 1}, Case{Mode::kAdd, 9999, 1}}) {
    INFO(static_cast<int>(c.mode) << " " << c.count << " " << c.factor);
    auto r = server::ScaledReplicas({c.mode, c.count, c.factor}, 3);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("more than 10000 replicas") != std::string::npos);
    CHECK(r.error().message.find("-9223372036854775808") == std::string::npos);
  }
  CHECK(*server::ScaledReplicas({Mode::kAdd, std::numeric_limits<int64_t>::min(), 1}, 3) == 0);
  CHECK(*server::ScaledReplicas({Mode::kMultiply, 0, 1e-308}, 3) == 0);
  CHECK(*server::ScaledReplicas({Mode::kMultiply, 0, 3333.3}, 3) == 10000);
  // As JSON: numbers beyond int64 and 1e308 are refused before conversion.
  for (const char* body :
       {R"({"replicas": 18446744073709551615})", R"({"add": 18446744073709551615})",
        R"({"replicas": 1e308})", R"({"add": 99999999999999999999})", R"({"multiply": -1e308})"}) {
    INFO(body);
    CHECK_FALSE(server::ParseScaleRequest(json::parse(body)));
  }
}

namespace {

struct Fixture {
  Daemon daemon;
  HttpClient api = daemon.Client();
  Fixture() {
    if (api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a"}))).status != 200)
      throw std::runtime_error("setup");
  }
  int TokenCount() const { return static_cast<int>(api.Get("/v1/tokens").Json()["items"].size()); }
};

}  // namespace

TEST_CASE("Strict input: a misspelt field changes nothing, on every route that takes a body") {
  Fixture f;
  int64_t index = StateIndex(f.api);
  int tokens = f.TokenCount();

  // The two of the report: an admin token instead of a team-a one, and an
  // apply for real instead of a dry run.
  auto token = f.api.Post("/v1/tokens", json{{"namesapce", "team-a"}});
  CHECK(token.status == 400);
  CHECK(MessageOf(token).find("did you mean \"namespace\"?") != std::string::npos);
  CHECK(f.TokenCount() == tokens);
  auto apply =
      f.api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a", "b"}), {{"dryrun", true}}));
  CHECK(apply.status == 400);
  CHECK(MessageOf(apply).find("did you mean \"dryRun\"?") != std::string::npos);

  const std::string deploy = "/v1/namespaces/default/deployments/a";
  std::vector<std::pair<std::string, json>> routes = {
      {"/v1/apply", ApplyBody("s", DeploymentSet({"a"}), {{"bogus", 1}})},
      {"/v1/diff", ApplyBody("s", DeploymentSet({"a"}), {{"bogus", 1}})},
      {"/v1/tokens", {{"name", "ci"}, {"bogus", 1}}},
      {"/v1/secrets", {{"name", "db"}, {"data", {{"K", "YQ=="}}}, {"bogus", 1}}},
      {"/v1/runs", {{"files", {{"a.sh", "echo"}}}, {"bogus", 1}}},
      {deploy + "/scale", {{"replicas", 2}, {"bogus", 1}}},
      {deploy + "/rollback", {{"release", true}, {"bogus", 1}}},
      {"/v1/sources", {{"name", "src"}, {"dir", "/tmp"}, {"bogus", 1}}},
  };
  for (const auto& [path, body] : routes) {
    auto reply = f.api.Post(path, body);
    INFO(path << " " << reply.body);
    CHECK(reply.status == 400);
    CHECK(MessageOf(reply).find("\"bogus\"") != std::string::npos);
  }
  // A diff never applies: the apply's controls are refused, not dropped.
  for (const char* control : {"dryRun", "confirmPrune", "checkIndex"}) {
    auto reply = f.api.Post("/v1/diff", ApplyBody("s", DeploymentSet({"a"}), {{control, 1}}));
    INFO(control << " " << reply.body);
    CHECK(reply.status == 400);
    CHECK(MessageOf(reply).find(std::string("\"") + control + "\"") != std::string::npos);
  }
  auto put = f.api.Send("PUT", "/v1/sources/src", json{{"dir", "/tmp"}, {"bogus", 1}}.dump());
  CHECK(put.status == 400);
  // Routes without a body refuse one rather than ignore it.
  auto stop = f.api.Post("/v1/runs/r-0123456789/stop", json{{"force", true}});
  CHECK(stop.status == 400);
  CHECK(f.api.Send("DELETE", deploy, R"({"dryRun": true})").status == 400);
  CHECK(StateIndex(f.api) == index);
  CHECK(f.api.Get("/v1/objects").Json()["items"].size() == 1);
  CHECK(f.TokenCount() == tokens);
}

TEST_CASE("Strict input: wrong types are 400 naming the field, never 500 or a default") {
  Fixture f;
  int64_t index = StateIndex(f.api);
  const std::string deploy = "/v1/namespaces/default/deployments/a";
  std::vector<std::tuple<std::string, json, std::string>> cases = {
      {"/v1/tokens", {{"namespace", 5}}, "namespace"},
      {"/v1/tokens", {{"name", true}}, "name"},
      {"/v1/secrets",
       {{"name", "db"}, {"data", {{"K", "YQ=="}}}, {"overwrite", "yes"}},
       "overwrite"},
      {"/v1/secrets", {{"name", 1}, {"data", {{"K", "YQ=="}}}}, "name"},
      {"/v1/secrets", {{"namespace", {1}}, {"name", "db"}, {"data", {{"K", "YQ=="}}}}, "namespace"},
      {"/v1/runs", {{"files", {{"a.sh", "echo"}}}, {"isolation", "0"}}, "isolation"},
      {"/v1/runs", {{"files", {{"a.sh", "echo"}}}, {"isolation", 1e308}}, "isolation"},
      {"/v1/runs", {{"files", {{"a.sh", "echo"}}}, {"timeout", 30}}, "timeout"},
      {"/v1/runs", {{"files", {{"a.sh", "echo"}}}, {"cpu", 1e308}}, "cpu"},
      {"/v1/runs", {{"files", {{"a.sh", "echo"}}}, {"memory", "1e308Gi"}}, "memory"},
      {"/v1/runs",
       {{"files", {{"a.sh", "echo"}}}, {"timeout", "99999999999999999999h"}},
       "timeout"},
      {deploy + "/scale", {{"replicas", "3"}}, "replicas"},
      {deploy + "/scale", {{"multiply", 1e308}}, "10000"},
      {deploy + "/rollback", {{"release", "yes"}}, "release"},
      {deploy + "/rollback", {{"version", 3}}, "version"},
      {"/v1/sources",
       {{"name", "src"}, {"dir", "/tmp"}, {"allowMassPrune", "yes"}},
       "allowMassPrune"},
      {"/v1/apply", ApplyBody("s", DeploymentSet({"a"}), {{"checkIndex", 1e308}}), "checkIndex"},
      {"/v1/apply", ApplyBody("s", DeploymentSet({"a"}), {{"checkIndex", -1}}), "checkIndex"},
  };
  for (const auto& [path, body, field] : cases) {
    auto reply = f.api.Post(path, body);
    INFO(path << " " << body.dump() << " -> " << reply.body);
    CHECK(reply.status == 400);
    CHECK(MessageOf(reply).find(field) != std::string::npos);
  }
  CHECK(StateIndex(f.api) == index);
}

TEST_CASE("Strict input: query numbers out of range and unknown query parameters are 400") {
  Fixture f;
  const std::string logs = "/v1/namespaces/default/deployments/a/logs";
  for (const std::string& path : std::vector<std::string>{
           "/v1/events?limit=1e308", "/v1/events?limit=-1", "/v1/events?limit=99999999999999999999",
           "/v1/events?after=-5", "/v1/events?after=NaN", "/v1/events?since=99999999999999999999d",
           "/v1/runs?limit=1e308", "/v1/runs?limit=0", "/v1/runs?limit=nan",
           "/v1/runs/r-0123456789/logs?tail=-1", logs + "?tail=99999999999999999999",
           logs + "?wait=-1", logs + "?tail=1e3", logs + "?cursor=v1,a-0:1:-5",
           "/v1/objects?namespac=default", "/v1/state?x=1", "/v1/events?limits=5",
           "/v1/namespaces/default/deployments/a?force=1"}) {
    auto reply = f.api.Get(path);
    INFO(path << " -> " << reply.body);
    CHECK(reply.status == 400);
    CHECK(reply.ErrorCode() == "invalid");
  }
  CHECK(f.api.Get("/v1/events?limit=1000").status == 200);
  CHECK(f.api.Get("/v1/objects?namespace=default&kind=deploy").status == 200);
}

}  // namespace prisn::testing
