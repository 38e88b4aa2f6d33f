#pragma once
// JSON shapes of what the converge loop observed (docs/API.md "Status",
// "Runs") and the parsing of a scale request: pure functions, so that the
// route files stay thin and these are tested without a daemon.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "reconciler/status.h"
#include "reconciler/store.h"
#include "util/error.h"

namespace prisn::server {

// The most replicas a Deployment may ask for (as in manifests).
inline constexpr int kMaxReplicas = 10000;

// {"kind","namespace","name","version","desired","ready","updated","available",
//  "state","reason","waitingFor","healthyVersion","rolloutStarted","lastRun",
//  CronJobs also: "schedule","timeZone","nextFire","lastSchedule","lastResult",
//  "activeRuns",
//  "replicas":[{"name","version","state","ready","pid","port","restarts",
//  "started","nextRetry","lastExit","degraded"}]}
nlohmann::ordered_json WorkloadStatusJson(const reconciler::WorkloadStatus& status);

// {"id","kind" (of the job: "Job" or "CronJob"),"namespace","job","version","adhoc","state","attempts","exitCode",
//  "reason","created","started","finished","nextRetry","pid","degraded"}
nlohmann::ordered_json RunJson(const store::Run& run);

// The body of POST .../scale: exactly one of {"replicas": N} (N >= 0),
// {"add": N} (any integer) or {"multiply": F} (F >= 0).
struct ScaleRequest {
  enum class Mode { kSet, kAdd, kMultiply };
  Mode mode = Mode::kSet;
  std::int64_t count = 0;  // kSet, kAdd
  double factor = 1.0;     // kMultiply
};
// kInvalid, with what is accepted, for anything else.
Result<ScaleRequest> ParseScaleRequest(const nlohmann::json& body);

// The replica count a request asks for, from `current`: multiply rounds half
// up; add and multiply clamp at 0. kInvalid above kMaxReplicas.
Result<int> ScaledReplicas(const ScaleRequest& request, int current);

// spec.replicas of a stored Deployment's JSON (display form); 1 when absent.
int ReplicasOf(const std::string& spec_json);
// spec.suspend of a stored CronJob's JSON; false when absent.
bool SuspendOf(const std::string& spec_json);

}  // namespace prisn::server
