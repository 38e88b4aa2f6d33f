#pragma once
// What the converge loop observed, as the API shows it (docs/API.md
// "Status", "Runs"), and the checking of a scale request: pure functions, so
// that the route files stay thin and these are tested without a daemon.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/types_workloads.h"
#include "reconciler/status.h"
#include "reconciler/store.h"
#include "util/error.h"

namespace prisn::server {

// The most replicas a Deployment may ask for (as in manifests).
inline constexpr int kMaxReplicas = 10000;

// The CronJob fields only for a CronJob; times as RFC 3339.
api::WorkloadStatus WorkloadStatusView(const reconciler::WorkloadStatus& status);
api::RunView RunViewOf(const store::Run& run);

// What a POST .../scale asks for (api::ScaleRequest, checked).
struct ScaleRequest {
  enum class Mode { kSet, kAdd, kMultiply };
  Mode mode = Mode::kSet;
  std::int64_t count = 0;  // kSet, kAdd
  double factor = 1.0;     // kMultiply
};
// Exactly one of replicas (N >= 0), add (any integer) or multiply (F >= 0);
// kInvalid, with what is accepted, for anything else.
Result<ScaleRequest> ParseScaleRequest(const api::ScaleRequest& body);
// The same from a JSON body, decoded strictly first.
Result<ScaleRequest> ParseScaleRequest(const nlohmann::json& body);

// The replica count a request asks for, from `current`: multiply rounds half
// up; add and multiply clamp at 0. kInvalid above kMaxReplicas.
Result<int> ScaledReplicas(const ScaleRequest& request, int current);

// spec.replicas of a stored Deployment's JSON (display form); 1 when absent.
int ReplicasOf(const std::string& spec_json);
// spec.suspend of a stored CronJob's JSON; false when absent.
bool SuspendOf(const std::string& spec_json);

}  // namespace prisn::server
