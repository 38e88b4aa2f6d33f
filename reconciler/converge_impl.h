#pragma once
// Internal to converge*.cc: the loop's state. Everything below `loop-only`
// is touched by the loop thread alone; the inbox and the published views are
// shared and locked.

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "reconciler/converge.h"
#include "reconciler/cron_plan.h"
#include "reconciler/plan.h"
#include "util/mutex.h"

namespace prisn::reconciler {

// Kind of the internal keys of `prisn run` runs: {kRunKind, ns, run id}.
inline constexpr char kRunKind[] = "Run";

// Keys to reconcile, each once, in the order they were first woken: runs
// submitted together reach their slots in submission order, whatever their
// random ids sort as.
class WakeList {
 public:
  void insert(const store::ObjectKey& key) {
    if (seen_.insert(key).second) order_.push_back(key);
  }
  template <class It>
  void insert(It first, It last) {
    for (; first != last; ++first) insert(*first);
  }
  bool empty() const { return order_.empty(); }
  void swap(WakeList& other) noexcept {
    order_.swap(other.order_);
    seen_.swap(other.seen_);
  }
  auto begin() const { return order_.begin(); }
  auto end() const { return order_.end(); }

 private:
  std::vector<store::ObjectKey> order_;
  std::set<store::ObjectKey> seen_;
};

struct Instance {
  std::string id;
  store::ObjectKey owner;  // the workload (or the run's internal key)
  int slot = 0;            // Deployments: replica index
  std::string replica;     // "api-0", or the run id
  std::string version;
  bool started = false;  // kStarted seen
  bool ready = false;
  bool stopping = false;            // a Stop was asked
  bool restart_after_stop = false;  // liveness failed: this exit counts as a crash
  std::int64_t pid = 0;
  std::string host;  // where it listens, from its kStarted (the backend chose)
  int port = 0;
  std::int64_t started_ms = 0;
  std::chrono::milliseconds grace{30000};
  std::string degraded;
  std::string run_id;  // Jobs
  std::string stop_reason;  // a run stopped on purpose ends failed with this
};

struct Slot {
  int restarts = 0;  // in the current crash streak
  std::int64_t total_restarts = 0;
  std::int64_t next_retry_ms = 0;
  std::string last_exit;
  bool done = false;
  ReplicaState done_state = ReplicaState::kCompleted;  // kCompleted | kFailed
};

struct Workload {
  store::ObjectKey key;
  std::string version;  // desired version last acted on
  std::int64_t generation = -1;
  std::optional<manifests::Object> object;  // the decoded desired object
  std::map<int, Slot> slots;                // desired version only
  std::optional<std::int64_t> rollout_started_ms;
  bool rollout_failed = false;
  std::string healthy_version;
  bool healthy_loaded = false;
  std::string wait_reason;
  std::vector<std::string> waiting_for;
  std::string run_id;  // Jobs: the run of `version`
  // CronJobs: the persisted state (loaded on first sight), and the runs seen
  // active at the last pass (one that left it has ended: trim history).
  std::optional<store::CronState> cron;
  std::set<std::string> cron_runs;
  // Deployments with a port: the endpoint view last sent (endpoints.h).
  std::optional<ServiceEndpoints> endpoints_sent;
};

struct Converger::Impl {
  Impl(Synchronized<store::Store>& s, Backend& b, ConvergeOptions o);

  Synchronized<store::Store>& store;
  Backend& backend;
  ConvergeOptions options;

  // Shared: what wakes the loop.
  struct Inbox {
    Mutex mu;
    CondVar cv;
    std::deque<Observation> observations PRISN_GUARDED_BY(mu);
    WakeList dirty PRISN_GUARDED_BY(mu);
    bool all_dirty PRISN_GUARDED_BY(mu) = false;
    std::set<std::string> stop_runs PRISN_GUARDED_BY(mu);  // run ids to stop
    bool stop PRISN_GUARDED_BY(mu) = false;
  };
  std::shared_ptr<Inbox> inbox = std::make_shared<Inbox>();

  // Shared: what the API reads.
  Synchronized<std::map<store::ObjectKey, WorkloadStatus>> published;
  mutable Mutex runs_mu;
  mutable CondVar runs_cv;
  std::map<std::string, store::Run> active_runs PRISN_GUARDED_BY(runs_mu);  // unfinished, by id
  std::map<std::string, manifests::Object> adhoc
      PRISN_GUARDED_BY(runs_mu);  // `prisn run` jobs, by run id

