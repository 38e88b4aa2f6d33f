#pragma once
// Internal to the local backend: its state and event loop. One thread (the
// loop) owns every Instance; other threads reach it only through the inbox
// (a queue and an eventfd). The loop spawns, pumps output, keeps timers in a
// heap behind one timerfd, and is the only caller of the observer, so
// observations of an instance come in order and never under a lock.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "executor/cgroup.h"
#include "executor/env_cache.h"
#include "executor/instance_env.h"
#include "executor/local_backend.h"
#include "executor/log_file.h"
#include "executor/probe.h"
#include "executor/runner.h"
#include "executor/spawn.h"
#include "executor/task_pool.h"
#include "executor/workspace.h"
#include "util/mutex.h"
#include "util/synchronized.h"
#include "util/unique_fd.h"

namespace prisn::executor {

namespace backend_internal {

using Clock = std::chrono::steady_clock;

// epoll keys of the loop's own descriptors.
inline constexpr std::uint64_t kWakeKey = 0;
inline constexpr std::uint64_t kTimerKey = 1;

enum TimerKind { kTimeout, kKill, kDrain, kReadinessProbe, kLivenessProbe, kMinReady, kTimerKinds };

struct ProbeSlot {
  ProbeSlot(const manifests::HealthCheck& c, ProbeRole role)
      : check(c), counter(role, c.failure_threshold, c.success_threshold) {}
  manifests::HealthCheck check;
  ProbeCounter counter;
  bool in_flight = false;
  Clock::time_point attempt_started;
  // Until the first success, readiness is probed every 20 ms for the first
  // second, then every 500 ms (or the period when shorter): a service is
  // counted the moment it listens, not a whole period later. Failures
  // before the first success change nothing, so probing early has no side
  // effect; a connect on loopback costs microseconds.
  bool passed_once = false;
  int startup_attempts = 0;
};

struct Instance {
  enum class Phase { kPreparing, kRunning, kDraining };

  std::uint64_t serial = 0;
  reconciler::InstanceSpec spec;  // without its sources
  Phase phase = Phase::kPreparing;
  bool stopping = false;   // SIGTERM sent (or, preparing: do not spawn)
  bool timed_out = false;  // spec.timeout passed
  // Destroyed bottom-up: the Child before the cgroup it points to, both
  // before the workspace.
  std::optional<Workspace> workspace;
  std::optional<Cgroup> cgroup;
  std::optional<LogWriter> log;
  std::optional<Child> child;
  pid_t pid = 0;
  UniqueFd out;  // read ends, non-blocking; closed at EOF
  UniqueFd err;
  LineSplitter splitters[2];
  bool log_failed = false;
  int port = 0;              // chosen at Start when the spec wants one; PORT
  bool ready = false;        // the last readiness transition (or: no probe)
  SpawnOptions probe_spawn;  // the workload's env and isolation, for exec probes
  std::string env_key;
  std::optional<ExitStatus> status;
  std::optional<ProbeSlot> probes[2];  // readiness, liveness
  Clock::time_point armed[kTimerKinds];
};

inline reconciler::Observation Make(const Instance& in, reconciler::Observation::Type type,
                                    std::string message = {}) {
  reconciler::Observation o;
  o.id = in.spec.id;
  o.type = type;
  o.pid = in.pid;
  o.message = std::move(message);
  return o;
}

struct Timer {
  Clock::time_point at;
  std::uint64_t serial;
  int kind;
  bool operator>(const Timer& o) const { return at > o.at; }
};

struct StartMsg {
  reconciler::InstanceSpec spec;
};
struct StopMsg {
  std::string id;
  std::chrono::milliseconds grace;
};
struct StopAllMsg {
  std::chrono::milliseconds max_grace;
  std::uint64_t generation;
};
struct PreparedMsg {
  std::uint64_t serial;
  Result<internal::PreparedInstance> result;
};
struct ProbeMsg {
  std::uint64_t serial;
  int which;
  ProbeResult result;
};
struct ListMsg {
  std::promise<std::vector<reconciler::ListedInstance>> reply;
};
struct DetachMsg {
  std::promise<std::size_t> reply;
};
struct QuitMsg {};
using Message =
    std::variant<StartMsg, StopMsg, StopAllMsg, PreparedMsg, ProbeMsg, ListMsg, DetachMsg, QuitMsg>;

}  // namespace backend_internal

struct LocalBackend::Impl {
  using Clock = backend_internal::Clock;
  using Instance = backend_internal::Instance;

