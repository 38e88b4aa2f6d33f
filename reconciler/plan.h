#pragma once
// The decisions of the converge loop as pure functions: (desired, observed,
// now) -> actions. No store, no processes, no clock: the loop gathers the
// inputs, calls these, and carries the result out, so every rule here is
// tested table-driven without starting anything.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "manifests/types.h"

namespace prisn::reconciler::plan {

// Rolling-update budgets with Kubernetes rounding: maxSurge rounds up,
// maxUnavailable rounds down, and both 0 means maxUnavailable 1 (a rollout
// must be able to move).
struct Budget {
  int max_surge = 0;
  int max_unavailable = 0;
};
Budget RolloutBudget(int replicas, manifests::IntOrPercent surge,
                     manifests::IntOrPercent unavailable);

// The wait before a replica's next start after `restarts` earlier restarts in
// the current crash streak: 0 (the first restart is at once), then 1 s
// doubling up to 60 s, each scaled by a jitter factor in [0.9, 1.1) drawn
// from `jitter01` in [0, 1) but never beyond the 60 s cap (a capped delay
// is jittered within [54 s, 60 s]).
std::chrono::milliseconds RestartDelay(int restarts, double jitter01);
// A replica that stayed up this long before it crashed starts a new streak.
inline constexpr std::chrono::minutes kBackoffReset{10};

struct InstanceView {
  std::string id;
  int slot = 0;
  std::string version;
  bool stopping = false;  // a stop was asked; it has not exited yet
  bool ready = false;
};

// What the loop remembers of a slot for the desired version.
struct SlotView {
  int slot = 0;
  // Waiting for a restart until then (crash backoff); 0: not waiting.
  std::int64_t next_retry_ms = 0;
  // Ended and must not start again (restartPolicy Never, or OnFailure after
  // exit 0).
  bool done = false;
};

struct DeploymentInput {
  std::string version;  // desired
  int replicas = 1;
  manifests::StrategyType strategy = manifests::StrategyType::kRolling;
  Budget budget;
  std::vector<InstanceView> instances;  // every instance not yet exited, any version
  std::vector<SlotView> slots;          // desired version only
  std::int64_t now_ms = 0;
  bool blocked = false;  // dependsOn or a secret not there yet: start nothing
};

struct DeploymentPlan {
  std::vector<int> start_slots;       // start the desired version in these slots
  std::vector<std::string> stop_ids;  // stop these instances
  std::optional<std::int64_t> wake_at_ms;  // the earliest backoff retry that is waiting
  // Every slot below `replicas` runs the desired version and is ready (or is
  // done), and nothing else runs.
  bool complete = false;
};

// Scaling starts and stops only what the count asks: it never touches a
// running replica of the desired version below the count. A version change
// rolls (new replicas up to replicas + maxSurge; an old one stops only while
// ready replicas stay at least replicas - maxUnavailable; unready old ones go
// first) or recreates (every old one stops before a new one starts).
DeploymentPlan PlanDeployment(const DeploymentInput& in);

// One run of a Job: attempts, retries, deadlines.
struct JobRunInput {
  int attempts = 0;       // started so far
  bool instance_live = false;
  bool last_succeeded = false;  // the last attempt exited 0 (meaningful when attempts > 0 and not live)
  std::int64_t next_retry_ms = 0;  // 0: none scheduled
  std::int64_t created_ms = 0;
  int backoff_limit = 6;
  manifests::RestartPolicy restart_policy = manifests::RestartPolicy::kOnFailure;
  std::chrono::milliseconds active_deadline{0};  // 0: none
  std::int64_t now_ms = 0;
  bool blocked = false;
};

struct JobRunPlan {
  enum class Action { kNothing, kStart, kSucceed, kFail, kStopForDeadline, kWait };
  Action action = Action::kNothing;
  std::optional<std::int64_t> wake_at_ms;
  std::string reason;  // kFail / kStopForDeadline / kWait
};

// Decides the next step of a run after its attempt ended (or before the
// first). A failed attempt is retried after RestartDelay while attempts stay
// within backoff_limit + 1 and the policy allows retries; activeDeadline
// bounds the whole run, retries included.
JobRunPlan PlanJobRun(const JobRunInput& in, double jitter01);

}  // namespace prisn::reconciler::plan