  std::thread thread;
  bool started = false;
  bool shut_down = false;

  // ---- loop-only
  std::map<store::ObjectKey, Workload> workloads;
  std::map<std::string, Instance> instances;  // by id
  std::multimap<std::int64_t, store::ObjectKey> timers;
  std::mt19937_64 rng{std::random_device{}()};
  std::int64_t serial = 0;
  std::int64_t boot_ms = 0;  // makes instance ids unique across daemon restarts
  int live_run_attempts = 0;  // instances with a run_id
  // Owners (a Job, a CronJob, or a `prisn run`'s run key) with a run waiting
  // for a slot (ConvergeOptions::max_running_runs), oldest first; queued once.
  std::deque<store::ObjectKey> slot_queue;
  std::set<store::ObjectKey> slot_queued;

  std::int64_t Now() const { return options.now_ms(); }
  double Jitter();
  void Loop();
  void HandleObservation(const Observation& obs, WakeList& dirty);
  void Reconcile(const store::ObjectKey& key);
  void ReconcileDeployment(Workload& w);
  void ReconcileJob(Workload& w);
  // converge_cron.cc
  void ReconcileCronJob(Workload& w);
  void ForgetCronJob(const store::ObjectKey& key);
  // Records the run with the new mark `state` in one transaction, then starts it.
  void FireCronJob(Workload& w, store::CronState state, const cron_plan::CronDecision& d);
  void TrimCronHistory(Workload& w);
  void PublishCron(const Workload& w, std::optional<std::int64_t> next_fire_ms,
                   const std::string& zone, const std::string& error);
  void ReconcileRun(const store::ObjectKey& key);
  void RemoveGone(const store::ObjectKey& key);
  void WakeAt(std::int64_t at_ms, const store::ObjectKey& key);
  void Event(const store::ObjectKey& key, const std::string& type, const std::string& message);

  // Inputs (converge_inputs.cc).
  // Loads the desired object into `w` when its version or generation moved.
  // false: the object is gone.
  Result<bool> LoadDesired(Workload& w);
  // Empty when everything `w` needs is there; else the reason, and the
  // dependencies not healthy yet in `waiting_for`.
  std::string Blockers(const Workload& w, std::vector<std::string>& waiting_for);
  Result<InstanceSpec> BuildSpec(const manifests::Object& object, const std::string& replica,
                                 bool wants_port);
  void StartInstance(Instance inst, InstanceSpec spec);
  // Takes over what the backend already runs (Backend::List), before the
  // loop's first pass: replicas of stored Deployments become instances of
  // the loop, which then converges them like any other; the rest is stopped.
  void Adopt();
  void StopInstance(Instance& inst);
  std::vector<Instance*> InstancesOf(const store::ObjectKey& key);

  // Runs (converge_runs.cc).
  void SaveRun(const store::Run& run);
  std::optional<store::Run> ActiveRun(const std::string& id) const;
  void AttemptEnded(const Instance& gone, const Observation& obs);
  void StopRunNow(const std::string& id);
  std::string NewInstanceId(const store::ObjectKey& key, const std::string& what);
  void StartAttempt(store::Run& run, const manifests::Object& job, const store::ObjectKey& owner);
  void FinishRun(store::Run& run, RunState state, const std::string& reason);
  void DriveRun(store::Run& run, const manifests::Object& job, const store::ObjectKey& owner,
                bool blocked, const std::string& wait_reason);
  // False (and `owner` queued) when every run slot is taken.
  bool TakeRunSlot(const store::ObjectKey& owner);
  // A run attempt ended: the owners waiting longest get a pass.
  void ReleaseRunSlot();
  // `owner` wants no slot any more (its waiting run ended unstarted, or it
  // was deleted): a stale entry would hold a place at the head of the queue.
  void ForgetSlotWaiter(const store::ObjectKey& owner);
  // Wakes the owners that may take a free slot now.
  void WakeSlotWaiters();

  void Publish(const Workload& w);
  // Sends the endpoint view of `key` when it changed (or the Deployment lost
  // its port or is gone).
  void SendEndpoints(const store::ObjectKey& key);
};

// "r-" + 10 random hex digits.
std::string NewRunId();

}  // namespace prisn::reconciler
