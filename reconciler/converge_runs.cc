// Runs: the attempts of a Job object and of `prisn run`, their records, and
// the calls the API makes about them.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "reconciler/converge_impl.h"

namespace prisn::reconciler {
namespace {
constexpr std::string_view kWaitingForSlot = "waiting for a free run slot";
}  // namespace

std::string NewRunId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("r-{:010x}", rng() & 0xffffffffffULL);
}

void Converger::Impl::SaveRun(const store::Run& run) {
  auto st = store.With([&](store::Store& s) { return s.PutRun(run); });
  if (!st) spdlog::error("cannot record run {}: {}", run.id, st.error().ToString());
}

std::optional<store::Run> Converger::Impl::ActiveRun(const std::string& id) const {
  MutexLock lock(runs_mu);
  auto it = active_runs.find(id);
  if (it == active_runs.end()) return std::nullopt;
  return it->second;
}

void Converger::Impl::FinishRun(store::Run& run, RunState state, const std::string& reason) {
  run.state = state;
  run.reason = reason;
  run.finished_ms = Now();
  run.next_retry_ms.reset();
  run.pid = 0;
  SaveRun(run);
  bool owner_waits = false;  // another run of the same Job or CronJob is unfinished
  {
    MutexLock lock(runs_mu);
    active_runs.erase(run.id);
    adhoc.erase(run.id);
    for (const auto& [id, other] : active_runs) owner_waits |= !run.adhoc && other.job == run.job;
  }
  runs_cv.NotifyAll();
  if (!owner_waits)
    ForgetSlotWaiter(run.adhoc ? store::ObjectKey{kRunKind, run.job.ns, run.id} : run.job);
  if (run.adhoc) {
    if (options.on_event)
      options.on_event(state == RunState::kSucceeded ? "run-succeeded" : "run-failed");
  } else {
    Event(run.job, state == RunState::kSucceeded ? "job-succeeded" : "job-failed",
          fmt::format("run {} ({} attempt{}): {}", run.id, run.attempts,
                      run.attempts == 1 ? "" : "s", reason));
  }
}

void Converger::Impl::StartAttempt(store::Run& run, const manifests::Object& job,
                                   const store::ObjectKey& owner) {
  auto spec = BuildSpec(job, run.id, /*wants_port=*/false);
  if (!spec) return FinishRun(run, RunState::kFailed, spec.error().message);
  ++run.attempts;
  run.state = RunState::kRunning;
  run.next_retry_ms.reset();
  if (!run.started_ms) run.started_ms = Now();
  {
    MutexLock lock(runs_mu);
    active_runs[run.id] = run;
  }
  Instance inst;
  inst.id = NewInstanceId(owner, run.id + "-" + std::to_string(run.attempts));
  inst.owner = owner;
  inst.replica = run.id;
  inst.version = run.version;
  inst.run_id = run.id;
  spec->id = inst.id;
  StartInstance(std::move(inst), std::move(*spec));
}

void Converger::Impl::AttemptEnded(const Instance& gone, const Observation& obs) {
  std::optional<store::Run> run = ActiveRun(gone.run_id);
  if (!run) return;
  using T = Observation::Type;
  bool ok = obs.type == T::kExited && obs.exit_code == 0 && obs.signal == 0 && !obs.oom_killed &&
            !obs.timed_out;
  run->exit_code = obs.type == T::kExited ? std::optional<int>(obs.exit_code) : std::nullopt;
  run->pid = 0;
  if (ok) return FinishRun(*run, RunState::kSucceeded, "exit 0");
  std::string what = obs.type == T::kStartFailed ? "could not start: " + obs.message : obs.message;
  if (obs.timed_out) {
    const manifests::WorkloadSpec* w = nullptr;
    if (auto it = workloads.find(gone.owner); it != workloads.end() && it->second.object)
      w = it->second.object->Workload();
    {
      MutexLock lock(runs_mu);
      if (auto it = adhoc.find(gone.run_id); it != adhoc.end()) w = it->second.Workload();
    }
    what = w ? "timed out after " + manifests::FormatDuration(w->timeout) : "timed out";
  }
  if (!gone.stop_reason.empty()) return FinishRun(*run, RunState::kFailed, gone.stop_reason);
  run->reason = what;
  run->next_retry_ms = Now() + plan::RestartDelay(run->attempts - 1, Jitter()).count();
  {
    MutexLock lock(runs_mu);
    active_runs[run->id] = *run;
  }
  SaveRun(*run);
}

