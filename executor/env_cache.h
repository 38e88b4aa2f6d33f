#pragma once
// Dependency environments, built once and shared by every run that needs
// the same one.
//
// Python: a virtualenv created without pip (`python -m venv --without-pip`)
// and filled by the interpreter's own pip (`python -m pip --python <venv>
// install -r ...`, pip >= 22.3). Node: `npm ci` (with package-lock.json) or
// `npm install` into a cached node_modules. The cache directory of an
// environment is <root>/<kind>-<key>, where the key hashes the normalized
// dependency declaration, the interpreter's real path and version, and the
// platform (machine and libc).
//
// An environment is built in place (a venv is not relocatable: its scripts
// name their own path) under an exclusive flock on <root>/<kind>-<key>.lock,
// so concurrent runs needing it build it once, also across processes; it
// counts only once its ".prisn-ready" marker exists, and a failed build
// removes the directory. Package index settings pass through from the build
// environment (PIP_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX, npm_config_*,
// proxies), so builds work offline from a wheelhouse.
//
// Builds block the calling thread (seconds to minutes): call from a worker
// thread. Thread-safe.

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "executor/env_spec.h"
#include "util/error.h"
#include "util/synchronized.h"

namespace prisn::executor {

struct EnvCacheOptions {
  std::string root;                    // e.g. <state>/envs; created when missing
  std::vector<std::string> build_env;  // "KEY=value" for pip and npm: see PackageIndexEnv
  std::string search_path = "/usr/local/bin:/usr/bin:/bin";  // where npm is looked up
  std::chrono::milliseconds build_timeout{std::chrono::minutes(15)};
};

struct Environment {
  EnvKind kind = EnvKind::kPython;
  std::string key;
  std::string dir;
  std::string interpreter;       // python: <dir>/bin/python3 (exec this path, not its target)
  std::vector<std::string> env;  // VIRTUAL_ENV / NODE_PATH for the workload
  std::string path_prefix;       // put before the workload's PATH
  bool built = false;            // this call built it: a cache miss
};

// The variables of `environ` that a package build should see: PATH, HOME,
// PIP_*, npm_config_* / NPM_CONFIG_*, the proxies and certificate settings.
std::vector<std::string> PackageIndexEnv(char** environ);

class EnvCache {
 public:
  explicit EnvCache(EnvCacheOptions options);

  // The environment for the Python sources in `source_dir`, built if needed
  // with `python` (a real interpreter path); nullopt when they declare no
  // dependencies. A failed build is kUnavailable with pip's output.
  Result<std::optional<Environment>> EnsurePython(const std::string& source_dir,
                                                  const std::string& python);
  // The same for Node sources, built with `node` and the npm found on the
  // search path.
  Result<std::optional<Environment>> EnsureNode(const std::string& source_dir,
                                                const std::string& node);

  // The import scan: packages the source seems to need but does not declare.
  // Suggestions only; nothing is installed.
  Result<std::vector<std::string>> SuggestPython(const std::string& source_dir,
                                                 const std::string& entrypoint,
                                                 const std::string& python);

  // Removes environments whose last use is older than `max_age` (and
  // abandoned half builds), except the keys in `keep` (environments of
  // running services). Environments being built or used right now are
  // skipped. Returns how many were removed.
  Result<int> CollectGarbage(std::chrono::seconds max_age, const std::set<std::string>& keep = {});

  const std::string& root() const { return options_.root; }

 private:
  struct Identity {
    std::string real_path;
    std::string version;  // "Python 3.11.2", "v20.20.2"
  };
  Result<Identity> InterpreterIdentity(const std::string& interpreter);
  Result<Environment> Ensure(const DependencySpec& spec, const Identity& id,
                             const std::string& interpreter);
  Status Build(const DependencySpec& spec, const std::string& interpreter, const std::string& dir);
  Status BuildPython(const DependencySpec& spec, const std::string& python, const std::string& dir);
  Status BuildNode(const DependencySpec& spec, const std::string& node, const std::string& dir);
  // Runs a build tool at level 0 with the build environment plus `extra_env`;
  // its output (the end of it) on success, or in the error.
  Result<std::string> RunTool(const std::vector<std::string>& argv, const std::string& cwd,
                              const std::string& what,
                              const std::vector<std::string>& extra_env = {});

  EnvCacheOptions options_;
  Synchronized<std::map<std::string, Identity>> identities_;           // by "path mtime size"
  Synchronized<std::map<std::string, std::set<std::string>>> stdlib_;  // by interpreter
};

}  // namespace prisn::executor
