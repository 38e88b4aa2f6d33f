// One pass over a Deployment or a Job: gather the plan's inputs, carry out
// its actions, follow the rollout, publish the status.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "reconciler/converge_impl.h"

namespace prisn::reconciler {

std::string Converger::Impl::NewInstanceId(const store::ObjectKey& key, const std::string& what) {
  return fmt::format("{}/{}#{}-{}", key.ToString(), what, boot_ms, ++serial);
}

void Converger::Impl::ReconcileDeployment(Workload& w) {
  const manifests::Object& obj = *w.object;
  const auto& d = std::get<manifests::DeploymentSpec>(obj.spec);
  std::int64_t now = Now();
  std::vector<Instance*> mine = InstancesOf(w.key);
  if (obj.version != w.version) {
    bool update = !mine.empty();
    if (update) Event(w.key, "rollout-started", fmt::format("{} -> {}", w.version, obj.version));
    w.version = obj.version;
    w.slots.clear();
    w.rollout_failed = false;
    w.rollout_started_ms = now;
  }
  w.wait_reason = Blockers(w, w.waiting_for);

  plan::DeploymentInput in;
  in.version = w.version;
  in.replicas = d.replicas;
  in.strategy = d.strategy.type;
  in.budget = plan::RolloutBudget(d.replicas, d.strategy.max_surge, d.strategy.max_unavailable);
  in.now_ms = now;
  in.blocked = !w.wait_reason.empty();
  for (const Instance* i : mine) in.instances.push_back({i->id, i->slot, i->version, i->stopping, i->ready});
  for (const auto& [n, slot] : w.slots) in.slots.push_back({n, slot.next_retry_ms, slot.done});
  plan::DeploymentPlan p = plan::PlanDeployment(in);

  for (const std::string& id : p.stop_ids) {
    if (auto it = instances.find(id); it != instances.end() && !it->second.stopping)
      StopInstance(it->second);
  }
  for (int n : p.start_slots) {
    std::string replica = obj.meta.name + "-" + std::to_string(n);
    Slot& slot = w.slots[n];
    auto spec = BuildSpec(obj, replica, d.port.mode != manifests::Port::Mode::kNone);
    if (!spec) {
      slot.last_exit = spec.error().message;
      slot.next_retry_ms = now + plan::RestartDelay(++slot.restarts, Jitter()).count();
      WakeAt(slot.next_retry_ms, w.key);
      continue;
    }
    slot.next_retry_ms = 0;
    Instance inst;
    inst.id = NewInstanceId(w.key, std::to_string(n));
    inst.owner = w.key;
    inst.slot = n;
    inst.replica = replica;
    inst.version = w.version;
    spec->id = inst.id;
    StartInstance(std::move(inst), std::move(*spec));
  }
  if (p.wake_at_ms) WakeAt(*p.wake_at_ms, w.key);

  if (p.complete) {
    if (w.rollout_started_ms && !mine.empty())
      Event(w.key, "rollout-complete", fmt::format("{}: {}/{} ready", w.version, d.replicas, d.replicas));
    w.rollout_started_ms.reset();
    w.rollout_failed = false;
    if (w.healthy_version != w.version && d.replicas > 0) {
      w.healthy_version = w.version;
      auto st = store.With([&](store::Store& s) { return s.SetHealthyVersion(w.key, w.version); });
      if (!st) spdlog::warn("cannot record the healthy version of {}: {}", w.key.ToString(), st.error().ToString());
    }
  } else if (w.rollout_started_ms && !w.rollout_failed) {
    std::int64_t deadline = *w.rollout_started_ms + d.progress_deadline.count();
    if (now >= deadline) {
      w.rollout_failed = true;
      Event(w.key, "rollout-failed",
            fmt::format("{} did not become healthy within progressDeadline {}", w.version,
                        manifests::FormatDuration(d.progress_deadline)));
      if (d.auto_revert && !w.healthy_version.empty() && w.healthy_version != w.version) {
        auto back = store.With([&](store::Store& s) {
          return s.Rollback(w.key, w.healthy_version, "prisn:auto-revert");
        });
        if (back) {
          Event(w.key, "auto-reverted", fmt::format("{} -> {} (the last healthy version)",
                                                    back->from_version, back->to_version));
          WakeAt(now, w.key);
        } else {
          spdlog::error("auto-revert of {} failed: {}", w.key.ToString(), back.error().ToString());
        }
      }
    } else {
      WakeAt(deadline, w.key);
    }
  }
  // The pool first: whoever sees the status "running" can reach the service.
  SendEndpoints(w.key);
  Publish(w);
}

void Converger::Impl::ReconcileJob(Workload& w) {
  const manifests::Object& obj = *w.object;
  if (obj.version != w.version) {
    w.version = obj.version;
    w.run_id.clear();
  }
  if (w.run_id.empty()) {
    // The run of this version: one the loop started before a restart, or a
    // new one.
    store::RunQuery q;
    q.ns = w.key.ns;
    q.job = w.key.name;
    q.version = w.version;
    q.limit = 5;
    auto runs = store.With([&](store::Store& s) { return s.ListRuns(q); });
    if (!runs) {
      spdlog::error("converge {}: {}", w.key.ToString(), runs.error().ToString());
      return;
    }
    for (const store::Run& r : *runs) {
      if (!r.adhoc && r.job.Is(manifests::Kind::kJob)) {
        w.run_id = r.id;
        break;
      }
    }
    if (w.run_id.empty()) {
      store::Run run;
      run.id = NewRunId();
      run.job = w.key;
      run.version = w.version;
      run.state = RunState::kPending;
      run.created_ms = Now();
      {
        MutexLock lock(runs_mu);
        active_runs[run.id] = run;
      }
      SaveRun(run);
      w.run_id = run.id;
    }
  }
  w.wait_reason = Blockers(w, w.waiting_for);
  if (auto run = ActiveRun(w.run_id)) DriveRun(*run, obj, w.key, !w.wait_reason.empty(), w.wait_reason);
  Publish(w);
}

void Converger::Impl::Publish(const Workload& w) {
  WorkloadStatus st;
  st.key = w.key;
  st.version = w.version;
  st.reason = w.wait_reason;
  st.waiting_for = w.waiting_for;
  st.healthy_version = w.healthy_version;
  st.rollout_started_ms = w.rollout_started_ms;
  std::int64_t now = Now();
  bool crashloop = false;
  std::set<int> seen;
  for (const Instance* i : InstancesOf(w.key)) {
    ReplicaStatus r;
    r.name = i->replica;
    r.version = i->version;
    r.ready = i->ready;
    r.state = i->stopping   ? ReplicaState::kTerminating
              : !i->started ? ReplicaState::kPending
              : i->ready    ? ReplicaState::kRunning
                            : ReplicaState::kStarting;
    r.pid = i->pid;
    r.port = i->port;
    r.started_ms = i->started_ms;
    r.degraded = i->degraded;
    if (i->version == w.version) {
      if (auto s = w.slots.find(i->slot); s != w.slots.end()) {
        r.restarts = static_cast<int>(s->second.total_restarts);
        r.last_exit = s->second.last_exit;
      }
      if (!i->stopping) {
        seen.insert(i->slot);
        ++st.updated;
        if (i->ready) ++st.available;
      }
    }
    if (i->ready) ++st.ready;
    st.replicas.push_back(std::move(r));
  }
  if (w.key.Is(manifests::Kind::kDeployment) && w.object) {
    const auto& d = std::get<manifests::DeploymentSpec>(w.object->spec);
    st.desired = d.replicas;
    for (const auto& [n, slot] : w.slots) {
      if (n >= d.replicas || seen.count(n)) continue;
      ReplicaStatus r;
      r.name = w.key.name + "-" + std::to_string(n);
      r.version = w.version;
      r.restarts = static_cast<int>(slot.total_restarts);
      r.last_exit = slot.last_exit;
      if (slot.done) {
        r.state = slot.done_state;
      } else if (slot.next_retry_ms > now) {
        r.state = ReplicaState::kCrashloop;
        r.next_retry_ms = slot.next_retry_ms;
        crashloop = true;
      } else {
        r.state = ReplicaState::kPending;
      }
      st.replicas.push_back(std::move(r));
    }
    for (const auto& [n, slot] : w.slots) {
      if (n < d.replicas && slot.restarts >= 2 && seen.count(n) && !slot.last_exit.empty()) {
        // Running again but not ready yet after repeated crashes.
        for (const Instance* i : InstancesOf(w.key)) {
          if (i->slot == n && i->version == w.version && !i->ready) crashloop = true;
        }
      }
    }
    bool complete = st.available >= d.replicas && st.updated == d.replicas &&
                    static_cast<int>(st.replicas.size()) == d.replicas;
    int done = 0, failed = 0;
    for (const ReplicaStatus& r : st.replicas) {
      if (r.state == ReplicaState::kCompleted || r.state == ReplicaState::kFailed) ++done;
      if (r.state == ReplicaState::kFailed) ++failed;
    }
    if (d.replicas == 0) {
      st.state = st.replicas.empty() ? WorkloadState::kStopped : WorkloadState::kProgressing;
    } else if (done == d.replicas && static_cast<int>(st.replicas.size()) == d.replicas) {
      // restartPolicy Never / OnFailure: every replica ended for good.
      st.state = failed ? WorkloadState::kFailed : WorkloadState::kCompleted;
    } else if (complete) {
      st.state = WorkloadState::kRunning;
    } else if (w.rollout_failed) {
      st.state = WorkloadState::kFailed;
      if (st.reason.empty())
        st.reason = "rollout of " + w.version + " did not become healthy within its progressDeadline";
    } else if (crashloop) {
      st.state = WorkloadState::kCrashloop;
    } else if (!w.wait_reason.empty()) {
      st.state = WorkloadState::kWaiting;
    } else if (w.rollout_started_ms) {
      st.state = WorkloadState::kProgressing;
    } else {
      st.state = WorkloadState::kDegraded;
    }
  } else if (w.key.Is(manifests::Kind::kJob)) {
    st.desired = 1;
    st.last_run = w.run_id;
    std::optional<store::Run> run = ActiveRun(w.run_id);
    if (!run && !w.run_id.empty()) {
      auto stored = store.With([&](store::Store& s) { return s.GetRun(w.run_id); });
      if (stored && *stored) run = **stored;
    }
    if (!w.wait_reason.empty() && (!run || run->attempts == 0)) {
      st.state = WorkloadState::kWaiting;
    } else if (run) {
      st.state = run->state == RunState::kSucceeded ? WorkloadState::kSucceeded
                 : run->state == RunState::kFailed  ? WorkloadState::kFailed
                                                    : WorkloadState::kRunning;
      if (st.reason.empty() && run->state == RunState::kFailed) st.reason = run->reason;
    } else {
      st.state = WorkloadState::kWaiting;
    }
  }
  std::sort(st.replicas.begin(), st.replicas.end(),
            [](const ReplicaStatus& a, const ReplicaStatus& b) {
              return std::tie(a.name, a.state) < std::tie(b.name, b.state);
            });
  bool changed = published.With([&](auto& m) {
    auto& slot = m[w.key];
    bool moved = slot.state != st.state || slot.ready != st.ready;
    slot = std::move(st);
    return moved;
  });
  if (!changed) return;
  // Whoever waits on this workload looks again.
  std::vector<store::ObjectKey> waiting;
  for (const auto& [key, other] : workloads) {
    if (key != w.key && key.ns == w.key.ns && !other.waiting_for.empty()) waiting.push_back(key);
  }
  if (waiting.empty()) return;
  {
    MutexLock lock(inbox->mu);
    inbox->dirty.insert(waiting.begin(), waiting.end());
  }
  inbox->cv.NotifyOne();
}

void Converger::Impl::SendEndpoints(const store::ObjectKey& key) {
  if (!options.on_endpoints || !key.Is(manifests::Kind::kDeployment)) return;
  auto it = workloads.find(key);
  if (it == workloads.end()) return;
  Workload& w = it->second;
  const auto* d = w.object ? std::get_if<manifests::DeploymentSpec>(&w.object->spec) : nullptr;
  if (!d || d->port.mode == manifests::Port::Mode::kNone) {
    if (!w.endpoints_sent) return;
    w.endpoints_sent.reset();
    ServiceEndpoints gone;
    gone.key = key;
    gone.present = false;
    options.on_endpoints(gone);
    return;
  }
  ServiceEndpoints view;
  view.key = key;
  view.auto_port = d->port.mode == manifests::Port::Mode::kAuto;
  view.port = view.auto_port ? 0 : d->port.number;
  view.http = d->protocol == manifests::Protocol::kHttp;
  view.algorithm = d->lb_algorithm;
  view.cookie_affinity = d->cookie_affinity;
  for (const Instance* i : InstancesOf(key)) {
    if (i->ready && !i->stopping && i->port > 0)
      view.ready.push_back({i->replica, i->host, i->port});
  }
  std::sort(view.ready.begin(), view.ready.end(),
            [](const Endpoint& a, const Endpoint& b) { return a.replica < b.replica; });
  if (w.endpoints_sent == view) return;
  w.endpoints_sent = view;
  options.on_endpoints(view);
}

}  // namespace prisn::reconciler
