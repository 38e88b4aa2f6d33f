#include "server/workload_json.h"

#include <cmath>

#include "server/api_internal.h"

namespace prisn::server {
namespace {

std::optional<std::string> TimeOrNull(const std::optional<std::int64_t>& ms) {
  return ms ? std::optional<std::string>(FormatTime(*ms)) : std::nullopt;
}

api::ReplicaStatus WorkloadReplicaView(const reconciler::ReplicaStatus& r) {
  api::ReplicaStatus out;
  out.name = r.name;
  out.version = r.version;
  out.state = reconciler::ReplicaStateName(r.state);
  out.ready = r.ready;
  out.pid = r.pid;
  out.port = r.port;
  out.restarts = r.restarts;
  out.started = r.started_ms > 0 ? TimeOrNull(r.started_ms) : std::nullopt;
  out.next_retry = TimeOrNull(r.next_retry_ms);
  out.last_exit = r.last_exit;
  out.degraded = r.degraded;
  return out;
}

constexpr const char* kScaleUsage =
    "the body must be exactly one of {\"replicas\": N} (N >= 0), {\"add\": N} or "
    "{\"multiply\": F} (F >= 0)";

}  // namespace

api::WorkloadStatus WorkloadStatusView(const reconciler::WorkloadStatus& s) {
  api::WorkloadStatus out;
  out.kind = s.key.kind;
  out.ns = s.key.ns;
  out.name = s.key.name;
  out.version = s.version;
  out.desired = s.desired;
  out.ready = s.ready;
  out.updated = s.updated;
  out.available = s.available;
  out.state = reconciler::WorkloadStateName(s.state);
  out.reason = s.reason;
  out.waiting_for = s.waiting_for;
  out.healthy_version = s.healthy_version;
  out.rollout_started = TimeOrNull(s.rollout_started_ms);
  out.last_run = s.last_run;
  if (s.key.Is(manifests::Kind::kCronJob)) {
    // emplace: present (the outer optional) even when null.
    out.schedule.emplace(s.schedule);
    out.time_zone.emplace(s.time_zone);
    out.next_fire.emplace(TimeOrNull(s.next_fire_ms));
    out.last_schedule.emplace(TimeOrNull(s.last_schedule_ms));
    out.last_result.emplace();
    if (s.last_result) out.last_result->emplace(reconciler::RunStateName(*s.last_result));
    out.active_runs.emplace(s.active_runs);
  }
  for (const reconciler::ReplicaStatus& r : s.replicas)
    out.replicas.push_back(WorkloadReplicaView(r));
  return out;
}

api::RunView RunViewOf(const store::Run& r) {
  api::RunView out;
  out.id = r.id;
  out.kind = r.job.kind;
  out.ns = r.job.ns;
  out.job = r.job.name;
  out.version = r.version;
  out.adhoc = r.adhoc;
  out.state = reconciler::RunStateName(r.state);
  out.attempts = r.attempts;
  if (r.exit_code) out.exit_code = *r.exit_code;
  out.reason = r.reason;
  out.created = FormatTime(r.created_ms);
  out.started = TimeOrNull(r.started_ms);
  out.finished = TimeOrNull(r.finished_ms);
  out.next_retry = TimeOrNull(r.next_retry_ms);
  out.pid = r.pid;
  out.degraded = r.degraded;
  return out;
}

Result<ScaleRequest> ParseScaleRequest(const api::ScaleRequest& body) {
  int given = body.replicas.has_value() + body.add.has_value() + body.multiply.has_value();
  if (given != 1) return Fail(ErrorCode::kInvalid, kScaleUsage);
  ScaleRequest r;
  if (body.replicas || body.add) {
    r.mode = body.replicas ? ScaleRequest::Mode::kSet : ScaleRequest::Mode::kAdd;
    r.count = body.replicas ? *body.replicas : *body.add;
    if (r.mode == ScaleRequest::Mode::kSet && r.count < 0) {
      return Fail(ErrorCode::kInvalid, std::string("replicas cannot be negative; ") + kScaleUsage);
    }
    return r;
  }
  r.mode = ScaleRequest::Mode::kMultiply;
  r.factor = *body.multiply;
  if (!std::isfinite(r.factor) || r.factor < 0) {
    return Fail(ErrorCode::kInvalid, std::string("multiply must be 0 or more; ") + kScaleUsage);
  }
  return r;
}

Result<ScaleRequest> ParseScaleRequest(const nlohmann::json& body) {
  auto decoded = api::Decode<api::ScaleRequest>(api::Json(body), api::DecodeMode::kStrict);
  if (!decoded) {
    return Fail(ErrorCode::kInvalid, decoded.error().message + "; " + kScaleUsage);
  }
  return ParseScaleRequest(*decoded);
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
