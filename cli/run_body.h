#pragma once
// `prisn run FILE`: the request it sends (docs/API.md POST /v1/runs), and
// the small parsers `run` and `deploy` share.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/types_workloads.h"
#include "util/error.h"

namespace prisn::cli {

struct RunFlags {
  std::string file;
  std::string ns = "default";
  std::string runtime;
  std::string timeout;
  std::string memory;
  std::string cpu;
  std::optional<int> isolation;
  std::vector<std::string> env;   // K=V
  std::vector<std::string> args;  // after --
};

// Files sent along with the script, from its folder, when present: the
// dependency manifests the executor builds environments from.
inline constexpr const char* kDependencyFiles[] = {"requirements.txt", "pyproject.toml",
                                                   "package.json", "package-lock.json"};

// "KEY=VALUE" (the value may hold '=' and be empty). kInvalid without '='
// or with an empty key.
Result<std::pair<std::string, std::string>> ParseEnvAssignment(std::string_view text);
// Every --env of a command, later ones winning.
Result<std::map<std::string, std::string>> ParseEnvFlags(const std::vector<std::string>& flags);

// Is `bytes` valid UTF-8 (JSON strings must be)?
bool IsUtf8(std::string_view bytes);

// The POST /v1/runs body: the script (and the dependency files beside it)
// keyed by file name, as UTF-8 text in `files` or, when not UTF-8, base64 in
// `files_base64`. kNotFound when the script does not exist, kInvalid for a
// folder or a bad --env.
Result<api::RunRequest> BuildRunBody(const RunFlags& flags);

}  // namespace prisn::cli
