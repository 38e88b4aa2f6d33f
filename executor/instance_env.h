#pragma once
// Internal to the local backend: everything an instance needs before it can
// be spawned (runner, interpreter, workspace with its sources, dependency
// environment, cgroup, log, pipes, argv and environment), built on a worker
// thread because an environment build may take minutes.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "executor/cgroup.h"
#include "executor/env_cache.h"
#include "executor/log_file.h"
#include "executor/runner.h"
#include "executor/spawn.h"
#include "executor/user.h"
#include "executor/workspace.h"
#include "reconciler/backend.h"
#include "util/error.h"
#include "util/unique_fd.h"

namespace prisn::executor::internal {

// Shared by every preparation of one backend; read-only but for the
// registry's and the cache's own (thread-safe) memos.
struct PrepareContext {
  const RunnerRegistry* runners = nullptr;
  EnvCache* envs = nullptr;
  const CgroupLayout* cgroups = nullptr;  // null: run without cgroups
  bool limit_memory = false;              // the controllers the layout has
  bool limit_cpu = false;
  bool limit_pids = false;
  std::string run_dir;  // workspaces go to <run_dir>/<InstanceDirName(id)>
  std::string log_dir;  // logs go to LogPathOf(log_dir, ns, owner, replica)
  // A workload that names no user runs as `user` when set (the daemon's
  // choice), else as its namespace's user from `namespace_users`.
  std::optional<RunAs> user;
  NamespaceUsers* namespace_users = nullptr;
  // A mount point holding every workspace (SpawnOptions::detach_path);
  // empty: the workspaces are not mounts.
  std::string detach_path;
  std::string hidden_path;
  std::vector<BindPath> binds;
};

struct PreparedInstance {
  // Declared before what refers to them, so destroyed after.
  std::optional<Workspace> workspace;
  std::optional<Cgroup> cgroup;
  std::optional<LogWriter> log;
  // Complete but for stdout_fd, stderr_fd and cgroup, which the spawner
  // fills in from the members here.
  SpawnOptions spawn;
  UniqueFd out_read, out_write, err_read, err_write;  // close-on-exec pipes
  std::string env_key;  // the dependency environment in use; empty: none
};

// Fails with a message fit for kStartFailed: an unknown runner or a missing
// interpreter (naming the runner and what to install), an entrypoint that
// is not among the sources, a failed environment build (with the end of
// pip's or npm's output), or a workspace, cgroup, log or pipe that could
// not be made. Nothing is left behind on failure.
Result<PreparedInstance> PrepareInstance(const PrepareContext& ctx,
                                         const reconciler::InstanceSpec& spec);

// The Runner object as a RunnerDef named `name`. Every element of the
// command after the first goes before the args, so that "{script}" is
// replaced wherever it is written.
RunnerDef RunnerFromSpec(std::string name, const manifests::RunnerSpec& spec);

// "KEY=value" for the workload, later entries winning: PATH, HOME (the
// workspace) and LANG; the dependency environment's variables; the runner's
// defaults; workload.env; PRISN_NAMESPACE/NAME/REPLICA/VERSION; spec.env
// (PORT, which the backend adds when it chose one). The environment's bin
// directory goes before PATH.
std::vector<std::string> WorkloadEnv(const reconciler::InstanceSpec& spec, const RunnerDef& runner,
                                     const std::string& home, const Environment* deps);

// A free TCP port on 127.0.0.1 (the kernel's choice, released at once);
// 0 when none could be had. Instances listen on loopback: the proxy is the
// only way in from outside.
int PickLoopbackPort();

// One path component for an instance id: the id with anything but
// [A-Za-z0-9._-] replaced, and a hash of the id so that distinct ids never
// share it.
std::string InstanceDirName(std::string_view id);

// The value of `name` in a "KEY=value" list; empty when absent.
std::string EnvValue(const std::vector<std::string>& env, std::string_view name);

}  // namespace prisn::executor::internal
