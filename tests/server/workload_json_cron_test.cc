// The CronJob fields of a workload status, the kind of a run, and reading
// spec.suspend for a scale.
#include <catch2/catch.hpp>

#include "server/workload_json.h"

namespace prisn::server {
namespace {

TEST_CASE("cronjob status JSON carries schedule, zone, next fire and last run") {
  reconciler::WorkloadStatus s;
  s.key = {"CronJob", "default", "backup"};
  s.state = reconciler::WorkloadState::kScheduled;
  s.schedule = "0 3 * * *";
  s.time_zone = "Europe/Berlin";
  s.next_fire_ms = 1705806000000;
  s.last_schedule_ms = 1705719600000;
  s.last_run = "r-0123456789";
  s.last_result = reconciler::RunState::kSucceeded;
  auto j = api::Encode(WorkloadStatusView(s));
  CHECK(j["schedule"] == "0 3 * * *");
  CHECK(j["timeZone"] == "Europe/Berlin");
  CHECK(j["nextFire"] == "2024-01-21T03:00:00.000Z");
  CHECK(j["lastSchedule"] == "2024-01-20T03:00:00.000Z");
  CHECK(j["lastRun"] == "r-0123456789");
  CHECK(j["lastResult"] == "succeeded");
  CHECK(j["activeRuns"] == 0);
  std::vector<std::string> keys;
  for (const auto& item : j.items()) keys.push_back(item.key());
  CHECK(keys == std::vector<std::string>{
                    "kind",       "namespace",      "name",           "version",    "desired",
                    "ready",      "updated",        "available",      "state",      "reason",
                    "waitingFor", "healthyVersion", "rolloutStarted", "lastRun",    "schedule",
                    "timeZone",   "nextFire",       "lastSchedule",   "lastResult", "activeRuns",
                    "replicas"});
  s.next_fire_ms.reset();
  s.last_result.reset();
  auto suspended = api::Encode(WorkloadStatusView(s));
  CHECK(suspended["nextFire"].is_null());
  CHECK(suspended["lastResult"].is_null());
  CHECK(suspended.contains("nextFire"));  // null, not left out
}

TEST_CASE("a deployment's status JSON has no cron fields") {
  reconciler::WorkloadStatus s;
  s.key = {"Deployment", "default", "api"};
  CHECK_FALSE(api::Encode(WorkloadStatusView(s)).contains("schedule"));
}

TEST_CASE("run JSON names the kind of the object the run belongs to") {
  store::Run run;
  run.id = "r-0123456789";
  run.job = {"CronJob", "default", "backup"};
  CHECK(api::Encode(RunViewOf(run))["kind"] == "CronJob");
}

TEST_CASE("spec.suspend is read from a stored cronjob, false when absent or malformed") {
  CHECK(SuspendOf(R"({"spec": {"suspend": true}})"));
  CHECK_FALSE(SuspendOf(R"({"spec": {"suspend": false}})"));
  CHECK_FALSE(SuspendOf(R"({"spec": {}})"));
  CHECK_FALSE(SuspendOf("not json"));
}

}  // namespace
}  // namespace prisn::server
