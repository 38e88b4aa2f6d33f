// POST /v1/runs bodies and the one-off Job they become.
#include "server/run_request.h"

#include <catch2/catch.hpp>

#include "manifests/canonical.h"
#include "reconciler/secret_box.h"

namespace prisn::server {
namespace {

using nlohmann::json;

// As the route reads a body: the type's strict decoding, then the checks.
Result<RunRequest> ParseBody(const json& body) {
  auto typed = api::Decode<api::RunRequest>(api::Json(body), api::DecodeMode::kStrict);
  if (!typed) return std::unexpected(typed.error());
  return ParseRunRequest(*typed);
}

RunRequest Parse(const json& body) {
  auto r = ParseBody(body);
  INFO((r ? "" : r.error().ToString()));
  REQUIRE(r);
  return *r;
}

std::string ErrorOf(const json& body) {
  auto r = ParseBody(body);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kInvalid);
  return r.error().ToString();
}

}  // namespace

TEST_CASE("a run body with one script becomes a Job with a file source") {
  RunRequest r = Parse({{"files", {{"hello.py", "print('hi')\n"}}},
                        {"entrypoint", "hello.py"},
                        {"args", {"a", "b"}},
                        {"env", {{"MODE", "x"}}},
                        {"timeout", "30s"},
                        {"memory", "256Mi"},
                        {"cpu", "500m"},
                        {"isolation", 2}});
  CHECK(r.ns == "default");
  CHECK(r.name == "hello");
  CHECK(r.timeout == manifests::Duration(30000));
  CHECK(r.memory->value == 256LL << 20);
  CHECK(r.cpu->value == 500);
  auto job = BuildRunJob(r, {});
  REQUIRE(job);
  CHECK(job->kind == "Job");
  CHECK(job->meta.name == "hello");
  CHECK(job->meta.namespace_ == "default");
  const auto& spec = std::get<manifests::JobSpec>(job->spec);
  CHECK(spec.runtime == "python3");
  CHECK(spec.entrypoint == "hello.py");
  CHECK(spec.source.path == "hello.py");
  CHECK_FALSE(spec.source.is_directory);
  CHECK(spec.backoff_limit == 0);
  CHECK(spec.restart_policy == manifests::RestartPolicy::kNever);
  CHECK(spec.args == std::vector<std::string>{"a", "b"});
  CHECK(spec.env.at("MODE") == "x");
  CHECK(spec.isolation.level == 2);
  CHECK(spec.timeout == manifests::Duration(30000));
  CHECK(job->sources.at("hello.py") == "print('hi')\n");
  CHECK(job->version == manifests::ComputeVersion(*job));
  CHECK(job->version.rfind("v-", 0) == 0);
}

TEST_CASE("a run body with dependency files becomes a folder source") {
  RunRequest r =
      Parse({{"namespace", "team-a"},
             {"files", {{"job.py", "import x\n"}, {"requirements.txt", "x==1\n"}}},
             {"filesBase64", {{"data.bin", Base64Encode(std::string("\xff\x00\x01", 3))}}},
             {"entrypoint", "job.py"}});
  auto job = BuildRunJob(r, {});
  REQUIRE(job);
  const auto& spec = std::get<manifests::JobSpec>(job->spec);
  CHECK(spec.source.is_directory);
  CHECK(spec.entrypoint == "job.py");
  CHECK(job->sources.size() == 3);
  CHECK(job->sources.at("data.bin") == std::string("\xff\x00\x01", 3));
  CHECK(job->meta.namespace_ == "team-a");
}

TEST_CASE("the run's version follows the script's bytes") {
  auto version = [](const std::string& code) {
    auto job = BuildRunJob(Parse({{"files", {{"a.sh", code}}}}), {});
    REQUIRE(job);
    return job->version;
  };
  CHECK(version("echo 1\n") == version("echo 1\n"));
  CHECK(version("echo 1\n") != version("echo 2\n"));
}

