#pragma once
// The first half of `apply` and `diff`: load the -f paths locally, validate
// them as a whole, and build the request that carries them (docs/API.md
// POST /v1/apply and /v1/diff).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/client.h"
#include "cli/local_set.h"
#include "util/error.h"

namespace prisn::cli {

using api::ApiClient;
using api::Connection;
using api::EnvLookup;

struct PreparedSet {
  LocalInputs inputs;
  std::string set_name;
  api::ApplyRequest request;  // set, paths, files
  size_t objects = 0;
};

// Loads and validates. References to objects the set does not define
// (a Secret made with `prisn secret create`) are checked against what the
// server holds: when the first load fails and `client` is given, the
// server's object keys are fetched and the set is loaded again. An invalid
// set prints its diagnostics on stderr and fails with kInvalid; nothing is
// sent.
Result<PreparedSet> PrepareSet(const std::vector<std::string>& args, const std::string& set_flag,
                               ApiClient* client);

}  // namespace prisn::cli
