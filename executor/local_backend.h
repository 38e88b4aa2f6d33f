#pragma once
// The local Backend: instances are processes on this host.
//
// Start returns at once. A small worker pool prepares an instance (runner
// and interpreter, a workspace holding its sources, the dependency
// environment, a cgroup with the workload's limits, its log file); one
// long-lived backend thread then spawns it (a child's die-with-parent signal
// follows the thread that spawned it), pumps its stdout and stderr into the
// log file line by line, schedules its timeout and probes, notices its exit
// through its pidfd, and reports everything to the observer. Probes run on
// their own small pool and never delay a spawn.
//
// Isolation follows workload.isolation.level. Workspaces live under
// <state_dir>/run, which the backend makes a mount point of its own, so that
// each workload's mount namespace drops all the others' (detach_path).
// Without root Spawn runs level
// 0 and kStarted says so in `degraded`, as it does when the host has no
// usable cgroups (the instance then runs without limits).
//
// No process outlives the backend: StopAll, and the destructor, stop every
// instance (each process group or PID namespace, and cgroup) and reap it.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "executor/spawn.h"
#include "executor/user.h"
#include "reconciler/backend.h"
#include "util/error.h"

namespace prisn::executor {

struct LocalBackendOptions {
  // Absolute. Workspaces go to <state_dir>/run/<instance>, dependency
  // environments to <state_dir>/envs. Created when missing.
  std::string state_dir;
  // The cgroup directory below the daemon's own cgroup. Empty: "prisn-" and
  // 8 hex digits of a hash of state_dir, so that daemons with different
  // state directories never share one.
  std::string cgroup_subdir;
  bool use_cgroups = true;  // false: run without cgroups (kStarted says so)
  // cgroup v2: when the daemon's own cgroup holds processes, move the daemon
  // into a leaf <own>/daemon so that controllers can be enabled below.
  bool cgroup_move_self_if_busy = true;
  // Where interpreters (and exec probe commands) are looked up.
  std::string search_path = "/usr/local/bin:/usr/bin:/bin";
  // The environment of pip and npm: see PackageIndexEnv(environ).
  std::vector<std::string> build_env;
  std::chrono::milliseconds env_build_timeout{std::chrono::minutes(15)};
  // The workloads' user at isolation levels 1 and 2 when a workload names
  // none. Empty (the default): each namespace's own uid, kept in
  // <state_dir>/uids (see NamespaceUsers), with a read-only view of the host.
  std::optional<RunAs> run_as;
  // Hidden from workloads at levels 1 and 2. Empty: state_dir.
  std::string hidden_path;
  // Shown to every workload at levels 1 and 2 (e.g. prisn's resolv.conf).
  std::vector<BindPath> binds;
  int prepare_threads = 4;  // instance preparations (and environment builds) at once
  int probe_threads = 4;    // probes at once
};

class LocalBackend final : public reconciler::Backend {
 public:
  // Fails when state_dir is not absolute or its directories cannot be made,
  // or the namespace uid table (<state_dir>/uids) is damaged. Missing cgroup support is not
  // an error: degraded() says what is missing. Removes workspaces and empty
  // cgroups an earlier daemon on the same state_dir left behind.
  static Result<std::unique_ptr<LocalBackend>> Create(LocalBackendOptions options);
  // Stops every instance (a grace of at most 2 s), then joins its threads;
  // an environment build in progress is waited for.
  ~LocalBackend() override;
  LocalBackend(const LocalBackend&) = delete;
  LocalBackend& operator=(const LocalBackend&) = delete;

  void SetObserver(Observer observer) override;
  // An id already known (preparing, running or exiting) is ignored. A Stop
  // while the instance is being prepared cancels the spawn: kExited follows
  // with signal SIGTERM and the message "stopped before it started".
  void Start(reconciler::InstanceSpec spec) override;
  // A second Stop may only shorten the grace. Probes end with the SIGTERM.
  void Stop(std::string_view id, std::chrono::milliseconds grace) override;
  // Each instance gets min(its termination grace, max_grace). Returns when
  // every spawned instance has exited and its kExited was delivered, or
  // after max_grace plus 10 s at most. Instances still being prepared are
  // cancelled but not waited for. Not from inside the observer.
  void StopAll(std::chrono::milliseconds max_grace) override;
  // Running instances (not those still being prepared or already stopping).
  // Instances of an earlier daemon are not found yet: Create cleans up what
  // it left. Not from inside the observer.
  std::vector<reconciler::ListedInstance> List() override;
  // Leaves every running instance running (its workspace, cgroup and
  // processes), cancels those being prepared, and forgets them all; what a
  // detached instance writes is no longer logged. Not from inside the
  // observer.
  std::size_t Detach() override;
  // Logs are files under <state_dir>/logs/<ns>/<owner>/ (executor/log_read.h);
  // reading them touches nothing of the backend's loop.
  Result<reconciler::LogPage> ReadLogs(const reconciler::LogQuery& query) override;
  std::vector<std::string> ReplicaLogNames(const std::string& ns,
                                           const std::string& owner) override;
  void RemoveLog(const std::string& ns, const std::string& owner, const std::string& name) override;

  // What the backend lacks on this host, for a start-up log line (also sent
  // with every kStarted); empty when nothing.
  const std::string& degraded() const;
  // Removes dependency environments unused for `max_age`, except those of
  // live instances. Blocks (run it off the event loop).
  Result<int> CollectEnvironments(std::chrono::seconds max_age);

 private:
  struct Impl;  // executor/local_backend_impl.h
  explicit LocalBackend(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace prisn::executor
