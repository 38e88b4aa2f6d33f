// Bad requests against a real daemon: each is answered with a clear error and
// leaves the state as it was.
#include <catch2/catch.hpp>

#include "api_test_util.h"

namespace prisn::testing {
namespace {

struct Fixture {
  Daemon daemon;
  HttpClient api = daemon.Client();
  Fixture() {
    if (api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a"}))).status != 200)
      throw std::runtime_error("setup");
  }
  void CheckUnchanged() {
    CHECK(StateIndex(api) == 1);
    CHECK(api.Get("/v1/objects").Json()["items"].size() == 1);
  }
};

std::string Raw(const Fixture& f, const std::string& head, const std::string& body = "") {
  return RawExchange(f.daemon.url(), head + body);
}

TEST_CASE("Bad request: malformed JSON and non-object bodies are 400 with a message") {
  Fixture f;
  for (const std::string body : {"{not json", "[1,2,3]", "\"text\"", ""}) {
    auto reply = f.api.Post("/v1/apply", body);
    CHECK(reply.status == 400);
    CHECK(reply.ErrorCode() == "invalid");
    CHECK_FALSE(reply.Json()["error"]["message"].get<std::string>().empty());
  }
  f.CheckUnchanged();
}

TEST_CASE("Bad request: wrong field types in an apply are 400 naming the field") {
  Fixture f;
  auto base = ApplyBody("s", DeploymentSet({"a", "b"}));
  std::vector<std::pair<std::string, nlohmann::json>> cases = {
      {"set", 5},         {"set", ""},    {"prune", "yes"},  {"checkIndex", "7"},
      {"checkIndex", -1}, {"paths", "."}, {"files", {1, 2}}, {"dryRun", 1}};
  for (const auto& [field, value] : cases) {
    auto body = base;
    body[field] = value;
    auto reply = f.api.Post("/v1/apply", body);
    INFO(field << " = " << value.dump());
    CHECK(reply.status == 400);
    CHECK(reply.Json()["error"]["message"].get<std::string>().find(field) != std::string::npos);
  }
  f.CheckUnchanged();
}

TEST_CASE("Bad request: bad base64 and paths that leave the tree are refused") {
  Fixture f;
  auto bad64 = ApplyBody("s", DeploymentSet({"b"}));
  bad64["files"]["main.py"] = "%%%";
  CHECK(f.api.Post("/v1/apply", bad64).status == 400);
  auto escape = ApplyBody("s", {{"../evil.yaml", DeploymentYaml("evil")}, {"main.py", "x"}});
  CHECK(f.api.Post("/v1/apply", escape).status == 400);
  auto absolute = ApplyBody("s", {{"/etc/evil.yaml", DeploymentYaml("evil")}, {"main.py", "x"}});
  CHECK(f.api.Post("/v1/apply", absolute).status == 400);
  auto path_escape = ApplyBody("s", DeploymentSet({"b"}), {{"paths", {"../.."}}});
  CHECK(f.api.Post("/v1/apply", path_escape).status == 400);
  f.CheckUnchanged();
}

TEST_CASE("Bad request: a declared body over the apply limit is 413 before it is read") {
  Fixture f;
  std::string head = "POST /v1/apply HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                     f.daemon.token() +
                     "\r\nContent-Type: application/json\r\nContent-Length: 70000000\r\n\r\n";
  std::string answer = Raw(f, head);
  CHECK(answer.starts_with("HTTP/1.1 413"));
  CHECK(answer.find("64 MiB") != std::string::npos);
  f.CheckUnchanged();
}

TEST_CASE("Bad request: a chunked body over the 1 MiB limit is 413") {
  Fixture f;
  std::string chunk(2 << 20, 'x');
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
  std::string head = "POST /v1/secrets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                     f.daemon.token() + "\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string answer = Raw(f, head, std::string(size) + chunk + "\r\n0\r\n\r\n");
  CHECK(answer.starts_with("HTTP/1.1 413"));
  CHECK(answer.find("1 MiB") != std::string::npos);
  f.CheckUnchanged();
}

TEST_CASE("Bad request: garbage instead of HTTP is answered 400 and the daemon keeps serving") {
  Fixture f;
  std::string answer = Raw(f, "THIS IS NOT HTTP\r\n\x01\x02\r\n\r\n");
  CHECK(answer.starts_with("HTTP/1.1 400"));
  std::string huge_header =
      "GET /v1/state HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
  CHECK(Raw(f, huge_header).starts_with("HTTP/1.1 431"));
  CHECK(f.api.Get("/health").status == 200);
  f.CheckUnchanged();
}

TEST_CASE("Bad request: unknown routes are 404, wrong methods 405 with Allow") {
  Fixture f;
  auto unknown = f.api.Get("/v1/widgets");
  CHECK(unknown.status == 404);
  CHECK(unknown.ErrorCode() == "not_found");
  CHECK(f.api.Get("/v2/state").status == 404);
  CHECK(f.api.Get("/v1/namespaces/default/deployments/a/extra/segments").status == 404);
  auto wrong = f.api.Send("PUT", "/v1/apply", "{}");
  CHECK(wrong.status == 405);
  CHECK(wrong.headers["allow"] == "POST");
  CHECK(f.api.Send("PATCH", "/v1/namespaces/default/deployments/a", "{}").status == 405);
  CHECK(f.api.Get("/v1/state%zz").status == 400);
  f.CheckUnchanged();
}

TEST_CASE("Bad request: keep-alive survives an error answer") {
  Fixture f;
  std::string two =
      "GET /v1/nope HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + f.daemon.token() +
      "\r\n\r\nGET /v1/state HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " +
      f.daemon.token() + "\r\n\r\n";
  std::string answer = Raw(f, two);
  CHECK(answer.starts_with("HTTP/1.1 404"));
  CHECK(answer.find("HTTP/1.1 200") != std::string::npos);
}

}  // namespace
}  // namespace prisn::testing
