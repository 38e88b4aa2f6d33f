#include "cli/log_target.h"

#include <cctype>

#include "api/kinds.h"

namespace prisn::cli {

bool IsRunId(std::string_view word) {
  if (word.size() != 12 || !word.starts_with("r-")) return false;
  for (char c : word.substr(2)) {
    if (!std::isxdigit(static_cast<unsigned char>(c)) ||
        std::isupper(static_cast<unsigned char>(c)))
      return false;
  }
  return true;
}

Result<LogTarget> ParseLogTarget(std::string_view word) {
  LogTarget t;
  auto slash = word.find('/');
  std::string_view name = slash == std::string_view::npos ? word : word.substr(slash + 1);
  if (name.empty())
    return Fail(ErrorCode::kInvalid, "name what to show the logs of", std::string(word));
  t.name = std::string(name);
  if (slash == std::string_view::npos) {
    if (IsRunId(word)) {
      t.type = LogTarget::Type::kRun;
      t.run_id = t.name;
    }
    return t;
  }
  auto kind = ResolveKind(word.substr(0, slash));
  if (!kind) return std::unexpected(kind.error());
  if (kind->kind == "Deployment") {
    t.type = LogTarget::Type::kDeployment;
    return t;
  }
  if (kind->kind == "Job") {
    if (IsRunId(name)) {
      t.type = LogTarget::Type::kRun;
      t.run_id = t.name;
    } else {
      t.type = LogTarget::Type::kJob;
    }
    return t;
  }
  return Fail(ErrorCode::kInvalid,
              "logs exist for deployments, jobs and runs, not for " + std::string(kind->plural),
              std::string(word));
}

std::optional<std::string> ReplicaBase(std::string_view name) {
  auto dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) return std::nullopt;
  for (char c : name.substr(dash + 1)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return std::string(name.substr(0, dash));
}

}  // namespace prisn::cli
