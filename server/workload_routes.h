#pragma once
// Shared by routes_workloads.cc and routes_runs.cc: the answers and query
// parsing both need.

#include <cstdint>
#include <optional>
#include <string>

#include "server/api_internal.h"

namespace prisn::server {

// 503: the daemon runs without a converge loop (API tests).
HttpResponse NoConvergeLoop();

// An integer query parameter in [min, max]; nullopt when absent or empty.
// Values above max are clamped when `clamp` (wait=), refused otherwise.
Result<std::optional<int64_t>> QueryInt(const HttpRequest& request, const std::string& key,
                                        int64_t min, int64_t max, bool clamp = false);

// How long a log request may wait for new lines, at most.
inline constexpr int64_t kMaxLogWaitMs = 10000;
// How often a waiting log request looks at the files again.
inline constexpr int64_t kLogPollMs = 50;

// <state_dir>/logs/<ns>/<name>: where the workload's log files are.
std::string WorkloadLogDir(const Api::Core& core, const std::string& ns, const std::string& name);

}  // namespace prisn::server
