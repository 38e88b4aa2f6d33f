#pragma once
// Running a workload to completion on the calling thread: start it with its
// output on pipes, hand every line to a log and/or a callback as it comes,
// enforce a timeout (SIGTERM to everything, a grace period, then SIGKILL of
// the whole group and cgroup), and report how it ended. For `prisn run` in the
// foreground, environment builds and tests; the daemon drives Child from its
// event loop instead.

#include <chrono>
#include <functional>
#include <string_view>

#include "executor/exit_status.h"
#include "executor/log_file.h"
#include "executor/spawn.h"

namespace prisn::executor {

struct RunOptions {
  SpawnOptions spawn;                      // stdout_fd/stderr_fd are replaced by pipes
  std::chrono::milliseconds timeout{0};    // 0: none
  std::chrono::milliseconds grace{30000};  // between SIGTERM and SIGKILL
  LogWriter* log = nullptr;                // every line is also written here
  std::function<void(LogStream, std::string_view)> on_line;  // called on this thread
};

struct RunResult {
  ExitStatus status;
  std::chrono::milliseconds duration{0};
  std::string degraded_reason;  // from Child: why isolation is lower than asked
};

// Fails only when the workload could not be started (or a pipe failed); how
// the workload ended, a timeout included, is in the result.
Result<RunResult> RunToCompletion(const RunOptions& options);

// Stops a running child the way prisn stops every workload: SIGTERM to all
// its processes, up to `grace` for them to exit, then SIGKILL of the whole
// group or namespace and cgroup. Blocks for at most `grace` plus the kill.
Result<ExitStatus> Stop(Child& child, std::chrono::milliseconds grace);

}  // namespace prisn::executor
