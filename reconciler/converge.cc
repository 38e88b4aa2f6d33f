// The loop thread, its inbox, and the public face of the Converger.
#include "reconciler/converge.h"

#include <spdlog/spdlog.h>

#include "reconciler/apply.h"
#include "reconciler/converge_impl.h"

namespace prisn::reconciler {
namespace {

std::int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool RunFinished(const RunRecord& run) { return Finished(run.state); }

Converger::Impl::Impl(Synchronized<store::Store>& s, Backend& b, ConvergeOptions o)
    : store(s), backend(b), options(std::move(o)) {
  if (!options.now_ms) options.now_ms = SystemNowMs;
}

double Converger::Impl::Jitter() {
  if (options.jitter) return options.jitter();
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

void Converger::Impl::WakeAt(std::int64_t at_ms, const store::ObjectKey& key) {
  for (auto [it, end] = timers.equal_range(at_ms); it != end; ++it) {
    if (it->second == key) return;
  }
  timers.emplace(at_ms, key);
}

void Converger::Impl::Event(const store::ObjectKey& key, const std::string& type,
                            const std::string& message) {
  if (options.on_event) options.on_event(type);
  if (key.kind == kRunKind) return;  // `prisn run` runs have their record instead
  auto st = store.With(
      [&](store::Store& s) { return s.RecordObjectEvent(key, type, message, "prisn"); });
  if (!st) spdlog::warn("cannot record event {} of {}: {}", type, key.ToString(), st.error().ToString());
}

void Converger::Impl::Loop() {
  for (;;) {
    std::deque<Observation> observations;
    WakeList dirty;
    std::set<std::string> stop_runs;
    bool all = false;
    {
      MutexLock lock(inbox->mu);
      for (;;) {
        if (inbox->stop) return;
        if (!inbox->observations.empty() || !inbox->dirty.empty() || inbox->all_dirty ||
            !inbox->stop_runs.empty())
          break;
        if (!timers.empty() && timers.begin()->first <= Now()) break;
        if (timers.empty()) {
          inbox->cv.Wait(inbox->mu);
        } else {
          inbox->cv.WaitFor(inbox->mu, std::chrono::milliseconds(timers.begin()->first - Now()));
        }
      }
      observations.swap(inbox->observations);
      dirty.swap(inbox->dirty);
      stop_runs.swap(inbox->stop_runs);
      all = std::exchange(inbox->all_dirty, false);
    }
    std::int64_t now = Now();
    while (!timers.empty() && timers.begin()->first <= now) {
      dirty.insert(timers.begin()->second);
      timers.erase(timers.begin());
    }
    for (const Observation& obs : observations) HandleObservation(obs, dirty);
    for (const std::string& id : stop_runs) StopRunNow(id);
    if (all) {
      for (const char* kind : {"Deployment", "Job", "CronJob", "Ingress"}) {
        store::ListFilter filter;
        filter.kind = kind;
        auto listed = store.With([&](store::Store& s) { return s.List(filter); });
        if (!listed) {
          spdlog::error("converge: cannot list {}s: {}", kind, listed.error().ToString());
          continue;
        }
        for (const auto& o : *listed) dirty.insert(o.key);
      }
      for (const auto& [key, w] : workloads) dirty.insert(key);
    }
    for (const store::ObjectKey& key : dirty) {
      try {
        auto t0 = std::chrono::steady_clock::now();
        Reconcile(key);
        if (options.on_reconcile) {
          options.on_reconcile(key.kind, std::chrono::duration<double>(
                                             std::chrono::steady_clock::now() - t0)
                                             .count());
        }
      } catch (const std::exception& e) {
        // A bad object never stops the loop; it is retried on its next event.
        spdlog::error("converge {}: {}", key.ToString(), e.what());
      }
    }
  }
}

void Converger::Impl::HandleObservation(const Observation& obs, WakeList& dirty) {
  auto it = instances.find(obs.id);
  if (it == instances.end()) return;
  Instance& inst = it->second;
  dirty.insert(inst.owner);
  using T = Observation::Type;
  switch (obs.type) {
    case T::kStarted:
      inst.started = true;
      inst.pid = obs.pid;
      inst.started_ms = Now();
      inst.degraded = obs.degraded;
      inst.host = obs.host;
      inst.port = obs.port;
      if (!inst.run_id.empty()) {
        // Memory only: a run's start is not worth an fsync; a crash now
        // leaves it "pending" in the store, which a restart reports.
        MutexLock lock(runs_mu);
        if (auto r = active_runs.find(inst.run_id); r != active_runs.end()) {
          r->second.state = RunState::kRunning;
          r->second.pid = obs.pid;
          r->second.degraded = obs.degraded;
          if (!r->second.started_ms) r->second.started_ms = Now();
        }
      }
      return;
    case T::kReady:
      if (!inst.ready && inst.owner.Is(manifests::Kind::kDeployment))
        spdlog::debug("{} ready", inst.replica);
      inst.ready = true;
      return;
    case T::kUnready:
      inst.ready = false;
      Event(inst.owner, "replica-unready", inst.replica + ": " + obs.message);
      return;
    case T::kLivenessFailed:
      if (inst.stopping) return;
      Event(inst.owner, "liveness-failed", inst.replica + ": " + obs.message + "; restarting");
      inst.restart_after_stop = true;
      StopInstance(inst);
      return;
    case T::kStartFailed:
    case T::kExited:
      break;
  }
  // The instance is gone: what that means is the owner's business.
  Instance gone = std::move(inst);
  instances.erase(it);
  if (!gone.run_id.empty()) ReleaseRunSlot();
  bool crashed = !gone.stopping || gone.restart_after_stop;
  std::string what = obs.type == T::kStartFailed ? "could not start: " + obs.message : obs.message;
  if (!gone.run_id.empty()) return AttemptEnded(gone, obs);
  auto w = workloads.find(gone.owner);
  if (w == workloads.end() || gone.version != w->second.version || !crashed) return;
  // A crash of the desired version: restart per policy, with backoff.
  Slot& slot = w->second.slots[gone.slot];
  slot.last_exit = what;
  const auto* spec = w->second.object ? std::get_if<manifests::DeploymentSpec>(&w->second.object->spec)
                                      : nullptr;
  bool clean = obs.type == T::kExited && obs.exit_code == 0 && obs.signal == 0;
  auto policy = spec ? spec->restart_policy : manifests::RestartPolicy::kAlways;
  if (!gone.restart_after_stop &&
      (policy == manifests::RestartPolicy::kNever ||
       (policy == manifests::RestartPolicy::kOnFailure && clean))) {
    slot.done = true;
    slot.done_state = clean ? ReplicaState::kCompleted : ReplicaState::kFailed;
    Event(gone.owner, "replica-exited", gone.replica + ": " + what + " (not restarted: restartPolicy " +
                                            std::string(manifests::RestartPolicyName(policy)) + ")");
    return;
  }
  std::int64_t now = Now();
  if (gone.started_ms > 0 &&
      now - gone.started_ms >= std::chrono::duration_cast<std::chrono::milliseconds>(plan::kBackoffReset).count()) {
    slot.restarts = 0;
  }
  auto delay = plan::RestartDelay(slot.restarts, Jitter());
  slot.next_retry_ms = now + delay.count();
  ++slot.restarts;
  ++slot.total_restarts;
  Event(gone.owner, "replica-exited",
        gone.replica + ": " + what +
            (delay.count() == 0 ? "; restarting now"
                                : "; restarting in " + manifests::FormatDuration(delay)));
}

void Converger::Impl::Reconcile(const store::ObjectKey& key) {
  if (key.kind == kRunKind) return ReconcileRun(key);
  auto& w = workloads[key];
  w.key = key;
  auto present = LoadDesired(w);
  if (!present) {
    spdlog::error("converge {}: {}", key.ToString(), present.error().ToString());
    return;
  }
  if (!*present) return RemoveGone(key);
  if (key.Is(manifests::Kind::kDeployment)) return ReconcileDeployment(w);
  if (key.Is(manifests::Kind::kJob)) return ReconcileJob(w);
  if (key.Is(manifests::Kind::kCronJob)) return ReconcileCronJob(w);
  if (key.Is(manifests::Kind::kIngress) && options.on_ingress) options.on_ingress(key, w.object);
}

void Converger::Impl::RemoveGone(const store::ObjectKey& key) {
  if (key.Is(manifests::Kind::kCronJob)) ForgetCronJob(key);
  ForgetSlotWaiter(key);
  bool any = false;
  for (Instance* inst : InstancesOf(key)) {
    any = true;
    if (inst->stop_reason.empty()) inst->stop_reason = "the " + key.kind + " was deleted";
    if (!inst->stopping) StopInstance(*inst);
  }
  if (auto w = workloads.find(key); w != workloads.end() && !w->second.run_id.empty()) {
    if (auto run = ActiveRun(w->second.run_id); run && !any)
      FinishRun(*run, RunState::kFailed, "the Job was deleted");
  }
  if (auto w = workloads.find(key); w != workloads.end() && w->second.endpoints_sent) {
    w->second.object.reset();
    w->second.generation = -1;
    SendEndpoints(key);
  }
  if (key.Is(manifests::Kind::kIngress) && options.on_ingress)
    options.on_ingress(key, std::nullopt);
  if (any) {
    auto w = workloads.find(key);
    if (w != workloads.end()) {
      w->second.object.reset();
      w->second.generation = -1;
      Publish(w->second);
    }
    return;
  }
  workloads.erase(key);
  published.With([&](auto& m) { m.erase(key); });
}

std::vector<Instance*> Converger::Impl::InstancesOf(const store::ObjectKey& key) {
  std::vector<Instance*> out;
  for (auto& [id, inst] : instances) {
    if (inst.owner == key) out.push_back(&inst);
  }
  return out;
}

void Converger::Impl::StopInstance(Instance& inst) {
  inst.stopping = true;
  inst.ready = false;
  // Out of the proxy's pool before the signal.
  SendEndpoints(inst.owner);
  backend.Stop(inst.id, inst.grace);
}

void Converger::Impl::Adopt() {
  for (const ListedInstance& listed : backend.List()) {
    store::ObjectKey owner{std::string(manifests::KindName(listed.kind)), listed.ns, listed.owner};
    std::optional<manifests::Object> object;
    if (listed.kind == manifests::Kind::kDeployment)
      object = store.With([&](store::Store& s) { return ReadStored(s, owner); });
    auto dash = listed.replica.rfind('-');
    const manifests::WorkloadSpec* w = object ? object->Workload() : nullptr;
    if (!w || dash == std::string::npos || listed.replica.substr(0, dash) != listed.owner) {
      // Deleted while no loop ran, or not a replica (a Job attempt's run was
      // settled by Start): never run twice.
      spdlog::info("converge: {} is not wanted any more; stopping it", listed.id);
      backend.Stop(listed.id, std::chrono::milliseconds(30000));
      continue;
    }
    Instance inst;
    inst.id = listed.id;
    inst.owner = owner;
    inst.slot = std::atoi(listed.replica.c_str() + dash + 1);
    inst.replica = listed.replica;
    inst.version = listed.version;
    inst.started = true;
    inst.ready = listed.ready;
    inst.pid = listed.pid;
    inst.host = listed.host;
    inst.port = listed.port;
    inst.started_ms = Now();
    inst.grace = w->termination_grace_period;
    spdlog::info("converge: adopted {} (pid {}, {})", listed.id, listed.pid, listed.version);
    instances.emplace(inst.id, std::move(inst));
  }
}

void Converger::Impl::StartInstance(Instance inst, InstanceSpec spec) {
  inst.grace = spec.workload.termination_grace_period;
  std::string id = inst.id;
  if (!inst.run_id.empty()) ++live_run_attempts;
  instances.emplace(id, std::move(inst));
  backend.Start(std::move(spec));
}

// ---- public

Converger::Converger(Synchronized<store::Store>& store, Backend& backend, ConvergeOptions options)
    : impl_(std::make_unique<Impl>(store, backend, std::move(options))) {
  std::weak_ptr<Impl::Inbox> weak = impl_->inbox;
  impl_->backend.SetObserver([weak](Observation obs) {
    auto inbox = weak.lock();
    if (!inbox) return;
    {
      MutexLock lock(inbox->mu);
      inbox->observations.push_back(std::move(obs));
    }
    inbox->cv.NotifyOne();
  });
}

Converger::~Converger() { Shutdown(std::chrono::seconds(5)); }

Status Converger::Start() {
  Impl& impl = *impl_;
  if (impl.started) return {};
  std::int64_t now = impl.Now();
  auto runs = impl.store.With([](store::Store& s) {
    return s.FailUnfinishedRuns("interrupted: the daemon stopped while it ran");
  });
  if (!runs) return std::unexpected(runs.error());
  for (store::Run& r : *runs) {
    if (r.adhoc) continue;
    // A Job's attempt that a daemon restart cut short counts as a failed
    // attempt; the Job goes on within its backoffLimit.
    r.state = RunState::kRunning;
    r.finished_ms.reset();
    r.next_retry_ms = now;
    r.reason = "interrupted by a daemon restart";
    {
      MutexLock lock(impl.runs_mu);
      impl.active_runs[r.id] = r;
    }
    impl.SaveRun(r);
  }
  impl.started = true;
  impl.boot_ms = now;
  impl.Adopt();
  impl.thread = std::thread([&impl] { impl.Loop(); });
  WakeAll();
  return {};
}

void Converger::Shutdown(std::chrono::milliseconds max_grace, ShutdownMode mode) {
  Impl& impl = *impl_;
  if (impl.shut_down) return;
  impl.shut_down = true;
  {
    MutexLock lock(impl.inbox->mu);
    impl.inbox->stop = true;
  }
  impl.inbox->cv.NotifyAll();
  if (impl.thread.joinable()) impl.thread.join();
  if (mode == ShutdownMode::kDetach) {
    // Runs stay as the store has them; the next daemon's Start settles them.
    std::size_t left = impl.backend.Detach();
    spdlog::info("converge: {} instance(s) left running for the next daemon", left);
    MutexLock lock(impl.runs_mu);
    impl.active_runs.clear();
    impl.runs_cv.NotifyAll();
    return;
  }
  impl.backend.StopAll(max_grace);
  // What was cut short is recorded as such, not left "running".
  std::vector<store::Run> unfinished;
  {
    MutexLock lock(impl.runs_mu);
    for (auto& [id, r] : impl.active_runs) unfinished.push_back(r);
  }
  for (store::Run& r : unfinished) {
    r.state = RunState::kFailed;
    r.reason = "stopped: the daemon shut down while it ran";
    r.finished_ms = impl.Now();
    r.next_retry_ms.reset();
    impl.SaveRun(r);
  }
  {
    MutexLock lock(impl.runs_mu);
    impl.active_runs.clear();
  }
  impl.runs_cv.NotifyAll();
}

void Converger::Wake(const store::ObjectKey& key) {
  {
    MutexLock lock(impl_->inbox->mu);
    impl_->inbox->dirty.insert(key);
  }
  impl_->inbox->cv.NotifyOne();
}

void Converger::WakeAll() {
  {
    MutexLock lock(impl_->inbox->mu);
    impl_->inbox->all_dirty = true;
  }
  impl_->inbox->cv.NotifyOne();
}

std::optional<WorkloadStatus> Converger::StatusOf(const store::ObjectKey& key) const {
  return impl_->published.With([&](const auto& m) -> std::optional<WorkloadStatus> {
    auto it = m.find(key);
    if (it == m.end()) return std::nullopt;
    return it->second;
  });
}

std::vector<WorkloadStatus> Converger::StatusAll(const std::optional<std::string>& ns) const {
  return impl_->published.With([&](const auto& m) {
    std::vector<WorkloadStatus> out;
    for (const auto& [key, st] : m) {
      if (!ns || key.ns == *ns) out.push_back(st);
    }
    return out;
  });
}

}  // namespace prisn::reconciler
