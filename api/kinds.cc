#include "api/kinds.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

#include "util/strings.h"

namespace prisn::api {
namespace {

constexpr std::array<KindInfo, 7> kKinds{{
    {"Namespace", "namespace", "namespaces", "ns", false},
    {"Deployment", "deployment", "deployments", "deploy", true},
    {"Job", "job", "jobs", "", true},
    {"CronJob", "cronjob", "cronjobs", "cron", true},
    {"Runner", "runner", "runners", "", true},
    {"Secret", "secret", "secrets", "", true},
    {"Ingress", "ingress", "ingresses", "ing", true},
}};

}  // namespace

std::span<const KindInfo> AllKinds() { return kKinds; }

Result<KindInfo> ResolveKind(std::string_view word) {
  std::string w = AsciiLower(word);
  for (const auto& k : kKinds) {
    if (w == k.singular || w == k.plural || (!k.short_name.empty() && w == k.short_name)) {
      return k;
    }
  }
  std::string best;
  size_t best_distance = 3;  // suggest only near misses
  std::string accepted;
  for (const auto& k : kKinds) {
    for (std::string_view spelling : {k.singular, k.plural, k.short_name}) {
      if (spelling.empty()) continue;
      size_t d = EditDistance(w, spelling);
      if (d < best_distance) {
        best_distance = d;
        best = std::string(spelling);
      }
    }
    if (!accepted.empty()) accepted += ", ";
    accepted += std::string(k.singular);
    if (!k.short_name.empty()) accepted += fmt::format(" ({})", k.short_name);
  }
  std::string message = fmt::format("unknown kind \"{}\"", word);
  if (!best.empty()) message += fmt::format("; did you mean \"{}\"?", best);
  message += fmt::format(" (kinds: {})", accepted);
  return Fail(ErrorCode::kInvalid, std::move(message));
}

}  // namespace prisn::api
