#pragma once
// The interpreters prisn knows without a Runner manifest, and how a workload's
// runtime is found: the named runtime, or the one whose extension matches the
// entrypoint. A Runner object in the workload's namespace (then in "default")
// takes precedence over a built-in of the same name.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "manifests/types.h"

namespace prisn::manifests {

struct NamedRunner {
  std::string name;
  RunnerSpec spec;
};

// python3 (.py), node (.js .mjs .cjs), bash (.sh); command is the bare
// interpreter name, to be resolved on PATH by the executor.
const std::vector<NamedRunner>& BuiltinRunners();
std::optional<NamedRunner> FindBuiltinRunner(std::string_view name);

// ".py" for "app/main.py"; empty when there is no extension.
std::string ExtensionOf(std::string_view path);

}  // namespace prisn::manifests
