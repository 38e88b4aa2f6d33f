#pragma once
// Runners: which interpreter runs a script, and the command line for it.
//
// python3, node and bash are built in; a Runner manifest adds or replaces
// one (`command`, `args` containing "{script}", `extensions`). The runtime
// is the named runner, else the one whose extension matches the entrypoint.
// Each interpreter is looked up once and exec'd by its real path: in the
// system folders first (/usr/local/bin, /usr/bin, /bin), then on the PATH
// the daemon was given, never in a version-manager shim folder (a folder
// named "shims", e.g. ~/.pyenv/shims: a shim costs 50-100 ms a start), and
// only where a workload's user can execute it (the daemon's own PATH may
// name folders only root can enter, like a pyenv under /root).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"
#include "util/synchronized.h"

namespace prisn::executor {

struct RunnerDef {
  std::string name;
  std::vector<std::string> command;           // interpreter (absolute, or a name on PATH), flags
  std::vector<std::string> args{"{script}"};  // after command; "{script}" is the entrypoint
  std::vector<std::string> extensions;        // ".lua"
  std::map<std::string, std::string> env;     // defaults the workload's env may override
};

// python3 (.py; PYTHONUNBUFFERED=1 so that output streams as it is
// printed), node (.js .mjs .cjs), bash (.sh .bash).
std::vector<RunnerDef> BuiltinRunners();

// Where interpreters are looked up before any PATH a daemon inherits.
inline constexpr std::string_view kSystemPath = "/usr/local/bin:/usr/bin:/bin";

// kSystemPath, then `search_path`: a workload gets the host's interpreter
// rather than one a login shell's PATH put first.
std::string SystemPathFirst(std::string_view search_path);

// The executable `name` on `search_path` (a PATH value), skipping shim
// directories, as a real path. Only files every user may execute count:
// the real file and every folder above it need the "others" execute bit
// (workloads run as uids that own nothing on the host). A name with a '/'
// is checked the same way. kNotFound when there is none.
Result<std::string> FindOnPath(std::string_view name, std::string_view search_path);

// The runners of one daemon. Thread-safe.
class RunnerRegistry {
 public:
  // `search_path`: the PATH interpreters are looked up on, after
  // kSystemPath.
  explicit RunnerRegistry(std::string search_path);

  // Adds a runner, replacing one of the same name (built-ins included).
  // kInvalid when the name or command is empty, args lack "{script}", or an
  // extension does not start with '.'.
  Status Add(RunnerDef def);
  Result<RunnerDef> Find(std::string_view name) const;
  // `runtime` when given, else inferred from the entrypoint's extension.
  Result<RunnerDef> Select(std::string_view runtime, std::string_view entrypoint) const;

  // The real path of the runner's interpreter, resolved once and cached
  // (re-resolved if it disappears). A missing interpreter is kUnavailable
  // naming the runner and what to install.
  Result<std::string> Interpreter(const RunnerDef& def) const;

  // "python3 /usr/bin/python3.11, node (not found: apt-get install
  // nodejs), ...": which interpreter each runner uses, for the start-up log.
  std::string Summary() const;

  // argv: [interpreter, command flags..., args with {script} replaced...,
  // script_args...]. `interpreter` overrides the resolved one (a virtualenv's
  // python).
  Result<std::vector<std::string>> Command(const RunnerDef& def, std::string_view script,
                                           const std::vector<std::string>& script_args,
                                           std::string_view interpreter = {}) const;

 private:
  std::string search_path_;
  Synchronized<std::map<std::string, RunnerDef>> runners_;
  mutable Synchronized<std::map<std::string, std::string>> resolved_;  // command[0] -> real path
};

}  // namespace prisn::executor
