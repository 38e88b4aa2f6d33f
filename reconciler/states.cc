#include "reconciler/states.h"

namespace prisn::reconciler {

std::string_view RunStateName(RunState state) {
  switch (state) {
    case RunState::kPending:
      return "pending";
    case RunState::kRunning:
      return "running";
    case RunState::kSucceeded:
      return "succeeded";
    case RunState::kFailed:
      return "failed";
  }
  return "?";
}

std::optional<RunState> ParseRunState(std::string_view name) {
  for (RunState s :
       {RunState::kPending, RunState::kRunning, RunState::kSucceeded, RunState::kFailed}) {
    if (RunStateName(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view ReplicaStateName(ReplicaState state) {
  switch (state) {
    case ReplicaState::kPending:
      return "pending";
    case ReplicaState::kStarting:
      return "starting";
    case ReplicaState::kRunning:
      return "running";
    case ReplicaState::kTerminating:
      return "terminating";
    case ReplicaState::kCrashloop:
      return "crashloop";
    case ReplicaState::kFailed:
      return "failed";
    case ReplicaState::kCompleted:
      return "completed";
  }
  return "?";
}

std::string_view WorkloadStateName(WorkloadState state) {
  switch (state) {
    case WorkloadState::kUnknown:
      return "unknown";
    case WorkloadState::kRunning:
      return "running";
    case WorkloadState::kProgressing:
      return "progressing";
    case WorkloadState::kDegraded:
      return "degraded";
    case WorkloadState::kCrashloop:
      return "crashloop";
    case WorkloadState::kWaiting:
      return "waiting";
    case WorkloadState::kFailed:
      return "failed";
    case WorkloadState::kStopped:
      return "stopped";
    case WorkloadState::kCompleted:
      return "completed";
    case WorkloadState::kSucceeded:
      return "succeeded";
    case WorkloadState::kScheduled:
      return "scheduled";
    case WorkloadState::kSuspended:
      return "suspended";
  }
  return "?";
}

}  // namespace prisn::reconciler
