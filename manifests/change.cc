#include "manifests/change.h"

#include <algorithm>
#include <set>

#include "manifests/canonical.h"

namespace prisn::manifests {
namespace {

// Spec fields of a Deployment or CronJob that never restart anything.
bool InPlaceField(Kind kind, const std::string& field) {
  static const std::set<std::string> kDeployment{"replicas", "strategy", "progressDeadline", "autoRevert"};
  static const std::set<std::string> kCron{"schedule",         "every",   "timeZone",
                                           "concurrencyPolicy", "startingDeadline", "suspend",
                                           "successfulJobsHistoryLimit", "failedJobsHistoryLimit"};
  if (kind == Kind::kDeployment) return kDeployment.count(field) > 0;
  if (kind == Kind::kCronJob) return kCron.count(field) > 0;
  return false;
}

bool RecreateField(Kind kind, const std::string& field) {
  static const std::set<std::string> kDeployment{"runtime", "port", "protocol", "isolation"};
  return kind == Kind::kDeployment && kDeployment.count(field) > 0;
}

ChangeClass Max(ChangeClass a, ChangeClass b) { return static_cast<int>(a) >= static_cast<int>(b) ? a : b; }

}  // namespace

std::string_view ChangeClassName(ChangeClass c) {
  switch (c) {
    case ChangeClass::kNone: return "none";
    case ChangeClass::kInPlace: return "in-place";
    case ChangeClass::kRolling: return "rolling";
    case ChangeClass::kRecreate: return "recreate";
    case ChangeClass::kCreate: return "create";
    case ChangeClass::kDelete: return "delete";
  }
  return "none";
}

ChangeClass Classify(const Object* before, const Object* after) {
  if (!before && !after) return ChangeClass::kNone;
  if (!before) return ChangeClass::kCreate;
  if (!after) return ChangeClass::kDelete;
  if (before->GetKind() != after->GetKind()) return ChangeClass::kRecreate;
  const Kind kind = after->GetKind();
  auto a = ToCanonicalJson(*before);
  auto b = ToCanonicalJson(*after);
  if (a == b) return ChangeClass::kNone;
  if (!after->Workload()) return ChangeClass::kInPlace;  // Namespace, Runner, Secret, Ingress

  ChangeClass result = ChangeClass::kNone;
  if (a["metadata"] != b["metadata"]) result = ChangeClass::kInPlace;
  // Anything that is part of the version but not in place restarts: for a
  // Job that means running it again.
  const ChangeClass restart = kind == Kind::kJob ? ChangeClass::kRecreate : ChangeClass::kRolling;
  if (a["sourceFiles"] != b["sourceFiles"]) result = Max(result, restart);
  std::set<std::string> fields;
  for (const auto& [k, _] : a["spec"].items()) fields.insert(k);
  for (const auto& [k, _] : b["spec"].items()) fields.insert(k);
  for (const auto& field : fields) {
    const auto& x = a["spec"].contains(field) ? a["spec"][field] : nlohmann::ordered_json();
    const auto& y = b["spec"].contains(field) ? b["spec"][field] : nlohmann::ordered_json();
    if (x == y) continue;
    ChangeClass c = InPlaceField(kind, field) ? ChangeClass::kInPlace
                    : RecreateField(kind, field) ? ChangeClass::kRecreate
                                                 : restart;
    result = Max(result, c);
  }
  return result == ChangeClass::kNone ? ChangeClass::kInPlace : result;
}

}  // namespace prisn::manifests
