#include "executor/exit_status.h"

#include <fmt/format.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

namespace prisn::executor {
namespace {

ExitStatus Signalled(int sig) { return ExitStatus{.code = 128 + sig, .signal = sig}; }

}  // namespace

std::string ExitStatus::ToString() const {
  std::string out;
  if (signal != 0) {
    const char* abbrev = ::sigabbrev_np(signal);
    out = abbrev ? fmt::format("killed by SIG{}", abbrev)
                 : fmt::format("killed by signal {}", signal);
  } else {
    out = fmt::format("exit {}", code);
  }
  if (oom_killed) out += " (OOMKilled)";
  if (timed_out) out += " (timed out)";
  return out;
}

ExitStatus ExitStatusFromWait(int wait_status) {
  if (WIFSIGNALED(wait_status)) return Signalled(WTERMSIG(wait_status));
  return ExitStatus{.code = WEXITSTATUS(wait_status)};
}

ExitStatus ExitStatusFromSiginfo(int child_code, int child_status) {
  if (child_code == CLD_KILLED || child_code == CLD_DUMPED) return Signalled(child_status);
  return ExitStatus{.code = child_status};
}

}  // namespace prisn::executor
