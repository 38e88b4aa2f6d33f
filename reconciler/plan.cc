#include "reconciler/plan.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace prisn::reconciler::plan {

Budget RolloutBudget(int replicas, manifests::IntOrPercent surge,
                     manifests::IntOrPercent unavailable) {
  auto scaled = [replicas](manifests::IntOrPercent v, bool round_up) {
    if (!v.percent) return std::max(v.value, 0);
    long long num = static_cast<long long>(replicas) * v.value;
    long long out = round_up ? (num + 99) / 100 : num / 100;
    return static_cast<int>(std::max(out, 0LL));
  };
  Budget b{scaled(surge, true), scaled(unavailable, false)};
  if (b.max_surge == 0 && b.max_unavailable == 0) b.max_unavailable = 1;
  return b;
}

std::chrono::milliseconds RestartDelay(int restarts, double jitter01) {
  if (restarts <= 0) return std::chrono::milliseconds(0);
  constexpr long long kCapMs = 60000;
  long long base = restarts >= 17 ? kCapMs : std::min(kCapMs, 1000LL << (restarts - 1));
  // The jitter spreads [0.9, 1.1) of the base, but never past the cap: a
  // capped delay spreads over [0.9, 1.0) of it instead (a 60 s cap that
  // waited 66 s was no cap).
  double high = std::min(1.1, static_cast<double>(kCapMs) / static_cast<double>(base));
  double factor = 0.9 + (high - 0.9) * std::clamp(jitter01, 0.0, 0.999999);
  return std::chrono::milliseconds(
      std::min(kCapMs, static_cast<long long>(std::llround(base * factor))));
}

DeploymentPlan PlanDeployment(const DeploymentInput& in) {
  DeploymentPlan out;
  const int n = std::max(in.replicas, 0);
  std::map<int, const SlotView*> slots;
  for (const SlotView& s : in.slots) slots[s.slot] = &s;

  std::map<int, const InstanceView*> current;  // desired version, not stopping, by slot
  std::vector<const InstanceView*> old;        // other versions, not stopping
  bool old_stopping = false;
  int live = 0;
  int ready = 0;
  for (const InstanceView& i : in.instances) {
    if (i.stopping) {
      if (i.version != in.version) old_stopping = true;
      continue;
    }
    if (i.version == in.version) {
      // Two of one slot cannot come from this plan; keep the first.
      if (!current.emplace(i.slot, &i).second) {
        out.stop_ids.push_back(i.id);
        continue;
      }
      if (i.slot >= n) {
        out.stop_ids.push_back(i.id);  // scaled down
        current.erase(i.slot);
        continue;
      }
    } else {
      old.push_back(&i);
    }
    ++live;
    if (i.ready) ++ready;
  }

  // Slots below the count that lack a replica of the desired version.
  std::vector<int> missing;
  bool all_done_or_ready = true;
  for (int s = 0; s < n; ++s) {
    auto cur = current.find(s);
    if (cur != current.end()) {
      if (!cur->second->ready) all_done_or_ready = false;
      continue;
    }
    auto slot = slots.find(s);
    if (slot != slots.end() && slot->second->done) continue;
    all_done_or_ready = false;
    if (slot != slots.end() && slot->second->next_retry_ms > in.now_ms) {
      if (!out.wake_at_ms || slot->second->next_retry_ms < *out.wake_at_ms)
        out.wake_at_ms = slot->second->next_retry_ms;
      continue;
    }
    missing.push_back(s);
  }

  if (in.strategy == manifests::StrategyType::kRecreate) {
    for (const InstanceView* o : old) out.stop_ids.push_back(o->id);
    if (old.empty() && !old_stopping && !in.blocked) out.start_slots = missing;
  } else if (old.empty()) {
    if (!in.blocked) out.start_slots = missing;
  } else {
    int total = live;
    if (!in.blocked) {
      for (int s : missing) {
        if (total >= n + in.budget.max_surge) break;
        out.start_slots.push_back(s);
        ++total;
      }
    }
    // Unready old replicas serve nobody: they go first and freely. Ready
    // ones go while enough ready replicas remain.
    int may_stop_ready = ready - (n - in.budget.max_unavailable);
    std::vector<const InstanceView*> order = old;
    std::stable_sort(order.begin(), order.end(),
                     [](const InstanceView* a, const InstanceView* b) { return !a->ready && b->ready; });
    for (const InstanceView* o : order) {
      if (!o->ready) {
        out.stop_ids.push_back(o->id);
      } else if (may_stop_ready > 0) {
        out.stop_ids.push_back(o->id);
        --may_stop_ready;
      }
    }
  }
  out.complete = all_done_or_ready && old.empty() && !old_stopping && out.stop_ids.empty() &&
                 out.start_slots.empty();
  return out;
}

JobRunPlan PlanJobRun(const JobRunInput& in, double jitter01) {
  using A = JobRunPlan::Action;
  JobRunPlan p;
  std::optional<std::int64_t> deadline;
  if (in.active_deadline.count() > 0) deadline = in.created_ms + in.active_deadline.count();
  bool past_deadline = deadline && in.now_ms >= *deadline;
  if (in.instance_live) {
    if (past_deadline) {
      p.action = A::kStopForDeadline;
      p.reason = "deadline exceeded";
    } else {
      p.wake_at_ms = deadline;
    }
    return p;
  }
  if (in.attempts > 0 && in.last_succeeded) {
    p.action = A::kSucceed;
    return p;
  }
  if (past_deadline) {
    p.action = A::kFail;
    p.reason = "deadline exceeded";
    return p;
  }
  if (in.attempts > 0) {
    bool retries = in.restart_policy != manifests::RestartPolicy::kNever;
    if (!retries || in.attempts > in.backoff_limit) {
      p.action = A::kFail;
      p.reason = retries ? "backoff limit reached after " + std::to_string(in.attempts) +
                               (in.attempts == 1 ? " attempt" : " attempts")
                         : "failed (restartPolicy Never)";
      return p;
    }
    std::int64_t at = in.next_retry_ms;
    if (at == 0) at = in.now_ms + RestartDelay(in.attempts - 1, jitter01).count();
    if (at > in.now_ms) {
      p.action = A::kWait;
      p.wake_at_ms = deadline ? std::min(at, *deadline) : at;
      p.reason = "retrying";
      return p;
    }
  }
  if (in.blocked) {
    p.action = A::kWait;
    p.reason = "waiting";
    p.wake_at_ms = deadline;
    return p;
  }
  p.action = A::kStart;
  p.wake_at_ms = deadline;
  return p;
}

}  // namespace prisn::reconciler::plan
