#pragma once
// The states the loop reports, each spelled in one place. Code compares the
// enums; the names are what the store keeps (runs) and the API shows.

#include <optional>
#include <string>
#include <string_view>

namespace prisn::reconciler {

// A run: the attempts of a Job, of one CronJob firing, or of `prisn run`.
enum class RunState { kPending, kRunning, kSucceeded, kFailed };
std::string_view RunStateName(RunState state);  // "pending", "running", ...
std::optional<RunState> ParseRunState(std::string_view name);
inline bool Finished(RunState state) {
  return state == RunState::kSucceeded || state == RunState::kFailed;
}

// One replica of a Deployment (or the instance of an active CronJob run).
// "pending": start asked, environment being prepared; "starting": running,
// not ready yet; "running": ready; "terminating"; "crashloop": waiting for
// its next retry; "failed": restartPolicy says no more; "completed": exited
// 0 and not restarted.
enum class ReplicaState {
  kPending,
  kStarting,
  kRunning,
  kTerminating,
  kCrashloop,
  kFailed,
  kCompleted
};
std::string_view ReplicaStateName(ReplicaState state);

// A workload as a whole. Deployments: running, progressing, degraded,
// crashloop, waiting, failed, stopped, completed. Jobs: waiting, running,
// succeeded, failed. CronJobs: scheduled, running, suspended, failed.
// unknown: not observed yet.
enum class WorkloadState {
  kUnknown,
  kRunning,
  kProgressing,
  kDegraded,
  kCrashloop,
  kWaiting,
  kFailed,
  kStopped,
  kCompleted,
  kSucceeded,
  kScheduled,
  kSuspended
};
std::string_view WorkloadStateName(WorkloadState state);

// nlohmann-json writes a state as its name (found by ADL), never as a number.
template <class Json>
void to_json(Json& j, RunState s) {
  j = std::string(RunStateName(s));
}
template <class Json>
void to_json(Json& j, ReplicaState s) {
  j = std::string(ReplicaStateName(s));
}
template <class Json>
void to_json(Json& j, WorkloadState s) {
  j = std::string(WorkloadStateName(s));
}

}  // namespace prisn::reconciler