void Converger::Impl::DriveRun(store::Run& run, const manifests::Object& job,
                               const store::ObjectKey& owner, bool blocked,
                               const std::string& wait_reason) {
  const manifests::JobSpec* spec = std::get_if<manifests::JobSpec>(&job.spec);
  if (!spec) spec = std::get_if<manifests::CronJobSpec>(&job.spec);
  if (!spec) return;
  Instance* live = nullptr;
  for (auto& [id, inst] : instances) {
    if (inst.run_id == run.id) live = &inst;
  }
  plan::JobRunInput in;
  in.attempts = run.attempts;
  in.instance_live = live != nullptr;
  in.next_retry_ms = run.next_retry_ms.value_or(0);
  in.created_ms = run.created_ms;
  in.backoff_limit = spec->backoff_limit;
  in.restart_policy = spec->restart_policy;
  in.active_deadline = spec->active_deadline;
  in.now_ms = Now();
  in.blocked = blocked;
  plan::JobRunPlan p = plan::PlanJobRun(in, Jitter());
  using A = plan::JobRunPlan::Action;
  switch (p.action) {
    case A::kStart:
      if (TakeRunSlot(owner)) {
        if (run.reason.starts_with(kWaitingForSlot)) run.reason.clear();
        StartAttempt(run, job, owner);
      } else if (run.reason.empty()) {
        run.reason = fmt::format("{} ({} runs running)", kWaitingForSlot, live_run_attempts);
        MutexLock lock(runs_mu);
        active_runs[run.id] = run;
      }
      break;
    case A::kSucceed:
      FinishRun(run, RunState::kSucceeded, "exit 0");
      break;
    case A::kFail:
      // The last attempt's outcome says what happened; the plan adds why it
      // is final only when retries were possible.
      FinishRun(run, RunState::kFailed,
                run.reason.empty() ? p.reason
                : spec->restart_policy == manifests::RestartPolicy::kNever
                    ? run.reason
                    : run.reason + "; " + p.reason);
      break;
    case A::kStopForDeadline:
      live->stop_reason = p.reason;
      if (!live->stopping) StopInstance(*live);
      break;
    case A::kWait:
      if (blocked && run.attempts == 0 && run.reason != wait_reason) {
        run.reason = wait_reason;
        MutexLock lock(runs_mu);
        active_runs[run.id] = run;
      }
      break;
    case A::kNothing:
      break;
  }
  if (p.wake_at_ms) WakeAt(*p.wake_at_ms, owner);
}

bool Converger::Impl::TakeRunSlot(const store::ObjectKey& owner) {
  int limit = options.max_running_runs;
  if (limit <= 0) return true;
  int free = limit - live_run_attempts;
  auto queue = [&] {
    if (slot_queued.insert(owner).second) slot_queue.push_back(owner);
    return false;
  };
  if (free <= 0) return queue();
  // Those queued earlier go first: a free slot goes to one of the `free`
  // oldest waiters, whichever of them the loop reaches first.
  if (slot_queued.count(owner)) {
    auto end = slot_queue.begin() + std::min<std::ptrdiff_t>(free, std::ssize(slot_queue));
    auto it = std::find(slot_queue.begin(), end, owner);
    if (it == end) return false;
    slot_queue.erase(it);
    slot_queued.erase(owner);
    return true;
  }
  if (std::ssize(slot_queue) >= free) return queue();
  return true;
}

void Converger::Impl::ReleaseRunSlot() {
  --live_run_attempts;
  WakeSlotWaiters();
}

