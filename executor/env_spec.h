#pragma once
// What a workload's dependency environment is made of: the declared
// dependencies read from its source folder, normalized so that equivalent
// declarations give the same cache key.

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace prisn::executor {

enum class EnvKind { kPython, kNode };

struct DependencySpec {
  EnvKind kind = EnvKind::kPython;
  std::string origin;              // "requirements.txt", "pyproject.toml", "package.json"
  std::vector<std::string> lines;  // python: requirement lines, normalized and sorted
  std::string manifest;            // node: package.json as written
  std::string lockfile;            // node: package-lock.json; empty without one
};

// requirements.txt, else the [project] dependencies of pyproject.toml;
// nullopt when the folder declares none. kInvalid for lines prisn cannot
// cache faithfully (-r/-c includes, -e editables) and for a broken
// pyproject.toml.
Result<std::optional<DependencySpec>> ReadPythonDependencies(const std::string& dir);
// package.json with a non-empty "dependencies" (and package-lock.json when
// present); nullopt otherwise.
Result<std::optional<DependencySpec>> ReadNodeDependencies(const std::string& dir);

// Comments, blank lines and spacing dropped; sorted. Fails like above.
Result<std::vector<std::string>> NormalizeRequirements(std::string_view text,
                                                       std::string_view origin);

std::string Sha256Hex(std::string_view data);

// Top-level modules a Python source imports that are neither in `stdlib`
// nor in `local` (the folder's own modules), as package names to suggest
// (yaml -> PyYAML, PIL -> Pillow, ...). It only suggests: prisn never
// installs what was not declared.
std::vector<std::string> SuggestPythonPackages(std::string_view source,
                                               const std::set<std::string>& stdlib,
                                               const std::set<std::string>& local);

}  // namespace prisn::executor
