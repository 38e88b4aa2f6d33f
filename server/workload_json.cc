#include "server/workload_json.h"

#include <cmath>

#include "server/api_internal.h"

namespace prisn::server {
namespace {

using ojson = nlohmann::ordered_json;

ojson TimeOrNull(const std::optional<std::int64_t>& ms) {
  return ms ? ojson(FormatTime(*ms)) : ojson();
}

ojson ReplicaJson(const reconciler::ReplicaStatus& r) {
  ojson j;
  j["name"] = r.name;
  j["version"] = r.version;
  j["state"] = reconciler::ReplicaStateName(r.state);
  j["ready"] = r.ready;
  j["pid"] = r.pid;
  j["port"] = r.port;
  j["restarts"] = r.restarts;
  j["started"] = r.started_ms > 0 ? ojson(FormatTime(r.started_ms)) : ojson();
  j["nextRetry"] = TimeOrNull(r.next_retry_ms);
  j["lastExit"] = r.last_exit;
  j["degraded"] = r.degraded;
  return j;
}

}  // namespace

ojson WorkloadStatusJson(const reconciler::WorkloadStatus& s) {
  ojson j = KeyJson(s.key);
  j["version"] = s.version;
  j["desired"] = s.desired;
  j["ready"] = s.ready;
  j["updated"] = s.updated;
  j["available"] = s.available;
  j["state"] = reconciler::WorkloadStateName(s.state);
  j["reason"] = s.reason;
  j["waitingFor"] = s.waiting_for;
  j["healthyVersion"] = s.healthy_version;
  j["rolloutStarted"] = TimeOrNull(s.rollout_started_ms);
  j["lastRun"] = s.last_run ? ojson(*s.last_run) : ojson();
  if (s.key.Is(manifests::Kind::kCronJob)) {
    j["schedule"] = s.schedule;
    j["timeZone"] = s.time_zone;
    j["nextFire"] = TimeOrNull(s.next_fire_ms);
    j["lastSchedule"] = TimeOrNull(s.last_schedule_ms);
    j["lastResult"] = s.last_result ? ojson(reconciler::RunStateName(*s.last_result)) : ojson();
    j["activeRuns"] = s.active_runs;
  }
  ojson replicas = ojson::array();
  for (const reconciler::ReplicaStatus& r : s.replicas) replicas.push_back(ReplicaJson(r));
  j["replicas"] = std::move(replicas);
  return j;
}

ojson RunJson(const store::Run& r) {
  ojson j;
  j["id"] = r.id;
  j["kind"] = r.job.kind;
  j["namespace"] = r.job.ns;
  j["job"] = r.job.name;
  j["version"] = r.version;
  j["adhoc"] = r.adhoc;
  j["state"] = reconciler::RunStateName(r.state);
  j["attempts"] = r.attempts;
  j["exitCode"] = r.exit_code ? ojson(*r.exit_code) : ojson();
  j["reason"] = r.reason;
  j["created"] = FormatTime(r.created_ms);
  j["started"] = TimeOrNull(r.started_ms);
  j["finished"] = TimeOrNull(r.finished_ms);
  j["nextRetry"] = TimeOrNull(r.next_retry_ms);
  j["pid"] = r.pid;
  j["degraded"] = r.degraded;
  return j;
}

Result<ScaleRequest> ParseScaleRequest(const nlohmann::json& body) {
  constexpr const char* kUsage =
      "the body must be exactly one of {\"replicas\": N} (N >= 0), {\"add\": N} or "
      "{\"multiply\": F} (F >= 0)";
  if (!body.is_object() || body.size() != 1) return Fail(ErrorCode::kInvalid, kUsage);
  // Not a structured binding over items(): its proxy is a temporary that
  // the references would outlive.
  auto only = body.begin();
  const std::string key = only.key();
  const nlohmann::json& value = only.value();
  ScaleRequest r;
  if (key == "replicas" || key == "add") {
    if (!value.is_number_integer()) {
      return Fail(ErrorCode::kInvalid, key + " must be a whole number; " + kUsage);
    }
    r.mode = key == "replicas" ? ScaleRequest::Mode::kSet : ScaleRequest::Mode::kAdd;
    // Unsigned JSON numbers beyond int64 are refused rather than wrapped.
    if (value.is_number_unsigned() && value.get<std::uint64_t>() > kMaxReplicas * 2ull) {
      return Fail(ErrorCode::kInvalid, key + " is too large: a deployment has at most " +
                                           std::to_string(kMaxReplicas) + " replicas");
    }
    r.count = value.get<std::int64_t>();
    if (r.mode == ScaleRequest::Mode::kSet && r.count < 0) {
      return Fail(ErrorCode::kInvalid, "replicas cannot be negative; " + std::string(kUsage));
    }
    return r;
  }
  if (key == "multiply") {
    if (!value.is_number())
      return Fail(ErrorCode::kInvalid, std::string("multiply must be a number; ") + kUsage);
    r.mode = ScaleRequest::Mode::kMultiply;
    r.factor = value.get<double>();
    if (!std::isfinite(r.factor) || r.factor < 0) {
      return Fail(ErrorCode::kInvalid, std::string("multiply must be 0 or more; ") + kUsage);
    }
    return r;
  }
  return Fail(ErrorCode::kInvalid, "unknown field \"" + key + "\"; " + kUsage);
}

Result<int> ScaledReplicas(const ScaleRequest& request, int current) {
  double target = 0;
  switch (request.mode) {
    case ScaleRequest::Mode::kSet:
      target = static_cast<double>(request.count);
      break;
    case ScaleRequest::Mode::kAdd:
      target = static_cast<double>(current) + static_cast<double>(request.count);
      break;
    case ScaleRequest::Mode::kMultiply:
      // Half up (3 x 1.5 = 4.5 -> 5); the epsilon absorbs binary rounding
      // that lands a product just below a half.
      target = std::floor(static_cast<double>(current) * request.factor + 0.5 + 1e-9);
      break;
  }
  if (target < 0) target = 0;
  // Compared as doubles before any conversion: a product such as 3 x 1e308
  // has no integer value, and converting it would be undefined behaviour.
  if (!(target <= kMaxReplicas)) {
    return Fail(ErrorCode::kInvalid,
                "that would make more than " + std::to_string(kMaxReplicas) + " replicas (" +
                    std::to_string(current) + " now); at most " + std::to_string(kMaxReplicas) +
                    " are allowed");
  }
  return static_cast<int>(target);
}

int ReplicasOf(const std::string& spec_json) {
  auto j = nlohmann::json::parse(spec_json, nullptr, false);
  if (!j.is_object()) return 1;
  const nlohmann::json* spec = &j;
  if (auto it = j.find("spec"); it != j.end() && it->is_object()) spec = &*it;
  auto it = spec->find("replicas");
  return it != spec->end() && it->is_number_integer() ? it->get<int>() : 1;
}

bool SuspendOf(const std::string& spec_json) {
  auto j = nlohmann::json::parse(spec_json, nullptr, false);
  if (!j.is_object()) return false;
  auto spec = j.find("spec");
  if (spec == j.end() || !spec->is_object()) return false;
  auto it = spec->find("suspend");
  return it != spec->end() && it->is_boolean() && it->get<bool>();
}

}  // namespace prisn::server
