// How runs, workload status and the status overview read in text.
#include "cli/workload_view.h"

#include <catch2/catch.hpp>

#include "cli/object_view.h"

namespace prisn::cli {
namespace {

using json = nlohmann::ordered_json;

// 2024-01-21T10:30:00Z
const Clock::time_point kNow{std::chrono::seconds(1705833000)};

// The fixtures are written as the daemon's JSON and read as the CLI reads it.
template <typename T>
T ReadFixture(const json& j) {
  auto typed = api::Decode<T>(j, api::DecodeMode::kLenient);
  INFO((typed ? "" : typed.error().message));
  REQUIRE(typed);
  return *typed;
}
api::WorkloadStatus StatusOf(const json& j) { return ReadFixture<api::WorkloadStatus>(j); }

json Replica(const std::string& name, const std::string& state, bool ready) {
  return {{"name", name},
          {"version", "v-1a2b3c4d"},
          {"state", state},
          {"ready", ready},
          {"pid", ready ? 4242 : 0},
          {"port", 8080},
          {"restarts", 0},
          {"started", ready ? json("2024-01-21T10:25:00.000Z") : json()},
          {"nextRetry", nullptr},
          {"lastExit", ""},
          {"degraded", ""}};
}

json Deployment(const std::string& state, int ready, int desired) {
  json replicas = json::array();
  for (int i = 0; i < desired; ++i)
    replicas.push_back(
        Replica("api-" + std::to_string(i), i < ready ? "running" : "starting", i < ready));
  return {{"kind", "Deployment"},
          {"namespace", "default"},
          {"name", "api"},
          {"version", "v-1a2b3c4d"},
          {"desired", desired},
          {"ready", ready},
          {"updated", desired},
          {"available", ready},
          {"state", state},
          {"reason", state == "running" ? "" : "1 of 3 replicas not ready"},
          {"waitingFor", json::array()},
          {"healthyVersion", "v-1a2b3c4d"},
          {"rolloutStarted", nullptr},
          {"lastRun", nullptr},
          {"replicas", replicas}};
}

}  // namespace

TEST_CASE("times keep their milliseconds and durations read short") {
  CHECK(TimeMs(json("2024-01-21T10:30:00.250Z")) == 1705833000250);
  CHECK(TimeMs(json("2024-01-21T10:30:00Z")) == 1705833000000);
  CHECK_FALSE(TimeMs(json()));
  CHECK_FALSE(TimeMs(json("yesterday")));
  CHECK(HumanDuration(850) == "850ms");
  CHECK(HumanDuration(1250) == "1.2s");
  CHECK(HumanDuration(45000) == "45s");
  CHECK(HumanDuration(150000) == "2m30s");
  CHECK(HumanDuration(120000) == "2m");
  CHECK(HumanDuration(3900000) == "1h5m");
  CHECK(HumanDuration(90000000) == "1d1h");
}

TEST_CASE("the runs table shows exit, attempts, start and duration") {
  json runs = json::array({{{"id", "r-0000000002"},
                            {"job", "report"},
                            {"namespace", "default"},
                            {"state", "running"},
                            {"attempts", 1},
                            {"exitCode", nullptr},
                            {"started", "2024-01-21T10:29:00.000Z"},
                            {"finished", nullptr}},
                           {{"id", "r-0000000001"},
                            {"job", "backup"},
                            {"namespace", "ops"},
                            {"state", "failed"},
                            {"attempts", 2},
                            {"exitCode", 3},
                            {"started", "2024-01-21T10:00:00.000Z"},
                            {"finished", "2024-01-21T10:00:45.000Z"}},
                           {{"id", "r-0000000000"},
                            {"job", "x"},
                            {"namespace", "default"},
                            {"state", "pending"},
                            {"attempts", 0},
                            {"exitCode", nullptr},
                            {"started", nullptr},
                            {"finished", nullptr}}});
  std::string text = RunTable(ReadFixture<std::vector<api::RunView>>(runs), kNow).Render();
  CHECK(text.rfind("ID             JOB      NAMESPACE   STATUS    EXIT   ATTEMPTS   STARTED", 0) ==
        0);
  CHECK(text.find("r-0000000002   report   default     running   -      1") != std::string::npos);
  CHECK(text.find("1m\n") != std::string::npos);      // running: counts up to now
  CHECK(text.find("   45s\n") != std::string::npos);  // finished
  CHECK(text.find("r-0000000001   backup   ops         failed    3      2") != std::string::npos);
  CHECK(text.find("pending   -      0          -          -\n") != std::string::npos);
}

TEST_CASE("a crashlooping replica says when it retries") {
  json r = Replica("api-1", "crashloop", false);
  r["nextRetry"] = "2024-01-21T10:30:04.000Z";
  CHECK(ReplicaStateCell(ReadFixture<api::ReplicaStatus>(r), kNow) ==
        "crashloop (next retry in 4s)");
  r["nextRetry"] = "2024-01-21T10:29:00.000Z";
  CHECK(ReplicaStateCell(ReadFixture<api::ReplicaStatus>(r), kNow) == "crashloop (retrying now)");
  CHECK(ReplicaStateCell(ReadFixture<api::ReplicaStatus>(Replica("api-0", "running", true)),
                         kNow) == "running");
  r["lastExit"] = "exit 1";
  r["restarts"] = 4;
  std::string table = ReplicaTable({ReadFixture<api::ReplicaStatus>(r)}, kNow).Render();
  CHECK(table.find("NAME    STATE") == 0);
  CHECK(table.find("api-1   crashloop (retrying now)   false   -     8080   4") !=
        std::string::npos);
  CHECK(table.find("exit 1") != std::string::npos);
}

TEST_CASE("health and rollout completion are read from the state and counts") {
  CHECK(IsHealthy(StatusOf(Deployment("running", 3, 3))));
  CHECK_FALSE(IsHealthy(StatusOf(Deployment("degraded", 2, 3))));
  CHECK_FALSE(IsHealthy(StatusOf(Deployment("crashloop", 0, 3))));
  json stopped = Deployment("stopped", 0, 0);
  CHECK(IsHealthy(StatusOf(stopped)));
  CHECK(IsHealthy(StatusOf({{"kind", "Job"}, {"state", "succeeded"}})));
  CHECK_FALSE(IsHealthy(StatusOf({{"kind", "Job"}, {"state", "failed"}})));

  CHECK(RolloutDone(StatusOf(Deployment("running", 3, 3)), "v-1a2b3c4d"));
  CHECK_FALSE(RolloutDone(StatusOf(Deployment("running", 3, 3)), "v-99999999"));  // the old version
  CHECK_FALSE(RolloutDone(StatusOf(Deployment("progressing", 2, 3)), "v-1a2b3c4d"));
  json half = Deployment("running", 3, 3);
  half["updated"] = 2;
  CHECK_FALSE(RolloutDone(StatusOf(half), "v-1a2b3c4d"));
  CHECK(RolloutDone(StatusOf(stopped), "v-1a2b3c4d"));
}

TEST_CASE("the status overview lists deployments, jobs and recent runs") {
  json answer = {{"stateIndex", 7},
                 {"workloads", json::array({Deployment("degraded", 2, 3),
                                            {{"kind", "Job"},
                                             {"namespace", "default"},
                                             {"name", "report"},
                                             {"state", "succeeded"},
                                             {"lastRun", "r-0000000001"},
                                             {"replicas", json::array()}}})},
                 {"runs", json::array({{{"id", "r-0000000001"},
                                        {"job", "report"},
                                        {"namespace", "default"},
                                        {"state", "succeeded"},
                                        {"exitCode", 0},
                                        {"created", "2024-01-21T10:28:00.000Z"}},
                                       {{"id", "r-0000000002"},
                                        {"job", "hello"},
                                        {"namespace", "default"},
                                        {"state", "running"},
                                        {"exitCode", nullptr},
                                        {"created", "2024-01-21T10:29:30.000Z"}}})}};
  std::string text = OverviewText(ReadFixture<api::StatusOverview>(answer), false, kNow);
  INFO(text);
  CHECK(text.find("DEPLOYMENTS: 1\n  api   2/3 ready   degraded   :8080   v-1a2b3c4d   1 of 3 "
                  "replicas not ready\n") == 0);
  CHECK(text.find("\nJOBS: 1\n  report   succeeded   last run r-0000000001\n") !=
        std::string::npos);
  CHECK(text.find("\nRECENT RUNS: 2 (1 running, 1 succeeded)\n") != std::string::npos);
  CHECK(text.find("  r-0000000001   report   succeeded   exit 0   2m ago\n") != std::string::npos);
  std::string all = OverviewText(ReadFixture<api::StatusOverview>(answer), true, kNow);
  CHECK(all.find("  default/api ") != std::string::npos);
  json empty = {{"workloads", json::array()}, {"runs", json::array()}};
  CHECK(OverviewText(ReadFixture<api::StatusOverview>(empty), false, kNow) ==
        "DEPLOYMENTS: none\n\nJOBS: none\n\nRECENT RUNS: none\n");
}

TEST_CASE("one workload's status shows its headline, reason and replicas") {
  json s = Deployment("degraded", 2, 3);
  s["waitingFor"] = json::array({"Deployment/default/db"});
  std::string text = WorkloadText(StatusOf(s), kNow);
  INFO(text);
  CHECK(text.find("deployment/api: degraded, 2/3 ready (v-1a2b3c4d)\n") == 0);
  CHECK(text.find("Reason:") != std::string::npos);
  CHECK(text.find("Waiting for:") != std::string::npos);
  CHECK(text.find("Deployment/default/db") != std::string::npos);
  CHECK(text.find("api-2   starting") != std::string::npos);
  CHECK(text.find("api-0   running    true    4242   8080   0          5m") != std::string::npos);
  CHECK(WhyLine(StatusOf(s)) == "deployment/api: degraded (2/3 ready): 1 of 3 replicas not ready");
}

TEST_CASE("describe shows the observed state and replicas when it has them") {
  json object = {
      {"kind", "Deployment"},
      {"namespace", "default"},
      {"name", "api"},
      {"version", "v-1a2b3c4d"},
      {"generation", 1},
      {"createdAt", "2024-01-21T10:00:00Z"},
      {"updatedAt", "2024-01-21T10:00:00Z"},
      {"hold", nullptr},
      {"manifest", {{"apiVersion", "prisn.io/v1"}, {"spec", {{"replicas", 3}, {"port", 8080}}}}},
      {"status", {{"state", "unknown"}, {"observed", nullptr}}}};
  auto view = api::Decode<api::ObjectView>(object, api::DecodeMode::kLenient);
  REQUIRE(view);
  std::string without = DescribeText(*view, {}, kNow);
  CHECK(without.find("-/3 ready") != std::string::npos);
  CHECK(without.find("Replicas:\n") == std::string::npos);
  std::string with = DescribeText(*view, {}, kNow, StatusOf(Deployment("degraded", 2, 3)));
  INFO(with);
  CHECK(with.find("2/3 ready") != std::string::npos);
  CHECK(with.find("degraded") != std::string::npos);
  CHECK(with.find("\nReplicas:\n  NAME    STATE") != std::string::npos);
  CHECK(with.find("  api-1   running") != std::string::npos);
}

}  // namespace prisn::cli
