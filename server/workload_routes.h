#pragma once
// Shared by routes_workloads.cc and routes_runs.cc: the answers and query
// parsing both need.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/types_workloads.h"
#include "reconciler/backend.h"
#include "server/api_internal.h"

namespace prisn::server {

// 503: the daemon runs without a converge loop (API tests).
HttpResponse NoConvergeLoop();

// A query parameter's value (api::query::k...); "" when absent.
std::string WorkloadQueryParam(const HttpRequest& request, std::string_view key);

// An integer query parameter in [min, max]; nullopt when absent or empty.
// Values above max are clamped when `clamp` (wait=), refused otherwise.
Result<std::optional<int64_t>> QueryInt(const HttpRequest& request, const std::string& key,
                                        int64_t min, int64_t max, bool clamp = false);

// How long a log request may wait for new lines, at most.
inline constexpr int64_t kMaxLogWaitMs = 10000;
// How often a waiting log request looks at the files again.
inline constexpr int64_t kLogPollMs = 50;

// The most lines one log read returns per replica or run.
inline constexpr int64_t kMaxLogLines = 10000;

// Reads through the backend (Backend::ReadLogs); no lines without one.
Result<reconciler::LogPage> ReadLogs(const Api::Core& core, const reconciler::LogQuery& query);

// The lines of a log page as the API shows them; a missing time is null.
std::vector<api::LogLine> LogLinesView(const std::vector<reconciler::LogLine>& lines);

}  // namespace prisn::server
