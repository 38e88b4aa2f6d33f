#pragma once
// The converge loop: level-triggered, on one thread of its own.
//
// Events (an apply, a scale, an observation from the backend, a timer, the
// daemon's start) only mark an object key dirty and wake the loop; the loop
// then reads the desired object from the store and what it observed of its
// instances, asks the pure plan functions (plan.h) what to do, and hands the
// actions to the Backend. Nothing else starts or stops workloads.
//
// Observed state lives in memory (workloads do not outlive the daemon: they
// die with it, and a restarted daemon starts what the store asks for). Runs
// are also recorded in the store (runs table) so that history survives.
//
// Thread-safety: every public method may be called from any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "manifests/types.h"
#include "reconciler/backend.h"
#include "reconciler/endpoints.h"
#include "reconciler/status.h"
#include "reconciler/store.h"
#include "util/error.h"
#include "util/synchronized.h"

namespace prisn::reconciler {

struct ConvergeOptions {
  std::string state_dir;  // logs go to <state_dir>/logs/<ns>/<name>/
  std::function<std::int64_t()> now_ms;  // default: the system clock
  // Random source for backoff jitter (tests pin it); default: a seeded PRNG.
  std::function<double()> jitter;
  // A Deployment replica without a readiness probe counts as ready once it
  // has run this long: a script that dies at its first import never does,
  // so its rollout fails instead of reporting it ready (Kubernetes'
  // minReadySeconds, systemd's start confirmation). 0: ready once started.
  std::chrono::milliseconds min_ready{1000};
  // At most this many run attempts (Jobs, CronJobs, `prisn run`) alive at
  // once; the next waits, pending, until one ends, oldest first. 10,000 runs
  // submitted at once would otherwise each hold pipes and a cgroup, and the
  // daemon would run out of descriptors. 0: no limit.
  int max_running_runs = 0;
  // Metrics hooks (called on the loop thread; must not block): one pass
  // over one object, and each event the loop records or a run's end.
  std::function<void(std::string_view kind, double seconds)> on_reconcile;
  std::function<void(std::string_view type)> on_event;
  // The endpoint view of Deployments with a port (endpoints.h), on the loop
  // thread, each time it changes and before a replica in it is stopped. Must
  // not block for long: the loop waits for it.
  std::function<void(const ServiceEndpoints&)> on_endpoints;
  // An Ingress object applied or changed (its decoded object), or deleted
  // (nullopt), on the loop thread; every stored Ingress is sent at Start().
  std::function<void(const store::ObjectKey&, const std::optional<manifests::Object>&)> on_ingress;
};

struct RunFilter {
  std::optional<std::string> ns;
  std::optional<std::string> job;  // name of the Job (or script) the runs belong to
  int limit = 50;
};

class Converger {
 public:
  // `store` and `backend` must outlive the Converger. The loop starts with
  // Start().
  Converger(Synchronized<store::Store>& store, Backend& backend, ConvergeOptions options);
  ~Converger();
  Converger(const Converger&) = delete;
  Converger& operator=(const Converger&) = delete;

  // Marks runs that were running when the daemon died as failed, adopts the
  // replicas the backend already runs (Backend::List), then starts the loop
  // thread and wakes every workload in the store.
  Status Start();
  // kStop: stops every instance gracefully (each with its own grace period,
  // at most `max_grace`), then the loop. kDetach: stops the loop and leaves
  // every instance running for the next daemon (Backend::Detach), which
  // adopts them at Start. Idempotent.
  enum class ShutdownMode { kStop, kDetach };
  void Shutdown(std::chrono::milliseconds max_grace, ShutdownMode mode = ShutdownMode::kStop);

  // Wakes the loop for these objects (after an apply, delete, scale...).
  void Wake(const store::ObjectKey& key);
  void WakeAll();

  // Observed state, as of the loop's last pass. nullopt: no such workload.
  std::optional<WorkloadStatus> StatusOf(const store::ObjectKey& key) const;
  // Deployments and Jobs, by key; one namespace when given.
  std::vector<WorkloadStatus> StatusAll(const std::optional<std::string>& ns) const;

  // `prisn run`: starts a one-off run of `job` (a Job object that is not
  // stored as desired state; its version and sources filled). The run is
  // recorded before this returns.
  Result<RunRecord> SubmitRun(const manifests::Object& job);
  Result<RunRecord> GetRun(const std::string& id) const;
  // Newest first.
  Result<std::vector<RunRecord>> ListRuns(const RunFilter& filter) const;
  // Stops a running run (SIGTERM, its grace, SIGKILL). kNotFound; finished
  // runs are returned as they are.
  Result<RunRecord> StopRun(const std::string& id);
  // Blocks until the run has finished or `timeout` passed, whichever comes
  // first; returns its record then.
  Result<RunRecord> WaitRun(const std::string& id, std::chrono::milliseconds timeout) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace prisn::reconciler
