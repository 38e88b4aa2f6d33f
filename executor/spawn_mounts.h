#pragma once
// Internal to spawn: turns the isolation options into the ordered mount
// operations the reaper runs in the workload's new mount namespace.

#include <deque>
#include <string>
#include <vector>

#include "executor/spawn.h"
#include "executor/spawn_plan.h"

namespace prisn::executor::internal {

struct MountPlan {
  std::deque<std::string> strings;  // stable storage for the ops' C strings
  std::vector<MountOp> ops;
};

// Fails (kInvalid) on relative paths, a hidden path of "/" or above /tmp, a
// bind whose source is missing, or more binds than the reaper can hold.
Result<MountPlan> BuildMountPlan(const SpawnOptions& options, int level);

}  // namespace prisn::executor::internal
