#pragma once
// `prisn scale`'s arguments: which deployment and the one change asked for,
// as the body of POST .../scale (docs/API.md).

#include <optional>
#include <string>
#include <vector>

#include "api/types_workloads.h"
#include "util/error.h"

namespace prisn::cli {

struct ScaleArgs {
  std::optional<long long> add;
  std::optional<double> multiply;
};

struct ScaleRequestArgs {
  std::string name;        // the deployment
  api::ScaleRequest body;  // one of replicas, add and multiply
};

// words: NAME [N] (NAME may be "deploy/NAME"). Exactly one of N, --add and
// --multiply; kInvalid otherwise, or for another kind than deployment.
Result<ScaleRequestArgs> ParseScaleWords(const std::vector<std::string>& words,
                                         const ScaleArgs& args);

// "deployment/api scaled from 3 to 5", or "deployment/api already has 3 replicas".
std::string ScaleText(const std::string& name, long long previous, long long replicas);

}  // namespace prisn::cli
