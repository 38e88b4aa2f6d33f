#pragma once
// What `prisn logs TARGET` names, as far as the words tell without asking
// the server.

#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace prisn::cli {

struct LogTarget {
  enum class Type {
    kRun,         // job/r-1a2b3c4d5e or r-1a2b3c4d5e: one run
    kDeployment,  // deploy/NAME
    kJob,         // job/NAME
    kBare,        // NAME: a deployment, a job, a replica or `prisn run` scripts; ask the server
  };
  Type type = Type::kBare;
  std::string name;     // the workload
  std::string replica;  // one replica of a deployment ("api-0"); empty: all
  std::string run_id;   // kRun
};

// Is `word` a run id: "r-" and 10 lowercase hex digits?
bool IsRunId(std::string_view word);

// Parses TARGET. kInvalid for a kind without logs (secret/x) or an empty name.
Result<LogTarget> ParseLogTarget(std::string_view word);

// "api" for "api-2"; nullopt when `name` does not end in "-<digits>".
std::optional<std::string> ReplicaBase(std::string_view name);

}  // namespace prisn::cli
