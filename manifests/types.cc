#include "manifests/types.h"

#include <sodium.h>

#include <array>

namespace prisn::manifests {
namespace {

constexpr std::array<std::string_view, 7> kKindNames{"Namespace", "Deployment", "Job",    "CronJob",
                                                     "Runner",    "Secret",     "Ingress"};

}  // namespace

std::string_view KindName(Kind kind) { return kKindNames[static_cast<std::size_t>(kind)]; }

std::optional<Kind> ParseKind(std::string_view name) {
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name) return static_cast<Kind>(i);
  }
  return std::nullopt;
}

std::string MakeKey(Kind kind, std::string_view ns, std::string_view name) {
  std::string key(KindName(kind));
  if (kind != Kind::kNamespace) {
    key += '/';
    key += ns;
  }
  key += '/';
  key += name;
  return key;
}

Kind Object::GetKind() const { return static_cast<Kind>(spec.index()); }

std::string Object::Key() const { return MakeKey(GetKind(), meta.namespace_, meta.name); }

const WorkloadSpec* Object::Workload() const {
  if (auto* d = std::get_if<DeploymentSpec>(&spec)) return d;
  if (auto* j = std::get_if<JobSpec>(&spec)) return j;
  if (auto* c = std::get_if<CronJobSpec>(&spec)) return c;
  return nullptr;
}

WorkloadSpec* Object::Workload() {
  return const_cast<WorkloadSpec*>(static_cast<const Object*>(this)->Workload());
}

Position Object::PositionOf(std::string_view field) const {
  auto it = positions.find(std::string(field));
  if (it != positions.end()) return it->second;
  return Position{line, column};
}

std::string_view ProtocolName(Protocol p) { return p == Protocol::kHttp ? "http" : "tcp"; }

std::string_view RestartPolicyName(RestartPolicy p) {
  switch (p) {
    case RestartPolicy::kAlways: return "Always";
    case RestartPolicy::kOnFailure: return "OnFailure";
    case RestartPolicy::kNever: return "Never";
  }
  return "Always";
}

std::string_view StrategyTypeName(StrategyType t) { return t == StrategyType::kRecreate ? "recreate" : "rolling"; }

std::string_view ConcurrencyPolicyName(ConcurrencyPolicy p) {
  switch (p) {
    case ConcurrencyPolicy::kAllow: return "Allow";
    case ConcurrencyPolicy::kForbid: return "Forbid";
    case ConcurrencyPolicy::kReplace: return "Replace";
  }
  return "Forbid";
}

Result<std::map<std::string, std::string>> PlainSecretValues(const SecretSpec& spec) {
  std::map<std::string, std::string> out = spec.string_data;
  for (const auto& [key, b64] : spec.data) {
    std::string bin(b64.size(), '\0');
    std::size_t len = 0;
    const char* end = nullptr;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(bin.data()), bin.size(), b64.data(), b64.size(),
                          "\n\r ", &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != b64.data() + b64.size()) {
      return Fail(ErrorCode::kInvalid, "invalid base64 value", "spec.data." + key);
    }
    bin.resize(len);
    out[key] = std::move(bin);
  }
  return out;
}

}  // namespace prisn::manifests
