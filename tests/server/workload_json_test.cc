// Scale request bodies and the JSON of workload status and runs.
#include "server/workload_json.h"

#include <catch2/catch.hpp>

namespace prisn::server {
namespace {

using nlohmann::json;

Result<int> Scale(const char* body, int current) {
  auto request = ParseScaleRequest(json::parse(body));
  if (!request) return std::unexpected(request.error());
  return ScaledReplicas(*request, current);
}

}  // namespace

TEST_CASE("scale bodies set, add or multiply the replica count") {
  CHECK(*Scale(R"({"replicas": 5})", 3) == 5);
  CHECK(*Scale(R"({"replicas": 0})", 3) == 0);
  CHECK(*Scale(R"({"add": 2})", 3) == 5);
  CHECK(*Scale(R"({"add": -2})", 3) == 1);
  CHECK(*Scale(R"({"add": -10})", 3) == 0);       // clamped at 0
  CHECK(*Scale(R"({"multiply": 1.5})", 3) == 5);  // 4.5 rounds half up
  CHECK(*Scale(R"({"multiply": 1.5})", 2) == 3);
  CHECK(*Scale(R"({"multiply": 2})", 3) == 6);
  CHECK(*Scale(R"({"multiply": 0.5})", 3) == 2);  // 1.5 -> 2
  CHECK(*Scale(R"({"multiply": 0.1})", 3) == 0);
  CHECK(*Scale(R"({"multiply": 0})", 3) == 0);
  CHECK(*Scale(R"({"multiply": 0.7})", 5) == 4);  // 3.5 -> 4 despite binary rounding
}

TEST_CASE("scale bodies other than exactly one valid field are refused") {
  for (const char* body :
       {R"({})", R"({"replicas": 1, "add": 1})", R"({"replicas": -1})", R"({"replicas": "3"})",
        R"({"replicas": 1.5})", R"({"add": 1.5})", R"({"multiply": -1})", R"({"multiply": "2"})",
        R"({"replica": 3})", R"([3])", R"({"replicas": null})"}) {
    INFO(body);
    auto r = ParseScaleRequest(json::parse(body));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalid);
  }
  auto huge = Scale(R"({"replicas": 10001})", 1);
  REQUIRE_FALSE(huge);
  CHECK(huge.error().message.find("at most 10000") != std::string::npos);
  CHECK_FALSE(Scale(R"({"multiply": 1e300})", 3));
  CHECK_FALSE(Scale(R"({"replicas": 18446744073709551615})", 3));
  CHECK(*Scale(R"({"replicas": 10000})", 1) == 10000);
}

TEST_CASE("replicas are read from a stored deployment's spec") {
  CHECK(ReplicasOf(R"({"apiVersion":"prisn.io/v1","spec":{"replicas":3}})") == 3);
  CHECK(ReplicasOf(R"({"spec":{}})") == 1);
  CHECK(ReplicasOf("not json") == 1);
}

TEST_CASE("workload status JSON has every documented field") {
  reconciler::WorkloadStatus s;
  s.key = {"Deployment", "default", "api"};
  s.version = "v-1a2b3c4d";
  s.desired = 2;
  s.ready = 1;
  s.updated = 2;
  s.available = 1;
  s.state = reconciler::WorkloadState::kCrashloop;
  s.reason = "api-1 exited 1";
  s.waiting_for = {"Deployment/default/db"};
  s.rollout_started_ms = 1705833000000;
  reconciler::ReplicaStatus r;
  r.name = "api-1";
  r.version = "v-1a2b3c4d";
  r.state = reconciler::ReplicaState::kCrashloop;
  r.restarts = 4;
  r.next_retry_ms = 1705833004000;
  r.last_exit = "exit 1";
  s.replicas.push_back(r);
  auto j = api::Encode(WorkloadStatusView(s));
  std::vector<std::string> keys;
  for (const auto& item : j.items()) keys.push_back(item.key());
  // In the order the daemon has always written them.
  CHECK(keys == std::vector<std::string>{"kind", "namespace", "name", "version", "desired", "ready",
                                         "updated", "available", "state", "reason", "waitingFor",
                                         "healthyVersion", "rolloutStarted", "lastRun",
                                         "replicas"});
  CHECK(j["kind"] == "Deployment");
  CHECK(j["rolloutStarted"] == "2024-01-21T10:30:00.000Z");
  CHECK(j["lastRun"].is_null());
  CHECK(j["waitingFor"][0] == "Deployment/default/db");
  const auto& replica = j["replicas"][0];
  CHECK(replica.dump() ==
        R"({"name":"api-1","version":"v-1a2b3c4d","state":"crashloop","ready":false,"pid":0,)"
        R"("port":0,"restarts":4,"started":null,"nextRetry":"2024-01-21T10:30:04.000Z",)"
        R"("lastExit":"exit 1","degraded":""})");
  CHECK(replica["started"].is_null());
  CHECK(replica["nextRetry"] == "2024-01-21T10:30:04.000Z");
  CHECK(replica["lastExit"] == "exit 1");
  CHECK(replica["restarts"] == 4);
  CHECK(replica["ready"] == false);
}

TEST_CASE("run JSON has every documented field, times null until they happen") {
  store::Run run;
  run.id = "r-0123456789";
  run.job = {"Job", "team-a", "hello"};
  run.version = "v-00000001";
  run.adhoc = true;
  run.state = reconciler::RunState::kRunning;
  run.attempts = 1;
  run.created_ms = 1705833000000;
  run.started_ms = 1705833000100;
  run.pid = 42;
  auto j = api::Encode(RunViewOf(run));
  CHECK(j.dump() ==
        R"({"id":"r-0123456789","kind":"Job","namespace":"team-a","job":"hello",)"
        R"("version":"v-00000001","adhoc":true,"state":"running","attempts":1,"exitCode":null,)"
        R"("reason":"","created":"2024-01-21T10:30:00.000Z","started":"2024-01-21T10:30:00.100Z",)"
        R"("finished":null,"nextRetry":null,"pid":42,"degraded":""})");
  CHECK(j["id"] == "r-0123456789");
  CHECK(j["namespace"] == "team-a");
  CHECK(j["job"] == "hello");
  CHECK(j["adhoc"] == true);
  CHECK(j["exitCode"].is_null());
  CHECK(j["finished"].is_null());
  CHECK(j["nextRetry"].is_null());
  CHECK(j["started"] == "2024-01-21T10:30:00.100Z");
  CHECK(j["pid"] == 42);
  run.exit_code = 3;
  run.finished_ms = 1705833001000;
  auto done = api::Encode(RunViewOf(run));
  CHECK(done["exitCode"] == 3);
  CHECK(done["finished"] == "2024-01-21T10:30:01.000Z");
}

}  // namespace prisn::server
