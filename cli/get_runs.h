#pragma once
// `prisn get jobs` lists runs (every attempt series of a Job, and every
// `prisn run`), newest first; `prisn get job r-...` shows one run. A Job
// object is still shown by `prisn get job NAME`.

#include <optional>
#include <string>
#include <vector>

#include "cli/command_util.h"

namespace prisn::cli {

// The run id that `words` (KIND NAME or KIND/NAME) names, when the kind is
// job and the name is a run id ("r-" + 10 hex).
std::optional<std::string> RunIdIn(const std::vector<std::string>& words);

// GET /v1/runs, printed as RunTable (or json/yaml). Returns the exit code.
int ListRuns(Context& ctx, ApiClient& client, const NamespaceOptions& ns, int limit);

// GET /v1/runs/{id}. Exit 1 when there is no such run.
int ShowRun(Context& ctx, ApiClient& client, const std::string& id);

}  // namespace prisn::cli
