#include "manifests/canonical.h"

#include <fmt/core.h>
#include <sodium.h>

#include "manifests/decode.h"
#include "manifests/yaml_tree.h"

namespace prisn::manifests {
namespace {

using ojson = nlohmann::ordered_json;

ojson StringMap(const std::map<std::string, std::string>& m, bool mask = false) {
  ojson out = ojson::object();
  for (const auto& [k, v] : m) out[k] = mask ? std::string("***") : v;
  return out;
}

ojson StringList(const std::vector<std::string>& v) {
  ojson out = ojson::array();
  for (const auto& s : v) out.push_back(s);
  return out;
}

ojson OrNull(const std::string& s) { return s.empty() ? ojson(nullptr) : ojson(s); }
ojson OrNull(int v) { return v == 0 ? ojson(nullptr) : ojson(v); }

ojson IntOrPercentJson(IntOrPercent v) { return v.percent ? ojson(FormatIntOrPercent(v)) : ojson(v.value); }

ojson HealthCheckJson(const std::optional<HealthCheck>& hc) {
  if (!hc) return nullptr;
  ojson out = ojson::object();
  if (auto* h = std::get_if<HttpProbe>(&hc->probe)) {
    out["http"] = ojson{{"path", h->path}, {"port", OrNull(h->port)}, {"expectedStatus", OrNull(h->expected_status)}};
  } else if (auto* t = std::get_if<TcpProbe>(&hc->probe)) {
    out["tcp"] = ojson{{"port", OrNull(t->port)}};
  } else if (auto* e = std::get_if<ExecProbe>(&hc->probe)) {
    out["exec"] = ojson{{"command", StringList(e->command)}};
  }
  out["initialDelay"] = FormatDuration(hc->initial_delay);
  out["period"] = FormatDuration(hc->period);
  out["timeout"] = FormatDuration(hc->timeout);
  out["failureThreshold"] = hc->failure_threshold;
  out["successThreshold"] = hc->success_threshold;
  return out;
}

void WorkloadJson(const WorkloadSpec& w, ojson& spec, bool has_timeout) {
  spec["runtime"] = w.runtime;
  spec["source"] = w.source.is_inline ? ojson{{"inline", w.source.inline_text}} : ojson{{"path", w.source.path}};
  spec["entrypoint"] = w.entrypoint;
  spec["args"] = StringList(w.args);
  spec["env"] = StringMap(w.env);
  ojson env_from = ojson::array();
  for (const auto& r : w.env_from) env_from.push_back(ojson{{"secretRef", {{"name", r.name}}}, {"prefix", r.prefix}});
  spec["envFrom"] = env_from;
  spec["resources"] = ojson{{"cpu", FormatCpu(w.resources.cpu)},
                            {"memory", FormatBytes(w.resources.memory)},
                            {"pids", w.resources.pids},
                            {"disk", FormatBytes(w.resources.disk)}};
  spec["isolation"] = ojson{{"level", w.isolation.level}, {"user", OrNull(w.isolation.user)}};
  if (has_timeout) spec["timeout"] = FormatDuration(w.timeout);
  spec["terminationGracePeriod"] = FormatDuration(w.termination_grace_period);
  spec["dependsOn"] = StringList(w.depends_on);
}

void JobJson(const JobSpec& j, ojson& spec) {
  WorkloadJson(j, spec, true);
  // With restartPolicy Never there is one attempt and no retry budget.
  spec["backoffLimit"] = j.restart_policy == RestartPolicy::kNever ? ojson(nullptr) : ojson(j.backoff_limit);
  spec["activeDeadline"] = FormatDuration(j.active_deadline);
  spec["restartPolicy"] = RestartPolicyName(j.restart_policy);
}

ojson SpecJson(const Object& obj, bool mask) {
  ojson spec = ojson::object();
  std::visit(
      [&](const auto& s) {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, DeploymentSpec>) {
          WorkloadJson(s, spec, false);
          spec["replicas"] = s.replicas;
          spec["port"] = s.port.mode == Port::Mode::kNone   ? ojson(nullptr)
                         : s.port.mode == Port::Mode::kAuto ? ojson("auto")
                                                            : ojson(s.port.number);
          spec["protocol"] = ProtocolName(s.protocol);
          // Written only when set: versions of Deployments that do not use
          // it stay what they were before the field existed.
          if (!s.lb_algorithm.empty() || s.cookie_affinity) {
            ojson lb = ojson::object();
            if (!s.lb_algorithm.empty()) lb["algorithm"] = s.lb_algorithm;
            if (s.cookie_affinity) lb["sessionAffinity"] = "cookie";
            spec["loadBalancing"] = lb;
          }
          spec["healthCheck"] = HealthCheckJson(s.health_check);
          spec["livenessCheck"] = HealthCheckJson(s.liveness_check);
          ojson strategy{{"type", StrategyTypeName(s.strategy.type)}};
          if (s.strategy.type == StrategyType::kRolling) {
            strategy["maxSurge"] = IntOrPercentJson(s.strategy.max_surge);
            strategy["maxUnavailable"] = IntOrPercentJson(s.strategy.max_unavailable);
          }
          spec["strategy"] = strategy;
          spec["restartPolicy"] = RestartPolicyName(s.restart_policy);
          spec["progressDeadline"] = FormatDuration(s.progress_deadline);
          spec["autoRevert"] = s.auto_revert;
        } else if constexpr (std::is_same_v<T, JobSpec>) {
          JobJson(s, spec);
        } else if constexpr (std::is_same_v<T, CronJobSpec>) {
          JobJson(s, spec);
          spec["schedule"] = OrNull(s.schedule);
          spec["every"] = OrNull(s.every);
          spec["timeZone"] = OrNull(s.time_zone);
          spec["concurrencyPolicy"] = ConcurrencyPolicyName(s.concurrency_policy);
          spec["startingDeadline"] = FormatDuration(s.starting_deadline);
          spec["suspend"] = s.suspend;
          spec["successfulJobsHistoryLimit"] = s.successful_jobs_history_limit;
          spec["failedJobsHistoryLimit"] = s.failed_jobs_history_limit;
        } else if constexpr (std::is_same_v<T, RunnerSpec>) {
          spec["command"] = StringList(s.command);
          spec["args"] = StringList(s.args);
          spec["extensions"] = StringList(s.extensions);
          spec["env"] = StringMap(s.env);
        } else if constexpr (std::is_same_v<T, SecretSpec>) {
          spec["type"] = s.type;
          spec["data"] = StringMap(s.data, mask);
          spec["stringData"] = StringMap(s.string_data, mask);
          spec["sealedData"] = StringMap(s.sealed_data, mask);
        } else if constexpr (std::is_same_v<T, IngressSpec>) {
          spec["address"] = s.address;
          spec["port"] = s.port;
          spec["tls"] = s.tls ? ojson{{"secretName", s.tls->secret_name}, {"hosts", StringList(s.tls->hosts)}}
                              : ojson(nullptr);
          ojson rules = ojson::array();
          for (const auto& r : s.rules) {
            ojson paths = ojson::array();
            for (const auto& p : r.paths) {
              paths.push_back(ojson{{"path", p.path},
                                    {"backend", {{"service", p.backend.service}, {"port", OrNull(p.backend.port)}}}});
            }
            rules.push_back(ojson{{"host", r.host}, {"paths", paths}});
          }
          spec["rules"] = rules;
        }
      },
      obj.spec);
  return spec;
}

void SodiumInit() {
  static const bool kReady = sodium_init() >= 0;
  (void)kReady;
}

}  // namespace