void Converger::Impl::ForgetSlotWaiter(const store::ObjectKey& owner) {
  if (!slot_queued.erase(owner)) return;
  slot_queue.erase(std::find(slot_queue.begin(), slot_queue.end(), owner));
  WakeSlotWaiters();  // the next waiter may have moved into the window
}

void Converger::Impl::WakeSlotWaiters() {
  int free = options.max_running_runs - live_run_attempts;
  auto it = slot_queue.begin();
  for (int i = 0; i < free && it != slot_queue.end(); ++i, ++it) WakeAt(Now(), *it);
}

void Converger::Impl::ReconcileRun(const store::ObjectKey& key) {
  std::optional<store::Run> run = ActiveRun(key.name);
  if (!run) return;
  std::optional<manifests::Object> job;
  {
    MutexLock lock(runs_mu);
    if (auto it = adhoc.find(key.name); it != adhoc.end()) job = it->second;
  }
  if (!job) return;
  DriveRun(*run, *job, key, false, "");
}

void Converger::Impl::StopRunNow(const std::string& id) {
  std::optional<store::Run> run = ActiveRun(id);
  if (!run) return;
  for (auto& [iid, inst] : instances) {
    if (inst.run_id == id) {
      inst.stop_reason = "stopped on request";
      if (!inst.stopping) StopInstance(inst);
      return;
    }
  }
  FinishRun(*run, RunState::kFailed, "stopped on request");
}

// ---- public

Result<RunRecord> Converger::SubmitRun(const manifests::Object& job) {
  Impl& impl = *impl_;
  if (job.GetKind() != manifests::Kind::kJob)
    return Fail(ErrorCode::kInvalid, "a run needs a Job", job.Key());
  store::Run run;
  run.id = NewRunId();
  run.job = store::ObjectKey{"Job", job.meta.namespace_, job.meta.name};
  run.version = job.version;
  run.adhoc = true;
  run.state = RunState::kPending;
  run.created_ms = impl.Now();
  // Recorded before it is acknowledged: a run the caller was told about is
  // never lost, only ever reported as interrupted.
  auto st = impl.store.With([&](store::Store& s) { return s.PutRun(run); });
  if (!st) return std::unexpected(st.error());
  {
    MutexLock lock(impl.runs_mu);
    impl.active_runs[run.id] = run;
    impl.adhoc[run.id] = job;
  }
  Wake(store::ObjectKey{kRunKind, job.meta.namespace_, run.id});
  return run;
}

Result<RunRecord> Converger::GetRun(const std::string& id) const {
  if (auto active = impl_->ActiveRun(id)) return *active;
  auto stored = impl_->store.With([&](store::Store& s) { return s.GetRun(id); });
  if (!stored) return std::unexpected(stored.error());
  if (!*stored) return Fail(ErrorCode::kNotFound, "no run " + id, id);
  return **stored;
}

Result<std::vector<RunRecord>> Converger::ListRuns(const RunFilter& filter) const {
  store::RunQuery q;
  q.ns = filter.ns;
  q.job = filter.job;
  q.limit = filter.limit;
  auto runs = impl_->store.With([&](store::Store& s) { return s.ListRuns(q); });
  if (!runs) return std::unexpected(runs.error());
  for (RunRecord& r : *runs) {
    if (auto active = impl_->ActiveRun(r.id)) r = *active;
  }
  return runs;
}

Result<RunRecord> Converger::StopRun(const std::string& id) {
  auto run = GetRun(id);
  if (!run) return run;
  if (RunFinished(*run)) return run;
  {
    MutexLock lock(impl_->inbox->mu);
    impl_->inbox->stop_runs.insert(id);
  }
  impl_->inbox->cv.NotifyOne();
  return run;
}

Result<RunRecord> Converger::WaitRun(const std::string& id, std::chrono::milliseconds timeout) const {
  {
    MutexLock lock(impl_->runs_mu);
    impl_->runs_cv.WaitFor(impl_->runs_mu, timeout, [&]() PRISN_REQUIRES(impl_->runs_mu) {
      return !impl_->active_runs.count(id);
    });
  }
  return GetRun(id);
}

}  // namespace prisn::reconciler
