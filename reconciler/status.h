#pragma once
// What the converge loop observed, as the API shows it: workload status with
// replicas, and runs (attempts of Jobs and `prisn run`). Plain values; the
// loop publishes fresh copies after every pass.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reconciler/states.h"
#include "reconciler/store.h"

namespace prisn::reconciler {

struct ReplicaStatus {
  std::string name;     // "api-0"
  std::string version;  // the version this replica runs
  // "pending" (start asked, environment being prepared), "starting" (running,
  // not ready yet), "running" (ready), "unready" (was ready, probe failing),
  // "terminating", "crashloop" (waiting for next_retry_ms), "failed"
  // (restartPolicy says no more), "completed" (exited 0, not restarted).
  ReplicaState state = ReplicaState::kPending;
  bool ready = false;
  std::int64_t pid = 0;
  int port = 0;
  int restarts = 0;
  std::int64_t started_ms = 0;  // this instance's start; 0 when not running
  std::optional<std::int64_t> next_retry_ms;
  std::string last_exit;  // "exit 1", "killed by SIGKILL (OOMKilled)"
  std::string degraded;  // why isolation is lower than asked
};

struct WorkloadStatus {
  store::ObjectKey key;
  std::string version;  // desired version in effect
  int desired = 0;      // replicas (Deployments); 1 for a Job
  int ready = 0;        // ready replicas of any version
  int updated = 0;      // replicas of the desired version (not terminating)
  int available = 0;    // ready replicas of the desired version
  // Deployments: "running" (all desired replicas ready, one version),
  // "progressing" (rollout or scale under way), "degraded" (fewer ready than
  // desired, not rolling), "crashloop", "waiting" (dependsOn or a missing
  // secret), "failed" (rollout past its progressDeadline), "stopped" (0
  // replicas). Jobs: "waiting", "running", "succeeded", "failed".
  WorkloadState state = WorkloadState::kUnknown;
  std::string reason;   // why: "waiting for Deployment/default/db (0/1 ready)"
  std::vector<std::string> waiting_for;  // keys of dependencies not healthy yet
  std::string healthy_version;  // last version fully rolled out
  std::optional<std::int64_t> rollout_started_ms;
  std::vector<ReplicaStatus> replicas;  // by name
  std::optional<std::string> last_run;  // Jobs and CronJobs: id of the newest run
  // CronJobs ("scheduled", "running": a run is active, "suspended", "failed":
  // the schedule or zone cannot be used).
  std::string schedule;   // the expression, or "@every 15m"
  std::string time_zone;  // IANA name in effect
  std::optional<std::int64_t> next_fire_ms;
  std::optional<std::int64_t> last_schedule_ms;  // scheduled time of the last run started
  // The last run's state; a pending run shows as running.
  std::optional<RunState> last_result;
  int active_runs = 0;
};

using RunRecord = store::Run;

bool RunFinished(const RunRecord& run);

}  // namespace prisn::reconciler
