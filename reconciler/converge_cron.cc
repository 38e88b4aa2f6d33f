// CronJobs in the loop: decide with cron_plan, persist the handled mark
// before acting, start runs through the Job run machinery, trim history.
#include <date/date.h>
#include <date/tz.h>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "reconciler/converge_impl.h"

namespace prisn::reconciler {
namespace {

std::string Iso(std::int64_t ms) {
  auto t = std::chrono::sys_seconds(std::chrono::seconds(ms / 1000));
  return date::format("%FT%TZ", t);
}

// A failed write of the mark must not lose the time: look again soon.
constexpr std::int64_t kRetryMs = 1000;

}  // namespace

void Converger::Impl::ReconcileCronJob(Workload& w) {
  const manifests::Object& obj = *w.object;
  const auto* spec = std::get_if<manifests::CronJobSpec>(&obj.spec);
  if (!spec) return;
  w.version = obj.version;
  const std::int64_t now = Now();

  // The runs already going first: retries, deadlines, ends.
  auto active_of = [&] {
    std::vector<store::Run> out;
    MutexLock lock(runs_mu);
    for (const auto& [id, r] : active_runs) {
      if (!r.adhoc && r.job == w.key) out.push_back(r);
    }
    return out;
  };
  w.wait_reason = Blockers(w, w.waiting_for);
  const bool blocked = !w.wait_reason.empty();
  for (store::Run& r : active_of()) DriveRun(r, obj, w.key, blocked, w.wait_reason);
  std::vector<store::Run> active = active_of();
  std::set<std::string> still;
  for (const store::Run& r : active) still.insert(r.id);
  bool ended = !w.cron;  // first pass (also after a restart): trim once
  for (const std::string& id : w.cron_runs) ended = ended || !still.count(id);
  w.cron_runs = still;
  if (ended) TrimCronHistory(w);

  auto schedule = spec->every.empty() ? cron::Schedule::Parse(spec->schedule)
                                      : cron::Schedule::ParseEvery(spec->every);
  if (!schedule) return PublishCron(w, std::nullopt, "", "invalid schedule: " + schedule.error().message);
  auto zone = cron::LocateZone(spec->time_zone);
  if (!zone) return PublishCron(w, std::nullopt, spec->time_zone, zone.error());
  std::string zone_name = (*zone)->name();

  if (!w.cron) {
    auto loaded = store.With([&](store::Store& s) { return s.GetCronState(w.key); });
    if (!loaded) {
      spdlog::error("converge {}: {}", w.key.ToString(), loaded.error().ToString());
      WakeAt(now + kRetryMs, w.key);
      return;
    }
    if (*loaded) {
      w.cron = **loaded;
    } else {
      // First sight: no time before now is owed.
      store::CronState fresh;
      fresh.key = w.key;
      fresh.handled_ms = now;
      fresh.suspended = spec->suspend;
      auto st = store.With([&](store::Store& s) { return s.PutCronState(fresh); });
      if (!st) {
        spdlog::error("converge {}: {}", w.key.ToString(), st.error().ToString());
        WakeAt(now + kRetryMs, w.key);
        return;
      }
      w.cron = fresh;
    }
  }

  cron_plan::CronInput in;
  in.schedule = &*schedule;
  in.zone = *zone;
  in.handled_ms = w.cron->handled_ms;
  in.now_ms = now;
  in.starting_deadline = spec->starting_deadline;
  in.policy = spec->concurrency_policy;
  in.active = !active.empty();
  in.suspend = spec->suspend;
  in.was_suspended = w.cron->suspended;
  cron_plan::CronDecision d = cron_plan::Decide(in);

  store::CronState next = *w.cron;
  next.handled_ms = d.handled_ms;
  next.suspended = spec->suspend;
  using A = cron_plan::CronDecision::Action;
  if (d.action == A::kFire || d.action == A::kReplace) {
    if (d.action == A::kReplace) {
      for (const store::Run& r : active) {
        bool live = false;
        for (auto& [iid, inst] : instances) {
          if (inst.run_id != r.id) continue;
          live = true;
          inst.stop_reason = d.reason;
          if (!inst.stopping) StopInstance(inst);
        }
        if (!live) {
          store::Run copy = r;
          FinishRun(copy, RunState::kFailed, d.reason);
        }
      }
    }
    FireCronJob(w, next, d);
  } else if (next.handled_ms != w.cron->handled_ms || next.suspended != w.cron->suspended) {
    auto st = store.With([&](store::Store& s) { return s.PutCronState(next); });
    if (!st) {
      spdlog::error("converge {}: {}", w.key.ToString(), st.error().ToString());
      WakeAt(now + kRetryMs, w.key);
      return PublishCron(w, d.wake_ms, zone_name, "");
    }
    w.cron = next;
    if (d.action == A::kSkip)
      Event(w.key, "cron-skipped", fmt::format("{} not run: {}", Iso(*d.scheduled_ms), d.reason));
  }
  if (d.wake_ms) WakeAt(*d.wake_ms, w.key);
  PublishCron(w, d.wake_ms, zone_name, "");
}

void Converger::Impl::FireCronJob(Workload& w, store::CronState state, const cron_plan::CronDecision& d) {
  const std::int64_t now = Now();
  store::Run run;
  run.id = NewRunId();
  run.job = w.key;
  run.version = w.version;
  run.state = RunState::kPending;
  run.created_ms = now;
  state.last_scheduled_ms = d.scheduled_ms;
  state.last_started_ms = now;
  state.last_run = run.id;
  std::pair<std::string, std::string> event;
  if (d.catch_up) {
    std::string missed = d.missed == 0 ? ""
                         : d.missed_more ? fmt::format("; at least {} earlier times were not run", d.missed)
                                         : fmt::format("; {} earlier time{} not run", d.missed,
                                                       d.missed == 1 ? " was" : "s were");
    event = {"cron-caught-up",
             fmt::format("run {} for the missed time {} ({} late{})", run.id, Iso(*d.scheduled_ms),
                         manifests::FormatDuration(std::chrono::milliseconds(d.late_ms)), missed)};
  } else {
    event = {"cron-fired", fmt::format("run {} for {}", run.id, Iso(*d.scheduled_ms))};
  }
  // The mark goes to disk with the run (and its event), before anything
  // starts: a crash from here on finds the time handled and the run
  // interrupted, never a second fire for the same time.
  auto st = store.With([&](store::Store& s) { return s.PutCronState(state, &run, {event}); });
  if (!st) {
    spdlog::error("converge {}: cannot record the fire: {}", w.key.ToString(), st.error().ToString());
    WakeAt(now + kRetryMs, w.key);
    return;
  }
  if (options.on_event) options.on_event(event.first);
  w.cron = state;
  {
    MutexLock lock(runs_mu);
    active_runs[run.id] = run;
  }
  w.cron_runs.insert(run.id);
  DriveRun(run, *w.object, w.key, !w.wait_reason.empty(), w.wait_reason);
}

void Converger::Impl::TrimCronHistory(Workload& w) {
  const auto& spec = std::get<manifests::CronJobSpec>(w.object->spec);
  auto removed = store.With([&](store::Store& s) {
    return s.TrimRuns(w.key, spec.successful_jobs_history_limit, spec.failed_jobs_history_limit);
  });
  if (!removed) {
    spdlog::error("converge {}: cannot trim runs: {}", w.key.ToString(), removed.error().ToString());
    return;
  }
  for (const store::Run& r : *removed) backend.RemoveLog(w.key.ns, w.key.name, r.id);
}

void Converger::Impl::ForgetCronJob(const store::ObjectKey& key) {
  std::vector<store::Run> waiting;
  {
    MutexLock lock(runs_mu);
    for (const auto& [id, r] : active_runs) {
      if (!r.adhoc && r.job == key) waiting.push_back(r);
    }
  }
  for (store::Run& r : waiting) {
    bool live = false;
    for (const auto& [iid, inst] : instances) live = live || inst.run_id == r.id;
    if (!live) FinishRun(r, RunState::kFailed, "the CronJob was deleted");
  }
  auto st = store.With([&](store::Store& s) { return s.DeleteCronState(key); });
  if (!st) spdlog::error("converge {}: {}", key.ToString(), st.error().ToString());
  if (auto w = workloads.find(key); w != workloads.end()) w->second.cron.reset();
}

void Converger::Impl::PublishCron(const Workload& w, std::optional<std::int64_t> next_fire_ms,
                                  const std::string& zone, const std::string& error) {
  const auto& spec = std::get<manifests::CronJobSpec>(w.object->spec);
  WorkloadStatus st;
  st.key = w.key;
  st.version = w.version;
  st.desired = 1;
  st.schedule = spec.every.empty() ? spec.schedule : "@every " + spec.every;
  st.time_zone = zone;
  st.next_fire_ms = next_fire_ms;
  st.waiting_for = w.waiting_for;
  st.reason = error.empty() ? w.wait_reason : error;
  st.active_runs = static_cast<int>(w.cron_runs.size());
  if (w.cron) {
    st.last_schedule_ms = w.cron->last_scheduled_ms;
    if (!w.cron->last_run.empty()) {
      st.last_run = w.cron->last_run;
      std::optional<store::Run> run = ActiveRun(w.cron->last_run);
      if (!run) {
        auto stored = store.With([&](store::Store& s) { return s.GetRun(w.cron->last_run); });
        if (stored && *stored) run = **stored;
      }
      if (run) st.last_result = run->state == RunState::kPending ? RunState::kRunning : run->state;
    }
  }
  for (const Instance* i : InstancesOf(w.key)) {
    ReplicaStatus r;
    r.name = i->replica;
    r.version = i->version;
    r.state = i->stopping   ? ReplicaState::kTerminating
              : !i->started ? ReplicaState::kPending
                            : ReplicaState::kRunning;
    r.pid = i->pid;
    r.started_ms = i->started_ms;
    r.degraded = i->degraded;
    st.replicas.push_back(std::move(r));
  }
  if (!error.empty()) {
    st.state = WorkloadState::kFailed;
  } else if (spec.suspend) {
    st.state = WorkloadState::kSuspended;
  } else if (st.active_runs > 0) {
    st.state = WorkloadState::kRunning;
  } else {
    st.state = WorkloadState::kScheduled;
  }
  published.With([&](auto& m) { m[w.key] = std::move(st); });
}

}  // namespace prisn::reconciler