  Impl(LocalBackendOptions options, std::string degraded, std::optional<CgroupLayout> cgroups,
       std::unique_ptr<NamespaceUsers> namespace_users, std::string detach_path, UniqueFd epoll,
       UniqueFd wake, UniqueFd timer);

  // Called from any thread.
  void Post(backend_internal::Message message);
  // StopAll, then the pools, then the loop. Once.
  void Shutdown();
  bool ShutDown() {
    MutexLock lock(state_mutex);
    return shut_down;
  }

  // --- the loop thread (backend_loop.cc) ---
  void Run();
  void HandleMessage(backend_internal::Message& message);
  void HandleStart(reconciler::InstanceSpec spec);
  std::vector<reconciler::ListedInstance> ListInstances() const;
  std::size_t DetachAll();
  void HandlePrepared(std::uint64_t serial, Result<internal::PreparedInstance> result);
  void HandleProbe(std::uint64_t serial, int which, ProbeResult result);
  void Launch(Instance& in, internal::PreparedInstance prepared);
  void BeginStop(Instance& in, std::chrono::milliseconds grace);
  void OnPidfd(Instance& in);
  void OnOutput(Instance& in, int stream, bool drain);
  void OnExit(Instance& in, ExitStatus status);
  void Finalize(Instance& in);
  void Forget(Instance& in);  // erases it; its resources go away on the prepare pool
  void OnTimer(Instance& in, int kind);
  void LaunchProbe(Instance& in, int which);
  void Arm(Instance& in, int kind, Clock::time_point at);
  void Disarm(Instance& in, int kind);
  void FireTimers();
  void ArmTimerfd();
  void Watch(int fd, std::uint64_t key);
  void Unwatch(int fd);
  Instance* Find(std::uint64_t serial);
  void Observe(reconciler::Observation observation);
  void Deliver();

  // Fixed after construction.
  LocalBackendOptions options;
  std::string degraded;
  RunnerRegistry runners;
  EnvCache envs;
  std::optional<CgroupLayout> cgroups;
  std::unique_ptr<NamespaceUsers> namespace_users;
  internal::PrepareContext prepare;
  UniqueFd epoll;
  UniqueFd wake;   // eventfd: the inbox has messages
  UniqueFd timer;  // timerfd at the earliest armed deadline

  Mutex inbox_mutex;
  std::vector<backend_internal::Message> inbox PRISN_GUARDED_BY(inbox_mutex);

  Mutex observer_mutex;
  Observer observer PRISN_GUARDED_BY(observer_mutex);

  // What StopAll waits for, published by the loop after each delivery.
  Mutex state_mutex;
  CondVar state_changed;
  int published_live PRISN_GUARDED_BY(state_mutex) = 0;  // spawned and not yet reported exited
  std::uint64_t stop_all_requested PRISN_GUARDED_BY(state_mutex) = 0;
  std::uint64_t stop_all_done PRISN_GUARDED_BY(state_mutex) = 0;
  bool shut_down PRISN_GUARDED_BY(state_mutex) = false;

  Synchronized<std::multiset<std::string>> env_keys;  // of live instances

  // Owned by the loop thread.
  std::map<std::uint64_t, std::unique_ptr<Instance>> instances;
  std::map<std::string, std::uint64_t, std::less<>> by_id;
  std::priority_queue<backend_internal::Timer, std::vector<backend_internal::Timer>, std::greater<>>
      timers;
  Clock::time_point timerfd_at = Clock::time_point::max();
  std::uint64_t next_serial = 1;
  int live = 0;
  std::uint64_t stop_all_processed = 0;
  std::vector<reconciler::Observation> outbox;
  bool quit = false;
  bool detached = false;  // Detach ran: nothing is started or reported any more

  // Last: started once everything above exists, stopped by Shutdown.
  TaskPool prepare_pool;
  TaskPool probe_pool;
  std::thread loop;
};

}  // namespace prisn::executor