TEST_CASE("run names are DNS labels made from the script's stem") {
  CHECK(SanitizeRunName("Hello_World.v2") == "hello-world-v2");
  CHECK(SanitizeRunName("__x__") == "x");
  CHECK(SanitizeRunName("") == "run");
  CHECK(SanitizeRunName("ünïcode") == "n-code");
  CHECK(SanitizeRunName(std::string(100, 'a')).size() == 63);
  CHECK(Parse({{"files", {{"My Script.py", "pass"}}}}).name == "my-script");
  CHECK(Parse({{"name", "Report!"}, {"files", {{"x.py", "pass"}}}}).name == "report");
}

TEST_CASE("runtimes are checked, inferred, or taken from the store's Runners") {
  RunRequest lua = Parse({{"files", {{"x.lua", "print(1)"}}}});
  auto unknown = BuildRunJob(lua, {});
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message.find("cannot tell which runtime runs \"x.lua\"") !=
        std::string::npos);
  auto stored = BuildRunJob(lua, {{"default", "lua", {".lua"}}});
  REQUIRE(stored);
  CHECK(std::get<manifests::JobSpec>(stored->spec).runtime == "lua");
  // A Runner of another namespace does not count.
  CHECK_FALSE(BuildRunJob(lua, {{"team-b", "lua", {".lua"}}}));

  RunRequest named = Parse({{"files", {{"x.txt", "echo"}}}, {"runtime", "bash"}});
  REQUIRE(BuildRunJob(named, {}));
  RunRequest bad = Parse({{"files", {{"x.py", "pass"}}}, {"runtime", "python"}});
  auto refused = BuildRunJob(bad, {});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("python3, node and bash") != std::string::npos);
  CHECK(BuildRunJob(Parse({{"files", {{"x.py", "pass"}}}, {"runtime", "lua"}}),
                    {{"default", "lua", {}}}));
  CHECK_FALSE(BuildRunJob(Parse({{"files", {{"noext", "x"}}}}), {}));
}

TEST_CASE("malformed run bodies are refused with the field named") {
  CHECK(ErrorOf(json::object()).find("files is empty") != std::string::npos);
  CHECK(ErrorOf({{"files", {{"a.py", "1"}, {"b.py", "2"}}}}).find("entrypoint is missing") !=
        std::string::npos);
  CHECK(
      ErrorOf({{"files", {{"a.py", "1"}}}, {"entrypoint", "b.py"}}).find("entrypoint must name") !=
      std::string::npos);
  CHECK(ErrorOf({{"files", {{"../a.py", "1"}}}}).find("stay inside") != std::string::npos);
  CHECK(ErrorOf({{"files", {{"a.py", 1}}}}).find("must be strings") != std::string::npos);
  CHECK(ErrorOf({{"filesBase64", {{"a.py", "%%%"}}}}).find("base64") != std::string::npos);
  CHECK(ErrorOf({{"files", {{"a.py", "1"}}}, {"timeout", "30"}}).find("timeout") !=
        std::string::npos);
  CHECK(ErrorOf({{"files", {{"a.py", "1"}}}, {"memory", "1Mi"}}).find("at least 4Mi") !=
        std::string::npos);
  CHECK(ErrorOf({{"files", {{"a.py", "1"}}}, {"memory", "512MB"}}).find("memory") !=
        std::string::npos);
  CHECK(ErrorOf({{"files", {{"a.py", "1"}}}, {"cpu", "lots"}}).find("cpu") != std::string::npos);
  CHECK(ErrorOf({{"files", {{"a.py", "1"}}}, {"isolation", 3}}).find("isolation") !=
        std::string::npos);
  CHECK(ErrorOf({{"files", {{"a.py", "1"}}}, {"env", {{"A=B", "x"}}}}).find("'='") !=
        std::string::npos);
  CHECK(ErrorOf({{"files", {{"a.py", "1"}}}, {"args", {1}}}).find("args") != std::string::npos);
  CHECK(ErrorOf({{"files", {{"a.py", "1"}}}, {"namespace", "Team_A"}}).find("DNS-1123") !=
        std::string::npos);
  CHECK(ErrorOf({{"files", {{"a.py", "1"}}}, {"detach", true}}).find("unknown field \"detach\"") !=
        std::string::npos);
  CHECK(ErrorOf({{"files", {{"a.py", "1"}}}, {"filesBase64", {{"a.py", "MQ=="}}}})
            .find("same path") != std::string::npos);
}

}  // namespace prisn::server
