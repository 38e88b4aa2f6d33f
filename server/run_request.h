#pragma once
// POST /v1/runs (`prisn run FILE`): the request body, and the one-off Job it
// becomes. Pure functions: the route adds the store's Runners and hands the
// Job to the converge loop.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/types_workloads.h"
#include "manifests/types.h"
#include "util/error.h"

namespace prisn::server {

struct RunRequest {
  std::string ns = "default";
  std::string name;  // sanitised (SanitizeRunName); from the entrypoint when not given
  std::map<std::string, std::string> files;  // normalised relative path -> bytes
  std::string entrypoint;                    // one of files
  std::string runtime;                       // empty: inferred from the entrypoint
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::optional<manifests::Duration> timeout;
  std::optional<int> isolation;  // 0..2
  std::optional<manifests::Quantity> memory;
  std::optional<manifests::Quantity> cpu;
};

// Checks what the body's types do not say (file paths and contents, the
// entrypoint, the namespace, durations, sizes, isolation). kInvalid with a
// message that names the field for anything malformed.
Result<RunRequest> ParseRunRequest(const api::RunRequest& body);

// A DNS-1123 label from a script's stem: lower case, runs of other
// characters become one '-', at most 63 characters; "run" when nothing is left.
std::string SanitizeRunName(std::string_view stem);

// A Runner object the store holds, as far as choosing a runtime needs it.
struct KnownRunner {
  std::string ns;
  std::string name;
  std::vector<std::string> extensions;
};

// The Job a run executes: backoffLimit 0, restartPolicy Never, the files as
// its sources (one file: a file source; several: a folder source), its
// runtime checked or inferred (Runners of the run's namespace, then of
// "default", then the built-ins) and its version computed. kInvalid when the
// runtime is unknown or cannot be inferred.
Result<manifests::Object> BuildRunJob(const RunRequest& request,
                                      const std::vector<KnownRunner>& runners);

}  // namespace prisn::server