std::string Sha256Hex(std::string_view bytes) {
  SodiumInit();
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  std::string hex;
  hex.reserve(sizeof(out) * 2);
  for (unsigned char c : out) hex += fmt::format("{:02x}", c);
  return hex;
}

nlohmann::ordered_json ToCanonicalJson(const Object& obj, bool mask_secrets) {
  ojson j = ojson::object();
  j["apiVersion"] = kApiVersion;
  j["kind"] = KindName(obj.GetKind());
  ojson meta{{"name", obj.meta.name}};
  if (obj.GetKind() != Kind::kNamespace) meta["namespace"] = obj.meta.namespace_;
  meta["labels"] = StringMap(obj.meta.labels);
  j["metadata"] = meta;
  j["spec"] = SpecJson(obj, mask_secrets);
  if (obj.Workload()) {
    ojson files = ojson::array();
    for (const auto& [path, bytes] : obj.sources) files.push_back(ojson{{"path", path}, {"sha256", Sha256Hex(bytes)}});
    j["sourceFiles"] = files;
  }
  return j;
}

std::string ComputeVersion(const Object& obj) {
  ojson j = ToCanonicalJson(obj, false);
  // Scaling and scheduling change in place; they are not what runs.
  for (const char* k : {"replicas", "suspend", "schedule", "every"}) j["spec"].erase(k);
  // Replace, not throw: a file name from disk need not be UTF-8.
  return "v-" + Sha256Hex(j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)).substr(0, 8);
}

Result<Object> FromCanonicalJson(const nlohmann::json& json, std::map<std::string, std::string> sources) {
  if (!json.is_object()) return Fail(ErrorCode::kInvalid, "a stored object must be a JSON object");
  nlohmann::json body = json;
  nlohmann::json files = nlohmann::json::array();
  if (body.contains("sourceFiles")) {
    files = body["sourceFiles"];
    body.erase("sourceFiles");
  }
  std::vector<Diagnostic> diags;
  internal::YNode root = internal::FromJson(body);
  auto obj = internal::DecodeDocument(root, 0, "", internal::DocumentMode::kStrict, diags);
  if (!diags.empty() || !obj) {
    std::string message;
    for (const auto& d : diags) message += (message.empty() ? "" : "; ") + FormatText(d);
    return Fail(ErrorCode::kInvalid, message.empty() ? "not a valid object" : message);
  }
  WorkloadSpec* w = obj->Workload();
  if (w && w->source.is_inline && sources.empty()) sources[w->entrypoint] = w->source.inline_text;
  obj->sources = std::move(sources);
  if (w) {
    nlohmann::json expected = nlohmann::json::array();
    for (const auto& [path, bytes] : obj->sources) expected.push_back({{"path", path}, {"sha256", Sha256Hex(bytes)}});
    if (files != expected) {
      return Fail(ErrorCode::kInvalid, "the source files do not match the object's sourceFiles", obj->Key());
    }
    if (w->runtime.empty() || w->entrypoint.empty()) {
      return Fail(ErrorCode::kInvalid, "a stored workload must name its runtime and entrypoint", obj->Key());
    }
  }
  obj->file.clear();
  obj->line = obj->column = 0;
  obj->positions.clear();
  obj->version = ComputeVersion(*obj);
  return std::move(*obj);
}

}  // namespace prisn::manifests
