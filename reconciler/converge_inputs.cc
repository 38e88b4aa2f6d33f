// What the loop reads before it acts: the desired object, whether its
// dependencies and secrets are there, and the InstanceSpec a backend needs.
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "manifests/canonical.h"
#include "manifests/runtime.h"
#include "reconciler/converge_impl.h"

namespace prisn::reconciler {

namespace {

Result<manifests::Object> LoadObject(store::Store& s, const store::ObjectKey& key) {
  auto json = s.GetCanonical(key);
  if (!json) return std::unexpected(json.error());
  auto sources = s.GetSources(key);
  if (!sources) return std::unexpected(sources.error());
  auto parsed = nlohmann::json::parse(*json, nullptr, false);
  if (parsed.is_discarded())
    return Fail(ErrorCode::kInternal, "stored canonical JSON does not parse", key.ToString());
  return manifests::FromCanonicalJson(parsed, std::move(*sources));
}

}  // namespace

Result<bool> Converger::Impl::LoadDesired(Workload& w) {
  auto stored = store.With([&](store::Store& s) { return s.Get(w.key); });
  if (!stored) return std::unexpected(stored.error());
  if (!*stored) return false;
  const store::StoredObject& o = **stored;
  if (o.generation == w.generation && w.object) return true;
  auto object = store.With([&](store::Store& s) { return LoadObject(s, w.key); });
  if (!object) return std::unexpected(object.error());
  w.object = std::move(*object);
  w.generation = o.generation;
  if (!w.healthy_loaded) {
    auto healthy = store.With([&](store::Store& s) { return s.HealthyVersion(w.key); });
    if (healthy && *healthy) w.healthy_version = **healthy;
    w.healthy_loaded = true;
  }
  return true;
}

std::string Converger::Impl::Blockers(const Workload& w, std::vector<std::string>& waiting_for) {
  waiting_for.clear();
  const manifests::WorkloadSpec* spec = w.object->Workload();
  if (!spec) return {};
  const std::string& ns = w.key.ns;
  std::vector<std::string> reasons;
  for (const std::string& dep : spec->depends_on) {
    std::string found_state;
    bool found = false;
    bool healthy = false;
    std::string dep_key;
    for (const char* kind : {"Deployment", "Job", "CronJob", "Secret", "Runner", "Ingress"}) {
      store::ObjectKey key{kind, ns, dep};
      auto st = published.With([&](const auto& m) -> std::optional<WorkloadStatus> {
        auto it = m.find(key);
        if (it == m.end()) return std::nullopt;
        return it->second;
      });
      if (st) {
        found = true;
        dep_key = key.ToString();
        if (kind == std::string("Deployment")) {
          healthy = st->state == WorkloadState::kRunning && st->ready >= st->desired;
          found_state = std::to_string(st->ready) + "/" + std::to_string(st->desired) + " ready";
        } else {
          healthy = st->state == WorkloadState::kSucceeded;
          found_state = WorkloadStateName(st->state);
        }
        break;
      }
      auto stored = store.With([&](store::Store& s) { return s.Get(key); });
      if (stored && *stored) {
        found = true;
        dep_key = key.ToString();
        // Workloads count once the loop has seen them healthy; other kinds
        // by existing.
        healthy = kind != std::string("Deployment") && kind != std::string("Job");
        found_state = "not started yet";
        break;
      }
    }
    if (!found) {
      waiting_for.push_back(ns + "/" + dep);
      reasons.push_back(dep + " (not found in namespace " + ns + ")");
    } else if (!healthy) {
      waiting_for.push_back(dep_key);
      reasons.push_back(dep_key + " (" + found_state + ")");
    }
  }
  for (const manifests::SecretRef& ref : spec->env_from) {
    store::ObjectKey key{"Secret", ns, ref.name};
    auto stored = store.With([&](store::Store& s) { return s.Get(key); });
    if (!stored || !*stored) {
      waiting_for.push_back(key.ToString());
      reasons.push_back("secret " + ref.name + " (not found; create it with prisn secret create " +
                        ref.name + ")");
    }
  }
  if (reasons.empty()) return {};
  std::string out = "waiting for ";
  for (size_t i = 0; i < reasons.size(); ++i) out += (i ? ", " : "") + reasons[i];
  return out;
}

Result<InstanceSpec> Converger::Impl::BuildSpec(const manifests::Object& object,
                                                const std::string& replica, bool wants_port) {
  const manifests::WorkloadSpec* w = object.Workload();
  if (!w) return Fail(ErrorCode::kInternal, "not a workload", object.Key());
  InstanceSpec spec;
  spec.kind = object.GetKind();
  spec.ns = object.meta.namespace_;
  spec.owner = object.meta.name;
  spec.replica = replica;
  spec.version = object.version;
  spec.workload = *w;
  spec.sources = object.sources;
  spec.wants_port = wants_port;
  spec.timeout = w->timeout;
  if (const auto* d = std::get_if<manifests::DeploymentSpec>(&object.spec)) {
    spec.readiness = d->health_check;
    spec.min_ready = options.min_ready;
    spec.liveness = d->liveness_check ? d->liveness_check : d->health_check;
  }
  if (!w->runtime.empty() && !manifests::FindBuiltinRunner(w->runtime)) {
    for (const std::string& scope : {spec.ns, std::string("default")}) {
      store::ObjectKey key{"Runner", scope, w->runtime};
      auto runner = store.With([&](store::Store& s) -> Result<std::optional<manifests::Object>> {
        auto stored = s.Get(key);
        if (!stored) return std::unexpected(stored.error());
        if (!*stored) return std::optional<manifests::Object>();
        auto o = LoadObject(s, key);
        if (!o) return std::unexpected(o.error());
        return std::optional<manifests::Object>(std::move(*o));
      });
      if (!runner) return std::unexpected(runner.error());
      if (*runner) {
        spec.runner = std::get<manifests::RunnerSpec>((*runner)->spec);
        break;
      }
    }
    if (!spec.runner)
      return Fail(ErrorCode::kNotFound,
                  "runner " + w->runtime + " is not defined; apply a Runner manifest named " +
                      w->runtime,
                  object.Key());
  }
  for (const manifests::SecretRef& ref : w->env_from) {
    store::ObjectKey key{"Secret", spec.ns, ref.name};
    auto secret = store.With([&](store::Store& s) { return LoadObject(s, key); });
    if (!secret) return std::unexpected(secret.error());
    auto values = manifests::PlainSecretValues(std::get<manifests::SecretSpec>(secret->spec));
    if (!values) return std::unexpected(values.error());
    for (auto& [k, v] : *values) spec.env[ref.prefix + k] = v;
  }
  return spec;
}

}  // namespace prisn::reconciler
